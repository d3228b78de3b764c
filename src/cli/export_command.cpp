// export_command.cpp: `tmpmc-bench export RESULT.json --format F [-o OUT]`:
// a result file in a format other tools read (the formats are in
// tmpmc/results/export.h).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "commands.h"
#include "tmpmc/results/export.h"
#include "tmpmc/results/result_file.h"

namespace tmpmc::cli {

namespace {

// read_result(path): the parsed document. An unreadable file or one that is
// not JSON is an ExportError naming the path (exit code 2, cli.cpp).
nlohmann::json read_result(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw results::ExportError(path + ": cannot read: " + std::strerror(errno));
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    throw results::ExportError(path + ": not valid JSON: " + e.what());
  }
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
    const nlohmann::json document = read_result(result_file_);
    std::ostringstream text;
    try {
      const nlohmann::json result =
          scenario_.empty() ? document : results::only_scenario(document, scenario_);
      results::export_result(result, *format, text);
    } catch (const results::ExportError& e) {
      throw results::ExportError(result_file_ + ": " + e.what());
    }
    results::write_text_file(output_, text.str());
    return kPass;
  }

 private:
  CLI::App* app_;
  std::string result_file_, format_name_, output_ = "-", scenario_;
};

}  // namespace

std::unique_ptr<Command> add_export(CLI::App& app) { return std::make_unique<Export>(app); }

}  // namespace tmpmc::cli
