# stage setup: install the Debian packages goc needs (as root), or print the
# exact command and fail. Idempotent and quick when everything is present.

GOC_PACKAGES=(
  cmake ninja-build gcc g++ clang-14 libclang-rt-14-dev   # build, sanitizers
  libbenchmark-dev libbenchmark-tools                      # Google Benchmark + compare.py
  golang-go                                                # the Go reference
  hyperfine wrk                                            # pattern and HTTP timings
  python3 python3-matplotlib python3-scipy                 # plots, U test
  valgrind                                                 # instruction-count gate
  chromium                                                 # the HTML report's browser test
)

goc_missing_packages() {
  local p missing=()
  for p in "${GOC_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

stage_setup() {
  local missing
  missing=$(goc_missing_packages)
  if [ -z "$missing" ]; then
    goc_log "setup: all packages present"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "run_all.sh: missing packages: $missing" >&2
    echo "install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $missing" >&2
    return 1
  fi
  goc_log "setup: installing $missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq $missing >/dev/null
  missing=$(goc_missing_packages)
  [ -z "$missing" ] || { echo "run_all.sh: still missing after apt-get: $missing" >&2; return 1; }
  goc_log "setup: done"
}
