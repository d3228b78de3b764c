# deb_test.cmake: CPack's .deb of the build, unpacked with `dpkg-deb -x` into
# a scratch root (nothing is installed on the machine): the package is named
# tmpmc-bench, puts tmpmc-bench in usr/bin, and that binary, found through
# PATH, prints the commit it was built from.
# -DBUILD=<build dir> -DWORK=<scratch dir> -DVERSION_HEADER=<generated tmpmc_version.h>
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/package_test_helpers.cmake)

find_program(DPKG_DEB dpkg-deb)
if(NOT DPKG_DEB)
  message(STATUS "dpkg-deb not found: skipped")
  cmake_language(EXIT 77)  # the test's SKIP_RETURN_CODE
endif()

file(REMOVE_RECURSE ${WORK})
run("cpack" ${CMAKE_CPACK_COMMAND} -G DEB --config ${BUILD}/CPackConfig.cmake -B ${WORK}/cpack)
file(GLOB debs ${WORK}/cpack/*.deb)
list(LENGTH debs count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "expected one .deb in ${WORK}/cpack, found: ${debs}")
endif()

run("dpkg-deb --field" ${DPKG_DEB} --field ${debs} Package Depends)
if(NOT run_output MATCHES "Package: tmpmc-bench")
  message(FATAL_ERROR "unexpected package fields:\n${run_output}")
endif()
message(STATUS "${run_output}")

set(root ${WORK}/root)
run("dpkg-deb -x" ${DPKG_DEB} -x ${debs} ${root})
if(NOT EXISTS ${root}/usr/bin/tmpmc-bench)
  message(FATAL_ERROR "the package has no usr/bin/tmpmc-bench")
endif()
expect_commit("tmpmc-bench from the .deb, through PATH" tmpmc-bench PATH=${root}/usr/bin:/usr/bin:/bin)
