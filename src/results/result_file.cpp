#include "tmpmc/results/result_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace tmpmc::results {

namespace {

void write_file_atomically(const std::string& path, const std::string& content) {
  const std::filesystem::path target(path);
  const std::filesystem::path temp =
      target.parent_path() / (target.filename().string() + ".tmp." + std::to_string(::getpid()));
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw ResultFileError(path + ": cannot write: " + std::strerror(errno));
    out << content;
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw ResultFileError(path + ": write failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(temp, target, ec);
  if (ec) {
    std::filesystem::remove(temp, ec);
    throw ResultFileError(path + ": cannot replace: " + ec.message());
  }
}

}  // namespace

void write_result_file(const std::string& path, const nlohmann::json& document) {
  std::string text;
  try {
    text = document.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {  // a string that is not UTF-8
    throw ResultFileError(e.what());
  }
  write_file_atomically(path, text);
}

}  // namespace tmpmc::results
