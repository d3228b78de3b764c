// text_table.h: the column printer of every table results prints (private to results).
#pragma once

#include <algorithm>
#include <iomanip>
#include <ostream>
#include <string>
#include <vector>

namespace tmpmc::results::detail {

enum class Align { left, right };

// print_columns(out, rows, align): rows in columns two spaces apart (a
// table's header is its first row), left-aligned unless `align` says otherwise.
inline void print_columns(std::ostream& out, const std::vector<std::vector<std::string>>& rows,
                          const std::vector<Align>& align = {}) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    width.resize(std::max(width.size(), row.size()), 0);
    for (std::size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      const bool right = i < align.size() && align[i] == Align::right;
      out << (i ? "  " : "") << (right ? std::right : std::left)
          << std::setw(static_cast<int>(width[i])) << row[i];
    }
    out << "\n";
  }
}

}  // namespace tmpmc::results::detail
