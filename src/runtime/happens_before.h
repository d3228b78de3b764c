// happens_before.h: a hash of a deterministic run's happens-before order
// (its Mazurkiewicz trace), which the bounded search uses to skip what it
// has explored already (scenarios/stress/explore.cpp).
//
// Two runs that order every pair of conflicting steps alike, and differ only
// in the order of independent ones, end in the same state: they are the same
// trace. Each step of a run is an event; the hash of an event covers its
// fiber's previous event and the events it must follow (for a read, the last
// write to its object; for a write, that write and every read since); the
// hash of a prefix is the sum of its events' hashes, which does not depend
// on the order of independent events. Equal prefixes hash equal; different
// ones collide with probability about 2^-64.
//
// Events. Each step of a run (what one fiber does between two scheduling
// steps) is one event: the accesses it makes to shared objects, each a read
// or a write. A step that begins at a labelled access (choice_point.h) makes
// that access first; one that ends by parking writes the fiber's park word
// (which its waker writes too, and it reads when it resumes) and the lock
// word of the list it parks on (unlocked by the switch). Virtual time is
// one more object: every step that does not end at a labelled access moves
// it on (a write), and a step that reads the clock reads it. A step that
// spawned or finished a fiber, or the timers firing, is ordered against
// every event before and after it: cheaper to model than its precise
// footprint, and never wrong, only less reducing.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace tmpmc::runtime::detail {

class HappensBeforeHash {
 public:
  // begin_run(): a new run, an empty trace.
  void begin_run();
  struct Access {
    const void* object;
    std::uint16_t site;  // 0 for the accesses a park or the clock makes
    bool write;
  };
  // step(): fiber `fiber`'s step made `accesses` (at most kMaxAccesses).
  static constexpr std::size_t kMaxAccesses = 6;
  void step(std::uint64_t fiber, const Access* accesses, std::size_t count);
  // ordered(): fiber `fiber`'s step (0: the timers) is ordered against all.
  void ordered(std::uint64_t fiber);
  // value(): the hash of the trace so far.
  std::uint64_t value() const noexcept { return sum_; }

 private:
  struct Object {
    std::uint64_t last_write = 0;
    std::uint64_t reads_since = 0;  // sum of the reads' hashes since last_write
  };
  std::uint64_t& last_of(std::uint64_t fiber);
  void add(std::uint64_t fiber, std::uint64_t event);

  std::unordered_map<const void*, Object> objects_;
  std::vector<std::uint64_t> fiber_last_;  // by fiber id: its last event's hash
  std::uint64_t last_ordered_ = 0;         // the last event ordered against all
  std::uint64_t sum_ = 0;
};

}  // namespace tmpmc::runtime::detail
