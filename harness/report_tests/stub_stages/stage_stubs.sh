# Stub stages for test_driver.sh (sourced by run_all.sh through
# GOC_EXTRA_STAGES_DIR): each counts its runs in RUN/stub-<name>.count.
# stub_exit leaves the stage with `exit 3` while STUB_EXIT=1, as a stage
# that dies on its own (not by GOC_FAIL_STAGE) would.
_stub_count() {
  local res
  res=$(goc_results_dir)
  echo "stub $1 ran with: $*" >>"$res/stub-$1.count"
  echo "stub $1: ran in $res"
}
stage_stub_a() { _stub_count stub_a "$@"; }
stage_stub_b() { _stub_count stub_b "$@"; }
stage_stub_exit() {
  _stub_count stub_exit "$@"
  if [ "${STUB_EXIT:-0}" = 1 ]; then
    echo "stub_exit: error: expected 42, got 41 (a planted failure)"
    exit 3
  fi
}
