# tallyKernels.cmake: _tally_add_compiled_kernels(<source>) creates tally::kernels (target
# tally_compiled_kernels), the counting kernels compiled once from src/tally_kernels.cpp. Used by
# tally's own build and, installed beside tallyConfig.cmake, by the package on the consumer's side.
#
# The source is compiled four times, with TALLY_KERNELS_PART = 0 ... 3, each a quarter of the
# instances (detail/kernels/instances.hpp), so that a build compiles the quarters in parallel
# instead of one translation unit of minutes. The library is excluded from `all`: it is built
# only for a target that links it.
#
# TALLY_KERNELS_COMPILE_OPTIONS (a list, empty by default) is added to the kernels' compile
# options only: for example -O1 or -O2 in a Debug or sanitized build, whose kernels would
# otherwise run unoptimized (AVX2 intrinsics at -O0 are several times slower).
function(_tally_add_compiled_kernels source)
  add_library(tally_compiled_kernels STATIC EXCLUDE_FROM_ALL)
  foreach(part RANGE 3)
    set(quarter tally_compiled_kernels_${part})
    add_library(${quarter} OBJECT EXCLUDE_FROM_ALL "${source}")
    target_link_libraries(${quarter} PRIVATE tally::tally)
    target_compile_definitions(${quarter} PRIVATE TALLY_COMPILED_KERNELS TALLY_KERNELS_PART=${part})
    set_target_properties(${quarter} PROPERTIES POSITION_INDEPENDENT_CODE ON UNITY_BUILD OFF)
    if(TALLY_KERNELS_COMPILE_OPTIONS)
      target_compile_options(${quarter} PRIVATE ${TALLY_KERNELS_COMPILE_OPTIONS})
    endif()
    target_sources(tally_compiled_kernels PRIVATE $<TARGET_OBJECTS:${quarter}>)
  endforeach()
  target_link_libraries(tally_compiled_kernels PUBLIC tally::tally)
  target_compile_definitions(tally_compiled_kernels PUBLIC TALLY_COMPILED_KERNELS)
  set_target_properties(tally_compiled_kernels PROPERTIES LINKER_LANGUAGE CXX)
  add_library(tally::kernels ALIAS tally_compiled_kernels)
endfunction()
