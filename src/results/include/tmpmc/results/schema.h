// schema.h: the ids of the JSON documents tmpmc-bench writes, each in one place.
#pragma once

namespace tmpmc::results {

inline constexpr const char* kResultSchema = "tmpmc-bench/result/v1";  // tmpmc-bench run --json
inline constexpr const char* kStressSchema = "tmpmc-bench/stress/v1";  // tmpmc-bench stress --json
inline constexpr const char* kCompareSchema =
    "tmpmc-bench/compare/v1";  // tmpmc-bench compare --json

}  // namespace tmpmc::results
