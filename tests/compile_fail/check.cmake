# Runs one compile_fail.* test: compiles a source file of tests/compile_fail with the command
# line given after `--`, and checks the outcome the file announces in a comment line:
#   // expected error: <text>   the file must NOT compile, and the compiler's output must contain
#                               <text> (a static_assert's message), so that a file failing for
#                               another reason (a typo, a missing include) does not pass;
#   no such line                the file must compile (the control, which proves the command line).
#
#   cmake -DSOURCE=<file.cpp> -P check.cmake -- <compiler> <flags>...
#
# Arguments after `--` may be lists (an include path per element); GCC and Clang syntax.

if(NOT SOURCE OR NOT EXISTS "${SOURCE}")
  message(FATAL_ERROR "check.cmake: SOURCE (${SOURCE}) is not a file")
endif()

set(command "")
set(after_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 0 ${last})
  if(after_separator)
    list(APPEND command ${CMAKE_ARGV${i}})  # unquoted: a list argument becomes several
  elseif(CMAKE_ARGV${i} STREQUAL "--")
    set(after_separator TRUE)
  endif()
endforeach()
if(NOT command)
  message(FATAL_ERROR "check.cmake: no compiler command after --")
endif()

# The expected message is read with file(READ), not file(STRINGS): a line holding `;` would be
# split into several list elements.
file(READ "${SOURCE}" text)
set(expected "")
if(text MATCHES "// expected error: ([^\n]+)")
  set(expected "${CMAKE_MATCH_1}")
endif()

# -fsyntax-only instantiates templates (so static_asserts fire) without writing an object file.
list(APPEND command -fsyntax-only -fdiagnostics-color=never "${SOURCE}")
execute_process(
  COMMAND ${command}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

string(REPLACE ";" " " shown "${command}")
if(expected STREQUAL "")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${SOURCE} must compile, but did not (${result}):\n${shown}\n${output}")
  endif()
  message(STATUS "compiles, as expected: ${SOURCE}")
  return()
endif()

if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but must fail with \"${expected}\":\n${shown}")
endif()
string(FIND "${output}" "${expected}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE} failed to compile, but without \"${expected}\" (another error?):"
                      "\n${shown}\n${output}")
endif()
message(STATUS "fails with \"${expected}\", as expected: ${SOURCE}")
