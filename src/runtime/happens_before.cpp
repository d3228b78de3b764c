// happens_before.cpp: the trace hash of happens_before.h.
#include "happens_before.h"

#include "tmpmc/runtime/rng.h"

namespace tmpmc::runtime::detail {

namespace {
constexpr std::uint64_t kRead = 0x5245;
constexpr std::uint64_t kWrite = 0x5752;
constexpr std::uint64_t kOrdered = 0x4f52;
}  // namespace

void HappensBeforeHash::begin_run() {
  objects_.clear();
  fiber_last_.clear();
  last_ordered_ = 0;
  sum_ = 0;
}

std::uint64_t& HappensBeforeHash::last_of(std::uint64_t fiber) {
  if (fiber >= fiber_last_.size()) fiber_last_.resize(fiber + 1, 0);
  return fiber_last_[fiber];
}

void HappensBeforeHash::add(std::uint64_t fiber, std::uint64_t event) {
  // Fiber ids and the fiber's own order are part of every event.
  last_of(fiber) = event;
  sum_ += event;
}

void HappensBeforeHash::step(std::uint64_t fiber, const Access* accesses, std::size_t count) {
  // Which object is not hashed: the fiber's own history decides it (and an
  // address may differ from run to run); the sites name the accesses.
  std::uint64_t event = mix64(mix64(last_of(fiber), fiber), last_ordered_);
  for (std::size_t i = 0; i < count; ++i) {
    const Object& o = objects_[accesses[i].object];
    event = mix64(mix64(event, accesses[i].site), o.last_write);
    event = accesses[i].write ? mix64(mix64(event, o.reads_since), kWrite) : mix64(event, kRead);
  }
  for (std::size_t i = 0; i < count; ++i) {
    Object& o = objects_[accesses[i].object];
    if (accesses[i].write) {
      o.last_write = event;
      o.reads_since = 0;
    } else {
      o.reads_since += event;
    }
  }
  add(fiber, event);
}

void HappensBeforeHash::ordered(std::uint64_t fiber) {
  // After everything so far: the trace's hash names it.
  const std::uint64_t event = mix64(mix64(mix64(last_of(fiber), fiber), sum_), kOrdered);
  last_ordered_ = event;
  add(fiber, event);
}

}  // namespace tmpmc::runtime::detail
