// text_table.h: helpers the report and compare share (private to scenarios).
#pragma once

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

namespace tmpmc::scenarios::detail {

// median_of(values): the median (mean of the middle two for an even count); 0 if empty.
inline double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// print_columns(out, rows): rows (the first is the header) left-aligned in
// columns two spaces apart.
inline void print_columns(std::ostream& out, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out << (i ? "  " : "") << std::left << std::setw(static_cast<int>(width[i])) << row[i];
    }
    out << "\n";
  }
}

}  // namespace tmpmc::scenarios::detail
