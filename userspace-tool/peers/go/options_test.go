// SPDX-License-Identifier: GPL-2.0

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestOptionsDefaults(t *testing.T) {
	o, err := parseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.scenarios, ",") != "singlekey,multikey,floor" ||
		len(o.proxies) != 4 || o.bursts != 10000 || o.burst != 8 ||
		o.db.delay != 10*time.Microsecond || o.db.spin ||
		len(o.keys) != 3 ||
		o.keys[0] != 2000 || o.keys[2] != 200000 {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestOptionsQuick(t *testing.T) {
	o, err := parseOptions([]string{"--quick", "--bursts", "500"})
	if err != nil {
		t.Fatal(err)
	}
	if o.bursts != 500 || o.keys[0] != 500 || len(o.scenarios) != 5 ||
		o.duration != 100*time.Millisecond {
		t.Fatalf("--quick: %+v", o)
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "not defined"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--proxy", "rwmutex"}, "--proxy: unknown proxy"},
		{[]string{"--scenario", "zipf"}, "--scenario: unknown"},
		{[]string{"--keys", "2e3,x"}, "--keys: \"x\" is not a whole number"},
		{[]string{"--keys", "0"}, "--keys: 0 is out of range"},
		{[]string{"--keys", "1.5"}, "not a whole number"},
		{[]string{"--burst", "2000"}, "out of range"},
		{[]string{"--bursts", "1e7", "--burst", "8"}, "over 1e7"},
		{[]string{"--delay", "10"}, "not a duration"},
		{[]string{"--delay", "-1us"}, "out of range"},
		{[]string{"--wait", "nap"}, "--wait: unknown way"},
		{[]string{"--duration", "0s"}, "out of range"},
		{[]string{"--threads", ""}, "--threads"},
	} {
		_, err := parseOptions(c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) ||
			strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: got %v, want one line with %q", c.args, err,
				c.want)
		}
	}
	for _, h := range []string{"-h", "--help", "-help"} {
		if _, err := parseOptions([]string{h}); err != errHelp {
			t.Errorf("%s: %v", h, err)
		}
	}
}

// A result line, text and JSON.
func TestLine(t *testing.T) {
	l := &line{what: "singlekey"}
	l.add("proxy", "mutex").add("ns_per_burst", int64(5)).
		add("loads_per_key", 1.0).add("fired", []string(nil))
	var text, js strings.Builder
	l.write(&text, false)
	l.write(&js, true)
	if text.String() !=
		"goproxy singlekey proxy=mutex ns_per_burst=5 loads_per_key=1.00 fired=-\n" {
		t.Errorf("text: %q", text.String())
	}
	var m map[string]interface{}
	if err := json.Unmarshal([]byte(js.String()), &m); err != nil {
		t.Fatalf("json %q: %v", js.String(), err)
	}
	if m["what"] != "singlekey" || m["ns_per_burst"] != 5.0 ||
		m["loads_per_key"] != 1.0 {
		t.Errorf("json: %v", m)
	}
}
