// config_key.h: Key, one row of the config schema (config_schema.cpp): a
// key's name, the ScenarioConfig member it fills, its range, whether a sweep
// may vary it and when to_json() writes it. The row serves the three uses of
// a key: reading it, the unknown-key check, and serialization. How a key is
// read and written follows from its member's type.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "config/config_reader.h"
#include "tmpmc/scenarios/config.h"

namespace tmpmc::scenarios::schema {

enum class Sweep : bool { no, yes };

struct Key {
  using ReadFn = void (*)(Reader& section, const Key& key, ScenarioConfig& c);
  using WriteFn = void (*)(const ScenarioConfig& c, const Key& key, nlohmann::json& section);

  std::string_view name;  // within its section
  Sweep sweep = Sweep::no;
  std::uint64_t min = 0, max = 0;  // integers: from min to max; numbers: >= min
  ReadFn read = nullptr;
  WriteFn write = nullptr;                           // nullptr: never written
  bool (*written)(const ScenarioConfig&) = nullptr;  // nullptr: always (when write is set)

  // read_with(): the key read by a function of its own (which may still call
  // the member's read, read_member below).
  constexpr Key read_with(ReadFn f) const {
    Key k = *this;
    k.read = f;
    return k;
  }
  // written_when(): to_json() writes the key only when `f` holds.
  constexpr Key written_when(bool (*f)(const ScenarioConfig&)) const {
    Key k = *this;
    k.written = f;
    return k;
  }
  // never_written(): a key the parser consumes but to_json() leaves out.
  constexpr Key never_written() const {
    Key k = *this;
    k.write = nullptr;
    return k;
  }
};

// member<Path...>(c): the member a path of member pointers leads to, e.g.
// member<&ScenarioConfig::producers, &ProducersConfig::count>(c).
template <auto... Path, class Config>
constexpr auto& member(Config& c) {
  return (c.*....*Path);
}

// read_member(): reads a key into its member, by the member's type. An
// optional member is set only when the key is present.
template <auto... Path>
void read_member(Reader& r, const Key& k, ScenarioConfig& c) {
  auto& out = member<Path...>(c);
  using T = std::remove_cvref_t<decltype(out)>;
  const std::string name(k.name);
  if constexpr (std::is_same_v<T, bool>) {
    r.boolean(name, out);
  } else if constexpr (std::is_same_v<T, double>) {
    r.number(name, out, static_cast<double>(k.min));
  } else if constexpr (std::is_same_v<T, std::string>) {
    r.string(name, out);
  } else if constexpr (std::is_same_v<T, std::optional<std::uint64_t>>) {
    if (!r.has(name)) return;
    std::uint64_t value = 0;
    r.integer(name, value, k.min, k.max);
    out = value;
  } else {
    static_assert(std::is_integral_v<T>, "a key's member is a number, a string or a bool");
    r.integer(name, out, k.min, k.max);
  }
}

// write_member(): the member into its section of the resolved JSON, as its
// own type (an enum by its name; an empty optional not at all).
template <auto... Path>
void write_member(const ScenarioConfig& c, const Key& k, nlohmann::json& section) {
  const auto& value = member<Path...>(c);
  using T = std::remove_cvref_t<decltype(value)>;
  const std::string name(k.name);
  if constexpr (std::is_enum_v<T>) {
    section[name] = to_string(value);
  } else if constexpr (std::is_same_v<T, std::optional<std::uint64_t>>) {
    if (value) section[name] = *value;
  } else {
    section[name] = value;
  }
}

// The rows, by the type of value the key takes. Each checks that its member
// has that type.
template <auto... Path>
constexpr Key integer(std::string_view name, std::uint64_t min, std::uint64_t max, Sweep sweep) {
  using T = std::remove_cvref_t<decltype(member<Path...>(std::declval<ScenarioConfig&>()))>;
  static_assert(std::is_integral_v<T> || std::is_same_v<T, std::optional<std::uint64_t>>);
  return Key{name, sweep, min, max, &read_member<Path...>, &write_member<Path...>};
}
template <auto... Path>
constexpr Key number(std::string_view name, std::uint64_t min, Sweep sweep) {
  static_assert(
      std::is_same_v<
          std::remove_cvref_t<decltype(member<Path...>(std::declval<ScenarioConfig&>()))>, double>);
  return Key{name, sweep, min, 0, &read_member<Path...>, &write_member<Path...>};
}
template <auto... Path>
constexpr Key boolean(std::string_view name, Sweep sweep) {
  static_assert(
      std::is_same_v<
          std::remove_cvref_t<decltype(member<Path...>(std::declval<ScenarioConfig&>()))>, bool>);
  return Key{name, sweep, 0, 0, &read_member<Path...>, &write_member<Path...>};
}
// text(): a string; choice(): one of named values, read by `read`.
template <auto... Path>
constexpr Key text(std::string_view name, Sweep sweep) {
  static_assert(std::is_same_v<
                std::remove_cvref_t<decltype(member<Path...>(std::declval<ScenarioConfig&>()))>,
                std::string>);
  return Key{name, sweep, 0, 0, &read_member<Path...>, &write_member<Path...>};
}
template <auto... Path>
constexpr Key choice(std::string_view name, Sweep sweep, Key::ReadFn read) {
  return Key{name, sweep, 0, 0, read, &write_member<Path...>};
}

}  // namespace tmpmc::scenarios::schema
