// result_file.h: the one writer of the files run, stress and compare write.
#pragma once

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace tmpmc::results {

// ResultFileError: a result file could not be written (exit code 2); the
// message names the path.
class ResultFileError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// write_result_file(): `document`, indented, to `path`, atomically (a temp
// file beside it, then a rename: readers see the whole file or none of it).
// Throws ResultFileError.
void write_result_file(const std::string& path, const nlohmann::json& document);

}  // namespace tmpmc::results
