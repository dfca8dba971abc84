# stage memory: memory per parked task and spawn time, per backend and Go.
#   ./run_all.sh memory [--quick] [--backends LIST]
#
# Runs harness/bench_memory.c (bench_memory-<backend>) and its Go twin
# (reference/go/memory, as go-p1 and go-pN), and coro again in its compact
# stack mode as "coro-compact" (GOC_STACK=compact, backends/coro/README.md
# "Compact mode"): N tasks each parked receiving
# on one channel; RSS delta per task and spawn time. Sizes:
#   coro and Go   1k, 100k, 1M   (--quick: 1k, 100k)
#   pthread, lockfree (tasks are OS threads) 1k, 10k: 10k threads with
#       256 KiB stacks is what this machine allows comfortably (2 mappings per
#       thread against the kernel's 65,530 limit; 100k would need 200k).
# A size whose estimated RSS exceeds half of MemAvailable is skipped (the
# JSON says so). Writes memory-<backend>.json (+ .log) into the run folder.
# Environment: GOC_BENCH_BUILD_DIR as for the bench stage.

stage_memory() {
  local quick=0 backends=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) quick=1 ;;
      --backends) backends=$2; shift ;;
      --filter) shift ;;  # accepted from the driver; nothing to filter
      *) echo "memory: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local dir built
  dir=$(goc_bench_build_dir)
  built=$(goc_bench_backends bench_memory) || return 1
  if [ -z "$backends" ]; then
    backends="$(tr '\n' ' ' <<<"$built")"
    case " $backends " in *" coro "*) backends="$backends coro-compact" ;; esac
    backends="$backends go-p1 go-pN"
  fi
  local list=() b
  for b in ${backends//,/ }; do
    case "$b" in go) list+=(go-p1 go-pN) ;; *) list+=("$b") ;; esac
  done
  local targets=()
  for b in "${list[@]}"; do
    case "$b" in go-*) ;; coro-compact) targets+=(bench_memory-coro) ;; *) targets+=("bench_memory-$b") ;; esac
  done
  if [ ${#targets[@]} -gt 0 ]; then
    goc_bench_build "${targets[@]}" || return 1
  fi
  local gobin="$GOC_ROOT/build/go-memory/memory"
  case " ${list[*]} " in *" go-"*)
    if command -v go >/dev/null; then
      mkdir -p "$GOC_ROOT/build/go-memory"
      ( goc_bench_go_env
        cd "$GOC_ROOT/reference/go" && go build -o "$gobin" ./memory ) || return 1
    else
      goc_log "memory: go not found; Go skipped"
    fi ;;
  esac

  local res rc=0 i=0 n=${#list[@]} sizes
  res=$(goc_results_dir)
  for b in "${list[@]}"; do
    i=$((i + 1))
    case "$b" in
      pthread|lockfree|*-vtbl) sizes="1000,10000" ;;
      *) if [ $quick -eq 1 ]; then sizes="1000,100000"; else sizes="1000,100000,1000000"; fi ;;
    esac
    goc_log "memory: $b ($i/$n): $sizes parked tasks"
    case "$b" in
      go-p1|go-pN)
        [ -x "$gobin" ] || continue
        local procs=1
        [ "$b" = go-pN ] && procs=$(nproc)
        GOMAXPROCS=$procs "$gobin" -tasks "$sizes" -backend "$b" -out "$res/memory-$b.json" \
          2>"$res/memory-$b.log" || { rc=1; goc_log "memory: $b FAILED (see $res/memory-$b.log)"; }
        ;;
      *)
        local bin="$dir/harness/bench_memory-${b%-compact}" stack=${GOC_STACK:-}
        [ -x "$bin" ] || { goc_log "memory: no $bin; $b skipped"; continue; }
        [ "$b" = coro-compact ] && stack=compact
        GOC_STACK=$stack "$bin" --tasks "$sizes" --label "$b" --out "$res/memory-$b.json" \
          2>"$res/memory-$b.log" || { rc=1; goc_log "memory: $b FAILED (see $res/memory-$b.log)"; }
        ;;
    esac
    sed 's/^/    /' "$res/memory-$b.log"
  done
  goc_log "memory: wrote $res/memory-*.json"
  return $rc
}
