// Helpers shared by the reference's unit and property tests.
#ifndef NIPC_TESTS_SUPPORT_TEST_SUPPORT_H_
#define NIPC_TESTS_SUPPORT_TEST_SUPPORT_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "nipc/codec/errors.h"
#include "nipc/codec/result.h"

/// Names the spec requirement a test exercises. Recorded in the test's XML output and
/// scanned by `./cts spec untested`, which lists requirement IDs no test names.
#define REQUIREMENT(id) ::testing::Test::RecordProperty("requirement", id)

namespace nipc::testing {

using Bytes = std::vector<std::uint8_t>;

/// Parses hex like "43 50 49 4e" or "4350494e" (whitespace ignored). Throws on bad input:
/// test-only code, where a malformed literal is a bug in the test itself.
inline Bytes from_hex(std::string_view hex) {
  Bytes out;
  int hi = -1;
  for (char c : hex) {
    if (c == ' ' || c == '\n' || c == '\t') continue;
    int v;
    if (c >= '0' && c <= '9') v = c - '0';
    else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    else throw std::invalid_argument("bad hex digit");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits");
  return out;
}

/// The error a result holds, or nullopt when it succeeded: lets a test compare the error of
/// an unexpectedly successful result without touching an absent value.
template <class T>
std::optional<Error> error_of(const Result<T>& r) {
  if (r.ok()) return std::nullopt;
  return r.error();
}

/// Lower-case hex of `bytes`, bytes separated by spaces.
inline std::string to_hex(const std::vector<std::uint8_t>& bytes) {
  std::string out;
  char buf[4];
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02x" : "%02x", bytes[i]);
    out += buf;
  }
  return out;
}

}  // namespace nipc::testing

// Prints errors by name in assertion failures.
namespace nipc {
inline void PrintTo(Error e, std::ostream* os) { *os << error_name(e); }
}  // namespace nipc

#endif  // NIPC_TESTS_SUPPORT_TEST_SUPPORT_H_
