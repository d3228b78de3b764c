// formats.h: one writer per export format, each in its own file (private to
// export). Each takes a checked result/v1 document; export.cpp dispatches.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

namespace tmpmc::results::detail {

void write_gbench(const nlohmann::json& result, std::ostream& out);    // gbench.cpp
void write_csv(const nlohmann::json& result, std::ostream& out);       // csv.cpp
void write_markdown(const nlohmann::json& result, std::ostream& out);  // markdown.cpp
void write_junit(const nlohmann::json& result, std::ostream& out);     // junit.cpp
void write_hgrm(const nlohmann::json& result, std::ostream& out);      // hgrm.cpp

}  // namespace tmpmc::results::detail
