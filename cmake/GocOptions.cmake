# Compiler warnings and sanitizer options, applied to every target alike so
# that backends are compared with the same flags.
option(GOC_WERROR "Treat warnings as errors (CI)" OFF)
set(GOC_SANITIZER "" CACHE STRING "none, thread or address (address = ASan + UBSan + LSan)")
option(GOC_TSAN_PRECISE "Hide backend internals from TSan and annotate only Go's happens-before edges" OFF)

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "" FORCE)
endif()

add_compile_options(-Wall -Wextra -Wshadow -Wno-unused-parameter -g)
if(GOC_WERROR)
  add_compile_options(-Werror)
endif()
# Frame pointers keep perf and sanitizer stacks honest; cost is within noise.
add_compile_options(-fno-omit-frame-pointer)
add_compile_definitions(_GNU_SOURCE)
# x86-64: keep every jump (and fused compare-and-jump) from crossing or ending
# on a 32-byte boundary. On Intel cores with the JCC erratum's microcode fix,
# such a jump's 32 bytes are decoded without the uop cache; which jumps land
# there changes whenever unrelated code moves, so a micro row moved with every
# edit elsewhere (ChanNonblocking 1.7 -> 2.2 ns on 6 December with
# goc_chan_recv's code unchanged: one fused test+jne now ended on a boundary).
# Go's amd64 assembler pads jumps the same way (alignedjumps), so the C builds
# and the Go reference are laid out alike. The assembler pads with prefixes on
# earlier instructions where it can, nops otherwise.
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  include(CheckCCompilerFlag)
  if(CMAKE_C_COMPILER_ID STREQUAL "GNU")
    set(GOC_JCC_FLAG "-Wa,-mbranches-within-32B-boundaries")
  else()
    set(GOC_JCC_FLAG "-mbranches-within-32B-boundaries")
  endif()
  check_c_compiler_flag("${GOC_JCC_FLAG}" GOC_HAVE_JCC_FLAG)
  if(GOC_HAVE_JCC_FLAG)
    add_compile_options("$<$<COMPILE_LANGUAGE:C,CXX>:${GOC_JCC_FLAG}>")
  endif()
endif()
if(CMAKE_BUILD_TYPE STREQUAL "Debug")
  add_compile_definitions(GOC_DEBUG=1)
endif()

if(GOC_SANITIZER STREQUAL "thread")
  add_compile_options(-fsanitize=thread -O1)
  add_link_options(-fsanitize=thread)
  add_compile_definitions(GOC_SANITIZED=1)
elseif(GOC_SANITIZER STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -O1)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(GOC_SANITIZED=1)
elseif(GOC_SANITIZER AND NOT GOC_SANITIZER STREQUAL "none")
  message(FATAL_ERROR "GOC_SANITIZER must be none, thread or address, not '${GOC_SANITIZER}'")
endif()
if(GOC_TSAN_PRECISE)
  if(NOT GOC_SANITIZER STREQUAL "thread")
    message(FATAL_ERROR "GOC_TSAN_PRECISE needs GOC_SANITIZER=thread")
  endif()
  add_compile_definitions(GOC_TSAN_PRECISE=1)
endif()

find_package(Threads REQUIRED)
