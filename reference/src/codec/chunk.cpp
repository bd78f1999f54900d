#include "nipc/codec/chunk.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace nipc {
namespace {

constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

// 32 + payload_len: the whole message's length (T), in 64 bits so it cannot wrap.
constexpr std::uint64_t message_length(std::uint32_t payload_len) noexcept {
  return std::uint64_t{kHeaderLen} + payload_len;
}

constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) noexcept {
  return a / b + (a % b != 0 ? 1 : 0);
}

// Continuations after a first packet that carried `first` payload bytes, each carrying at
// most `budget` bytes: ceil((payload_len - first) / budget). The sender (first == budget)
// and the receiver (first = first packet length - 32) share this formula.
constexpr std::uint64_t continuation_count(std::uint64_t payload_len, std::uint64_t first,
                                           std::uint64_t budget) noexcept {
  return ceil_div(payload_len - first, budget);
}

}  // namespace

Result<ChunkHeader> decode_chunk_header(ConstBytes packet) noexcept {
  if (packet.size() < chunk_layout::kSize) return Error::kChunkTruncated;  // CHUNK-LEN-001
  const std::uint8_t* p = packet.data();
  if (load_u32le(p + chunk_layout::kMagic) != kChunkMagic) return Error::kChunkBadMagic;
  if (load_u16le(p + chunk_layout::kVersion) != kEnvelopeVersion) return Error::kChunkBadVersion;
  if (load_u16le(p + chunk_layout::kFlags) != 0) return Error::kChunkNonzeroFlags;

  ChunkHeader c;
  c.message_id = load_u64le(p + chunk_layout::kMessageId);
  c.total_message_len = load_u32le(p + chunk_layout::kTotalMessageLen);
  c.chunk_index = load_u32le(p + chunk_layout::kChunkIndex);
  c.chunk_count = load_u32le(p + chunk_layout::kChunkCount);
  c.chunk_payload_len = load_u32le(p + chunk_layout::kChunkPayloadLen);
  // The header is a prefix: what follows is the chunk's payload, which the Reassembler
  // measures against chunk_payload_len (CHUNK-PLEN-001).
  return c;
}

Result<void> encode_chunk_header(const ChunkHeader& chunk, MutableBytes out) noexcept {
  if (out.size() < chunk_layout::kSize) return Error::kBufferTooSmall;
  std::uint8_t* p = out.data();
  store_u32le(p + chunk_layout::kMagic, kChunkMagic);
  store_u16le(p + chunk_layout::kVersion, kEnvelopeVersion);
  store_u16le(p + chunk_layout::kFlags, 0);
  store_u64le(p + chunk_layout::kMessageId, chunk.message_id);
  store_u32le(p + chunk_layout::kTotalMessageLen, chunk.total_message_len);
  store_u32le(p + chunk_layout::kChunkIndex, chunk.chunk_index);
  store_u32le(p + chunk_layout::kChunkCount, chunk.chunk_count);
  store_u32le(p + chunk_layout::kChunkPayloadLen, chunk.chunk_payload_len);
  return {};
}

std::array<std::uint8_t, chunk_layout::kSize> encode_chunk_header(const ChunkHeader& c) noexcept {
  std::array<std::uint8_t, chunk_layout::kSize> out{};
  (void)encode_chunk_header(c, MutableBytes(out));  // cannot fail: the array is 32 bytes
  return out;
}

Result<ChunkPlan> plan_chunks(std::uint32_t payload_len, std::uint32_t packet_size) noexcept {
  if (packet_size <= kHeaderLen) return Error::kChunkPacketSizeTooSmall;  // CHUNK-SPLIT-002
  ChunkPlan plan;
  plan.budget = packet_size - kHeaderLen;
  // CHUNK-SPLIT-001: T <= P is the same test as payload_len <= budget. With budget >= 1 the
  // count is at most payload_len, so it fits its u32.
  if (payload_len > plan.budget)
    plan.packet_count =
        static_cast<std::uint32_t>(1 + continuation_count(payload_len, plan.budget, plan.budget));
  return plan;
}

Result<std::size_t> write_packet(const Header& header, ConstBytes payload,
                                 std::uint32_t packet_size, std::uint32_t index,
                                 MutableBytes out) noexcept {
  const Result<ChunkPlan> plan = plan_chunks(header.payload_len, packet_size);
  if (!plan) return plan.error();
  if (payload.size() != header.payload_len) return Error::kValueOutOfRange;
  if (index >= plan->packet_count) return Error::kValueOutOfRange;
  const bool chunked = plan->packet_count > 1;
  // CHUNK-SCOPE-001: HELLO and HELLO_ACK always travel whole.
  if (chunked && header.kind == Kind::kControl) return Error::kChunkControlMessage;
  if (chunked && message_length(header.payload_len) > kU32Max) return Error::kValueOutOfRange;

  // Packet 0 carries the first `budget` bytes (or all of them); continuation i the next.
  const std::uint64_t start = std::uint64_t{plan->budget} * index;
  const std::uint64_t len = std::min<std::uint64_t>(plan->budget, header.payload_len - start);
  const std::uint64_t packet_len = chunk_layout::kSize + len;
  if (out.size() < packet_len) return Error::kBufferTooSmall;  // CODEC-ENC-001, nothing written

  if (index == 0) {
    (void)encode_header(header, out);  // cannot fail: out holds packet_len >= 32 bytes
  } else {
    ChunkHeader c;
    c.message_id = header.message_id;
    c.total_message_len = static_cast<std::uint32_t>(message_length(header.payload_len));
    c.chunk_index = index;
    c.chunk_count = plan->packet_count;
    c.chunk_payload_len = static_cast<std::uint32_t>(len);
    (void)encode_chunk_header(c, out);  // cannot fail, as above
  }
  if (len != 0)
    std::memcpy(out.data() + chunk_layout::kSize, payload.data() + start,
                static_cast<std::size_t>(len));
  return static_cast<std::size_t>(packet_len);
}

Result<std::vector<std::vector<std::uint8_t>>> split_message(const Header& header,
                                                             ConstBytes payload,
                                                             std::uint32_t packet_size) {
  const Result<ChunkPlan> plan = plan_chunks(header.payload_len, packet_size);
  if (!plan) return plan.error();
  std::vector<std::vector<std::uint8_t>> packets;
  packets.reserve(plan->packet_count);
  const std::uint64_t largest =
      std::min<std::uint64_t>(packet_size, message_length(header.payload_len));
  for (std::uint32_t i = 0; i < plan->packet_count; ++i) {
    std::vector<std::uint8_t> packet(static_cast<std::size_t>(largest));
    const Result<std::size_t> n = write_packet(header, payload, packet_size, i, packet);
    if (!n) return n.error();
    packet.resize(*n);
    packets.push_back(std::move(packet));
  }
  return packets;
}

std::uint32_t packet_receive_capacity(std::uint32_t packet_size,
                                      const DirectionLimits& limits) noexcept {
  // A message needing more than packet_size is chunked into packets of at most packet_size;
  // a smaller one arrives whole, at most 32 + max_payload_bytes.
  return static_cast<std::uint32_t>(
      std::min<std::uint64_t>(packet_size, message_length(limits.max_payload_bytes)));
}

Reassembler::Reassembler(std::uint32_t packet_size, DirectionLimits limits,
                         MutableBytes payload_buffer) noexcept
    : packet_size_(packet_size), limits_(limits), buffer_(payload_buffer) {}

void Reassembler::reset() noexcept {
  header_ = Header{};
  assembled_ = 0;
  expected_count_ = 0;
  next_index_ = 0;
  active_ = false;
}

Error Reassembler::fail(Error e) noexcept {
  reset();
  return e;
}

Result<Reassembler::Progress> Reassembler::first(ConstBytes packet) noexcept {
  reset();
  const Result<Header> h = decode_header(packet);  // ENV-LEN/MAGIC/VERSION/HDRLEN/KIND
  if (!h) return fail(h.error());
  // ENV-LIMIT-001/002: judged on the header, before any payload byte is taken.
  if (const Result<void> r = check_inbound_limits(*h, limits_); !r) return fail(r.error());
  // The caller promised a buffer for its limits; refuse rather than write past it.
  if (h->payload_len > buffer_.size()) return fail(Error::kBufferTooSmall);

  const std::uint64_t total = message_length(h->payload_len);
  if (packet.size() > total)
    return fail(Error::kPacketLengthMismatch);  // ENV-TRAIL-001
  const ConstBytes carried = packet.subspan(header_layout::kSize);

  std::uint64_t count = 1;
  if (packet.size() < total) {
    // Shorter than the message: the first packet of a chunked message.
    if (h->kind == Kind::kControl) return fail(Error::kChunkControlMessage);  // CHUNK-SCOPE-001
    // The count derivation divides by the budget; CHUNK-SPLIT-002 says there is none.
    if (packet_size_ <= kHeaderLen) return fail(Error::kChunkPacketSizeTooSmall);
    // A chunk that carries nothing is refused for the first packet as for continuations
    // (CHUNK-PLEN-002); it also keeps the derived count below 2^32.
    if (carried.empty()) return fail(Error::kChunkEmpty);
    // CHUNK-COUNT-001: derived from what this packet carried, not from packet_size alone.
    count = 1 + continuation_count(h->payload_len, carried.size(), packet_size_ - kHeaderLen);
  }

  if (!carried.empty()) std::memcpy(buffer_.data(), carried.data(), carried.size());
  header_ = *h;
  assembled_ = carried.size();
  expected_count_ = static_cast<std::uint32_t>(count);
  next_index_ = 1;
  active_ = true;
  return count == 1 ? Progress::kComplete : Progress::kNeedMore;
}

Result<Reassembler::Progress> Reassembler::next(ConstBytes packet) noexcept {
  // No continuation is expected (idle, or the message is complete): no index can match.
  if (!active_ || next_index_ >= expected_count_) return fail(Error::kChunkIndexMismatch);
  const Result<ChunkHeader> c = decode_chunk_header(packet);  // CHUNK-LEN/MAGIC/VERSION/FLAGS
  if (!c) return fail(c.error());
  if (c->message_id != header_.message_id)
    return fail(Error::kChunkMessageIdMismatch);  // CHUNK-MSGID-001, CHUNK-NOINTERLEAVE-001
  if (c->chunk_index != next_index_)
    return fail(Error::kChunkIndexMismatch);  // CHUNK-INDEX-001
  if (c->chunk_count != expected_count_)
    return fail(Error::kChunkCountMismatch);  // CHUNK-COUNT-001
  if (c->total_message_len != message_length(header_.payload_len))
    return fail(Error::kChunkTotalLenMismatch);  // CHUNK-TOTAL-001
  const ConstBytes carried = packet.subspan(chunk_layout::kSize);
  if (c->chunk_payload_len != carried.size())
    return fail(Error::kChunkPayloadLenMismatch);  // CHUNK-PLEN-001
  if (carried.empty()) return fail(Error::kChunkEmpty);  // CHUNK-PLEN-002
  const std::uint64_t assembled = std::uint64_t{assembled_} + carried.size();
  if (assembled > header_.payload_len) return fail(Error::kChunkOverrun);  // CHUNK-OVERRUN-001
  // The counted chunks and the payload end together: neither bytes left over after the last
  // chunk nor a payload completed early with chunks still announced.
  const bool last = next_index_ + 1 == expected_count_;
  if (last != (assembled == header_.payload_len)) return fail(Error::kChunkCountMismatch);

  std::memcpy(buffer_.data() + assembled_, carried.data(), carried.size());
  assembled_ = static_cast<std::size_t>(assembled);
  ++next_index_;
  return last ? Progress::kComplete : Progress::kNeedMore;
}

}  // namespace nipc
