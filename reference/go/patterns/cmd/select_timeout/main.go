// select_timeout: the Go original of patterns/select_timeout.c.
package main

import (
	"flag"
	"os"
	"time"

	"goc/reference/patterns"
)

func main() {
	scale := flag.Float64("time-scale", 1, "multiplies every sleep and timeout")
	quiet := flag.Bool("quiet", false, "no output")
	fires := flag.Bool("timeout-fires", false, "500 ms timeout: the first select times out")
	timeoutMs := flag.Int("timeout-ms", 3000, "select timeout (ms)")
	flag.Parse()
	out := os.Stdout
	if *quiet {
		out = nil
	}
	timeout := time.Duration(*timeoutMs) * time.Millisecond
	if *fires {
		timeout = 500 * time.Millisecond
	}
	patterns.SelectTimeout(time.Second, 2*time.Second, timeout, *scale, writer(out))
}
