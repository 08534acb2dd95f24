// SPDX-License-Identifier: GPL-2.0

package main

import (
	"fmt"
	"strings"
)

// The checks every answer goes through, by the names the output and the
// controls use. A wrong answer is counted once, under the first check it
// fails, in this order.
const (
	checkValue   = "value"   // not "KEY:N" for the key asked
	checkForged  = "forged"  // N was not a load of this key
	checkSplit   = "split"   // one burst's callers got different loads
	checkChanged = "changed" // a key's answer differs from its first one
	// Not an answer: a key loaded more than once. Every proxy here
	// promises one load per key (the mutex proxy by holding its lock
	// across the load, the others by deduplicating concurrent misses),
	// and nothing is evicted.
	checkExtraLoads = "extra_loads"
)

var checkNames = []string{checkValue, checkForged, checkSplit, checkChanged,
	checkExtraLoads}

// verdict collects what the checks found in one run.
type verdict struct {
	wrong      int            // wrong answers
	extraLoads int            // loads beyond one per distinct key asked
	counts     map[string]int // per check: answers (or loads) it failed
	first      string         // the first problem found, one line
}

func newVerdict() *verdict { return &verdict{counts: make(map[string]int)} }

func (v *verdict) fail(check string, format string, args ...interface{}) {
	if check == checkExtraLoads {
		v.extraLoads++
	} else {
		v.wrong++
	}
	v.counts[check]++
	if v.first == "" {
		v.first = check + ": " + fmt.Sprintf(format, args...)
	}
}

// ok: no wrong answer and no extra load.
func (v *verdict) ok() bool { return v.wrong == 0 && v.extraLoads == 0 }

// fired lists the checks that found something, in checkNames' order.
func (v *verdict) fired() []string {
	var names []string
	for _, c := range checkNames {
		if v.counts[c] > 0 {
			names = append(names, c)
		}
	}
	return names
}

// merge adds w's findings to v's.
func (v *verdict) merge(w *verdict) {
	v.wrong += w.wrong
	v.extraLoads += w.extraLoads
	for c, n := range w.counts {
		v.counts[c] += n
	}
	if v.first == "" {
		v.first = w.first
	}
}

// parseValue returns N of an answer "KEY:N" for key (N a positive decimal
// without leading zeros), or false if the answer is not one.
func parseValue(key, answer string) (int, bool) {
	if !strings.HasPrefix(answer, key+":") {
		return 0, false
	}
	digits := answer[len(key)+1:]
	if digits == "" || len(digits) > 18 || digits[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if d > 9 {
			return 0, false
		}
		n = n*10 + int(d)
	}
	return n, true
}

// checkAnswer judges one answer for key on its own: its form and its load
// number. Returns N, or 0 when the answer was counted wrong.
func checkAnswer(v *verdict, db *Database, key, answer string) int {
	n, ok := parseValue(key, answer)
	if !ok {
		v.fail(checkValue, "%s answered %q", key, answer)
		return 0
	}
	if k, ok := db.KeyOfLoad(n); !ok || k != key {
		v.fail(checkForged, "%s answered %q, but load %d was not of %s",
			key, answer, n, key)
		return 0
	}
	return n
}

// checkBursts judges a run of bursts: burst i asked keys[i % len(keys)],
// and answers[i*burst+j] is what its caller j got. Within a burst every
// caller must get the same load; a key must get the same load in every
// burst; and the database must have loaded each key asked exactly once.
func checkBursts(db *Database, keys []string, burst int,
	answers []string) *verdict {
	v := newVerdict()
	seen := make([]int, len(keys)) // key index -> N first answered
	bursts := len(answers) / burst
	for i := 0; i < bursts; i++ {
		ki := i % len(keys)
		key := keys[ki]
		first := 0
		for j := 0; j < burst; j++ {
			n := checkAnswer(v, db, key, answers[i*burst+j])
			switch {
			case n == 0:
			case first == 0:
				first = n
				if seen[ki] == 0 {
					seen[ki] = n
				} else if seen[ki] != n {
					v.fail(checkChanged,
						"%s answered load %d, earlier load %d",
						key, n, seen[ki])
				}
			case n != first:
				v.fail(checkSplit,
					"%s: one burst answered loads %d and %d",
					key, first, n)
			}
		}
	}
	distinct := bursts
	if distinct > len(keys) {
		distinct = len(keys)
	}
	checkLoads(v, db, keys[:distinct])
	return v
}

// checkLoads counts the loads beyond one per key of asked (the keys asked,
// each once) and names the first key loaded more than once.
func checkLoads(v *verdict, db *Database, asked []string) {
	extra := db.Loads() - len(asked)
	if extra <= 0 {
		return
	}
	named := false
	for _, k := range asked {
		if n := db.LoadsOf(k); n > 1 && !named {
			v.fail(checkExtraLoads, "%s loaded %d times, %d extra loads in all",
				k, n, extra)
			named = true
			extra--
		}
	}
	if !named {
		v.fail(checkExtraLoads, "%d loads of %d keys", db.Loads(), len(asked))
		extra--
	}
	v.extraLoads += extra
	v.counts[checkExtraLoads] += extra
}
