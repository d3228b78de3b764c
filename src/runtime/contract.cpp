// contract.cpp: what a broken contract (contract.h) prints before it aborts.
#include "tmpmc/runtime/contract.h"

#include <cstdio>
#include <cstdlib>

namespace tmpmc::runtime::detail {

void contract_failed(const char* condition, const char* what, const char* file, int line) noexcept {
  std::fprintf(stderr, "tmpmc: contract violated: %s (%s) at %s:%d\n", what, condition, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tmpmc::runtime::detail
