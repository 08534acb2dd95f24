// SPDX-License-Identifier: GPL-2.0

package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

// runner runs the scenarios of options and writes their lines.
type runner struct {
	o       *options
	out     io.Writer // result lines
	errs    io.Writer // one line per failed result
	results int
	failed  int
}

func (r *runner) emit(l *line, ok bool, problem string) {
	l.write(r.out, r.o.json)
	r.results++
	if !ok {
		r.failed++
		fmt.Fprintf(r.errs, "cacheproxy-goproxy: %s: %s\n", r.label(l),
			problem)
	}
}

// label: the line's first fields, "singlekey proxy=mutex keys=2000".
func (r *runner) label(l *line) string {
	parts := []string{l.what}
	for i := 0; i < len(l.fields) && i < 2; i++ {
		parts = append(parts, l.fields[i].name+"="+
			formatValue(l.fields[i].value))
	}
	return strings.Join(parts, " ")
}

// run runs every scenario and returns the exit status.
func (r *runner) run() int {
	o := r.o
	(&line{what: "config"}).
		add("go", runtime.Version()).
		add("gomaxprocs", runtime.GOMAXPROCS(0)).
		add("cpus", runtime.NumCPU()).
		add("delay_ns", o.db.delay.Nanoseconds()).
		add("burst", o.burst).add("wait", o.wait()).
		write(r.out, o.json)
	for _, s := range o.scenarios {
		switch s {
		case "singlekey", "multikey":
			for _, n := range o.keys {
				keys := makeKeys(n)
				for _, k := range o.proxies {
					r.bursts(s, k, keys)
				}
			}
		case "hit":
			for _, n := range o.keys {
				keys := makeKeys(n)
				for _, k := range o.proxies {
					for _, t := range o.threads {
						r.hits(k, keys, t)
					}
				}
			}
		case "floor":
			r.floors()
		case "controls":
			for _, k := range plantKinds {
				r.control(k)
			}
		}
	}
	(&line{what: "done"}).add("results", r.results).
		add("failed", r.failed).write(r.out, o.json)
	if r.failed > 0 {
		return 1
	}
	return 0
}

// bursts: one singlekey or multikey result, the fastest of o.repeat runs.
func (r *runner) bursts(scenario string, k proxyKind, keys []string) {
	o := r.o
	all := newVerdict()
	var best burstRun
	for i := 0; i < o.repeat; i++ {
		run := runBursts(k, o.db, keys, o.bursts, o.burst,
			scenario == "singlekey")
		all.merge(checkBursts(run.db, keys, o.burst, run.answers))
		if i == 0 || run.wall < best.wall {
			best = run
		}
	}
	distinct := o.bursts
	if distinct > len(keys) {
		distinct = len(keys)
	}
	loads := best.db.Loads()
	l := &line{what: scenario}
	l.add("proxy", k.name).add("keys", len(keys)).add("bursts", o.bursts).
		add("burst", o.burst).
		add("ns_per_burst", best.wall.Nanoseconds()/int64(o.bursts)).
		add("loads", loads).add("distinct", distinct).
		add("loads_per_key", float64(loads)/float64(distinct)).
		add("wrong", all.wrong).add("extra_loads", all.extraLoads).
		add("runs", o.repeat).add("status", status(all.ok())).
		add("query_ns", best.db.QueryTime().Nanoseconds()).
		add("wait", o.wait())
	r.emit(l, all.ok(), all.first)
}

// hits: one hit result, the fastest of o.repeat runs.
func (r *runner) hits(k proxyKind, keys []string, threads int) {
	o := r.o
	all := newVerdict()
	var best hitRun
	bestRate := -1.0
	for i := 0; i < o.repeat; i++ {
		run := runHits(k, keys, threads, o.duration)
		all.merge(run.verdict)
		rate := float64(run.lookups) / run.wall.Seconds()
		if rate > bestRate {
			best, bestRate = run, rate
		}
	}
	nsPer := 0.0
	if best.lookups > 0 {
		nsPer = float64(best.wall.Nanoseconds()) / float64(best.lookups)
	}
	l := &line{what: "hit"}
	l.add("proxy", k.name).add("keys", len(keys)).add("threads", threads).
		add("lookups", best.lookups).add("seconds", best.wall.Seconds()).
		add("lookups_per_s", int64(bestRate)).
		add("ns_per_lookup", nsPer).
		add("wrong", all.wrong).add("extra_loads", all.extraLoads).
		add("runs", o.repeat).add("status", status(all.ok()))
	r.emit(l, all.ok(), all.first)
}

// floors: one database query alone, and an empty burst.
func (r *runner) floors() {
	o := r.o
	loads := 1000
	if o.quick {
		loads = 200
	}
	best := time.Duration(0)
	for i := 0; i < o.repeat; i++ {
		if d := floorLoad(o.db, loads); i == 0 || d < best {
			best = d
		}
	}
	(&line{what: "floor"}).add("floor", "load").add("ops", loads).
		add("ns_per_op", best.Nanoseconds()/int64(loads)).
		write(r.out, o.json)
	for i := 0; i < o.repeat; i++ {
		if d := floorBurst(o.bursts, o.burst); i == 0 || d < best {
			best = d
		}
	}
	(&line{what: "floor"}).add("floor", "burst").add("burst", o.burst).
		add("ops", o.bursts).
		add("ns_per_op", best.Nanoseconds()/int64(o.bursts)).
		write(r.out, o.json)
}

// The controls' run: every key asked 4 times, so that a value that changes
// between bursts can show; a delay long enough for a burst to overlap.
const (
	controlKeys   = 100
	controlBursts = 400
	controlBurst  = 8
	controlDelay  = 10 * time.Microsecond
)

// control runs a plant and checks that the checks it names caught it.
func (r *runner) control(k proxyKind) {
	spec := r.o.db
	if spec.delay < controlDelay {
		spec.delay = controlDelay
	}
	keys := makeKeys(controlKeys)
	run := runBursts(k, spec, keys, controlBursts, controlBurst, true)
	v := checkBursts(run.db, keys, controlBurst, run.answers)
	fired := v.fired()
	var missed []string
	for _, c := range k.caughtBy {
		if !contains(fired, c) {
			missed = append(missed, c)
		}
	}
	l := &line{what: "control"}
	l.add("plant", k.name).add("keys", controlKeys).
		add("bursts", controlBursts).add("expect", k.caughtBy).
		add("fired", fired).add("status", status(len(missed) == 0))
	r.emit(l, len(missed) == 0, "not caught by "+
		strings.Join(missed, ","))
}
