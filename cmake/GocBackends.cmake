# One target per backend from one source list.
#
# Each backend is a static library `goc_<backend>` that defines every goc_*
# symbol of include/goc/goc.h. Workloads (tests, patterns, benchmarks) are
# written once and linked against each backend, giving `<name>-<backend>`
# executables; nothing outside backends/ knows which backend it runs on.
#
#   goc_register_backend(NAME [NEGATIVE])
#       called by backends/<NAME>/CMakeLists.txt after it defines goc_<NAME>.
#       NEGATIVE backends (busted) are negative controls: only tests that ask
#       for them by name are built for them.
#   goc_add_per_backend(NAME SOURCES s... [BACKENDS b...] [LIBS l...]
#                       [DEFINES d...] [OUT_TARGETS var])
#   goc_add_test_per_backend(NAME SOURCES s... SUITE suite
#       [BACKENDS b...]        default: every real backend
#       [WILL_FAIL_BACKENDS b...] also built for these; must fail
#       [ARGS a...] [TIMEOUT s] [ENV k=v...] [LIBS l...] [LABELS l...]
#       [PROCS n...])          coro only: one CTest test per GOC_PROCS value
set(GOC_BACKENDS "" CACHE INTERNAL "")

# Environment of negative-control runs (busted): a crash becomes an exit
# status (CTest's WILL_FAIL does not invert signals), TSan reports exit
# instead of aborting, and a hang is cut short by a 15 s watchdog.
set(GOC_BUSTED_ENV GOC_TEST_TIMEOUT=15 GOC_TEST_CATCH_SIGNALS=1
    "TSAN_OPTIONS=halt_on_error=1 abort_on_error=0 exitcode=66 atexit_sleep_ms=0 report_thread_leaks=0")
set(GOC_NEGATIVE_BACKENDS "" CACHE INTERNAL "")

function(goc_register_backend name)
  cmake_parse_arguments(A "NEGATIVE" "" "" ${ARGN})
  if(A_NEGATIVE)
    set(GOC_NEGATIVE_BACKENDS "${GOC_NEGATIVE_BACKENDS};${name}" CACHE INTERNAL "")
  else()
    set(GOC_BACKENDS "${GOC_BACKENDS};${name}" CACHE INTERNAL "")
  endif()
endfunction()

function(goc_add_per_backend name)
  cmake_parse_arguments(A "" "OUT_TARGETS" "SOURCES;BACKENDS;LIBS;DEFINES;INCLUDES" ${ARGN})
  if(NOT A_BACKENDS)
    set(A_BACKENDS ${GOC_BACKENDS})
  endif()
  set(targets "")
  foreach(b IN LISTS A_BACKENDS)
    if(NOT b OR NOT TARGET goc_${b})
      continue()
    endif()
    set(t ${name}-${b})
    add_executable(${t} ${A_SOURCES})
    target_link_libraries(${t} PRIVATE goc_${b} ${A_LIBS})
    target_compile_definitions(${t} PRIVATE GOC_BACKEND_NAME="${b}" ${A_DEFINES})
    if(A_INCLUDES)
      target_include_directories(${t} PRIVATE ${A_INCLUDES})
    endif()
    list(APPEND targets ${t})
  endforeach()
  if(A_OUT_TARGETS)
    set(${A_OUT_TARGETS} ${targets} PARENT_SCOPE)
  endif()
endfunction()

function(goc_add_test_per_backend name)
  cmake_parse_arguments(A "" "SUITE;TIMEOUT" "SOURCES;BACKENDS;WILL_FAIL_BACKENDS;ARGS;ENV;LIBS;LABELS;PROCS;DEFINES" ${ARGN})
  if(NOT A_BACKENDS)
    set(A_BACKENDS ${GOC_BACKENDS})
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  if(NOT A_PROCS)
    set(A_PROCS 1 2 4)
  endif()
  set(all ${A_BACKENDS} ${A_WILL_FAIL_BACKENDS})
  list(REMOVE_DUPLICATES all)
  goc_add_per_backend(${name} SOURCES ${A_SOURCES} BACKENDS ${all} LIBS goc_testlib ${A_LIBS}
                      DEFINES ${A_DEFINES} OUT_TARGETS targets)
  foreach(t IN LISTS targets)
    string(REGEX REPLACE "^.*-" "" b ${t})
    if(b STREQUAL "coro")
      set(variants "")
      foreach(p IN LISTS A_PROCS)
        list(APPEND variants "p${p}")
      endforeach()
    else()
      set(variants "x")
    endif()
    foreach(v IN LISTS variants)
      if(v STREQUAL "x")
        set(tname ${t})
        set(env ${A_ENV})
      else()
        set(tname ${t}-${v})
        string(SUBSTRING ${v} 1 -1 procs)
        set(env ${A_ENV} GOC_PROCS=${procs})
      endif()
      add_test(NAME ${tname} COMMAND ${t} ${A_ARGS})
      set(labels ${b} ${A_SUITE} ${A_LABELS})
      set_tests_properties(${tname} PROPERTIES LABELS "${labels}" TIMEOUT ${A_TIMEOUT})
      if(env)
        set_tests_properties(${tname} PROPERTIES ENVIRONMENT "${env}")
      endif()
      if(b IN_LIST A_WILL_FAIL_BACKENDS)
        set_tests_properties(${tname} PROPERTIES WILL_FAIL TRUE)
      endif()
    endforeach()
  endforeach()
endfunction()
