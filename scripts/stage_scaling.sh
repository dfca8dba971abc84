# stage scaling: throughput against the number of tasks, per backend and Go.
#   ./run_all.sh scaling [--quick] [--backends LIST]
#
# harness/bench_scaling.c (scaling-<backend>): ScalingMPMC/producers:P and
# ScalingWorkerPool/workers:W for P, W = 1..16, and in the thread backends'
# binaries ScalingBarePool/workers:W (the pool's jobs on W plain threads: the
# machine's ceiling, drawn in the pool's panel); coro once per GOC_PROCS =
# 1..cores (the JSON context carries goc_procs; plots label it coro-pK);
# Go's twin (reference/go/scaling) at GOMAXPROCS=1 and =cores (go-p1,
# go-pN). Repetitions: 3 (--quick: 1). Writes scaling-<label>.json (Google
# Benchmark JSON) and .log into the run folder. A backend that is not built
# (coro while it is being written) is skipped with a message.
# Environment: GOC_BENCH_BUILD_DIR as for the bench stage.

stage_scaling() {
  local backends="" reps=3
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) reps=1 ;;
      --backends) backends=$2; shift ;;
      --filter) shift ;;
      *) echo "scaling: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local dir built
  dir=$(goc_bench_build_dir)
  built=$(goc_bench_backends scaling) || return 1
  [ -n "$backends" ] || backends="$(tr '\n' ' ' <<<"$built")go-p1 go-pN"
  local list=() b targets=()
  for b in ${backends//,/ }; do
    case "$b" in go) list+=(go-p1 go-pN) ;; *) list+=("$b") ;; esac
  done
  for b in "${list[@]}"; do
    case "$b" in go-*) ;; *) grep -qx "$b" <<<"$built" && targets+=("scaling-$b") ;; esac
  done
  if [ ${#targets[@]} -gt 0 ]; then
    goc_bench_build "${targets[@]}" || return 1
  fi
  local gotest="$GOC_ROOT/build/go-scaling/scaling.test"
  case " ${list[*]} " in *" go-"*)
    if command -v go >/dev/null; then
      mkdir -p "$GOC_ROOT/build/go-scaling"
      ( goc_bench_go_env
        cd "$GOC_ROOT/reference/go" && go test -c -o "$gotest" ./scaling ) || return 1
    else
      goc_log "scaling: go not found; Go skipped"
    fi ;;
  esac

  local res rc=0 cores
  res=$(goc_results_dir)
  cores=$(nproc)
  local flags=(--benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true
               --benchmark_out_format=json)
  for b in "${list[@]}"; do
    case "$b" in
      go-p1|go-pN)
        [ -x "$gotest" ] || continue
        local procs=1 txt="$res/scaling-$b.txt"
        [ "$b" = go-pN ] && procs=$cores
        goc_log "scaling: $b (GOMAXPROCS=$procs)"
        : >"$txt"
        ( cd "$(dirname "$gotest")" &&
          GOMAXPROCS=$procs ./scaling.test -test.run '^$' -test.bench 'ScalingMPMC' \
            -test.benchtime 100000x -test.count "$reps" &&
          GOMAXPROCS=$procs ./scaling.test -test.run '^$' -test.bench 'ScalingWorkerPool' \
            -test.benchtime 10000x -test.count "$reps" ) >>"$txt" 2>&1 || rc=1
        /usr/bin/python3 "$GOC_ROOT/reference/go/gbench_json.py" --backend "$b" --procs "$procs" \
          --context "gomaxprocs=$procs" -o "$res/scaling-$b.json" "$txt" >"$res/scaling-$b.log" 2>&1 ||
          { rc=1; goc_log "scaling: $b FAILED (see $txt)"; }
        ;;
      *)
        local bin="$dir/harness/scaling-$b"
        [ -x "$bin" ] || { goc_log "scaling: $b not built; skipped"; continue; }
        if [ "$b" = coro ]; then
          local k
          for k in $(seq 1 "$cores"); do
            goc_log "scaling: coro GOC_PROCS=$k"
            GOC_PROCS=$k "$bin" "${flags[@]}" --benchmark_context=goc_procs="$k" \
              --benchmark_out="$res/scaling-coro-p$k.json" >"$res/scaling-coro-p$k.log" 2>&1 ||
              { rc=1; goc_log "scaling: coro-p$k FAILED (see $res/scaling-coro-p$k.log)"; }
          done
        else
          goc_log "scaling: $b"
          "$bin" "${flags[@]}" --benchmark_out="$res/scaling-$b.json" >"$res/scaling-$b.log" 2>&1 ||
            { rc=1; goc_log "scaling: $b FAILED (see $res/scaling-$b.log)"; }
        fi
        ;;
    esac
  done
  goc_log "scaling: wrote $res/scaling-*.json"
  return $rc
}
