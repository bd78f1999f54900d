// INCREMENT payload (method 1, spec/codecs.md): one u64, shared by request and response.
#ifndef NIPC_CODEC_INCREMENT_H_
#define NIPC_CODEC_INCREMENT_H_

#include <cstddef>
#include <cstdint>

#include "nipc/codec/bytes.h"
#include "nipc/codec/result.h"

namespace nipc {

/// Byte offsets of the INCREMENT payload. The only place this layout is written down.
namespace increment_layout {
inline constexpr std::size_t kValue = 0;  // u64
inline constexpr std::size_t kSize = 8;
}  // namespace increment_layout

/// Decodes an INCREMENT request or response payload. Fails with kIncrementTruncated when
/// fewer than 8 bytes are given; bytes after the first 8 are ignored (CODEC-INC-001).
Result<std::uint64_t> decode_increment(ConstBytes payload) noexcept;

/// Bytes the encoder writes: always 8.
constexpr std::size_t increment_encoded_size() noexcept { return increment_layout::kSize; }

/// Writes the 8-byte payload for `value` to the start of `out` and returns 8.
/// Fails with kBufferTooSmall, writing nothing, when `out` is shorter than 8 bytes.
Result<std::size_t> encode_increment(std::uint64_t value, MutableBytes out) noexcept;

/// The INCREMENT service's answer (CODEC-INC-002): `value` + 1, wrapping at 2^64.
constexpr std::uint64_t increment_answer(std::uint64_t value) noexcept { return value + 1; }

}  // namespace nipc

#endif  // NIPC_CODEC_INCREMENT_H_
