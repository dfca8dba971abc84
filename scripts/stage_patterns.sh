# stage patterns: the article's pattern programs, end to end, per backend
# and in Go.
#   ./run_all.sh patterns [--quick] [--backends LIST] [--filter RE]
#
#   1. hyperfine -N --warmup 3 over every pattern CLI (patterns/<name>.c as
#      <name>-<backend>, and its Go original from reference/go/patterns/cmd
#      as go-p1 / go-pN): one JSON per pattern, all backends side by side:
#      hyperfine-<pattern>.json. Timed patterns run with --time-scale
#      (0.1, --quick 0.01), recorded in patterns.json.
#   2. wrk --latency against http_fanout (each backend and Go's net/http
#      version): 10 s (--quick 2 s) at 16, 64 and 256 connections, on
#      GET /dashboard?id=7: wrk-http_fanout-<backend>-c<N>.txt, summarised
#      with requests/s and latency percentiles in http_fanout.json and
#      http_fanout.md. Every server is started on an ephemeral port, its
#      answer checked with one request before the load, and stopped with
#      SIGTERM; a server that does not stop cleanly fails the stage.
# --backends: among pthread lockfree coro go (= go-p1 go-pN) go-p1 go-pN;
#   default: every backend whose CLIs are configured, plus go-p1 and go-pN.
# --filter RE: only the patterns whose name matches RE (extended regex).
# Environment: GOC_PATTERNS_BUILD_DIR (else GOC_BENCH_BUILD_DIR, else
#   build/release) is the build folder; GOC_WRK_SECONDS overrides the
#   load duration.

GOC_PATTERN_CLIS=(hello messages buffering worker_pool fan_out_fan_in select_timeout
                  context_cancel counter bench_worker_pool)

goc_patterns_build_dir() { echo "${GOC_PATTERNS_BUILD_DIR:-${GOC_BENCH_BUILD_DIR:-$GOC_ROOT/build/release}}"; }

# Builds the given targets in the patterns build folder.
goc_patterns_build() {
  local dir t args=()
  dir=$(goc_patterns_build_dir)
  if [ -n "${GOC_PATTERNS_BUILD_DIR:-}${GOC_BENCH_BUILD_DIR:-}" ]; then
    [ -f "$dir/build.ninja" ] || { echo "patterns: $dir is not a configured build folder" >&2; return 1; }
    for t in "$@"; do args+=(--target "$t"); done
    cmake --build "$dir" -j "$GOC_JOBS" "${args[@]}"
  else
    goc_build release "$@"
  fi
}

# Backends with pattern CLIs in the configured build, stable order.
goc_patterns_backends() {
  local dir b all out=()
  dir=$(goc_patterns_build_dir)
  # the list first: grep -q on a pipe would end ninja early (SIGPIPE), and
  # with pipefail that reads as "not found"
  all=$(ninja -C "$dir" -t targets all 2>/dev/null || true)
  for b in pthread lockfree coro; do
    grep -q "^http_fanout-$b: phony" <<<"$all" && out+=("$b")
  done
  echo "${out[@]}"
}

# Go originals into build/go-patterns/ (offline).
goc_patterns_go_build() {
  command -v go >/dev/null || { echo "patterns: go not found (apt-get install golang-go)" >&2; return 1; }
  mkdir -p "$GOC_ROOT/build/go-patterns"
  ( goc_bench_go_env
    cd "$GOC_ROOT/reference/go" && go build -o "$GOC_ROOT/build/go-patterns/" ./patterns/cmd/... )
}

# goc_patterns_cmd BACKEND NAME: the command line (no shell) running one
# pattern CLI of BACKEND ("env GOMAXPROCS=n" prefix for Go).
goc_patterns_cmd() {
  local b=$1 name=$2 dir
  dir=$(goc_patterns_build_dir)
  case "$b" in
    go-p1) echo "env GOMAXPROCS=1 $GOC_ROOT/build/go-patterns/$name" ;;
    go-pN) echo "env GOMAXPROCS=$(nproc) $GOC_ROOT/build/go-patterns/$name" ;;
    *) echo "$dir/patterns/$name-$b" ;;
  esac
}

# The arguments every CLI gets under hyperfine (quiet, scaled sleeps).
goc_patterns_args() {
  local name=$1 scale=$2
  case "$name" in
    hello|worker_pool|select_timeout|context_cancel) echo "--time-scale $scale --quiet" ;;
    *) echo "--quiet" ;;
  esac
}

# goc_patterns_http BACKEND RESDIR SECONDS: wrk at 16/64/256 connections.
goc_patterns_http() {
  local b=$1 res=$2 secs=$3 cmd log pid port i c rc=0
  cmd=$(goc_patterns_cmd "$b" http_fanout)
  log="$res/http_fanout-$b.server.log"
  # shellcheck disable=SC2086
  $cmd --port 0 >"$log" 2>&1 &
  pid=$!
  port=""
  for i in $(seq 1 100); do
    port=$(sed -n -E 's#.*listening on http://[0-9.]+:([0-9]+)/.*#\1#p' "$log" | head -1)
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "patterns: http_fanout-$b did not start:" >&2; cat "$log" >&2
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    return 1
  fi
  local url="http://127.0.0.1:$port/dashboard?id=7" body
  body=$(curl -s --max-time 5 "$url" 2>/dev/null || true)
  case "$body" in
    "user: id=7 "*) ;;
    *) echo "patterns: http_fanout-$b answered '$body'" >&2; rc=1 ;;
  esac
  for c in 16 64 256; do
    [ $rc -eq 0 ] || break
    goc_log "patterns: wrk http_fanout $b: ${c} connections, ${secs}s"
    wrk -t2 -c"$c" -d"${secs}s" --timeout 10s --latency "$url" >"$res/wrk-http_fanout-$b-c$c.txt" 2>&1 || rc=1
  done
  kill -TERM "$pid" 2>/dev/null
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    echo "patterns: http_fanout-$b did not stop within 10 s of SIGTERM" >&2
    kill -KILL "$pid" 2>/dev/null; rc=1
  fi
  wait "$pid" || { echo "patterns: http_fanout-$b exited with status $?" >&2; rc=1; }
  grep -q "stopped after" "$log" || { echo "patterns: http_fanout-$b: no clean stop in $log" >&2; rc=1; }
  return $rc
}

stage_patterns() {
  local quick=0 backends="" filter="" scale=0.1 secs=10
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) quick=1 ;;
      --backends) backends=$2; shift ;;
      --filter) filter=$2; shift ;;
      *) echo "patterns: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  if [ $quick -eq 1 ]; then scale=0.01; secs=2; fi
  secs=${GOC_WRK_SECONDS:-$secs}
  local tool
  for tool in hyperfine wrk curl python3; do
    command -v $tool >/dev/null || { echo "patterns: $tool not found (./run_all.sh setup)" >&2; return 1; }
  done

  # what to run
  local dir list=() b targets=() name
  dir=$(goc_patterns_build_dir)
  goc_log "patterns: build ($dir)"
  [ -f "$dir/build.ninja" ] || goc_patterns_build hello-pthread >/dev/null 2>&1 || true
  [ -n "$backends" ] || backends="$(goc_patterns_backends) go-p1 go-pN"
  for b in ${backends//,/ }; do
    case "$b" in go) list+=(go-p1 go-pN) ;; *) list+=("$b") ;; esac
  done
  local names=()
  for name in "${GOC_PATTERN_CLIS[@]}" http_fanout; do
    [ -z "$filter" ] || [[ "$name" =~ $filter ]] && names+=("$name")
  done
  for b in "${list[@]}"; do
    case "$b" in go-*) continue ;; esac
    for name in "${names[@]}"; do targets+=("$name-$b"); done
  done
  if [ ${#targets[@]} -gt 0 ]; then goc_patterns_build "${targets[@]}" || return 1; fi
  case " ${list[*]} " in *" go-"*) goc_patterns_go_build || return 1 ;; esac

  local res rc=0
  res=$(goc_results_dir)
  # 1. hyperfine per pattern, every backend side by side
  for name in "${names[@]}"; do
    [ "$name" = http_fanout ] && continue
    local hargs=(-N --warmup 3 --export-json "$res/hyperfine-$name.json" --style basic)
    [ $quick -eq 1 ] && hargs+=(--runs 5)
    for b in "${list[@]}"; do
      hargs+=(-n "$b" "$(goc_patterns_cmd "$b" "$name") $(goc_patterns_args "$name" "$scale")")
    done
    goc_log "patterns: hyperfine $name (${list[*]})"
    hyperfine "${hargs[@]}" >"$res/hyperfine-$name.log" 2>&1 || {
      rc=1; goc_log "patterns: hyperfine $name FAILED (see $res/hyperfine-$name.log)"; tail -5 "$res/hyperfine-$name.log" >&2; }
  done
  # 2. wrk against http_fanout
  local http_done=()
  if printf '%s\n' "${names[@]}" | grep -qx http_fanout; then
    for b in "${list[@]}"; do
      if goc_patterns_http "$b" "$res" "$secs"; then http_done+=("$b"); else rc=1; goc_log "patterns: http_fanout $b FAILED"; fi
    done
  fi
  # 3. summary: patterns.json (hyperfine means) + http_fanout.json/.md
  /usr/bin/python3 - "$res" "$scale" "$secs" "${list[*]}" <<'PY' || rc=1
import glob, json, os, re, sys
res, scale, secs, backends = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4].split()
summary = {"time_scale": scale, "wrk_seconds": secs, "backends": backends, "cli": {}, "http_fanout": []}
for f in sorted(glob.glob(os.path.join(res, "hyperfine-*.json"))):
    name = os.path.basename(f)[len("hyperfine-"):-len(".json")]
    d = json.load(open(f))
    summary["cli"][name] = {r["command"]: {"mean_s": r["mean"], "stddev_s": r.get("stddev"),
                                           "median_s": r.get("median"), "runs": len(r.get("times", []))}
                            for r in d.get("results", [])}
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}
def ms(v):
    m = re.match(r"([0-9.]+)(us|ms|s)$", v)
    return float(m.group(1)) * UNIT[m.group(2)] if m else None
for f in sorted(glob.glob(os.path.join(res, "wrk-http_fanout-*-c*.txt"))):
    m = re.match(r"wrk-http_fanout-(.+)-c(\d+)\.txt$", os.path.basename(f))
    text = open(f).read()
    rec = {"backend": m.group(1), "connections": int(m.group(2))}
    r = re.search(r"Requests/sec:\s+([0-9.]+)", text)
    rec["requests_per_sec"] = float(r.group(1)) if r else None
    for p in ("50", "75", "90", "99"):
        q = re.search(r"^\s+%s%%\s+(\S+)" % p, text, re.M)
        rec["p%s_ms" % p] = ms(q.group(1)) if q else None
    e = re.search(r"Socket errors: (.*)", text)
    rec["socket_errors"] = e.group(1).strip() if e else ""
    n = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    rec["non_2xx"] = int(n.group(1)) if n else 0
    summary["http_fanout"].append(rec)
json.dump(summary, open(os.path.join(res, "patterns.json"), "w"), indent=2)
if not summary["http_fanout"]:
    sys.exit(0)
json.dump(summary["http_fanout"], open(os.path.join(res, "http_fanout.json"), "w"), indent=2)
with open(os.path.join(res, "http_fanout.md"), "w") as md:
    md.write("# http_fanout under wrk (%d s per point, GET /dashboard?id=7)\n\n" % secs)
    md.write("| backend | connections | requests/s | p50 ms | p90 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|---|\n")
    order = {b: i for i, b in enumerate(backends)}
    for r in sorted(summary["http_fanout"], key=lambda r: (order.get(r["backend"], 99), r["connections"])):
        f = lambda v: "-" if v is None else ("%.0f" % v if v >= 100 else "%.2f" % v)
        md.write("| %s | %d | %s | %s | %s | %s | %s |\n" % (r["backend"], r["connections"], f(r["requests_per_sec"]),
                 f(r["p50_ms"]), f(r["p90_ms"]), f(r["p99_ms"]),
                 (r["socket_errors"] + (" non-2xx %d" % r["non_2xx"] if r["non_2xx"] else "")) or "none"))
bad = [r for r in summary["http_fanout"] if r["non_2xx"] or r["requests_per_sec"] is None]
sys.exit(1 if bad else 0)
PY
  goc_log "patterns: wrote $res/{hyperfine-*.json,wrk-http_fanout-*.txt,http_fanout.json,http_fanout.md,patterns.json}"
  if [ ${#http_done[@]} -gt 0 ] && [ -f "$res/http_fanout.md" ]; then cat "$res/http_fanout.md"; fi
  return $rc
}
