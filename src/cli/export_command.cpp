// export_command.cpp: `tmpmc-bench export RESULT.json --format F [-o OUT]`:
// a result file in a format other tools read (the formats are in
// tmpmc/results/export.h).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "commands.h"
#include "tmpmc/results/export.h"
#include "tmpmc/scenarios/report.h"

namespace tmpmc::cli {

namespace {

namespace fs = std::filesystem;

// read_result(path): the parsed document; a one-line runtime_error naming
// the path if it cannot be read or is not JSON.
nlohmann::json read_result(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(path + ": not valid JSON: " + e.what());
  }
}

// write_output(path, text): "-" is standard output. A regular file (or a new
// one) is replaced atomically, through a symlink to its target; anything
// else that exists (a FIFO, a device) is written in place, never replaced.
void write_output(const std::string& path, const std::string& text) {
  if (path == "-") {
    std::cout << text << std::flush;
    if (!std::cout) throw std::runtime_error("standard output: write failed");
    return;
  }
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);  // follows symlinks
  if (fs::exists(status) && !fs::is_regular_file(status)) {
    std::ofstream out(path, std::ios::binary);
    out << text << std::flush;
    if (!out) throw std::runtime_error(path + ": write failed: " + std::strerror(errno));
    return;
  }
  // The rename lands on the link's final target (a dangling one included),
  // so the link itself stays.
  fs::path target = path;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(target, ec)); ++hops) {
    const fs::path next = fs::read_symlink(target, ec);
    target = next.is_absolute() ? next : target.parent_path() / next;
  }
  scenarios::write_file_atomically(target.string(), text);
}

class Export : public Command {
 public:
  explicit Export(CLI::App& parent)
      : app_(parent.add_subcommand("export", "Write a result file in a format other tools read (" +
                                                 results::export_format_names() + ")")) {
    app_->add_option("result", result_file_, "Result file (JSON, schema v1)")->required();
    app_->add_option("--format,-f", format_name_, results::export_format_names())->required();
    app_->add_option("-o,--output", output_, "Output file; - is standard output")
        ->capture_default_str();
    app_->add_option("--scenario", scenario_,
                     "Export only the scenario of this name (hgrm needs one if there are several)");
  }
  CLI::App* app() const override { return app_; }

  int execute() override {
    const auto format = results::parse_export_format(format_name_);
    if (!format) {
      std::fprintf(stderr, "tmpmc-bench: --format: unknown format \"%s\"; expected one of: %s\n",
                   format_name_.c_str(), results::export_format_names().c_str());
      return kUsage;
    }
    std::ostringstream text;
    try {
      nlohmann::json result = read_result(result_file_);
      try {
        if (!scenario_.empty()) result = results::only_scenario(result, scenario_);
        results::export_result(result, *format, text);
      } catch (const results::ExportError& e) {
        throw std::runtime_error(result_file_ + ": " + e.what());
      }
      write_output(output_, text.str());
      return kPass;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tmpmc-bench: %s\n", e.what());
      return kUsage;
    }
  }

 private:
  CLI::App* app_;
  std::string result_file_, format_name_, output_ = "-", scenario_;
};

}  // namespace

std::unique_ptr<Command> add_export(CLI::App& app) { return std::make_unique<Export>(app); }

}  // namespace tmpmc::cli
