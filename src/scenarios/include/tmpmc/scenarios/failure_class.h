// failure_class.h: the classes of a failed run, one enum for every place that
// writes or reads a class's name (stress mode, result/v1, stress/v1, compare).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tmpmc/scenarios/checker.h"

namespace tmpmc::scenarios {

// FailureClass: what broke. A run that broke several rules at once is filed
// under the first of them in this order: a hang first (it is what the user
// sees), then an error, then duplicates (a slot read twice also loses the
// slot it skipped), then the rest.
enum class FailureClass { hang, error, duplicated, phantom, spurious_closed, lost, reordered };

// to_string(): the class's name ("hang", "spurious_closed", ...), as stress
// mode prints it and stress/v1 writes it.
std::string_view to_string(FailureClass failure) noexcept;
// failure_class_from_string(): the class of that name, or nothing.
std::optional<FailureClass> failure_class_from_string(std::string_view name) noexcept;

// The classes a run counts, in the order result/v1 writes their counts
// (error is a message, not a count).
inline constexpr std::array<FailureClass, 6> kCountedFailures = {
    FailureClass::lost,      FailureClass::duplicated, FailureClass::phantom,
    FailureClass::reordered, FailureClass::hang,       FailureClass::spurious_closed};

// count_name(): the key of the class's count in a result/v1 run ("hung" for
// hang: the count is of fibers); empty for error.
std::string_view count_name(FailureClass failure) noexcept;
// count_of(): how many times a run broke the class's rule (0 for error).
std::uint64_t count_of(const CheckResult& check, FailureClass failure) noexcept;

}  // namespace tmpmc::scenarios
