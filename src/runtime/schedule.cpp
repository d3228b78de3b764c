// schedule.cpp: recording a schedule, and its text form (schedule.h).
#include "tmpmc/runtime/schedule.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "tmpmc/runtime/rng.h"
#include "tmpmc/runtime/signal_safe_text.h"

namespace tmpmc::runtime {

namespace {

constexpr std::string_view kVersion = "v1";

// checksum(): 32 bits over the text before ".h": a string cut short or
// mistyped fails here with a clear error rather than replaying as another
// (valid, but different) schedule.
constexpr std::uint64_t kChecksumSeed = 0x7363686564756c65ULL;  // "schedule"
std::uint32_t checksum(std::string_view body) noexcept {
  std::uint64_t hash = kChecksumSeed;
  for (const char ch : body) hash = mix64(hash, static_cast<unsigned char>(ch));
  return static_cast<std::uint32_t>(hash >> 32);
}

std::string hex8(std::uint32_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", value);
  return text;
}

[[noreturn]] void refuse(const std::string& why) {
  throw ScheduleSyntaxError("not a schedule string: " + why);
}

// decimal(): a positive decimal number below 2^32.
std::uint32_t decimal(std::string_view digits, std::size_t item) {
  const std::string where = " (item " + std::to_string(item) + ")";
  if (digits.empty()) refuse("an empty number" + where);
  if (digits.size() > 10) refuse("a number too large" + where);
  std::uint64_t value = 0;
  for (const char ch : digits) {
    if (ch < '0' || ch > '9') refuse("'" + std::string(1, ch) + "' in a number" + where);
    value = value * 10 + static_cast<std::uint64_t>(ch - '0');
  }
  if (value == 0) refuse("0 is not a fiber or a step count" + where);
  if (value > 0xffffffffULL) refuse("a number too large" + where);
  return static_cast<std::uint32_t>(value);
}

}  // namespace

void Schedule::record(std::uint64_t fiber, std::size_t runnable) {
  ++steps_;
  if (runnable >= 2) {
    ++choices_;
    items_.push_back(Item{static_cast<std::uint32_t>(fiber), 1});
    return;
  }
  if (!items_.empty() && items_.back().fiber == 0 && items_.back().count != 0xffffffffU) {
    ++items_.back().count;
  } else {
    items_.push_back(Item{0, 1});
  }
}

ScheduleTap::ScheduleTap(std::size_t capacity)
    : items_(std::make_unique<Schedule::Item[]>(capacity)), capacity_(capacity) {}

void ScheduleTap::record(std::uint64_t fiber, std::size_t runnable) noexcept {
  ++steps_;
  if (truncated_) return;
  if (runnable < 2 && size_ != 0 && items_[size_ - 1].fiber == 0 &&
      items_[size_ - 1].count != 0xffffffffU) {
    ++items_[size_ - 1].count;
    return;
  }
  if (size_ == capacity_) {
    truncated_ = true;
    return;
  }
  items_[size_++] =
      runnable >= 2 ? Schedule::Item{static_cast<std::uint32_t>(fiber), 1} : Schedule::Item{0, 1};
}

bool ScheduleTap::write_text(SignalSafeText& out) const noexcept {
  if (truncated_) return false;
  // The text as Schedule::text() spells it, its checksum taken on the way.
  std::uint64_t hash = kChecksumSeed;
  const auto put = [&](std::string_view text) {
    for (const char ch : text) hash = mix64(hash, static_cast<unsigned char>(ch));
    out.put(text);
  };
  const auto put_number = [&](std::uint64_t value) {
    char digits[20];
    std::size_t n = sizeof digits;
    do {
      digits[--n] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    put(std::string_view(digits + n, sizeof digits - n));
  };
  put(kVersion);
  for (std::size_t i = 0; i < size_; ++i) {
    put(".");
    if (items_[i].fiber == 0) {
      put("f");
      put_number(items_[i].count);
    } else {
      put_number(items_[i].fiber);
    }
  }
  const auto sum = static_cast<std::uint32_t>(hash >> 32);
  out.put(".h");
  for (int shift = 28; shift >= 0; shift -= 4) out.put("0123456789abcdef"[(sum >> shift) & 0xf]);
  return true;
}

std::string Schedule::text() const {
  std::string text(kVersion);
  for (const Item& item : items_) {
    text += '.';
    if (item.fiber == 0)
      text += 'f' + std::to_string(item.count);
    else
      text += std::to_string(item.fiber);
  }
  const std::uint32_t sum = checksum(text);
  return text + ".h" + hex8(sum);
}

Schedule Schedule::parse(std::string_view text) {
  if (text.substr(0, kVersion.size()) != kVersion || text.size() == kVersion.size() ||
      text[kVersion.size()] != '.') {
    refuse("expected it to start with \"" + std::string(kVersion) + ".\"");
  }
  const std::size_t tail = text.rfind(".h");
  if (tail == std::string_view::npos || tail < kVersion.size() || text.size() - tail != 2 + 8) {
    refuse("it does not end in .h and 8 hex digits (cut short?)");
  }
  const std::string_view body = text.substr(0, tail);
  const std::string_view sum = text.substr(tail + 2);
  if (sum.find_first_not_of("0123456789abcdef") != std::string_view::npos) {
    refuse("its checksum \"" + std::string(sum) + "\" is not 8 lower-case hex digits");
  }
  if (hex8(checksum(body)) != sum) {
    refuse("its checksum does not match (corrupted or cut short)");
  }
  Schedule schedule;
  std::size_t item = 0;
  std::size_t at = kVersion.size();
  while (at < body.size()) {
    ++at;  // the '.'
    const std::size_t end = std::min(body.find('.', at), body.size());
    const std::string_view token = body.substr(at, end - at);
    ++item;
    if (!token.empty() && token[0] == 'f') {
      const std::uint32_t count = decimal(token.substr(1), item);
      schedule.items_.push_back(Item{0, count});
      schedule.steps_ += count;
    } else {
      schedule.items_.push_back(Item{decimal(token, item), 1});
      ++schedule.steps_;
      ++schedule.choices_;
    }
    at = end;
  }
  return schedule;
}

std::uint64_t Schedule::Cursor::next() noexcept {
  const Item& item = schedule_->items_[item_];
  ++position_;
  if (item.fiber != 0) {
    ++item_;
    return item.fiber;
  }
  if (++offset_ == item.count) {
    offset_ = 0;
    ++item_;
  }
  return 0;
}

}  // namespace tmpmc::runtime
