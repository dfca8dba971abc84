// Package reference holds the Go side of goc's benchmarks: the micro
// catalogue of harness/bench_micro.c in Go (chan_bench_test.go), same names,
// same workloads, standard library only. Run it through
// `./run_all.sh bench` or `./run_all.sh compare`, which build the test
// binary offline (GOPROXY=off, GOCACHE under build/) and convert its output
// to Google Benchmark's JSON with gbench_json.py.
package reference
