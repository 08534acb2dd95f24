// SPDX-License-Identifier: GPL-2.0

package main

import (
	"testing"
	"time"
)

// Every plant is caught by the checks it names, as in --scenario controls.
func TestPlantsAreCaught(t *testing.T) {
	keys := makeKeys(controlKeys)
	for _, k := range plantKinds {
		t.Run(k.name, func(t *testing.T) {
			run := runBursts(k, dbSpec{delay: controlDelay}, keys,
				controlBursts, controlBurst, true)
			v := checkBursts(run.db, keys, controlBurst, run.answers)
			if v.ok() {
				t.Fatal("passed every check")
			}
			for _, c := range k.caughtBy {
				if v.counts[c] == 0 {
					t.Errorf("not caught by %s (fired: %v)", c,
						v.fired())
				}
			}
		})
	}
}

// A plant that loads on every lookup fails the hit run too.
func TestHitsCatchForget(t *testing.T) {
	k, _ := findProxy("plant-forget")
	v := runHits(k, makeKeys(20), 2, 10*time.Millisecond).verdict
	if v.counts[checkExtraLoads] == 0 {
		t.Fatalf("hits of plant-forget passed: %v", v.fired())
	}
}

func TestParseValue(t *testing.T) {
	for _, c := range []struct {
		answer string
		n      int
		ok     bool
	}{
		{"key-1:7", 7, true},
		{"key-1:123456", 123456, true},
		{"key-1:0", 0, false},
		{"key-1:07", 0, false},
		{"key-1:", 0, false},
		{"key-1:7x", 0, false},
		{"key-1:-7", 0, false},
		{"key-12:7", 0, false},
		{"key-1", 0, false},
		{"", 0, false},
		{"key-1:1234567890123456789", 0, false},
	} {
		n, ok := parseValue("key-1", c.answer)
		if n != c.n || ok != c.ok {
			t.Errorf("%q: got %d %v, want %d %v", c.answer, n, ok,
				c.n, c.ok)
		}
	}
}

// Each check, fed by hand: the answers of two bursts of two callers.
func TestCheckBursts(t *testing.T) {
	keys := []string{"a"}
	for _, c := range []struct {
		name    string
		loads   []string // the database's queries, in order
		answers []string
		check   string // "" for none
	}{
		{"ok", []string{"a"}, []string{"a:1", "a:1", "a:1", "a:1"}, ""},
		{"value", []string{"a"}, []string{"a:1", "a:1", "b:1", "a:1"},
			checkValue},
		{"forged", []string{"a"}, []string{"a:2", "a:2", "a:2", "a:2"},
			checkForged},
		{"split", []string{"a", "a"}, []string{"a:1", "a:2", "a:1", "a:1"},
			checkSplit},
		{"changed", []string{"a", "a"}, []string{"a:1", "a:1", "a:2", "a:2"},
			checkChanged},
		{"extra", []string{"a", "a"}, []string{"a:1", "a:1", "a:1", "a:1"},
			checkExtraLoads},
	} {
		db := NewDatabase(0)
		for _, k := range c.loads {
			db.Load(k)
		}
		v := checkBursts(db, keys, 2, c.answers)
		fired := v.fired()
		if c.check == "" && len(fired) > 0 ||
			c.check != "" && !contains(fired, c.check) {
			t.Errorf("%s: fired %v (%s)", c.name, fired, v.first)
		}
	}
}
