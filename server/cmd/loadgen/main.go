// Command loadgen measures Backbeat's read path: it seeds a data directory
// with a large catalog, drives closed-loop load at a running server, and
// serves the bare connect-go baseline the figures are compared against.
//
//	loadgen seed -data-dir D -tracks 100000 -playlists 10000
//	loadgen run -url http://127.0.0.1:8080 -ids D/bench-ids.json -rpc search -c 16 -d 10s
//	loadgen baseline -addr 127.0.0.1:0
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen seed|run|baseline [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "seed":
		err = seed(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	case "baseline":
		err = baseline(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}
