# package_test_helpers.cmake: what install_test.cmake and deb_test.cmake share.

# run(WHAT COMMAND...): runs COMMAND; stops the test naming WHAT unless it
# exits 0. Its standard output is left in run_output.
function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "${what} failed (${status}):\n${out}\n${err}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

# expect_commit(WHAT BINARY): BINARY's --version names the commit the build
# baked in (VERSION_HEADER, the generated tmpmc_version.h); BINARY is looked up
# in PATH when it has no slash.
function(expect_commit what binary)
  file(STRINGS ${VERSION_HEADER} line REGEX "TMPMC_GIT_COMMIT")
  string(REGEX REPLACE ".*TMPMC_GIT_COMMIT \"([^\"]*)\".*" "\\1" commit "${line}")
  run("${what} --version" /usr/bin/env ${ARGN} ${binary} --version)
  if(NOT run_output MATCHES "\\(${commit}[,)]")
    message(FATAL_ERROR "${what} --version: expected commit ${commit}, got: ${run_output}")
  endif()
  message(STATUS "${what}: ${run_output}")
endfunction()
