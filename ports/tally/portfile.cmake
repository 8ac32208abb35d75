# tally is header-only: nothing is compiled, so one (release) configuration is enough.
set(VCPKG_BUILD_TYPE release)

# At each release: REF is the tag, SHA512 the hash of its archive (`SHA512 0` makes vcpkg print
# the right one), "version" in vcpkg.json the project version. REPO is to be filled in once the
# repository is public.
vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO "<owner>/tally"
    REF "v${VERSION}"
    SHA512 0
    HEAD_REF main
)

# .ci/check_packaging.sh (step f) installs tally with these options and checks the layout below,
# without the vcpkg tool.
#
# The features (fmt, mpi, torch) change nothing here: every adapter header is always installed,
# and the installed tallyConfig.cmake creates tally::fmt, tally::mpi or tally::torch when the
# consumer asks for the component and its find_package() finds the dependency. A feature only
# makes vcpkg install that dependency; MPI and LibTorch are not looked up while building the port.
vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DTALLY_BUILD_TESTS=OFF
        -DTALLY_BUILD_EXAMPLES=OFF
        -DTALLY_BUILD_BENCHMARKS=OFF
        -DTALLY_INSTALL=ON
        -DTALLY_INSTALL_CMAKEDIR=share/tally
        -DTALLY_WITH_MPI=OFF
        -DTALLY_WITH_TORCH=OFF
)
vcpkg_cmake_install()

# The CMake config is installed in share/tally already (TALLY_INSTALL_CMAKEDIR above), where this
# looks by default: nothing to move, and its paths are relative to that directory.
vcpkg_cmake_config_fixup()
# share/pkgconfig/tally.pc: already relative to ${pcfiledir}; this checks it and keeps it so.
vcpkg_fixup_pkgconfig()

# No debug/ or lib/ to remove: the build is release-only and tally installs nothing under lib/.

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
