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

/// Decodes a continuation header at the start of `packet`, checking in this order: 32 bytes
/// (kChunkTruncated), magic (kChunkBadMagic), version (kChunkBadVersion), flags 0
/// (kChunkNonzeroFlags). The bytes after the header are the chunk's payload and are not
/// looked at; consistency with the message is the Reassembler's job.
Result<ChunkHeader> decode_chunk_header(ConstBytes packet) noexcept;

/// Writes the 32-byte continuation header (magic, version 1, flags 0, then `chunk`) to the
/// start of `out`. Fails with kBufferTooSmall (writing nothing) when `out` is shorter.
Result<void> encode_chunk_header(const ChunkHeader& chunk, MutableBytes out) noexcept;
/// Returns the 32 encoded bytes of `c`.
std::array<std::uint8_t, chunk_layout::kSize> encode_chunk_header(const ChunkHeader& c) noexcept;

/// How a logical message of `payload_len` bytes travels in packets of `packet_size`.
struct ChunkPlan {
  std::uint32_t packet_count = 1;  // 1: no chunking
  std::uint32_t budget = 0;        // payload bytes per packet: packet_size - 32
  friend bool operator==(const ChunkPlan&, const ChunkPlan&) = default;
};

/// Plans the split (CHUNK-SPLIT-001): one packet when 32 + payload_len <= packet_size,
/// else 1 + ceil((payload_len - budget) / budget) packets. Fails with
/// kChunkPacketSizeTooSmall when packet_size <= 32 (CHUNK-SPLIT-002).
Result<ChunkPlan> plan_chunks(std::uint32_t payload_len, std::uint32_t packet_size) noexcept;

/// Writes packet `index` (0 = the first, carrying the outer header) of the message
/// `header` + `payload` into `out`, returning its length: 32 + payload_len for an unchunked
/// message; for a chunked one exactly packet_size for packet 0, and a continuation header
/// plus the next min(remaining, budget) bytes after that. Checks, writing nothing on
/// failure: packet_size (kChunkPacketSizeTooSmall); caller errors (kValueOutOfRange:
/// header.payload_len differs from payload.size(), index is not below the packet count, or
/// a chunked message whose total_message_len 32 + payload_len does not fit its u32 field);
/// a CONTROL message that would need more than one packet (kChunkControlMessage,
/// CHUNK-SCOPE-001); then `out` shorter than the packet (kBufferTooSmall).
Result<std::size_t> write_packet(const Header& header, ConstBytes payload,
                                 std::uint32_t packet_size, std::uint32_t index,
                                 MutableBytes out) noexcept;

/// All packets of a message, in sending order (allocates; for tools and tests). Fails with
/// write_packet's errors.
Result<std::vector<std::vector<std::uint8_t>>> split_message(const Header& header,
                                                             ConstBytes payload,
                                                             std::uint32_t packet_size);

/// The receive buffer a packet transport needs (CHUNK-RECVBUF-001):
/// min(packet_size, 32 + limits.max_payload_bytes). Every packet of a message within
/// `limits` fits in it, so a read of this size never truncates a legal packet.
std::uint32_t packet_receive_capacity(std::uint32_t packet_size,
                                      const DirectionLimits& limits) noexcept;

/// Receiver state machine for one logical message (CHUNK-*). The caller owns the payload
/// buffer; the reassembler copies payload bytes into it and never allocates. It reads only
/// the packets it is given and never past their ends.
///
/// Use: first() on the first packet of each message; while remaining_packets() > 0, next()
/// on each following packet. Any error leaves the reassembler idle (remaining_packets() 0,
/// empty payload): on a session that error is fatal (SESS-DEAD-001).
class Reassembler {
 public:
  enum class Progress { kComplete, kNeedMore };

  /// `packet_size` is the session's agreed packet size; `limits` the receiver direction's
  /// negotiated limits; `payload_buffer` must hold the largest payload `limits` allows and
  /// must outlive the reassembler.
  Reassembler(std::uint32_t packet_size, DirectionLimits limits,
              MutableBytes payload_buffer) noexcept;

  /// Starts a message from its first packet, abandoning any message in progress. Checks in
  /// order: header decode (ENV-LEN/MAGIC/VERSION/HDRLEN/KIND), inbound limits (ENV-LIMIT-001
  /// then 002), payload_len within the caller's buffer (kBufferTooSmall), packet not longer
  /// than 32 + payload_len (kPacketLengthMismatch, ENV-TRAIL-001). A packet of exactly that
  /// length completes the message. A shorter one starts a chunked message: a CONTROL message
  /// is refused (kChunkControlMessage, CHUNK-SCOPE-001), packet_size must exceed 32
  /// (kChunkPacketSizeTooSmall), the packet must carry payload (kChunkEmpty), and the
  /// continuation count is derived from its length (CHUNK-COUNT-001).
  ///
  /// Kind (SESS-KIND-001) and a client's in-flight message_id (SESS-MSGID-002) are the
  /// session's to judge, and the receive sequence puts kind before the limits and message_id
  /// before completion. A session therefore decodes the header itself, checks kind, limits
  /// and message_id in that order, then calls first(), whose repeated decode and limit
  /// checks pass.
  Result<Progress> first(ConstBytes packet) noexcept;

  /// Adds a continuation packet, checking in order: a continuation is expected
  /// (kChunkIndexMismatch otherwise), header decode (CHUNK-LEN/MAGIC/VERSION/FLAGS-001),
  /// message_id, chunk_index, chunk_count, total_message_len, chunk_payload_len equal to the
  /// packet's payload bytes, non-zero, no overrun of payload_len; finally the payload must be
  /// complete exactly with the last counted chunk (kChunkCountMismatch otherwise).
  Result<Progress> next(ConstBytes packet) noexcept;

  /// The message's header; valid after first() succeeded.
  const Header& header() const noexcept { return header_; }
  /// The payload assembled so far (the whole payload once complete).
  ConstBytes payload() const noexcept { return ConstBytes(buffer_.data(), assembled_); }
  /// Number of continuation packets still expected; 0 when idle or complete.
  std::uint32_t remaining_packets() const noexcept { return expected_count_ - next_index_; }

 private:
  void reset() noexcept;
  /// Resets to idle and returns `e`: every error ends the message.
  Error fail(Error e) noexcept;

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
