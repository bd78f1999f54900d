// Chunking of large messages over packet transports (spec/chunking.md): the 32-byte
// continuation header, the sender's split and the receiver's reassembly, as pure functions.
#ifndef NIPC_CODEC_CHUNK_H_
#define NIPC_CODEC_CHUNK_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "nipc/codec/bytes.h"
#include "nipc/codec/envelope.h"
#include "nipc/codec/header.h"
#include "nipc/codec/result.h"

namespace nipc {

/// Byte offsets of the continuation chunk header (note: not the outer header's order).
namespace chunk_layout {
inline constexpr std::size_t kMagic = 0;            // u32
inline constexpr std::size_t kVersion = 4;          // u16
inline constexpr std::size_t kFlags = 6;            // u16, zero
inline constexpr std::size_t kMessageId = 8;        // u64
inline constexpr std::size_t kTotalMessageLen = 16; // u32, 32 + payload_len
inline constexpr std::size_t kChunkIndex = 20;      // u32, 1 .. count-1
inline constexpr std::size_t kChunkCount = 24;      // u32, including the first packet
inline constexpr std::size_t kChunkPayloadLen = 28; // u32, bytes after this header
inline constexpr std::size_t kSize = 32;
}  // namespace chunk_layout

/// A decoded continuation header. Magic, version and flags are implied.
struct ChunkHeader {
  std::uint64_t message_id = 0;
  std::uint32_t total_message_len = 0;
  std::uint32_t chunk_index = 0;
  std::uint32_t chunk_count = 0;
  std::uint32_t chunk_payload_len = 0;
  friend bool operator==(const ChunkHeader&, const ChunkHeader&) = default;
};

/// Decodes a continuation header at the start of `packet`: 32 bytes (kChunkTruncated),
/// magic (kChunkBadMagic), version (kChunkBadVersion), flags 0 (kChunkNonzeroFlags).
/// Consistency with the message is the Reassembler's job.
Result<ChunkHeader> decode_chunk_header(ConstBytes packet) noexcept;

Result<void> encode_chunk_header(const ChunkHeader& chunk, MutableBytes out) noexcept;
std::array<std::uint8_t, chunk_layout::kSize> encode_chunk_header(const ChunkHeader& c) noexcept;

/// How a logical message of `payload_len` bytes travels in packets of `packet_size`.
struct ChunkPlan {
  std::uint32_t packet_count = 1;  // 1: no chunking
  std::uint32_t budget = 0;        // payload bytes per packet: packet_size - 32
  friend bool operator==(const ChunkPlan&, const ChunkPlan&) = default;
};

/// Plans the split (CHUNK-SPLIT-001). kChunkPacketSizeTooSmall when packet_size <= 32.
Result<ChunkPlan> plan_chunks(std::uint32_t payload_len, std::uint32_t packet_size) noexcept;

/// Writes packet `index` (0 = the first, carrying the outer header) of the message
/// `header` + `payload` into `out`, returning its length. `header.payload_len` must equal
/// payload.size(). Fails with kBufferTooSmall (out too short), kBatchIndexOutOfRange
/// (index >= packet count) or kChunkPacketSizeTooSmall.
Result<std::size_t> write_packet(const Header& header, ConstBytes payload,
                                 std::uint32_t packet_size, std::uint32_t index,
                                 MutableBytes out) noexcept;

/// All packets of a message (allocates; for tools and tests).
std::vector<std::vector<std::uint8_t>> split_message(const Header& header, ConstBytes payload,
                                                     std::uint32_t packet_size);

/// Receiver state machine for one logical message (CHUNK-*). The caller owns the payload
/// buffer; the reassembler copies payload bytes into it and never allocates.
class Reassembler {
 public:
  enum class Progress { kComplete, kNeedMore };

  /// `packet_size` is the session's agreed packet size; `limits` the receiver direction's
  /// negotiated limits; `payload_buffer` must hold the largest payload `limits` allows.
  Reassembler(std::uint32_t packet_size, DirectionLimits limits,
              MutableBytes payload_buffer) noexcept;

  /// Starts a message from its first packet: header decode, inbound limits
  /// (ENV-LIMIT-001/002), single-packet length (kPacketLengthMismatch, ENV-TRAIL-001), and
  /// buffer capacity (kBufferTooSmall). Any error leaves the reassembler idle.
  Result<Progress> first(ConstBytes packet) noexcept;

  /// Adds a continuation packet; every mismatch is its own error (CHUNK-*). Any error
  /// leaves the reassembler idle: the session is dead.
  Result<Progress> next(ConstBytes packet) noexcept;

  /// The message's header; valid after first() succeeded.
  const Header& header() const noexcept { return header_; }
  /// The payload assembled so far (the whole payload once complete).
  ConstBytes payload() const noexcept { return ConstBytes(buffer_.data(), assembled_); }
  /// Number of continuation packets still expected.
  std::uint32_t remaining_packets() const noexcept { return expected_count_ - next_index_; }

 private:
  std::uint32_t packet_size_;
  DirectionLimits limits_;
  MutableBytes buffer_;
  Header header_{};
  std::size_t assembled_ = 0;
  std::uint32_t expected_count_ = 0;
  std::uint32_t next_index_ = 0;
  bool active_ = false;
};

}  // namespace nipc

#endif  // NIPC_CODEC_CHUNK_H_
