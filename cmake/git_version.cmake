# Writes OUT (a header with TMPMC_GIT_COMMIT) from `git rev-parse`, touching it
# only when the commit changed, so that --version is right after every commit
# without rebuilding everything on every build.
execute_process(COMMAND git rev-parse --short=7 HEAD
  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE commit
  OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE failed)
if(failed OR NOT commit)
  set(commit "unknown")
endif()
execute_process(COMMAND git status --porcelain --untracked-files=no
  WORKING_DIRECTORY "${SOURCE_DIR}" OUTPUT_VARIABLE dirty ERROR_QUIET)
if(dirty)
  string(APPEND commit "-dirty")
endif()
set(content "#pragma once\n#define TMPMC_GIT_COMMIT \"${commit}\"\n")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
