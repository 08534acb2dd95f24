// SPDX-License-Identifier: GPL-2.0

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The test binary runs main() instead of the tests when this is set, so
// that the command line, its output and its exit status are tested whole.
const runMainEnv = "CACHEPROXY_GOPROXY_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

// runCLI runs the program with args: its stdout, stderr and exit status.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var out, errs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errs
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errs.String(), 0
	case errors.As(err, &exit):
		return out.String(), errs.String(), exit.ExitCode()
	}
	t.Fatalf("%v: %v", args, err)
	return "", "", -1
}

// A small run: two proxies, singlekey, keys repeating.
var smallRun = []string{"--scenario", "singlekey", "--keys", "50",
	"--bursts", "100"}

func TestCLIHelpAndUsage(t *testing.T) {
	out, errs, rc := runCLI(t, "--help")
	if rc != 0 || !strings.HasPrefix(out, "usage: cacheproxy-goproxy") ||
		errs != "" {
		t.Fatalf("--help: %d %q %q", rc, out[:min(len(out), 40)], errs)
	}
	for _, args := range [][]string{{"--keys", "x"}, {"--nope"}, {"arg"},
		{"--proxy", "rwmutex"}} {
		out, errs, rc := runCLI(t, args...)
		if rc != 2 || out != "" ||
			!strings.HasPrefix(errs, "cacheproxy-goproxy: ") ||
			strings.Count(errs, "\n") != 1 {
			t.Errorf("%v: %d %q %q", args, rc, out, errs)
		}
	}
}

func TestCLIRunPasses(t *testing.T) {
	args := append([]string{"--proxy", "mutex,singleflight"}, smallRun...)
	out, errs, rc := runCLI(t, args...)
	if rc != 0 || errs != "" {
		t.Fatalf("%d %q", rc, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "goproxy config ") ||
		!strings.HasPrefix(lines[1], "goproxy singlekey proxy=mutex "+
			"keys=50 bursts=100 burst=8 ns_per_burst=") ||
		!strings.Contains(lines[2], " loads=50 distinct=50 "+
			"loads_per_key=1.00 wrong=0 extra_loads=0 runs=1 status=ok") ||
		lines[3] != "goproxy done results=2 failed=0" {
		t.Fatalf("output:\n%s", out)
	}
}

// A plant given to --proxy fails the run: exit 1, one line on stderr
// naming the check and the key.
func TestCLIPlantFails(t *testing.T) {
	args := append([]string{"--proxy", "plant-twice"}, smallRun...)
	out, errs, rc := runCLI(t, args...)
	if rc != 1 || !strings.Contains(out, " status=fail ") ||
		errs != "cacheproxy-goproxy: singlekey proxy=plant-twice keys=50: "+
			"extra_loads: key-0 loaded 2 times, 50 extra loads in all\n" {
		t.Fatalf("%d %q %q", rc, out, errs)
	}
}

func TestCLIJSON(t *testing.T) {
	args := append([]string{"--json", "--proxy", "channel"}, smallRun...)
	out, _, rc := runCLI(t, args...)
	if rc != 0 {
		t.Fatalf("exit %d", rc)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]interface{}
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if m["what"] == "singlekey" && (m["proxy"] != "channel" ||
			m["loads_per_key"] != 1.0 || m["status"] != "ok") {
			t.Fatalf("%q", l)
		}
	}
}

// Every name appears once in a JSON line: a repeated one would be lost by
// most decoders (the last wins), as "what" was in the floor lines.
func TestCLIJSONNamesOnce(t *testing.T) {
	out, _, rc := runCLI(t, "--json", "--proxy", "channel", "--scenario",
		"singlekey,floor", "--keys", "50", "--bursts", "100")
	if rc != 0 {
		t.Fatalf("exit %d", rc)
	}
	floors := 0
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		dec := json.NewDecoder(strings.NewReader(l))
		seen := map[string]bool{}
		if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
			t.Fatalf("%q: not an object", l)
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			name := tok.(string)
			if seen[name] {
				t.Fatalf("%q: %q twice", l, name)
			}
			seen[name] = true
			var v interface{}
			if err := dec.Decode(&v); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
			if name == "what" && v == "floor" {
				floors++
			}
		}
	}
	if floors != 2 {
		t.Fatalf("%d floor lines, not 2:\n%s", floors, out)
	}
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}
