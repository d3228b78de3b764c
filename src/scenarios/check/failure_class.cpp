// failure_class.cpp: each failure class's names and count, and a stop's class.
#include "tmpmc/scenarios/failure_class.h"

namespace tmpmc::scenarios {

namespace {
struct Names {
  FailureClass failure;
  std::string_view name, count;
};
constexpr std::array<Names, 13> kNames = {
    {{FailureClass::diverged, "diverged", ""},
     {FailureClass::livelock, "livelock", ""},
     {FailureClass::runaway, "runaway", ""},
     {FailureClass::hang, "hang", "hung"},
     {FailureClass::error, "error", ""},
     {FailureClass::duplicated, "duplicated", "duplicated"},
     {FailureClass::phantom, "phantom", "phantom"},
     {FailureClass::spurious_closed, "spurious_closed", "spurious_closed"},
     {FailureClass::lost, "lost", "lost"},
     {FailureClass::reordered, "reordered", "reordered"},
     {FailureClass::no_progress, "no_progress", ""},
     {FailureClass::not_linearizable, "not_linearizable", ""},
     {FailureClass::undecided, "undecided", ""}}};
const Names& names_of(FailureClass failure) noexcept {
  return kNames[static_cast<std::size_t>(failure)];  // kNames is in declaration order
}
}  // namespace

std::string_view to_string(FailureClass failure) noexcept { return names_of(failure).name; }

std::optional<FailureClass> failure_class_from_string(std::string_view name) noexcept {
  for (const Names& n : kNames) {
    if (n.name == name) return n.failure;
  }
  return std::nullopt;
}

std::string_view count_name(FailureClass failure) noexcept { return names_of(failure).count; }

std::uint64_t count_of(const CheckResult& check, FailureClass failure) noexcept {
  switch (failure) {
    case FailureClass::hang:
      return check.hung;
    case FailureClass::diverged:
    case FailureClass::livelock:
    case FailureClass::runaway:
    case FailureClass::error:
    case FailureClass::no_progress:
    case FailureClass::not_linearizable:
    case FailureClass::undecided:
      return 0;
    case FailureClass::duplicated:
      return check.duplicated;
    case FailureClass::phantom:
      return check.phantom;
    case FailureClass::spurious_closed:
      return check.spurious_closed;
    case FailureClass::lost:
      return check.lost;
    case FailureClass::reordered:
      return check.reordered;
  }
  return 0;
}

std::optional<FailureClass> stop_class(runtime::StopKind stop) noexcept {
  switch (stop) {
    case runtime::StopKind::livelock:
      return FailureClass::livelock;
    case runtime::StopKind::runaway:
      return FailureClass::runaway;
    case runtime::StopKind::diverged:
      return FailureClass::diverged;
    case runtime::StopKind::interrupted:
      break;
  }
  return std::nullopt;
}

std::string_view stop_name(runtime::StopKind stop) noexcept {
  const auto failure = stop_class(stop);
  return failure ? to_string(*failure) : "interrupted";
}

}  // namespace tmpmc::scenarios
