// signal_safe_text.h: text written to a file descriptor from a signal
// handler: a fixed buffer, numbers formatted by hand, write(2) and nothing
// else (no allocation, no lock, no stdio), as POSIX allows in a handler.
// The crash report (scenarios/crash_report.h) and ScheduleTap::write_text use it.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tmpmc::runtime {

class SignalSafeText {
 public:
  explicit SignalSafeText(int fd) noexcept : fd_(fd) {}
  ~SignalSafeText() { flush(); }
  SignalSafeText(const SignalSafeText&) = delete;
  SignalSafeText& operator=(const SignalSafeText&) = delete;

  void put(char ch) noexcept {
    if (used_ == sizeof buffer_) flush();
    buffer_[used_++] = ch;
  }
  void put(std::string_view text) noexcept {
    for (const char ch : text) put(ch);
  }
  void put_number(std::uint64_t value) noexcept {
    char digits[20];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + value % 10);
      value /= 10;
    } while (value != 0);
    while (n > 0) put(digits[--n]);
  }
  // flush(): what is buffered, to the descriptor (a failed write drops it:
  // a dying process has nowhere else to say so).
  void flush() noexcept {
    std::size_t done = 0;
    while (done < used_) {
      const ssize_t n = ::write(fd_, buffer_ + done, used_ - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    used_ = 0;
  }

 private:
  int fd_;
  char buffer_[512];
  std::size_t used_ = 0;
};

}  // namespace tmpmc::runtime
