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
}  // namespace

StackPool::StackPool(std::size_t usable_size) : usable_size_(round_to_pages(usable_size)) {}

StackPool::~StackPool() {
  for (void* base : cached_) unmap(base, usable_size_);
}

void* StackPool::allocate() {
  if (!cached_.empty()) {
    void* base = cached_.back();
    cached_.pop_back();
    // A fiber unwound by an exception may leave ASan's redzone marks behind.
    sanitizer::unpoison_stack(base, usable_size_);
    return base;
  }
  const std::size_t guard = page_size();
  void* region = ::mmap(nullptr, usable_size_ + guard, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (region == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(),
                            "cannot map a fiber stack (memory or vm.max_map_count exhausted)");
  }
  // Stacks grow down: the guard page sits below the lowest usable address.
  if (::mprotect(region, guard, PROT_NONE) != 0) {
    const int err = errno;
    ::munmap(region, usable_size_ + guard);
    throw std::system_error(err, std::generic_category(),
                            "cannot protect a fiber stack's guard page");
  }
  void* base = static_cast<char*>(region) + guard;
  // ASan keeps shadow memory across munmap/mmap: a new mapping at the address
  // of an earlier stack would inherit the redzones a finished fiber left there.
  sanitizer::unpoison_stack(base, usable_size_);
  return base;
}

void StackPool::deallocate(void* base) noexcept {
  if (cached_.size() < kMaxCached) {
    try {
      cached_.push_back(base);
      return;
    } catch (...) {
      // fall through: no room to cache it, give it back to the kernel
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
