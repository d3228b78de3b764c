// result_file.cpp: the one writer of the tool's files: written whole to a
// temporary beside the target, then renamed over it.
#include "tmpmc/results/result_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace tmpmc::results {

namespace {

namespace fs = std::filesystem;

[[noreturn]] void fail(const std::string& path, const char* what, int error) {
  throw ResultFileError(path + ": " + what + ": " + std::strerror(error));
}

// write_all(): the whole of `text` to `fd`, through short writes and EINTR;
// false with errno set on the first error.
bool write_all(int fd, const std::string& text) {
  const char* data = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t wrote = ::write(fd, data, left);
    if (wrote < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += wrote;
    left -= static_cast<std::size_t>(wrote);
  }
  return true;
}

// final_target(): `path` with every symlink resolved hop by hop, so that a
// rename lands on the file the link names (which may not exist yet).
std::string final_target(const std::string& path) {
  fs::path target = path;
  for (int hops = 0;; ++hops) {
    struct stat link {};
    if (::lstat(target.c_str(), &link) != 0 || !S_ISLNK(link.st_mode)) return target.string();
    if (hops == 40) fail(path, "cannot resolve", ELOOP);
    std::error_code ec;
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) fail(path, "cannot resolve", ec.value());
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
}

// write_in_place(): an existing FIFO or device is opened and written as it is.
void write_in_place(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail(path, "cannot open", errno);
  if (!write_all(fd, text)) {
    const int error = errno;
    ::close(fd);
    fail(path, "write failed", error);
  }
  if (::close(fd) != 0) fail(path, "write failed", errno);
}

// write_atomically(): a temporary file beside `target`, synced, then renamed
// over it.
void write_atomically(const std::string& path, const std::string& target, const std::string& text) {
  const fs::path target_path(target);
  const fs::path dir = target_path.has_parent_path() ? target_path.parent_path() : fs::path(".");
  const std::string temp =
      (dir / ("." + target_path.filename().string() + ".tmp." + std::to_string(::getpid())))
          .string();
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail(path, "cannot create a file in its directory", errno);
  const auto abandon = [&](const char* what, int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    fail(path, what, error);
  };
  if (!write_all(fd, text)) abandon("write failed", errno);
  if (::fsync(fd) != 0) abandon("write failed (fsync)", errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "write failed", error);
  }
  if (::rename(temp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    fail(path, "cannot replace", error);
  }
}

}  // namespace

void write_text_file(const std::string& path, const std::string& text) {
  if (path == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() ||
        std::fflush(stdout) != 0) {
      fail("standard output", "write failed", errno);
    }
    return;
  }
  if (path.empty()) throw ResultFileError("result file: empty path");
  const std::string target = final_target(path);
  struct stat status {};
  if (::stat(target.c_str(), &status) == 0) {
    if (S_ISDIR(status.st_mode)) fail(path, "cannot write", EISDIR);
    if (!S_ISREG(status.st_mode)) return write_in_place(path, text);
  } else if (errno != ENOENT) {
    fail(path, "cannot write", errno);
  }
  write_atomically(path, target, text);
}

void write_result_file(const std::string& path, const nlohmann::json& document) {
  std::string text;
  try {
    text = document.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {  // a string that is not UTF-8
    throw ResultFileError(path + ": " + e.what());
  }
  write_text_file(path, text);
}

}  // namespace tmpmc::results
