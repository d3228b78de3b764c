// asymmetric_fence.cpp: the heavy half of the asymmetric fence, over Linux
// membarrier(2).
#include "tmpmc/runtime/asymmetric_fence.h"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tmpmc/runtime/contract.h"

namespace tmpmc::runtime {
namespace {

long membarrier(int command) noexcept { return syscall(SYS_membarrier, command, 0U, 0); }

// register_once(): true if this process may use the private expedited
// command: the kernel offers it (QUERY) and registration succeeded. A
// seccomp filter or an old kernel answers -1 (ENOSYS, EPERM, EINVAL).
bool register_once() noexcept {
  const long commands = membarrier(MEMBARRIER_CMD_QUERY);
  if (commands < 0 || (commands & MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0) return false;
  return membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0;
}

}  // namespace

bool heavy_fence_available() noexcept {
  static const bool available = register_once();  // thread-safe static init
  return available;
}

void heavy_fence() noexcept {
  TMPMC_ASSERT(heavy_fence_available(), "heavy_fence without membarrier");
  const long done = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
  // Registered before any caller could get here (heavy_fence_available), so
  // the kernel cannot refuse; if it did, no fence ran and the pair is broken:
  // stop rather than corrupt a queue, in every build.
  if (done != 0)
    detail::contract_failed("done == 0", "membarrier refused after registration", __FILE__,
                            __LINE__);
}

}  // namespace tmpmc::runtime
