// SPDX-License-Identifier: GPL-2.0

// cacheproxy-goproxy: the Go demo's four cache proxies and its benchmark,
// the peers of cacheproxy's strategies. See usageText (options.go).
package main

import (
	"fmt"
	"os"
	"runtime"
)

func main() {
	o, err := parseOptions(os.Args[1:])
	if err == errHelp {
		fmt.Print(usageText)
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "cacheproxy-goproxy: %v\n", err)
		os.Exit(2)
	}
	if o.procs > 0 {
		runtime.GOMAXPROCS(o.procs)
	}
	r := &runner{o: o, out: os.Stdout, errs: os.Stderr}
	os.Exit(r.run())
}
