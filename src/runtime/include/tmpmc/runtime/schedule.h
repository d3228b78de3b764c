// schedule.h: the schedule of one deterministic run, as data and as text.
//
// A schedule is what a deterministic run chose at each scheduling step: the
// fiber that ran next, named by its identity (its spawn order in the run's
// runtime: 1 is the first fiber spawned), never by its position among the
// runnable fibers. A step where only one fiber could run is forced: the
// schedule counts those, so that a replay notices a choice point the
// recording did not have (or the reverse) instead of drifting past it.
//
// The text is what a failure prints and `run --schedule` reads back:
//
//   v1.<item>.<item>...h<checksum>
//
// where each item is either a fiber id in decimal (a step with two or more
// runnable fibers, and the one that ran) or `f<n>` (n forced steps in a
// row), and the checksum is 8 hex digits over everything before it. Only
// letters, digits and dots: it needs no shell quoting. Example:
// `v1.f2.3.1.f4.3.h5e0c81a2`: two forced steps, fiber 3 chosen, fiber 1
// chosen, four forced steps, fiber 3 chosen.
//
// The same program replayed on the same schedule makes the same choices at
// the same steps, on any machine, whatever policy and seed recorded it.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace tmpmc::runtime {

// Thrown by Schedule::parse for a string that is not a schedule; what() is
// one line naming what is wrong and where.
class ScheduleSyntaxError : public std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class Schedule {
 public:
  // One item: `count` forced steps (fiber == 0), or one choice of `fiber`.
  // Eight bytes: a recorded run holds one per choice.
  struct Item {
    std::uint32_t fiber = 0;  // 0: a run of forced steps
    std::uint32_t count = 1;  // forced steps in the run (1 for a choice)
    bool operator==(const Item&) const = default;
  };

  // record() appends one step: `fiber` (an id below 2^32) ran, out of
  // `runnable` runnable fibers.
  void record(std::uint64_t fiber, std::size_t runnable);
  void clear() noexcept {
    items_.clear();
    steps_ = 0;
    choices_ = 0;
  }

  std::uint64_t steps() const noexcept { return steps_; }      // every step
  std::uint64_t choices() const noexcept { return choices_; }  // steps with >= 2 runnable
  const std::vector<Item>& items() const noexcept { return items_; }
  bool operator==(const Schedule&) const = default;

  // text(): the printable form (above). parse(): the reverse; throws
  // ScheduleSyntaxError for anything text() cannot have written (a bad
  // character, an empty item, a checksum that does not match: a corrupted
  // or truncated string).
  std::string text() const;
  static Schedule parse(std::string_view text);

  // Cursor: reads a schedule step by step (the replay policy).
  class Cursor {
   public:
    explicit Cursor(const Schedule& schedule) noexcept : schedule_(&schedule) {}
    // at_end(): every recorded step was read.
    bool at_end() const noexcept { return item_ == schedule_->items_.size(); }
    // next(): the recorded step at this position (at_end() must be false):
    // the fiber chosen there, or 0 if the step was forced. Moves on.
    std::uint64_t next() noexcept;
    // position(): steps read so far.
    std::uint64_t position() const noexcept { return position_; }

   private:
    const Schedule* schedule_;
    std::size_t item_ = 0;
    std::uint64_t offset_ = 0;  // steps read of a forced item
    std::uint64_t position_ = 0;
  };

 private:
  std::vector<Item> items_;
  std::uint64_t steps_ = 0;
  std::uint64_t choices_ = 0;
};

class SignalSafeText;

// ScheduleTap: the schedule so far of the run under way, in a buffer
// allocated once, for a crash handler to print as the process dies. A
// deterministic run appends every step to it (Options::schedule_tap) as it
// records a Schedule; write_text() formats the same text as
// Schedule::text() with nothing but write(2), so a signal handler on the
// recording thread may call it (the run is synchronous with its steps: a
// crash in a fiber never lands inside record()).
class ScheduleTap {
 public:
  explicit ScheduleTap(std::size_t capacity);
  // begin_run(): empties it for a new run.
  void begin_run() noexcept {
    size_ = 0;
    steps_ = 0;
    truncated_ = false;
  }
  // record(): as Schedule::record; once the buffer is full the rest is
  // dropped and truncated() says so.
  void record(std::uint64_t fiber, std::size_t runnable) noexcept;
  bool truncated() const noexcept { return truncated_; }
  std::uint64_t steps() const noexcept { return steps_; }  // every step, kept or dropped
  // write_text(out): the schedule's text (Schedule::text()), async-signal-
  // safely; false (and nothing written) when truncated.
  bool write_text(SignalSafeText& out) const noexcept;

 private:
  std::unique_ptr<Schedule::Item[]> items_;
  std::size_t capacity_;
  std::size_t size_ = 0;
  std::uint64_t steps_ = 0;
  bool truncated_ = false;
};

}  // namespace tmpmc::runtime
