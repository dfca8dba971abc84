// http_fanout: the net/http version of patterns/http_fanout.c (the
// article's server): same routes, same bodies, stops on SIGINT/SIGTERM.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"goc/reference/patterns"
)

func main() {
	scale := flag.Float64("time-scale", 1, "multiplies the lookup delay")
	port := flag.Int("port", 8080, "port (0: any)")
	host := flag.String("host", "127.0.0.1", "address")
	delayMs := flag.Int("delay-ms", 0, "simulated delay per lookup (ms)")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", *host, *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, "http_fanout:", err)
		os.Exit(1)
	}
	var served int64
	mux := patterns.NewMux(patterns.Scaled(time.Duration(*delayMs)*time.Millisecond, *scale))
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		atomic.AddInt64(&served, 1)
	}), MaxHeaderBytes: 8192}
	fmt.Printf("http_fanout (go) listening on http://%s/dashboard\n", ln.Addr())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, "http_fanout:", err)
		os.Exit(1)
	}
	fmt.Printf("http_fanout (go) stopped after %d requests\n", atomic.LoadInt64(&served))
}
