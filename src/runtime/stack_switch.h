// stack_switch.h: the one jump between fiber stacks.
//
// Every switch is Boost.Context's jump_fcontext. boost::context::fiber::resume()
// reaches it with a `call`, but jump_fcontext comes back with `jmp`: each
// switch pushes one entry on the CPU's return-stack buffer that no `ret`
// pops. After the switch every `ret` of the resumed fiber pops the entry
// meant for the frame above it, and each mispredicts (measured here: about
// 7.5 ns per frame between the fiber's code and the jump, so a receive that
// parks four frames deep paid ~30 ns per hop in returns alone).
//
// resume_balanced() enters jump_fcontext with a `jmp` and a pushed return
// address instead: nothing is pushed on the return-stack buffer, so a fiber
// that resumes returns through frames the predictor saw the other fiber call
// (two fibers parking through the same code have the same return addresses),
// and only the frame where the two fibers' paths differ mispredicts.
// Same registers, same Boost function, same saved-context layout: a context
// saved here can be resumed by Boost's own resume() and the other way round.
//
// One thing it gives up: Boost's forced unwinding. Destroying a suspended
// boost::context::fiber makes Boost throw from the point where it switched
// out, and the unwind tables at that point do not describe the frame pushed
// here. The runtime never does it: at shutdown it resumes every suspended
// fiber to unwind itself (RuntimeCore::cancel_all_fibers), and a fiber that
// will not finish is leaked, not destroyed.
#pragma once

#include <boost/context/fiber.hpp>
#include <utility>

namespace tmpmc::runtime::detail {

using RawContext = boost::context::detail::fcontext_t;

// The raw fcontext inside a boost::context::fiber (its only member, private).
// An explicit instantiation may name a private member; the friend defined in
// it hands out the member pointer. Standard C++, no layout assumption.
constexpr auto fiber_raw_context() noexcept;
template <auto Member>
struct FiberRawContextAccess {
  friend constexpr auto fiber_raw_context() noexcept { return Member; }
};
template struct FiberRawContextAccess<&boost::context::fiber::fctx_>;

// resume_balanced(to) is std::move(to).resume(): runs `to`, and returns the
// context that later switches back here (empty if that one finished).
[[gnu::always_inline]] inline boost::context::fiber resume_balanced(
    boost::context::fiber&& to) noexcept {
#if defined(__x86_64__) && !defined(TMPMC_CALL_SWITCH)
#if defined(__AVX512F__)
#define TMPMC_UPPER_VECTOR_CLOBBERS                                                           \
  , "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22", "xmm23", "xmm24", "xmm25", \
      "xmm26", "xmm27", "xmm28", "xmm29", "xmm30", "xmm31"
#else
#define TMPMC_UPPER_VECTOR_CLOBBERS
#endif
  register RawContext target asm("rdi") = std::exchange(to.*fiber_raw_context(), nullptr);
  RawContext from;
  // r12 keeps our stack pointer across the switch (jump_fcontext saves and
  // restores it with the context). The pushed return address sits 16-byte
  // aligned below the red zone: when a finishing fiber resumes us through
  // ontop_fcontext, Boost calls its exit function right there, as if from a
  // `call` at this point. Clobbers: what a call to jump_fcontext clobbers (the
  // caller-saved registers, the data argument in rsi, x87/SSE state).
  asm volatile(
      "mov %%rsp, %%r12\n\t"
      "lea -128(%%rsp), %%rsp\n\t"
      "and $-16, %%rsp\n\t"
      "lea 1f(%%rip), %%rax\n\t"
      "push %%rax\n\t"
      "xor %%esi, %%esi\n\t"
      "jmp jump_fcontext@PLT\n"
      "1:\n\t"
      "mov %%r12, %%rsp\n\t"
      : "=a"(from), "+r"(target)
      :
      : "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "memory", "cc", "xmm0", "xmm1",
        "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
        "xmm13", "xmm14", "xmm15", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)",
        "st(7)" TMPMC_UPPER_VECTOR_CLOBBERS);
#undef TMPMC_UPPER_VECTOR_CLOBBERS
  boost::context::fiber resumed_from;
  resumed_from.*fiber_raw_context() = from;
  return resumed_from;
#else
  return std::move(to).resume();
#endif
}

}  // namespace tmpmc::runtime::detail
