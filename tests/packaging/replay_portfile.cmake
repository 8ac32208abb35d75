# Replays ports/tally/portfile.cmake without the vcpkg tool, which CI cannot download.
#
#   cmake -DTALLY_SOURCE_DIR=<checkout> -DREPLAY_DIR=<scratch dir> [-DREPLAY_FEATURES=fmt]
#         -P tests/packaging/replay_portfile.cmake
#
# The portfile itself is run, with small stand-ins for the vcpkg helpers it calls: the source is
# the checkout instead of a GitHub archive, and vcpkg_cmake_configure passes the portfile's own
# OPTIONS plus the settings vcpkg always adds. So the options cannot drift from what CI tests.
# Then the package is checked the way vcpkg's post-build checks and a user would see it:
# share/tally/{copyright,usage,tallyConfig.cmake,...}, no debug/, no lib/, no bin/, no absolute
# paths. The package ends up in ${REPLAY_DIR}/packages/tally_x64-linux, the directory
# vcpkg would copy into installed/x64-linux; pass it as CMAKE_PREFIX_PATH to a consumer.
cmake_minimum_required(VERSION 3.21)

foreach(_var IN ITEMS TALLY_SOURCE_DIR REPLAY_DIR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "replay: pass -D${_var}=...")
  endif()
  get_filename_component(${_var} "${${_var}}" ABSOLUTE)
endforeach()

# --- what vcpkg defines for a portfile ----------------------------------------------------------

set(PORT tally)
set(CURRENT_PORT_DIR "${TALLY_SOURCE_DIR}/ports/${PORT}")
set(TARGET_TRIPLET x64-linux)
set(CURRENT_PACKAGES_DIR "${REPLAY_DIR}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_BUILDTREES_DIR "${REPLAY_DIR}/buildtrees/${PORT}")
set(CURRENT_INSTALLED_DIR "${REPLAY_DIR}/installed/${TARGET_TRIPLET}")
set(VCPKG_TARGET_ARCHITECTURE x64)
set(VCPKG_CRT_LINKAGE dynamic)
set(VCPKG_LIBRARY_LINKAGE static)
set(VCPKG_CMAKE_SYSTEM_NAME Linux)
set(VCPKG_TARGET_IS_LINUX ON)
set(VCPKG_TARGET_EXECUTABLE_SUFFIX "")
set(FEATURES core ${REPLAY_FEATURES})

# The port's version must be the project's (include/tally/version.hpp).
file(READ "${CURRENT_PORT_DIR}/vcpkg.json" _manifest)
string(JSON VERSION GET "${_manifest}" version)
file(STRINGS "${TALLY_SOURCE_DIR}/include/tally/version.hpp" _version_lines
     REGEX "^#define TALLY_VERSION_(MAJOR|MINOR|PATCH) +[0-9]+")
set(_project_version "")
foreach(_part IN ITEMS MAJOR MINOR PATCH)
  string(REGEX MATCH "TALLY_VERSION_${_part} +([0-9]+)" _ "${_version_lines}")
  list(APPEND _project_version "${CMAKE_MATCH_1}")
endforeach()
list(JOIN _project_version "." _project_version)
if(NOT VERSION STREQUAL _project_version)
  message(FATAL_ERROR "replay: ports/tally/vcpkg.json has version ${VERSION}, "
                      "include/tally/version.hpp says ${_project_version}")
endif()
# Each feature's dependencies must name real packages; the portfile gets FEATURES.
foreach(_feature IN LISTS REPLAY_FEATURES)
  string(JSON _type ERROR_VARIABLE _err TYPE "${_manifest}" features ${_feature})
  if(_err)
    message(FATAL_ERROR "replay: ports/tally/vcpkg.json has no feature '${_feature}'")
  endif()
endforeach()

# --- stand-ins for the vcpkg helpers (same arguments, same effect on CURRENT_PACKAGES_DIR) -------

function(z_replay_run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
  if(NOT _rc EQUAL 0)
    string(REPLACE ";" " " _cmd "${ARGN}")
    message(FATAL_ERROR "replay: command failed (${_rc}): ${_cmd}\n${_out}")
  endif()
  set(z_replay_output "${_out}" PARENT_SCOPE)
endfunction()

function(vcpkg_from_github)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "OUT_SOURCE_PATH;REPO;REF;SHA512;HEAD_REF;GITHUB_HOST;FILE_DISAMBIGUATOR" "PATCHES")
  foreach(_required IN ITEMS OUT_SOURCE_PATH REPO REF SHA512)
    if(NOT DEFINED arg_${_required})
      message(FATAL_ERROR "replay: vcpkg_from_github needs ${_required}")
    endif()
  endforeach()
  if(arg_PATCHES)
    message(FATAL_ERROR "replay: the port patches tally's own sources; fix the sources instead")
  endif()
  message(STATUS "replay: vcpkg_from_github(REPO ${arg_REPO} REF ${arg_REF}) -> ${TALLY_SOURCE_DIR}")
  set(${arg_OUT_SOURCE_PATH} "${TALLY_SOURCE_DIR}" PARENT_SCOPE)
endfunction()

function(vcpkg_cmake_configure)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS;OPTIONS_RELEASE;OPTIONS_DEBUG;MAYBE_UNUSED_VARIABLES")
  if(NOT VCPKG_BUILD_TYPE STREQUAL "release")
    message(FATAL_ERROR "replay: a header-only port sets VCPKG_BUILD_TYPE to release")
  endif()
  set(_build "${CURRENT_BUILDTREES_DIR}/${TARGET_TRIPLET}-rel")
  file(REMOVE_RECURSE "${_build}")
  # What vcpkg_cmake_configure adds for every port (less its toolchain file), then the port's.
  z_replay_run("${CMAKE_COMMAND}" -S "${arg_SOURCE_PATH}" -B "${_build}" -G Ninja
    -DCMAKE_BUILD_TYPE=Release
    "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}"
    -DBUILD_SHARED_LIBS=OFF
    -DCMAKE_INSTALL_LIBDIR:STRING=lib
    -DCMAKE_INSTALL_BINDIR:STRING=bin
    -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON
    -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
    -DCMAKE_FIND_PACKAGE_NO_SYSTEM_PACKAGE_REGISTRY=ON
    -DCMAKE_INSTALL_SYSTEM_RUNTIME_LIBS_SKIP=TRUE
    -DCMAKE_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION=ON
    -DFETCHCONTENT_FULLY_DISCONNECTED=ON
    ${arg_OPTIONS} ${arg_OPTIONS_RELEASE})
  # vcpkg warns about options the project never reads; here that fails.
  set(_specified "")
  foreach(_option IN LISTS arg_OPTIONS arg_OPTIONS_RELEASE)
    if(_option MATCHES "^-D([^:=]+)[:=]")
      list(APPEND _specified "${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(z_replay_output MATCHES "Manually-specified variables were not used by the project:\n\n((    [^\n]*\n)*)")
    string(STRIP "${CMAKE_MATCH_1}" _unused)
    string(REPLACE "\n    " ";" _unused "${_unused}")
    foreach(_var IN LISTS _unused)
      if(_var IN_LIST _specified AND NOT _var IN_LIST arg_MAYBE_UNUSED_VARIABLES)
        message(FATAL_ERROR "replay: the portfile passes -D${_var}, which tally's CMakeLists never reads")
      endif()
    endforeach()
  endif()
  message(STATUS "replay: configured with ${arg_OPTIONS} ${arg_OPTIONS_RELEASE}")
  set(Z_REPLAY_BUILD_DIR "${_build}" CACHE INTERNAL "")
endfunction()

function(vcpkg_cmake_install)
  z_replay_run("${CMAKE_COMMAND}" --build "${Z_REPLAY_BUILD_DIR}" --target install)
endfunction()

# Release-only part of vcpkg_cmake_config_fixup: move CONFIG_PATH to share/<PACKAGE_NAME>, drop a
# parent directory named cmake, re-root the prefix computations on the new depth (share/<name>
# is two levels below the prefix) and turn absolute paths into ${_IMPORT_PREFIX}.
function(vcpkg_cmake_config_fixup)
  cmake_parse_arguments(PARSE_ARGV 0 arg "DO_NOT_DELETE_PARENT_CONFIG_PATH;NO_PREFIX_CORRECTION" "PACKAGE_NAME;CONFIG_PATH;TOOLS_PATH" "")
  if(NOT arg_PACKAGE_NAME)
    set(arg_PACKAGE_NAME "${PORT}")
  endif()
  if(NOT arg_CONFIG_PATH)
    set(arg_CONFIG_PATH "share/${arg_PACKAGE_NAME}")
  endif()
  set(_from "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
  set(_to "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
  if(NOT IS_DIRECTORY "${_from}")
    message(FATAL_ERROR "replay: vcpkg_cmake_config_fixup: '${_from}' does not exist")
  endif()
  if(NOT _from STREQUAL _to)
    file(GLOB _files "${_from}/*")
    file(COPY ${_files} DESTINATION "${_to}")
    file(REMOVE_RECURSE "${_from}")
    get_filename_component(_parent "${_from}" DIRECTORY)
    get_filename_component(_parent_name "${_parent}" NAME)
    string(TOLOWER "${_parent_name}" _parent_name)
    if(_parent_name STREQUAL "cmake" AND NOT arg_DO_NOT_DELETE_PARENT_CONFIG_PATH)
      file(REMOVE_RECURSE "${_parent}")
    endif()
  endif()

  file(GLOB_RECURSE _cmake_files "${_to}/*.cmake")
  foreach(_file IN LISTS _cmake_files)
    file(READ "${_file}" _text)
    if(NOT arg_NO_PREFIX_CORRECTION)
      # The export file climbs from its own path: once for the file, once per directory level.
      set(_up [[get_filename_component(_IMPORT_PREFIX "${_IMPORT_PREFIX}" PATH)]])
      string(REGEX REPLACE
        "get_filename_component\\(_IMPORT_PREFIX \"\\\${CMAKE_CURRENT_LIST_FILE}\" PATH\\)(\nget_filename_component\\(_IMPORT_PREFIX \"\\\${_IMPORT_PREFIX}\" PATH\\))*"
        "get_filename_component(_IMPORT_PREFIX \"\${CMAKE_CURRENT_LIST_FILE}\" PATH)\n${_up}\n${_up}"
        _text "${_text}")
      # configure_package_config_file's PACKAGE_PREFIX_DIR.
      string(REGEX REPLACE
        "get_filename_component\\(PACKAGE_PREFIX_DIR \"\\\${CMAKE_CURRENT_LIST_DIR}/\\.\\./(\\.\\./)*\" ABSOLUTE\\)"
        "get_filename_component(PACKAGE_PREFIX_DIR \"\${CMAKE_CURRENT_LIST_DIR}/../../\" ABSOLUTE)"
        _text "${_text}")
    endif()
    string(REPLACE "${CURRENT_INSTALLED_DIR}" [[${_IMPORT_PREFIX}]] _text "${_text}")
    string(REPLACE "${CURRENT_PACKAGES_DIR}" [[${_IMPORT_PREFIX}]] _text "${_text}")
    file(WRITE "${_file}" "${_text}")
  endforeach()
endfunction()

# vcpkg_fixup_pkgconfig for release files: absolute prefixes become ${prefix}, prefix itself
# becomes relative to ${pcfiledir}, and pkg-config must then accept the file.
function(vcpkg_fixup_pkgconfig)
  file(GLOB_RECURSE _pc_files "${CURRENT_PACKAGES_DIR}/*.pc")
  list(FILTER _pc_files EXCLUDE REGEX "^${CURRENT_PACKAGES_DIR}/debug/")
  find_program(_pkg_config NAMES pkg-config pkgconf REQUIRED)
  foreach(_file IN LISTS _pc_files)
    get_filename_component(_dir "${_file}" DIRECTORY)
    file(RELATIVE_PATH _dir_rel "${CURRENT_PACKAGES_DIR}" "${_dir}")
    if(NOT _dir_rel MATCHES "^(lib|share)/pkgconfig$")
      message(FATAL_ERROR "replay: ${_dir_rel}/ is not a pkgconfig directory vcpkg accepts "
                          "(share/pkgconfig for header-only, or lib/pkgconfig)")
    endif()
    file(RELATIVE_PATH _to_prefix "${_dir}" "${CURRENT_PACKAGES_DIR}")
    string(REGEX REPLACE "/$" "" _to_prefix "${_to_prefix}")
    file(READ "${_file}" _text)
    string(REPLACE "${CURRENT_PACKAGES_DIR}" [[${prefix}]] _text "${_text}")
    string(REPLACE "${CURRENT_INSTALLED_DIR}" [[${prefix}]] _text "${_text}")
    string(REGEX REPLACE "(^|\n)prefix=[$]{prefix}" "\\1prefix=\${pcfiledir}/${_to_prefix}" _text "${_text}")
    file(WRITE "${_file}" "${_text}")
    get_filename_component(_module "${_file}" NAME_WE)
    set(ENV{PKG_CONFIG_PATH} "${_dir}")
    z_replay_run("${_pkg_config}" --print-errors --exists "${_module}")
  endforeach()
endfunction()

function(vcpkg_install_copyright)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "COMMENT" "FILE_LIST")
  set(_text "")
  foreach(_file IN LISTS arg_FILE_LIST)
    if(NOT EXISTS "${_file}")
      message(FATAL_ERROR "replay: vcpkg_install_copyright: ${_file} does not exist")
    endif()
    file(READ "${_file}" _part)
    string(APPEND _text "${_part}")
  endforeach()
  file(WRITE "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright" "${_text}")
endfunction()

# --- run the portfile ---------------------------------------------------------------------------

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")
message(STATUS "replay: ${CURRENT_PORT_DIR}/portfile.cmake (features: ${FEATURES})")
include("${CURRENT_PORT_DIR}/portfile.cmake")

# --- the checks vcpkg runs after a build, for a header-only port -------------------------------

set(_errors "")
set(_share "${CURRENT_PACKAGES_DIR}/share/${PORT}")
foreach(_file IN ITEMS copyright usage tallyConfig.cmake tallyConfigVersion.cmake tallyTargets.cmake)
  if(NOT EXISTS "${_share}/${_file}")
    list(APPEND _errors "share/${PORT}/${_file} is missing")
  endif()
endforeach()
if(EXISTS "${_share}/usage")
  file(READ "${_share}/usage" _installed_usage)
  file(READ "${CURRENT_PORT_DIR}/usage" _port_usage)
  if(NOT _installed_usage STREQUAL _port_usage)
    list(APPEND _errors "share/${PORT}/usage differs from ports/${PORT}/usage")
  endif()
endif()
if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/include/tally/tally.hpp")
  list(APPEND _errors "include/tally/tally.hpp is missing")
endif()
foreach(_dir IN ITEMS debug lib bin tools share/cmake)
  if(EXISTS "${CURRENT_PACKAGES_DIR}/${_dir}")
    list(APPEND _errors "${_dir}/ exists (a release-only header-only port has include/ and share/ only)")
  endif()
endforeach()

file(GLOB _top RELATIVE "${CURRENT_PACKAGES_DIR}" "${CURRENT_PACKAGES_DIR}/*")
foreach(_entry IN LISTS _top)
  if(NOT IS_DIRECTORY "${CURRENT_PACKAGES_DIR}/${_entry}")
    list(APPEND _errors "file ${_entry} at the package root")
  endif()
endforeach()

# No empty directories, and no absolute path of this machine in any file.
file(GLOB_RECURSE _all LIST_DIRECTORIES true "${CURRENT_PACKAGES_DIR}/*")
foreach(_path IN LISTS _all)
  file(RELATIVE_PATH _rel "${CURRENT_PACKAGES_DIR}" "${_path}")
  if(IS_DIRECTORY "${_path}")
    file(GLOB _children "${_path}/*")
    if(NOT _children)
      list(APPEND _errors "empty directory ${_rel}/")
    endif()
    continue()
  endif()
  file(READ "${_path}" _text)
  foreach(_abs IN ITEMS "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}" "${TALLY_SOURCE_DIR}")
    string(FIND "${_text}" "${_abs}" _at)
    if(NOT _at EQUAL -1)
      list(APPEND _errors "${_rel} contains the absolute path ${_abs}")
    endif()
  endforeach()
endforeach()

if(_errors)
  list(JOIN _errors "\n  " _errors)
  message(FATAL_ERROR "replay: the package fails vcpkg's checks:\n  ${_errors}")
endif()
message(STATUS "replay: package OK: ${CURRENT_PACKAGES_DIR}")
