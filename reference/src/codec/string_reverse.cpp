#include "nipc/codec/string_reverse.h"

#include <algorithm>
#include <limits>

namespace nipc {
namespace {

// Checks that a string of `length` bytes can be written to `out`, and writes the two fixed
// fields. The caller then writes the string bytes at kCanonicalStrOffset and the NUL.
Result<std::size_t> begin_string(std::size_t length, MutableBytes out) noexcept {
  if (length > std::numeric_limits<std::uint32_t>::max()) return Error::kValueOutOfRange;
  // out.size() >= 9 is checked first so `out.size() - 9` below cannot wrap.
  constexpr std::size_t kOverhead = string_reverse_layout::kFixedSize + 1;
  if (out.size() < kOverhead || out.size() - kOverhead < length) return Error::kBufferTooSmall;
  std::uint8_t* p = out.data();
  store_u32le(p + string_reverse_layout::kStrOffset, string_reverse_layout::kCanonicalStrOffset);
  store_u32le(p + string_reverse_layout::kStrLength, static_cast<std::uint32_t>(length));
  p[string_reverse_layout::kCanonicalStrOffset + length] = 0;
  return string_reverse_layout::kCanonicalStrOffset + length + 1;  // CODEC-STR-006: no pad
}

}  // namespace

Result<std::string_view> decode_string_reverse(ConstBytes payload) noexcept {
  ByteReader reader(payload);
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
  if (!reader.get_u32(&offset) || !reader.get_u32(&length)) {
    return Error::kStringTruncated;  // CODEC-STR-001
  }
  if (offset != string_reverse_layout::kCanonicalStrOffset) {
    return Error::kStringBadOffset;  // CODEC-STR-002 (a SHOULD; the reference is strict)
  }
  const std::uint64_t end = std::uint64_t{offset} + length;  // 64-bit: cannot wrap
  if (end + 1 > payload.size()) return Error::kStringOutOfBounds;  // CODEC-STR-003
  if (payload[end] != 0) return Error::kStringMissingNul;         // CODEC-STR-004
  // Interior NULs are part of the string; bytes after the NUL are ignored
  // (spec/codecs.md: receivers accept what follows the terminator).
  return std::string_view(reinterpret_cast<const char*>(payload.data() + offset), length);
}

Result<std::size_t> encode_string_reverse(std::string_view text, MutableBytes out) noexcept {
  Result<std::size_t> written = begin_string(text.size(), out);
  if (!written) return written;
  if (!text.empty()) {
    std::memcpy(out.data() + string_reverse_layout::kCanonicalStrOffset, text.data(),
                text.size());
  }
  return written;
}

Result<std::size_t> encode_string_reverse_answer(std::string_view request,
                                                 MutableBytes out) noexcept {
  Result<std::size_t> written = begin_string(request.size(), out);
  if (!written) return written;
  char* dst = reinterpret_cast<char*>(out.data() + string_reverse_layout::kCanonicalStrOffset);
  std::reverse_copy(request.begin(), request.end(), dst);
  return written;
}

std::string reverse_string(std::string_view text) {
  return std::string(text.rbegin(), text.rend());
}

}  // namespace nipc
