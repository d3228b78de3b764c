// contract.h: TMPMC_ASSERT, the precondition and invariant checks of the
// runtime and the queue, compiled in Debug and in the sanitizer builds (which
// define NDEBUG for speed but are where the tests look hardest), and to
// nothing in Release.
#pragma once

#if !defined(NDEBUG) || defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TMPMC_CONTRACTS 1
#else
#define TMPMC_CONTRACTS 0
#endif

namespace tmpmc::runtime::detail {
// contract_failed(): prints "tmpmc: contract violated: <what> (<condition>) at
// <file>:<line>" to stderr and aborts. Never returns.
[[noreturn]] void contract_failed(const char* condition, const char* what, const char* file,
                                  int line) noexcept;
}  // namespace tmpmc::runtime::detail

// TMPMC_ASSERT(condition, what): `what` says which contract a false
// `condition` breaks. The condition must have no side effect: Release does
// not evaluate it.
#if TMPMC_CONTRACTS
#define TMPMC_ASSERT(condition, what) \
  ((condition) ? static_cast<void>(0) \
               : ::tmpmc::runtime::detail::contract_failed(#condition, what, __FILE__, __LINE__))
#else
#define TMPMC_ASSERT(condition, what) static_cast<void>(0)
#endif
