// result_file.h: the one writer of every file the tool writes (run, stress,
// compare and export results).
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace tmpmc::results {

// ResultFileError: a result file could not be written (exit code 2); the
// message is one line naming the path and the system's reason.
class ResultFileError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// write_text_file() writes `text` to `path`, whole or not at all:
// - "-" is standard output;
// - a symlink is followed to its final target (a dangling one included), so
//   the link itself stays a link;
// - a FIFO, a character device or any other existing non-regular file is
//   opened and written in place, never renamed over or removed;
// - a regular file (or a new one) is written atomically: a temporary file in
//   the same directory, fsync, then rename over the target, so readers see
//   the old file or the new one, never a part.
// Any failure to create, write, flush, sync or rename (ENOSPC, EIO, EACCES,
// EISDIR, ...) throws ResultFileError; a temporary file is removed again.
void write_text_file(const std::string& path, const std::string& text);

// write_result_file(): `document`, indented, through write_text_file().
void write_result_file(const std::string& path, const nlohmann::json& document);

}  // namespace tmpmc::results
