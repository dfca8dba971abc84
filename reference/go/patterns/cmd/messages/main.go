// messages: the Go original of patterns/messages.c.
package main

import (
	"flag"
	"os"

	"goc/reference/patterns"
)

func main() {
	flag.Float64("time-scale", 1, "unused (accepted like every pattern CLI)")
	quiet := flag.Bool("quiet", false, "no output")
	flag.Parse()
	msg := "ping"
	if flag.NArg() == 1 {
		msg = flag.Arg(0)
	}
	out := os.Stdout
	if *quiet {
		out = nil
	}
	patterns.Messages(msg, writer(out))
}
