#!/usr/bin/env bash
# The many-core run of the device kit (./run_all.sh kit build copies this
# file into the kit as run.sh). Runs on a machine without Debian packages or
# Python: only bash, coreutils, the kit's binaries and their libraries
# (lib/, through LD_LIBRARY_PATH), taskset when present.
#
#   build/kit/run.sh [--procs "16 2 1 8 4"] [--budget SECONDS] [--reps R]
#                    [--min-time S] [--out DIR]
#
# For each P (default: 16 2 1 8 4, those above nproc dropped, in that order
# so that a run cut short by --budget still has P = max, 2 and 1):
#   pthread, lockfree  micro + bench_patterns pinned to cores 0..P-1
#                      (taskset -c 0-(P-1))
#   coro               the same binaries with GOC_PROCS=P, pinned alike
#   Go                 the test binaries with GOMAXPROCS=P, pinned alike
# on the rows issues 11 and 15 name (KIT_FILTER / KIT_GO_FILTER), then the
# scaling catalogue (ScalingWorkerPool, ScalingMPMC) on all cores: thread
# backends, coro at GOC_PROCS=1 and =cores, Go at GOMAXPROCS=1 and =cores.
# With variant builds in var/ (kit build --variant), an A/B of each against
# the default coro build at P = cores and 4 (ab/p<P>.txt).
# Then, at P = cores, coro's scheduler counts (GOC_SCHEDSTATS) on the rows
# it lost, one process per row (schedstats/p<cores>.txt), and the event log
# of one pool run (schedlog/pool16-p<cores>.log.gz, GOC_SCHEDLOG).
# Before and after each P the cross-core probe (BarePingPong of the pthread
# binary on cores 0-1) as for the bench stage. Stops starting new work once
# --budget seconds (default 420) have passed, and always ends with the
# tarball: $OUT/kit-results.tar.gz ($OUT: the device tool's output folder,
# else ./kit-out), which `./run_all.sh kit import` turns into run folders.
set -uo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The C binaries start through the kit's own loader and libraries (glibc
# included), whatever the lent machine has; KIT_SYSTEM_LOADER=1 uses its own
# loader with LD_LIBRARY_PATH instead.
LDSO=$(find "$KIT/lib" -maxdepth 1 -name 'ld-linux*' 2>/dev/null | head -1)
CB=()
# cbin NAME [DIR]: CB = the command that starts DIR/NAME (DIR: $KIT/bin).
if [ -n "$LDSO" ] && [ -z "${KIT_SYSTEM_LOADER:-}" ]; then
  cbin() { CB=("$LDSO" --library-path "$KIT/lib" "${2:-$KIT/bin}/$1"); }
else
  export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  cbin() { CB=("${2:-$KIT/bin}/$1"); }
fi
procs="16 2 1 8 4" budget=420 reps=5 min_time=0.05 out="${OUT:-$PWD/kit-out}"
while [ $# -gt 0 ]; do
  case "$1" in
    --procs) procs=$2; shift ;;
    --budget) budget=$2; shift ;;
    --reps) reps=$2; shift ;;
    --min-time) min_time=$2; shift ;;
    --out) out=$2; shift ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
# the issues' rows: issue 11 (coro vs Go at the same P), issue 15 (lockfree)
FILTER=${KIT_FILTER:-'^(ChanSync|SPSC/cap:(1|1024)|MPMC/cap:(1|128)|Select2Ready|SpawnJoin|BareRing/cap:1024|BarePingPong|WorkerPool|FanOutFanIn|ContextCancel|CounterMutex|CounterChanLock)(/|$)'}
GO_FILTER=${KIT_GO_FILTER:-'^Benchmark(ChanSync|SPSC|MPMC|Select2Ready|SpawnJoin|WorkerPool|FanOutFanIn|ContextCancel|CounterMutex|CounterChanLock)$'}
res="$out/kit-results"
rm -rf "$res"
mkdir -p "$res"
t0=$(date +%s)
ncpu=$(nproc)
log() { echo "[kit $(( $(date +%s) - t0 ))s] $*" | tee -a "$res/run.log"; }
over() { [ $(( $(date +%s) - t0 )) -ge "$budget" ]; }
pin() { # pin P CMD...: runs CMD on cores 0..P-1 (unpinned without taskset)
  local p=$1; shift
  if command -v taskset >/dev/null; then taskset -c "0-$((p - 1))" "$@"; else "$@"; fi
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "host: $(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
  echo "nproc: $ncpu"
  echo "kernel: $(uname -r)"
  grep -m1 'model name' /proc/cpuinfo | sed 's/^model name[[:space:]]*: /cpu: /'
  echo "taskset: $(command -v taskset >/dev/null && echo yes || echo no)"
  cat "$KIT/MANIFEST" 2>/dev/null
} >"$res/env.txt"
command -v lscpu >/dev/null && lscpu >"$res/lscpu.txt" 2>&1

gb() { # gb OUT.json SUITE BIN [env...]: one gbench binary, pinned by the caller
  local o=$1 suite=$2; shift 2
  "$@" --benchmark_filter="$FILTER" --benchmark_min_time="$min_time" \
    --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
    --benchmark_context=goc_suite="$suite" --benchmark_out="$o" --benchmark_out_format=json \
    >"${o%.json}.log" 2>&1 || log "FAILED: $o (see ${o%.json}.log)"
}
probe() { # probe TAG: the cross-core round trip on cores 0-1
  [ "$ncpu" -ge 2 ] || return 0
  cbin micro-pthread
  pin 2 "${CB[@]}" --benchmark_filter='^BarePingPong(/|$)' --benchmark_min_time=0.05 \
    --benchmark_repetitions=3 --benchmark_out="$res/probe-$1.json" --benchmark_out_format=json \
    >/dev/null 2>&1 || log "probe $1 failed"
}

for p in $procs; do
  [ "$p" -le "$ncpu" ] || { log "P=$p: only $ncpu CPUs, skipped"; continue; }
  over && { log "budget of ${budget}s spent: P=$p and later not run"; break; }
  d="$res/p$p"
  mkdir -p "$d"
  probe "p$p-before"
  for b in pthread lockfree coro; do
    for suite in micro bench_patterns; do
      [ -x "$KIT/bin/$suite-$b" ] || continue
      f=bench-$b; [ "$suite" = micro ] || f=$suite-$b
      log "P=$p $b $suite"
      if [ "$b" = coro ]; then
        cbin "$suite-$b"
        gb "$d/$f.json" "$suite" pin "$p" env GOC_PROCS="$p" "${CB[@]}" --benchmark_context=goc_procs="$p"
      else
        cbin "$suite-$b"
        gb "$d/$f.json" "$suite" pin "$p" "${CB[@]}" --benchmark_context=goc_pinned_cpus="$p"
      fi
    done
  done
  for suite in micro bench_patterns; do
    [ -x "$KIT/go/$suite.test" ] || continue
    log "P=$p Go $suite"
    for _ in $(seq 1 "$reps"); do
      ( cd "$KIT/go" && GOMAXPROCS=$p pin "$p" "./$suite.test" -test.run '^$' -test.bench "$GO_FILTER" \
          -test.benchtime "${min_time}s" -test.count 1 ) >>"$d/$suite-go.txt" 2>&1 ||
        log "FAILED: Go $suite at P=$p (see $d/$suite-go.txt)"
    done
  done
  probe "p$p-after"
done

if over; then
  log "budget of ${budget}s spent: scaling not run"
else
  d="$res/scaling"
  mkdir -p "$d"
  sflags=(--benchmark_repetitions=3 --benchmark_enable_random_interleaving=true --benchmark_out_format=json
          --benchmark_filter='^Scaling(WorkerPool/workers|MPMC/producers|BarePool/workers):(1|2|4|8|16)/')
  for b in pthread lockfree; do
    [ -x "$KIT/bin/scaling-$b" ] || continue
    log "scaling $b"
    cbin "scaling-$b"
    "${CB[@]}" "${sflags[@]}" --benchmark_out="$d/scaling-$b.json" >"$d/scaling-$b.log" 2>&1 ||
      log "FAILED: scaling $b"
  done
  if [ -x "$KIT/bin/scaling-coro" ]; then
    for k in 1 "$ncpu"; do
      log "scaling coro GOC_PROCS=$k"
      cbin scaling-coro
      env GOC_PROCS="$k" "${CB[@]}" "${sflags[@]}" --benchmark_context=goc_procs="$k" \
        --benchmark_out="$d/scaling-coro-p$k.json" >"$d/scaling-coro-p$k.log" 2>&1 || log "FAILED: scaling coro-p$k"
    done
  fi
  if [ -x "$KIT/go/scaling.test" ]; then
    for k in 1 "$ncpu"; do
      log "scaling Go GOMAXPROCS=$k"
      ( cd "$KIT/go" &&
        GOMAXPROCS=$k ./scaling.test -test.run '^$' -test.bench 'ScalingMPMC/producers:(1|2|4|8|16)$' \
          -test.benchtime 100000x -test.count 3 &&
        GOMAXPROCS=$k ./scaling.test -test.run '^$' -test.bench 'ScalingWorkerPool/workers:(1|2|4|8|16)$' \
          -test.benchtime 10000x -test.count 3 ) >"$d/scaling-go-p$k.txt" 2>&1 || log "FAILED: scaling Go p$k"
    done
  fi
fi
# A/B of coro variant builds (kit build --variant: var/NAME/ holds coro
# binaries built with other compile-time constants): at P = cores and P = 4,
# the default build ("base") and each variant alternate, KIT_AB_ROUNDS
# rounds (default 3), on the coro rows of issue 11; ab/p<P>.txt, tabulated
# by `kit import` (harness/kit_ab.py).
AB_FILTER_MICRO=${KIT_AB_FILTER_MICRO:-'^(ChanSync|SPSC/cap:(1|1024)|MPMC/cap:(1|128)|SpawnJoin|Select2Ready)(/|$)'}
AB_FILTER_PAT=${KIT_AB_FILTER_PATTERNS:-'^(WorkerPool|FanOutFanIn|ContextCancel|CounterMutex|CounterChanLock)(/|$)'}
AB_FILTER_SCALING=${KIT_AB_FILTER_SCALING:-'^Scaling(WorkerPool/workers:(1|4|16)|MPMC/producers:(4|16))/'}
vars=()
for v in "$KIT"/var/*/; do [ -x "$v/micro-coro" ] && vars+=("$(basename "$v")"); done
if [ ${#vars[@]} -gt 0 ]; then
  d="$res/ab"
  mkdir -p "$d"
  abps=$ncpu
  [ "$ncpu" -gt 4 ] && abps="$ncpu 4"
  for p in $abps; do
    for r in $(seq 1 "${KIT_AB_ROUNDS:-3}"); do
      for v in base "${vars[@]}"; do
        over && break 3
        vd="$KIT/var/$v"; [ "$v" = base ] && vd="$KIT/bin"
        log "A/B P=$p round $r: $v"
        echo "== P=$p round=$r variant=$v" >>"$d/p$p.txt"
        for spec in "micro:$AB_FILTER_MICRO" "bench_patterns:$AB_FILTER_PAT" "scaling:$AB_FILTER_SCALING"; do
          suite=${spec%%:*} f=${spec#*:} extra=()
          [ "$suite" = scaling ] || extra=(--benchmark_min_time=0.05)
          cbin "$suite-coro" "$vd"
          pin "$p" env GOC_PROCS="$p" "${CB[@]}" --benchmark_filter="$f" "${extra[@]}" \
            --benchmark_format=csv 2>/dev/null | grep -v '^name' | cut -d, -f1,3 >>"$d/p$p.txt"
        done
      done
    done
  done
  over && log "budget of ${budget}s spent: A/B cut short"
fi

# The coro scheduler's event counts (GOC_SCHEDSTATS=1, backends/coro/stats.c)
# at P = cores, one benchmark per process, on the rows where coro lost to Go
# on 16 cores: where each worker found its tasks (its queue, a steal, the
# global queue), what the thieves refused and why, wake-ups and parks.
if over; then
  log "budget of ${budget}s spent: schedstats not run"
elif [ "$ncpu" -ge 2 ]; then
  d="$res/schedstats"
  mkdir -p "$d"
  log "schedstats coro GOC_PROCS=$ncpu"
  for spec in 'micro:^MPMC/cap:1/' 'micro:^MPMC/cap:128/' 'micro:^ChanSync/' \
              'bench_patterns:^CounterMutex/' 'bench_patterns:^CounterChanLock/' \
              'bench_patterns:^FanOutFanIn/' 'scaling:^ScalingWorkerPool/workers:4/' \
              'scaling:^ScalingWorkerPool/workers:16/' 'scaling:^ScalingMPMC/producers:16/'; do
    suite=${spec%%:*} row=${spec#*:}
    [ -x "$KIT/bin/$suite-coro" ] || continue
    cbin "$suite-coro"
    { echo "=== GOC_PROCS=$ncpu $suite-coro $row"
      env GOC_SCHEDSTATS=1 GOC_PROCS="$ncpu" "${CB[@]}" --benchmark_filter="$row" \
        --benchmark_min_time=0.1 --benchmark_format=csv 2>&1 | grep -v '^name'; } >>"$d/p$ncpu.txt"
  done
fi
# The scheduler's event log (GOC_SCHEDLOG, backends/coro/schedlog.c) of one
# measured run of the pool at P = cores, without gbench's warm-up runs:
# `kit import` summarises it (harness/schedlog.py: each worker's time in
# tasks, between tasks, watching a victim and parked; CPU sharing; gaps).
if over; then
  log "budget of ${budget}s spent: schedlog not run"
elif [ "$ncpu" -ge 2 ] && [ -x "$KIT/bin/scaling-coro" ]; then
  mkdir -p "$res/schedlog"
  log "schedlog coro GOC_PROCS=$ncpu ScalingWorkerPool/workers:16"
  cbin scaling-coro
  env GOC_SCHEDLOG="$res/schedlog/pool16-p$ncpu.log" GOC_PROCS="$ncpu" "${CB[@]}" \
    --benchmark_filter='^ScalingWorkerPool/workers:16/' --benchmark_min_warmup_time=0 \
    --benchmark_format=csv >"$res/schedlog/pool16-p$ncpu.csv" 2>&1 &&
    gzip -f "$res/schedlog/pool16-p$ncpu.log" || log "schedlog run failed"
  # one run of 10,000 jobs: ~60k events, ~0.5 MB gzipped on 2 cores; keep
  # the tarball small enough to come back whatever happens on 16
  gz="$res/schedlog/pool16-p$ncpu.log.gz"
  if [ -f "$gz" ] && [ "$(stat -c %s "$gz")" -gt $((8 * 1024 * 1024)) ]; then
    log "schedlog: $(stat -c %s "$gz") bytes gzipped, over 8 MiB: left out"
    rm -f "$gz"
  fi
fi
log "done; packing"
tar czf "$out/kit-results.tar.gz" -C "$out" kit-results && log "wrote $out/kit-results.tar.gz"
