// HELLO (44 bytes) and HELLO_ACK (48 bytes) payloads (spec/handshake.md).
#ifndef NIPC_CODEC_HELLO_H_
#define NIPC_CODEC_HELLO_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "nipc/codec/bytes.h"
#include "nipc/codec/result.h"

namespace nipc {

/// Byte offsets of the HELLO payload fields.
namespace hello_layout {
inline constexpr std::size_t kLayoutVersion = 0;            // u16
inline constexpr std::size_t kFlags = 2;                    // u16
inline constexpr std::size_t kSupportedProfiles = 4;        // u32
inline constexpr std::size_t kPreferredProfiles = 8;        // u32
inline constexpr std::size_t kMaxRequestPayloadBytes = 12;  // u32
inline constexpr std::size_t kMaxRequestBatchItems = 16;    // u32
inline constexpr std::size_t kMaxResponsePayloadBytes = 20; // u32, a hint the server ignores
inline constexpr std::size_t kMaxResponseBatchItems = 24;   // u32
inline constexpr std::size_t kReserved = 28;                // u32, zero
inline constexpr std::size_t kAuthToken = 32;               // u64
inline constexpr std::size_t kPacketSize = 40;              // u32
inline constexpr std::size_t kSize = 44;
}  // namespace hello_layout

/// Byte offsets of the HELLO_ACK payload fields.
namespace ack_layout {
inline constexpr std::size_t kLayoutVersion = 0;                   // u16
inline constexpr std::size_t kFlags = 2;                           // u16
inline constexpr std::size_t kServerSupportedProfiles = 4;         // u32
inline constexpr std::size_t kIntersectionProfiles = 8;            // u32
inline constexpr std::size_t kSelectedProfile = 12;                // u32
inline constexpr std::size_t kAgreedMaxRequestPayloadBytes = 16;   // u32
inline constexpr std::size_t kAgreedMaxRequestBatchItems = 20;     // u32
inline constexpr std::size_t kAgreedMaxResponsePayloadBytes = 24;  // u32
inline constexpr std::size_t kAgreedMaxResponseBatchItems = 28;    // u32
inline constexpr std::size_t kAgreedPacketSize = 32;               // u32
inline constexpr std::size_t kReserved = 36;                       // u32, zero
inline constexpr std::size_t kSessionId = 40;                      // u64
inline constexpr std::size_t kSize = 48;
}  // namespace ack_layout

/// A HELLO as the client proposes it. Layout version, flags and reserved are implied: the
/// encoder writes 1, 0, 0 and a decoded Hello had exactly those.
struct Hello {
  std::uint32_t supported_profiles = 0;
  std::uint32_t preferred_profiles = 0;
  std::uint32_t max_request_payload_bytes = 0;
  std::uint32_t max_request_batch_items = 0;
  std::uint32_t max_response_payload_bytes = 0;
  std::uint32_t max_response_batch_items = 0;
  std::uint64_t auth_token = 0;
  std::uint32_t packet_size = 0;
  friend bool operator==(const Hello&, const Hello&) = default;
};

/// A HELLO_ACK payload. A rejection carries every field 0 (the status is in the header).
struct HelloAck {
  std::uint32_t server_supported_profiles = 0;
  std::uint32_t intersection_profiles = 0;
  std::uint32_t selected_profile = 0;
  std::uint32_t agreed_max_request_payload_bytes = 0;
  std::uint32_t agreed_max_request_batch_items = 0;
  std::uint32_t agreed_max_response_payload_bytes = 0;
  std::uint32_t agreed_max_response_batch_items = 0;
  std::uint32_t agreed_packet_size = 0;
  std::uint64_t session_id = 0;
  friend bool operator==(const HelloAck&, const HelloAck&) = default;
};

/// Decodes a HELLO payload at the cursor. Rules in this order, the first failure being the
/// error: 44 bytes remain (kHelloTruncated), layout_version 1 (kHelloBadLayout), flags 0
/// (kHelloNonzeroFlags), reserved 0 (kHelloNonzeroReserved). On success consumes exactly 44
/// bytes; whatever follows is ignored by the protocol (HS-HELLO-LEN-001) and left to the
/// caller. On failure consumes nothing. The Hello copies every field: it does not refer to
/// the input bytes.
Result<Hello> decode_hello(ByteReader* reader) noexcept;

/// Decodes the HELLO at the start of `payload` (same rules; bytes after the 44 are ignored).
Result<Hello> decode_hello(ConstBytes payload) noexcept;

/// Writes the 44-byte HELLO payload (layout_version 1, flags 0, reserved 0, then the fields
/// of `hello` as given) to the start of `out`; kBufferTooSmall (nothing written) if short.
Result<void> encode_hello(const Hello& hello, MutableBytes out) noexcept;
std::array<std::uint8_t, hello_layout::kSize> encode_hello(const Hello& hello) noexcept;

/// Decodes a HELLO_ACK payload at the cursor. Rules in this order, the first failure being
/// the error: 48 bytes remain (kAckTruncated), layout_version 1 (kAckBadLayout), flags 0
/// (kAckNonzeroFlags), reserved 0 (kAckNonzeroReserved). On success consumes exactly 48
/// bytes (what follows is ignored and left to the caller); on failure consumes nothing.
Result<HelloAck> decode_hello_ack(ByteReader* reader) noexcept;

/// Decodes the HELLO_ACK at the start of `payload` (same rules; bytes after the 48 are
/// ignored).
Result<HelloAck> decode_hello_ack(ConstBytes payload) noexcept;

/// Writes the 48-byte HELLO_ACK payload (layout_version 1, flags 0, reserved 0, then the
/// fields of `ack` as given) to the start of `out`; kBufferTooSmall (nothing written) if
/// short.
Result<void> encode_hello_ack(const HelloAck& ack, MutableBytes out) noexcept;
std::array<std::uint8_t, ack_layout::kSize> encode_hello_ack(const HelloAck& ack) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_HELLO_H_
