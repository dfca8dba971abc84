# stage test: configure, build and run the CTest suites in each preset.
#   ./run_all.sh test [--presets "release tsan asan"] [--long] [-L LABEL] [-R REGEX]
# --long runs the nightly sizes (GOC_TEST_LONG=1). Each preset's CTest output
# goes to the terminal and to build/<preset>/test.log.

stage_test() {
  local presets="release asan tsan" ctest_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --presets) presets=$2; shift ;;
      --long) export GOC_TEST_LONG=1 ;;
      -L|-R|-E|-LE) ctest_args+=("$1" "$2"); shift ;;
      --quick) ;;  # accepted from `./run_all.sh --quick`; the suite has one size
      *) echo "test: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  stage_setup || return 1
  local p i=0 n rc=0 failed=()
  n=$(wc -w <<<"$presets")
  for p in $presets; do
    i=$((i + 1))
    goc_log "test: preset $p ($i/$n): build"
    goc_build "$p" || { failed+=("$p(build)"); rc=1; continue; }
    goc_log "test: preset $p ($i/$n): ctest"
    if ! ctest --preset "$p" -j "$GOC_JOBS" --timeout 600 "${ctest_args[@]}" 2>&1 | tee "build/$p/test.log"; then
      failed+=("$p"); rc=1
    fi
    grep -E "tests passed|tests failed" "build/$p/test.log" | sed "s/^/    [$p] /" || true
  done
  # The precise TSan build exists for the race suite (races/, TESTING.md
  # (b)): whenever tsan is tested, its `races` and `pitfalls` labels run in
  # tsan-precise too.
  if [[ " $presets " == *" tsan "* && " $presets " != *" tsan-precise "* ]]; then
    goc_log "test: preset tsan-precise (races, pitfalls): build"
    if goc_build tsan-precise races_all pitfalls_all; then
      if ! ctest --preset tsan-precise -j "$GOC_JOBS" --timeout 600 -L "^(races|pitfalls)$" "${ctest_args[@]}" 2>&1 |
           tee "build/tsan-precise/test.log"; then
        failed+=("tsan-precise"); rc=1
      fi
      grep -E "tests passed|tests failed" "build/tsan-precise/test.log" | sed "s/^/    [tsan-precise] /" || true
    else
      failed+=("tsan-precise(build)"); rc=1
    fi
  fi
  if [ $rc -ne 0 ]; then
    goc_log "test: FAILED in: ${failed[*]}"
  fi
  return $rc
}
