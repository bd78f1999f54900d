// Named edits of byte strings, so that a case reads as "the valid base, with this changed":
// each returns a modified copy and never changes the caller's bytes. Offsets come from the
// codec's layout namespaces; an edit outside the bytes is a bug in the generator and aborts.
#ifndef NIPC_TOOLS_NIPC_VECTORS_EDITS_H_
#define NIPC_TOOLS_NIPC_VECTORS_EDITS_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>

#include "common/hex.h"
#include "nipc/codec/bytes.h"

namespace nipc::vectors {

using tools::Bytes;

[[noreturn]] inline void edit_out_of_range(std::size_t offset, std::size_t width, std::size_t size) {
  std::fprintf(stderr, "nipc-vectors: edit of %zu bytes at %zu outside %zu bytes\n", width, offset,
               size);
  std::abort();
}

inline void check_range(const Bytes& b, std::size_t offset, std::size_t width) {
  if (offset > b.size() || b.size() - offset < width) edit_out_of_range(offset, width, b.size());
}

/// `b` with the byte at `offset` replaced.
inline Bytes with_u8(Bytes b, std::size_t offset, std::uint8_t v) {
  check_range(b, offset, 1);
  b[offset] = v;
  return b;
}
/// `b` with the little-endian u16 at `offset` replaced.
inline Bytes with_u16(Bytes b, std::size_t offset, std::uint16_t v) {
  check_range(b, offset, 2);
  store_u16le(b.data() + offset, v);
  return b;
}
/// `b` with the little-endian u32 at `offset` replaced.
inline Bytes with_u32(Bytes b, std::size_t offset, std::uint32_t v) {
  check_range(b, offset, 4);
  store_u32le(b.data() + offset, v);
  return b;
}
/// `b` with the little-endian u64 at `offset` replaced.
inline Bytes with_u64(Bytes b, std::size_t offset, std::uint64_t v) {
  check_range(b, offset, 8);
  store_u64le(b.data() + offset, v);
  return b;
}
/// The first `n` bytes of `b` (a truncation).
inline Bytes first_bytes(const Bytes& b, std::size_t n) {
  check_range(b, 0, n);
  return Bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}
/// `a` followed by `b`.
inline Bytes concat(Bytes a, std::span<const std::uint8_t> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}
/// `n` bytes of value `v`.
inline Bytes filled(std::size_t n, std::uint8_t v) { return Bytes(n, v); }
/// The bytes of `text` (no NUL added).
inline Bytes text_bytes(std::string_view text) { return Bytes(text.begin(), text.end()); }
/// A copy of any byte container (std::array results of the codec's encoders).
inline Bytes to_bytes(std::span<const std::uint8_t> b) { return Bytes(b.begin(), b.end()); }

/// A field of a fixed-size structure, for cases that truncate at every field boundary.
struct FieldStart {
  std::string_view name;  // kebab-case, used in case names
  std::size_t offset;
};

}  // namespace nipc::vectors

#endif  // NIPC_TOOLS_NIPC_VECTORS_EDITS_H_
