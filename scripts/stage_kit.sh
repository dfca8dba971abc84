# stage kit: the many-core run, prepared here and run on a lent machine
# that has no Debian packages (the device tool's 16-core Xeon, a few minutes
# at a time), then turned back into ordinary run folders.
#   ./run_all.sh kit build [--out DIR] [--variant NAME=DEFINE[,DEFINE...]]...
#   ./run_all.sh kit import TARBALL|DIR [--host NAME]
#
# build: the release binaries (micro-, bench_patterns-, scaling-<backend>
#   for pthread, lockfree, coro), Go's test binaries built static
#   (CGO_ENABLED=0 go test -c: micro, patterns, scaling), every shared
#   library the binaries load, glibc and its loader ld-linux included
#   (libbenchmark.so.1debian, libstdc++, libgcc_s, libc, libm; ldd decides;
#   run.sh starts the binaries through that loader), scripts/kit_run.sh as run.sh and a
#   MANIFEST (commit, compilers, what each file is), into DIR (default
#   build/kit: git ignores build/, so the device tool's `carry` can name it).
#   On the lent machine:  build/kit/run.sh  (options in scripts/kit_run.sh);
#   it leaves $OUT/kit-results.tar.gz.
#   --variant NAME=STEAL_LONE_NS=20000[,NAME2=VALUE...]: also a coro build with
#   those compile-time constants (-D; backends/coro/coro_sched.h says which
#   can be set) in build/kit-var-NAME, its micro-, bench_patterns- and
#   scaling-coro copied to DIR/var/NAME/: run.sh then measures each variant
#   against the default build in alternating rounds (an A/B of a scheduler
#   policy on the many-core machine, where a kit run is the only chance).
# import: one run folder per P, results/<UTC>-<host>-p<P>/ (bench-<backend>.json
#   and bench_patterns-<backend>.json as the bench stage writes them: coro at
#   GOC_PROCS=P, the thread backends pinned to P cores, go-pN = Go at
#   GOMAXPROCS=P and go-p1 = Go at GOMAXPROCS=1 from the P=1 run; env.json from
#   the machine's env.txt; floors.json from the probes), the scaling results
#   in the largest P's folder (scaling-*.json as the scaling stage writes
#   them), summary.md / index.html of each, and one comparison of all of them
#   (results/compare-<UTC>/). --host names the machine (default: from env.txt).

stage_kit() {
  local sub=${1:-}
  [ $# -gt 0 ] && shift
  case "$sub" in
    build) goc_kit_build "$@" ;;
    import) goc_kit_import "$@" ;;
    *) echo "kit: usage: ./run_all.sh kit build [--out DIR] [--variant NAME=DEFINE[,DEFINE]]... | kit import TARBALL|DIR [--host NAME]" >&2
       return 2 ;;
  esac
}

goc_kit_build() {
  local out="$GOC_ROOT/build/kit" variants=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --out) out=${2:?--out wants a folder}; shift ;;
      --variant)
        local v=${2:?--variant wants NAME=DEFINE[,DEFINE...]}
        # NAME=A=1,B=2: a name for the folder, then compile-time constants
        if ! [[ "$v" =~ ^[a-z0-9_-]+=[A-Z][A-Z0-9_]*=-?[0-9]+(,[A-Z][A-Z0-9_]*=-?[0-9]+)*$ ]]; then
          echo "kit build: --variant wants NAME=CONSTANT=INTEGER[,CONSTANT=INTEGER...], got '$v'" >&2
          return 2
        fi
        variants+=("$v"); shift ;;
      *) echo "kit build: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local dir b s targets=()
  dir=$(goc_bench_build_dir)
  for b in pthread lockfree coro; do
    for s in micro bench_patterns scaling; do targets+=("$s-$b"); done
  done
  goc_log "kit: building ${targets[*]}"
  goc_bench_build "${targets[@]}" || return 1
  command -v go >/dev/null || { echo "kit: go not found (./run_all.sh setup)" >&2; return 1; }
  rm -rf "$out"
  mkdir -p "$out/bin" "$out/lib" "$out/go"
  for t in "${targets[@]}"; do
    [ -x "$dir/harness/$t" ] || { echo "kit: $dir/harness/$t was not built" >&2; return 1; }
    cp "$dir/harness/$t" "$out/bin/"
  done
  # every library the binaries load, glibc and its loader included: run.sh
  # starts each binary through the kit's own ld-linux, so a lent machine with
  # an older glibc (or none of these libraries) runs them all the same
  local lib
  while read -r lib; do
    cp -L "$lib" "$out/lib/"
  done < <(ldd "$out"/bin/* 2>/dev/null |
             awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\/.*ld-linux/ {print $1}' | sort -u)
  ls "$out"/lib/ld-linux* >/dev/null 2>&1 || { echo "kit: no ld-linux found by ldd" >&2; return 1; }
  local pkg name
  for pkg in .:micro patterns:bench_patterns scaling:scaling; do
    name=${pkg#*:}
    ( goc_bench_go_env
      cd "$GOC_ROOT/reference/go" && CGO_ENABLED=0 go test -c -o "$out/go/$name.test" "./${pkg%%:*}" ) ||
      { echo "kit: go test -c ./${pkg%%:*} failed" >&2; return 1; }
  done
  local var vname vdefs vdir flags d t
  for var in "${variants[@]}"; do
    vname=${var%%=*} vdefs=${var#*=}
    vdir="$GOC_ROOT/build/kit-var-$vname"
    flags=""
    for d in ${vdefs//,/ }; do flags+=" -D$d"; done
    goc_log "kit: variant $vname:$flags"
    { cmake --preset release -B "$vdir" -DCMAKE_C_FLAGS="$flags" &&
      cmake --build "$vdir" -j "$GOC_JOBS" --target micro-coro bench_patterns-coro scaling-coro; } \
      >"$vdir.log" 2>&1 || { echo "kit: variant $vname failed to build (see $vdir.log)" >&2; return 1; }
    mkdir -p "$out/var/$vname"
    for t in micro-coro bench_patterns-coro scaling-coro; do cp "$vdir/harness/$t" "$out/var/$vname/"; done
    echo "$flags" >"$out/var/$vname/DEFINES"
  done
  cp "$GOC_ROOT/scripts/kit_run.sh" "$out/run.sh"
  chmod +x "$out/run.sh"
  {
    echo "commit: $(goc_commit)"
    echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(goc_host)"
    echo "cc: $(cc --version 2>/dev/null | head -1)"
    echo "go: $(go version 2>/dev/null)"
    echo "bin: release builds of micro-, bench_patterns-, scaling-<backend>"
    echo "go: static Go test binaries (CGO_ENABLED=0) of reference/go"
    echo "lib: $(find "$out/lib" -maxdepth 1 -type f -printf '%f ' | sort)"
    for var in "${variants[@]}"; do echo "variant: ${var%%=*}: coro built with ${var#*=}"; done
  } >"$out/MANIFEST"
  local size
  size=$(du -sm "$out" | awk '{print $1}')
  goc_log "kit: $out (${size} MiB; the device tool carries 64 MiB at most)"
  [ "$size" -le 64 ] || { echo "kit: $out is ${size} MiB, more than the 64 MiB the device tool carries" >&2; return 1; }
  goc_log "kit: on the lent machine run: ${out#"$GOC_ROOT"/}/run.sh   (carry: ${out#"$GOC_ROOT"/})"
  goc_log "kit: then here: ./run_all.sh kit import <files_at>/kit-results.tar.gz"
}

goc_kit_import() {
  local src="" host=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --host) host=${2:?--host wants a name}; shift ;;
      -*) echo "kit import: unknown option $1" >&2; return 2 ;;
      *) src=$1 ;;
    esac
    shift
  done
  [ -n "$src" ] || { echo "kit import: name the tarball (kit-results.tar.gz) or its unpacked folder" >&2; return 2; }
  local tmp
  tmp=$(mktemp -d)
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" RETURN
  if [ -d "$src" ]; then
    cp -r "$src" "$tmp/in"
  elif [ -f "$src" ]; then
    mkdir "$tmp/in"
    tar xzf "$src" -C "$tmp/in" || { echo "kit import: $src is not a readable tarball" >&2; return 2; }
  else
    echo "kit import: $src not found" >&2; return 2
  fi
  local kr
  kr=$(find "$tmp/in" -name env.txt -path '*kit-results*' -printf '%h\n' | head -1)
  [ -n "$kr" ] || kr=$(find "$tmp/in" -name env.txt -printf '%h\n' | head -1)
  [ -n "$kr" ] || { echo "kit import: no kit-results (env.txt) in $src" >&2; return 2; }
  local args=("$kr" "$GOC_RESULTS_ROOT")
  [ -n "$host" ] && args+=(--host "$host")
  local made
  made=$(/usr/bin/python3 "$GOC_ROOT/harness/kit_import.py" "${args[@]}") || return 1
  local r runs=()
  for r in $made; do
    runs+=("$r")
    goc_log "kit: $r"
    { stage_plots "$r" && stage_report "$r"; } >>"$r/kit-import.log" 2>&1 ||
      goc_log "kit: figures or report of $r incomplete (see $r/kit-import.log)"
  done
  [ ${#runs[@]} -gt 1 ] && stage_report "${runs[@]}"
  return 0
}
