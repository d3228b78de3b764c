# install_test.cmake: `cmake --install` into a fresh prefix under the build
# directory, then a consumer project (install_consumer/) configured against
# that prefix alone: find_package(tmpmc), link tmpmc::queue, build, run a
# ping-pong. Also checks that bin/tmpmc-bench runs and knows its commit.
# -DBUILD=<build dir> -DSOURCE=<source dir> -DWORK=<scratch dir>
#   -DVERSION_HEADER=<generated tmpmc_version.h>
#   -DGENERATOR=<CMake generator> -DCXX=<C++ compiler>
cmake_minimum_required(VERSION 3.25)

include(${CMAKE_CURRENT_LIST_DIR}/package_test_helpers.cmake)

file(REMOVE_RECURSE ${WORK})
set(prefix ${WORK}/prefix)
run("cmake --install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${prefix})

foreach(installed bin/tmpmc-bench include/tmpmc/queue/queue.h include/tmpmc/runtime/runtime.h)
  if(NOT EXISTS ${prefix}/${installed})
    message(FATAL_ERROR "not installed: ${installed}")
  endif()
endforeach()
file(GLOB_RECURSE package_files ${prefix}/*/tmpmcConfig.cmake)
if(NOT package_files)
  message(FATAL_ERROR "not installed: the CMake package (tmpmcConfig.cmake)")
endif()

expect_commit("installed tmpmc-bench" ${prefix}/bin/tmpmc-bench)

# The consumer sees only the prefix: no package registry, no build tree.
run("configuring the consumer project" ${CMAKE_COMMAND} -S ${SOURCE}/tests/install_consumer
    -B ${WORK}/consumer -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release
    -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
run("building the consumer project" ${CMAKE_COMMAND} --build ${WORK}/consumer)
run("the consumer's ping-pong" ${WORK}/consumer/ping_pong)
if(NOT run_output MATCHES "ping-pong: 1000 round trips, last value 1000")
  message(FATAL_ERROR "unexpected ping-pong output: ${run_output}")
endif()
message(STATUS "${run_output}")
