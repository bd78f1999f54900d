// Shared pieces of the libFuzzer targets: the oracle check, byte helpers and a small
// little-endian reader for the fixed prefixes some targets put before the wire bytes.
#ifndef NIPC_FUZZ_SUPPORT_H_
#define NIPC_FUZZ_SUPPORT_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>

#include "nipc/codec/bytes.h"
#include "nipc/codec/errors.h"
#include "nipc/codec/result.h"

// An oracle failure is a finding: print which property broke, then trap so libFuzzer saves
// the input as a crash artifact. Never compiled out.
#define NIPC_FUZZ_CHECK(cond)                                                          \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "fuzz oracle failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      __builtin_trap();                                                                \
    }                                                                                  \
  } while (0)

namespace nipc::fuzz {

/// True when `a` and `b` hold the same bytes.
inline bool same_bytes(ConstBytes a, ConstBytes b) noexcept {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

/// True when every byte of `bytes` is zero.
inline bool all_zero(ConstBytes bytes) noexcept {
  for (std::uint8_t b : bytes)
    if (b != 0) return false;
  return true;
}

/// True when `result` failed with exactly `expected`.
template <class T>
bool failed_with(const Result<T>& result, Error expected) noexcept {
  return !result.ok() && result.error() == expected;
}

/// Reads a fixed-size prefix of the fuzz input (parameters that are not wire bytes). Reads
/// past the end yield zeros, so every input is usable; rest() is what follows the prefix.
class PrefixReader {
 public:
  PrefixReader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  std::uint8_t u8() noexcept { return static_cast<std::uint8_t>(take(1)); }
  std::uint16_t u16() noexcept { return static_cast<std::uint16_t>(take(2)); }
  std::uint32_t u32() noexcept { return static_cast<std::uint32_t>(take(4)); }
  std::uint64_t u64() noexcept { return take(8); }
  ConstBytes rest() const noexcept { return ConstBytes(data_ + pos_, size_ - pos_); }

 private:
  std::uint64_t take(std::size_t n) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (pos_ < size_) v |= static_cast<std::uint64_t>(data_[pos_++]) << (8 * i);
    }
    return v;
  }
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

}  // namespace nipc::fuzz

#endif  // NIPC_FUZZ_SUPPORT_H_
