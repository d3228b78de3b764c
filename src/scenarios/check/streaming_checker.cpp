// streaming_checker.cpp: the check in bounded memory (streaming_checker.h).
#include "tmpmc/scenarios/streaming_checker.h"

#include <algorithm>
#include <cstdint>

namespace tmpmc::scenarios {

namespace {

std::uint64_t message_id(std::uint32_t producer, std::uint64_t seq) noexcept {
  return (std::uint64_t{producer} << ConsumerLog::kSeqBits) | seq;
}

// attempted_digest(): the digest of seqs [0, attempted) of `producer`, what
// it would have sent ok had every send gone through. Computed after the run,
// not by the producers as they send: a loop over the seqs costs about what
// exact mode's walk of its logs does, and nothing on the hot path.
MessageDigest attempted_digest(std::uint32_t producer, std::uint64_t attempted) noexcept {
  MessageDigest digest;
  const std::uint64_t first = message_id(producer, 0);
  for (std::uint64_t seq = 0; seq < attempted; ++seq) digest.add(first | seq);
  return digest;
}

// A producer's messages as all the consumers (and the queue's leftovers) saw them.
struct Seen {
  MessageDigest digest;
  std::uint64_t repeats = 0;
  std::uint64_t highest = ConsumerTally::kNoSeq;
  void add(const ConsumerTally& tally, std::uint32_t producer) {
    digest += tally.digest(producer);
    repeats += tally.repeats(producer);
    const std::uint64_t high = tally.highest_seq(producer);
    if (high != ConsumerTally::kNoSeq && (highest == ConsumerTally::kNoSeq || high > highest)) {
      highest = high;
    }
  }
};

// explain(): the fewest lost, duplicated and phantom messages that account
// for what `producer` sent ok (`expected`) and what arrived (`seen`), named as
// exact mode names them: a surplus not known to be phantom is duplicated, as
// exact mode files a run that has both under duplicated.
ProducerMismatch explain(std::uint32_t producer, const ProducerLog& log,
                         const MessageDigest& not_ok, const MessageDigest& expected,
                         const Seen& seen) {
  ProducerMismatch m;
  m.producer = producer;
  m.sent_ok = expected.count;
  m.received = seen.digest.count;
  // Certain: the same seq twice in a row at one consumer; a seq never
  // attempted or refused (the refused one is the last attempted, so a
  // consumer's highest seq shows it); every refused and timed-out send
  // delivered anyway.
  m.duplicated = seen.repeats;
  const bool beyond = seen.highest != ConsumerTally::kNoSeq &&
                      (seen.highest >= log.attempted ||
                       std::find(log.refused_closed.begin(), log.refused_closed.end(),
                                 seen.highest) != log.refused_closed.end());
  if (beyond) m.phantom = 1;
  if (not_ok.count != 0 && seen.digest - expected == not_ok) m.phantom = not_ok.count;
  // received - sent ok = duplicated + phantom - lost.
  const auto surplus = static_cast<std::int64_t>(seen.digest.count - expected.count);
  const auto certain = static_cast<std::int64_t>(m.duplicated + m.phantom);
  if (surplus > certain) m.duplicated += static_cast<std::uint64_t>(surplus - certain);
  m.lost =
      static_cast<std::uint64_t>(static_cast<std::int64_t>(m.duplicated + m.phantom) - surplus);
  if (m.lost + m.duplicated + m.phantom == 0) {
    // As many arrived as were sent, but not the same ones: one at least was
    // lost and one received in its place.
    m.lost = 1;
    m.duplicated = 1;
  }
  return m;
}

}  // namespace

ConsumerTally::ConsumerTally(std::uint32_t producers) : producers_(producers) {
  // Whole cache lines, so that no other consumer's data shares the last one.
  const std::size_t bytes = (std::size_t{producers} * sizeof(Entry) + 63) / 64 * 64;
  auto* entries = static_cast<Entry*>(::operator new[](bytes, std::align_val_t{64}));
  for (std::uint32_t p = 0; p < producers; ++p) ::new (&entries[p]) Entry{};
  entries_.reset(entries);
}

[[gnu::noinline]] void ConsumerTally::out_of_order(std::uint32_t producer, std::uint64_t seq,
                                                   std::uint64_t in_order_from) {
  if (disorder_.empty()) disorder_.resize(producers_);
  Disorder& d = disorder_[producer];
  const std::uint64_t last = in_order_from - 1;
  d.highest = std::max(d.highest, last);
  if (seq == last) {
    ++d.repeats;
  } else {
    ++reordered_;
  }
}

std::uint64_t ConsumerTally::count() const noexcept {
  std::uint64_t n = unknown_producer_;
  for (std::uint32_t p = 0; p < producers_; ++p) n += entries_[p].digest.count;
  return n;
}

std::uint64_t ConsumerTally::repeats(std::uint32_t producer) const noexcept {
  return disorder_.empty() ? 0 : disorder_[producer].repeats;
}

std::uint64_t ConsumerTally::highest_seq(std::uint32_t producer) const noexcept {
  const Entry& e = entries_[producer];
  if (e.digest.count == 0) return kNoSeq;
  const std::uint64_t last = e.in_order_from - 1;
  return disorder_.empty() ? last : std::max(last, disorder_[producer].highest);
}

CheckResult check_streaming(const std::vector<ProducerLog>& producers,
                            const std::vector<const ConsumerTally*>& consumers,
                            const ConsumerTally& left, const RunFacts& facts) {
  CheckResult r;
  r.mode = CheckMode::streaming;
  r.hung = facts.hung_fibers;
  r.spurious_closed = facts.spurious_closed;
  for (const ConsumerTally* tally : consumers) {
    r.received += tally->count();
    r.reordered += tally->reordered();
    r.phantom += tally->unknown_producer();
  }
  // What was left in the queue counts as received, unless the consumers had
  // all seen the queue drained: then it was accepted after close, and lost.
  const bool left_counts = !facts.consumers_saw_drained;
  if (left_counts) {
    r.left_in_queue = left.count();
    r.phantom += left.unknown_producer();
  } else {
    r.lost_after_close = left.count();
  }
  for (std::uint32_t p = 0; p < producers.size(); ++p) {
    const ProducerLog& log = producers[p];
    MessageDigest not_ok = log.timed_out_digest;
    for (const std::uint64_t seq : log.refused_closed) not_ok.add(message_id(p, seq));
    r.send_closed += log.refused_closed.size();
    r.send_timeout += log.timed_out_digest.count;
    const MessageDigest expected = attempted_digest(p, log.attempted) - not_ok;
    r.sent += expected.count;
    Seen seen;
    for (const ConsumerTally* tally : consumers) seen.add(*tally, p);
    if (left_counts) seen.add(left, p);
    if (seen.digest == expected && seen.repeats == 0) continue;
    ProducerMismatch m = explain(p, log, not_ok, expected, seen);
    r.lost += m.lost;
    r.duplicated += m.duplicated;
    r.phantom += m.phantom;
    r.mismatches.push_back(m);
  }
  return r;
}

}  // namespace tmpmc::scenarios
