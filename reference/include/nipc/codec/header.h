// The 32-byte outer message header (spec/envelope.md).
#ifndef NIPC_CODEC_HEADER_H_
#define NIPC_CODEC_HEADER_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "nipc/codec/bytes.h"
#include "nipc/codec/constants.h"
#include "nipc/codec/result.h"

namespace nipc {

/// Byte offsets of the outer header fields. The only place this layout is written down.
namespace header_layout {
inline constexpr std::size_t kMagic = 0;             // u32
inline constexpr std::size_t kVersion = 4;           // u16
inline constexpr std::size_t kHeaderLen = 6;         // u16
inline constexpr std::size_t kKind = 8;              // u16
inline constexpr std::size_t kFlags = 10;            // u16
inline constexpr std::size_t kCode = 12;             // u16
inline constexpr std::size_t kTransportStatus = 14;  // u16
inline constexpr std::size_t kPayloadLen = 16;       // u32
inline constexpr std::size_t kItemCount = 20;        // u32
inline constexpr std::size_t kMessageId = 24;        // u64
inline constexpr std::size_t kSize = 32;
}  // namespace header_layout

/// A decoded outer header. Magic, version and header_len are implied: a Header only exists
/// once they were valid, and the encoder always writes the valid values.
struct Header {
  Kind kind = Kind::kRequest;
  std::uint16_t flags = 0;
  std::uint16_t code = 0;
  /// Raw u16: a receiver may meet values outside TransportStatus and must handle them.
  std::uint16_t transport_status = 0;
  std::uint32_t payload_len = 0;
  std::uint32_t item_count = 1;
  std::uint64_t message_id = 0;

  bool is_batch() const noexcept { return (flags & kFlagBatch) != 0; }
  friend bool operator==(const Header&, const Header&) = default;
};

/// Decodes the outer header at the cursor. Checks, in this order (ENV-ORDER-001): 32 bytes
/// remain, magic, version, header_len, kind; the first failing rule is the error. flags, code
/// and transport_status are not judged here. On success consumes exactly 32 bytes; the bytes
/// after it (the payload) are the caller's. On failure consumes nothing.
Result<Header> decode_header(ByteReader* reader) noexcept;

/// Decodes the outer header at the start of `packet` (the rest of `packet` is ignored).
Result<Header> decode_header(ConstBytes packet) noexcept;

/// Writes the 32-byte header for `header` to the start of `out`.
/// Fails with kBufferTooSmall (writing nothing) when `out` has fewer than 32 bytes.
Result<void> encode_header(const Header& header, MutableBytes out) noexcept;

/// Returns the 32 encoded bytes of `header`.
std::array<std::uint8_t, header_layout::kSize> encode_header(const Header& header) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_HEADER_H_
