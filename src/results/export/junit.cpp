// junit.cpp: JUnit XML (the schema Jenkins, GitLab and GitHub test reporters
// read): one test suite for the file, one test case per scenario, its time
// the sum of its measured runs. A scenario that failed a check or an
// expectation is a <failure> whose message lists the checker's failures; an
// interrupted one is <skipped>.
#include <cstdio>

#include "formats.h"
#include "result_fields.h"
#include "scenario_row.h"

namespace tmpmc::results::detail {

namespace {

// xml(text): text safe in an attribute or element. Control characters other
// than tab and line breaks are not allowed in XML 1.0 at all: they become '?'.
std::string xml(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      case '\t':
      case '\n':
      case '\r':
        out += c;
        break;
      default:
        out += static_cast<unsigned char>(c) < 0x20 ? '?' : c;
    }
  }
  return out;
}

std::string seconds(double s) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", s);
  return text;
}

struct TestCase {
  std::string name, impl, verdict;
  double time_s = 0;
  std::vector<std::string> failures;
};

TestCase test_case(const Located& scenario) {
  TestCase c;
  c.name = scenario.text("name");
  c.impl = impl_of(scenario);
  c.verdict = scenario.text("verdict");
  for (const auto& run : scenario.elements("runs")) c.time_s += run.number_or("elapsed_s", 0);
  for (const auto& failure : scenario.elements("failures")) {
    if (!failure.node.is_string()) throw ExportError(failure.place + ": expected a string");
    c.failures.push_back(failure.node.get<std::string>());
  }
  return c;
}

}  // namespace

void write_junit(const nlohmann::json& result, std::ostream& out) {
  std::vector<TestCase> cases;
  for (const auto& scenario : scenarios_of(result)) cases.push_back(test_case(scenario));
  std::size_t failed = 0, skipped = 0;
  double time_s = 0;
  for (const auto& c : cases) {
    failed += c.verdict != "pass" && c.verdict != "interrupted";
    skipped += c.verdict == "interrupted";
    time_s += c.time_s;
  }
  const Located doc{result, ""};
  const std::string counts = "tests=\"" + std::to_string(cases.size()) + "\" failures=\"" +
                             std::to_string(failed) + "\" errors=\"0\" skipped=\"" +
                             std::to_string(skipped) + "\" time=\"" + seconds(time_s) + "\"";
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<testsuites name=\"tmpmc-bench\" " << counts << ">\n"
      << "  <testsuite name=\"tmpmc-bench\" " << counts << " timestamp=\""
      << xml(doc.text("started_at")) << "\">\n"
      << "    <properties>\n"
      << "      <property name=\"tmpmc.version\" value=\"" << xml(doc.text("tool.version"))
      << "\"/>\n"
      << "      <property name=\"tmpmc.git\" value=\"" << xml(doc.text("tool.git")) << "\"/>\n"
      << "      <property name=\"tmpmc.build\" value=\"" << xml(doc.text("tool.build")) << "\"/>\n"
      << "    </properties>\n";
  for (const auto& c : cases) {
    out << "    <testcase classname=\"tmpmc-bench." << xml(c.impl) << "\" name=\"" << xml(c.name)
        << "\" time=\"" << seconds(c.time_s) << "\"";
    if (c.verdict == "pass") {
      out << "/>\n";
      continue;
    }
    out << ">\n";
    if (c.verdict == "interrupted") {
      out << "      <skipped message=\"interrupted\"/>\n";
    } else {
      std::string message, body;
      for (const auto& f : c.failures) {
        message += (message.empty() ? "" : "; ") + f;
        body += f + "\n";
      }
      if (message.empty()) message = "verdict: " + c.verdict;
      out << "      <failure message=\"" << xml(message) << "\" type=\"check\">" << xml(body)
          << "</failure>\n";
    }
    out << "    </testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

}  // namespace tmpmc::results::detail
