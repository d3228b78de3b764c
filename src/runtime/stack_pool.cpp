// stack_pool.cpp: guarded fiber stacks, made, cached per worker and freed.
#include "stack_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "sanitizer.h"

namespace tmpmc::runtime::detail {

namespace {
std::size_t page_size() noexcept {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}
std::size_t round_to_pages(std::size_t n) noexcept {
  const std::size_t page = page_size();
  return (n + page - 1) / page * page;
}

// map_stack(): a fresh stack of `usable_size` bytes above a guard page.
void* map_stack(std::size_t usable_size) {
  const std::size_t guard = page_size();
  void* region = ::mmap(nullptr, usable_size + guard, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot map a fiber stack (memory or vm.max_map_count exhausted)");
  }
  // Stacks grow down: the guard page sits below the lowest usable address.
  if (::mprotect(region, guard, PROT_NONE) != 0) {
    const int err = errno;
    ::munmap(region, usable_size + guard);
    throw std::system_error(err, std::generic_category(),
                            "cannot protect a fiber stack's guard page");
  }
  return static_cast<char*>(region) + guard;
}

// SpareStacks: the stacks of pools destroyed on this thread, for the next
// pool of the same size on it. A stress search builds one runtime per
// schedule, on one thread, and mapping, protecting and faulting in fresh
// stacks cost more than its short runs themselves. Bounded; unmapped when
// the thread ends.
struct SpareStacks {
  static constexpr std::size_t kMax = 64;
  std::size_t usable_size = 0;
  std::vector<void*> stacks;
  ~SpareStacks() { release(); }
  void release() noexcept {
    for (void* base : stacks) StackPool::unmap(base, usable_size);
    stacks.clear();
  }
};
thread_local SpareStacks t_spare_stacks;
}  // namespace

StackPool::StackPool(std::size_t usable_size) : usable_size_(round_to_pages(usable_size)) {}

StackPool::~StackPool() {
  SpareStacks& spare = t_spare_stacks;
  if (spare.usable_size != usable_size_) {
    spare.release();
    spare.usable_size = usable_size_;
  }
  for (void* base : cached_) {
    if (spare.stacks.size() < SpareStacks::kMax) {
      try {
        spare.stacks.push_back(base);
        continue;
      } catch (...) {
        // ignored: no room to keep it: give it back to the kernel
      }
    }
    unmap(base, usable_size_);
  }
}

void* StackPool::allocate() {
  void* base;
  SpareStacks& spare = t_spare_stacks;
  if (!cached_.empty()) {
    base = cached_.back();
    cached_.pop_back();
  } else if (spare.usable_size == usable_size_ && !spare.stacks.empty()) {
    base = spare.stacks.back();
    spare.stacks.pop_back();
  } else {
    base = map_stack(usable_size_);
  }
  // Start every stack clean in ASan's shadow: a fiber unwound by an exception
  // leaves redzone marks behind, and the shadow survives munmap/mmap, so a new
  // mapping where another stack was (ours, or Boost.Fiber's) inherits them.
  sanitizer::unpoison_stack(base, usable_size_);
  return base;
}

void StackPool::deallocate(void* base) noexcept {
  if (cached_.size() < kMaxCached) {
    try {
      cached_.push_back(base);
      return;
    } catch (...) {
      // ignored: no room to cache it, give it back to the kernel
    }
  }
  unmap(base, usable_size_);
}

void StackPool::unmap(void* base, std::size_t usable_size) noexcept {
  const std::size_t guard = page_size();
  // A fiber's last frames never return, so their redzones stay marked; clear
  // them before the range can be mapped again for anything else.
  sanitizer::unpoison_stack(base, round_to_pages(usable_size));
  ::munmap(static_cast<char*>(base) - guard, round_to_pages(usable_size) + guard);
}

}  // namespace tmpmc::runtime::detail
