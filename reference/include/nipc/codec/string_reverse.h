// STRING_REVERSE payload (method 3, spec/codecs.md): one string, shared by request and
// response.
#ifndef NIPC_CODEC_STRING_REVERSE_H_
#define NIPC_CODEC_STRING_REVERSE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nipc/codec/bytes.h"
#include "nipc/codec/result.h"

namespace nipc {

/// Byte offsets of the STRING_REVERSE payload. The only place this layout is written down.
namespace string_reverse_layout {
inline constexpr std::size_t kStrOffset = 0;  // u32, where the string starts; writers put 8
inline constexpr std::size_t kStrLength = 4;  // u32, string bytes excluding the NUL
inline constexpr std::size_t kFixedSize = 8;  // the two fields above
inline constexpr std::uint32_t kCanonicalStrOffset = 8;  // the string follows the fields
}  // namespace string_reverse_layout

/// Decodes a STRING_REVERSE payload. Rules, in order: at least 8 bytes (kStringTruncated),
/// str_offset 8 (kStringBadOffset; strict, see CODEC-STR-002), the string and its NUL inside
/// the payload (kStringOutOfBounds), the byte after the string is NUL (kStringMissingNul).
/// On success returns a view of the string bytes (NUL excluded, interior NULs kept) into
/// `payload`: it is valid as long as the caller's bytes are. Bytes after the NUL are ignored.
Result<std::string_view> decode_string_reverse(ConstBytes payload) noexcept;

/// Bytes the encoder writes for a string of `length` bytes: 8 + length + 1 (CODEC-STR-006).
constexpr std::uint64_t string_reverse_encoded_size(std::uint64_t length) noexcept {
  return string_reverse_layout::kFixedSize + length + 1;
}

/// Writes the canonical payload for `text` (string at offset 8, then NUL, no padding) to the
/// start of `out` and returns its length. Fails with kValueOutOfRange when `text` is longer
/// than UINT32_MAX bytes, else with kBufferTooSmall when `out` is too short; on failure
/// nothing meaningful is written.
Result<std::size_t> encode_string_reverse(std::string_view text, MutableBytes out) noexcept;

/// The STRING_REVERSE service's answer (CODEC-STR-005) written as a response payload: the
/// request string's bytes in reverse order, interior NULs included. Same failures as
/// encode_string_reverse. `request` must not overlap `out`.
Result<std::size_t> encode_string_reverse_answer(std::string_view request,
                                                 MutableBytes out) noexcept;

/// The byte-reversed copy of `text` (CODEC-STR-005), for callers that want an owned string.
std::string reverse_string(std::string_view text);

}  // namespace nipc

#endif  // NIPC_CODEC_STRING_REVERSE_H_
