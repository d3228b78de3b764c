// checker.cpp: the exact check over every message's log, and its failure text.
#include "tmpmc/scenarios/checker.h"

#include <algorithm>
#include <optional>

namespace tmpmc::scenarios {

LogArena::~LogArena() {
  for (std::uint64_t* chunk : free_) delete[] chunk;
}

std::uint64_t* LogArena::take(std::size_t words) {
  {
    std::lock_guard lock(mu_);
    if (!free_.empty()) {
      std::uint64_t* chunk = free_.back();
      free_.pop_back();
      return chunk;
    }
  }
  // Not value-initialised: zeroing memory about to be overwritten costs more
  // than the queue operations it records.
  return new std::uint64_t[words];
}

void LogArena::give_back(std::uint64_t* chunk) noexcept {
  std::lock_guard lock(mu_);
  try {
    free_.push_back(chunk);
  } catch (...) {
    delete[] chunk;
  }
}

ConsumerLog::~ConsumerLog() {
  for (std::uint64_t* chunk : chunks_) {
    if (arena_ != nullptr) {
      arena_->give_back(chunk);
    } else {
      delete[] chunk;
    }
  }
}

[[gnu::noinline]] void ConsumerLog::add_chunk() {
  chunks_.reserve(chunks_.size() + 1);
  chunks_.push_back(arena_ != nullptr ? arena_->take(kChunk) : new std::uint64_t[kChunk]);
  current_ = chunks_.back();
  fill_ = 0;
}

namespace {
// SeenBits: one bit per attempted send of one producer.
class SeenBits {
 public:
  explicit SeenBits(std::uint64_t n) : words_((n + 63) / 64, 0) {}
  // mark() returns false if the bit was already set.
  bool mark(std::uint64_t i) {
    std::uint64_t& word = words_[i / 64];
    const std::uint64_t bit = std::uint64_t{1} << (i % 64);
    const bool fresh = (word & bit) == 0;
    word |= bit;
    return fresh;
  }
  bool test(std::uint64_t i) const { return (words_[i / 64] >> (i % 64)) & 1; }

 private:
  std::vector<std::uint64_t> words_;
};

bool contains(const std::vector<std::uint64_t>& sorted, std::uint64_t seq) {
  return std::binary_search(sorted.begin(), sorted.end(), seq);
}
}  // namespace

CheckResult check(const std::vector<ProducerLog>& producers,
                  const std::vector<const ConsumerLog*>& consumers, const ConsumerLog& left,
                  const RunFacts& facts) {
  CheckResult r;
  r.hung = facts.hung_fibers;
  r.spurious_closed = facts.spurious_closed;
  std::vector<SeenBits> seen;
  std::vector<std::vector<std::uint64_t>> not_ok(producers.size());
  seen.reserve(producers.size());
  for (std::size_t p = 0; p < producers.size(); ++p) {
    const ProducerLog& log = producers[p];
    seen.emplace_back(log.attempted);
    not_ok[p] = log.refused_closed;
    not_ok[p].insert(not_ok[p].end(), log.timed_out.begin(), log.timed_out.end());
    std::sort(not_ok[p].begin(), not_ok[p].end());
    r.send_closed += log.refused_closed.size();
    r.send_timeout += log.timed_out.size();
    r.sent += log.attempted - not_ok[p].size();
  }
  auto account = [&](std::uint32_t p, std::uint64_t seq) {
    if (p >= producers.size() || seq >= producers[p].attempted || contains(not_ok[p], seq)) {
      if (r.phantom++ == 0) r.first_phantom = MessageName{p, seq};  // nobody sent this successfully
    } else if (!seen[p].mark(seq)) {
      if (r.duplicated++ == 0) r.first_duplicated = MessageName{p, seq};
    }
  };
  // One consumer must see each producer's sequence numbers rise (the same
  // seq twice is a duplicate, counted above, not a reorder).
  constexpr std::uint64_t kNone = ~std::uint64_t{0};
  std::vector<std::uint64_t> last(producers.size(), kNone);
  for (const ConsumerLog* log : consumers) {
    r.received += log->count();
    std::fill(last.begin(), last.end(), kNone);
    log->for_each([&](std::uint32_t p, std::uint64_t seq) {
      account(p, seq);
      if (p < last.size()) {
        if (last[p] != kNone && seq < last[p] && r.reordered++ == 0) {
          r.first_reordered = MessageName{p, seq};
        }
        last[p] = seq;
      }
    });
  }
  if (facts.consumers_saw_drained) {
    // Unmarked: the loop below counts these as lost.
    r.lost_after_close = left.count();
  } else {
    r.left_in_queue = left.count();
    left.for_each(account);
  }
  for (std::size_t p = 0; p < producers.size(); ++p) {
    for (std::uint64_t seq = 0; seq < producers[p].attempted; ++seq) {
      if (!seen[p].test(seq) && !contains(not_ok[p], seq) && r.lost++ == 0) {
        r.first_lost = MessageName{static_cast<std::uint32_t>(p), seq};
      }
    }
  }
  return r;
}

const char* to_string(CheckMode mode) noexcept {
  return mode == CheckMode::streaming ? "streaming" : "exact";
}

namespace {
// mismatch_line(): a streaming mismatch, e.g. "producer 2: 1000 sent ok, 999
// received: at least 1 lost".
std::string mismatch_line(const ProducerMismatch& m) {
  std::string line = "producer " + std::to_string(m.producer) + ": " + std::to_string(m.sent_ok) +
                     " sent ok, " + std::to_string(m.received) + " received";
  if (m.received == m.sent_ok) line += ", but not the same messages";
  std::string counts;
  auto add = [&](std::uint64_t n, const char* what) {
    if (n == 0) return;
    counts += (counts.empty() ? "" : ", ") + std::to_string(n) + " " + what;
  };
  add(m.lost, "lost");
  add(m.duplicated, "duplicated");
  add(m.phantom, "phantom");
  return line + ": at least " + counts + " (streaming check: counted, not named)";
}
// At most this many producers are listed; the totals cover the rest.
constexpr std::size_t kMismatchLines = 8;
}  // namespace

std::vector<std::string> CheckResult::failures() const {
  std::vector<std::string> lines;
  // Exact mode names the first message that broke the rule.
  auto add = [&](std::uint64_t n, const char* what,
                 const std::optional<MessageName>& first = std::nullopt) {
    if (n == 0) return;
    std::string line = std::to_string(n) + " " + what;
    if (first) {
      line += "; the first: producer " + std::to_string(first->producer) + " seq " +
              std::to_string(first->seq);
    }
    lines.push_back(std::move(line));
  };
  if (lost_after_close != 0) {
    add(lost,
        ("lost (sent ok, never received; " + std::to_string(lost_after_close) +
         " of them still in the queue after every consumer saw it closed and drained)")
            .c_str(),
        first_lost);
  } else {
    add(lost, "lost (sent ok, never received, not left in the queue)", first_lost);
  }
  add(duplicated, "duplicated", first_duplicated);
  add(phantom, "phantom (received, never sent ok)", first_phantom);
  add(reordered, "reordered (a consumer saw a producer's messages out of order)", first_reordered);
  add(hung, "hung fibers");
  add(spurious_closed,
      "spurious closed (a receive reported closed before close, with items left, or as an error)");
  for (std::size_t i = 0; i < mismatches.size() && i < kMismatchLines; ++i) {
    lines.push_back(mismatch_line(mismatches[i]));
  }
  if (mismatches.size() > kMismatchLines) {
    lines.push_back("and " + std::to_string(mismatches.size() - kMismatchLines) +
                    " more producers that do not add up");
  }
  return lines;
}

}  // namespace tmpmc::scenarios
