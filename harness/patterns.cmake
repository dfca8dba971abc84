# Pattern benchmarks (included by harness/CMakeLists.txt when present):
# bench_patterns-<backend>, the pattern library folded in from patterns/.
if(TARGET goc_patterns_obj)
  goc_add_bench(bench_patterns SOURCES bench_patterns.c $<TARGET_OBJECTS:goc_patterns_obj>)
else()
  message(STATUS "goc harness: patterns/ not configured; bench_patterns not built")
endif()
