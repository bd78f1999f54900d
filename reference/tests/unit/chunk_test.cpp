// Chunking (spec/chunking.md): the continuation header, the sender's split and the
// receiver's reassembly, rule by rule.
#include "nipc/codec/chunk.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::from_hex;
using Progress = Reassembler::Progress;

// Facts-sheet vector: message_id 9, total 100, index 1, count 3, chunk payload 28.
// That is the second packet of a 68-byte payload sent with packet size 60 (budget 28).
const char* const kChunkHeaderHex =
    "4b 48 43 4e 01 00 00 00 09 00 00 00 00 00 00 00 "
    "64 00 00 00 01 00 00 00 03 00 00 00 1c 00 00 00";
constexpr ChunkHeader kVectorChunk{9, 100, 1, 3, 28};
constexpr std::uint32_t kVectorPacketSize = 60;
constexpr std::uint32_t kVectorPayloadLen = 68;

constexpr DirectionLimits kLimits{4096, 1};

Header message_header(std::uint32_t payload_len, std::uint64_t message_id = 9) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = static_cast<std::uint16_t>(Method::kStringReverse);
  h.payload_len = payload_len;
  h.message_id = message_id;
  return h;
}

Bytes pattern(std::size_t n, std::uint8_t seed = 3) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(seed + 7 * i);
  return out;
}

Bytes as_bytes(ConstBytes b) { return Bytes(b.begin(), b.end()); }

std::vector<Bytes> split(const Header& h, const Bytes& payload, std::uint32_t packet_size) {
  auto packets = split_message(h, ConstBytes(payload), packet_size);
  EXPECT_TRUE(packets.ok()) << error_name(packets.error());
  return packets.ok() ? *packets : std::vector<Bytes>{};
}

// A continuation packet: `c` followed by `carried` filler bytes (whatever c claims).
Bytes continuation(const ChunkHeader& c, std::size_t carried, std::uint8_t fill = 0xC7) {
  const auto head = encode_chunk_header(c);
  Bytes out(head.begin(), head.end());
  out.resize(out.size() + carried, fill);
  return out;
}

struct Receiver {
  explicit Receiver(std::uint32_t packet_size, DirectionLimits limits = kLimits)
      : buffer(limits.max_payload_bytes), rx(packet_size, limits, MutableBytes(buffer)) {}
  Bytes buffer;
  Reassembler rx;
};

struct FeedResult {
  bool complete = false;
  std::optional<Error> error;
  std::size_t failed_at = 0;
};

// Feeds the packets in order (first(), then next()) and stops at the first error. Checks
// remaining_packets() after each packet and that only the last one completes the message.
FeedResult feed(Reassembler& rx, const std::vector<Bytes>& packets) {
  FeedResult out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    auto p = i == 0 ? rx.first(ConstBytes(packets[i])) : rx.next(ConstBytes(packets[i]));
    if (!p.ok()) {
      out.error = p.error();
      out.failed_at = i;
      return out;
    }
    out.complete = *p == Progress::kComplete;
    if (out.complete && i + 1 != packets.size()) {
      ADD_FAILURE() << "complete after packet " << i << " of " << packets.size();
      out.complete = false;
      return out;
    }
    EXPECT_EQ(rx.remaining_packets(), packets.size() - 1 - i) << "after packet " << i;
  }
  return out;
}

// A receiver that has taken the first packet of the facts-vector message.
struct VectorInProgress {
  VectorInProgress()
      : header(message_header(kVectorPayloadLen)),
        payload(pattern(kVectorPayloadLen)),
        packets(split(header, payload, kVectorPacketSize)),
        r(kVectorPacketSize) {
    auto p = r.rx.first(ConstBytes(packets.at(0)));
    EXPECT_TRUE(p.ok() && *p == Progress::kNeedMore);
  }
  Error next_error(const Bytes& packet) {
    auto p = r.rx.next(ConstBytes(packet));
    EXPECT_FALSE(p.ok());
    return p.ok() ? Error::kBufferTooSmall : p.error();
  }
  Header header;
  Bytes payload;
  std::vector<Bytes> packets;
  Receiver r;
};

// ---- Continuation header ----------------------------------------------------------------

TEST(ChunkHeaderDecode, DecodesTheFactsVector) {
  REQUIREMENT("CHUNK-HDR-001");
  const Bytes bytes = from_hex(kChunkHeaderHex);
  auto c = decode_chunk_header(ConstBytes(bytes));
  ASSERT_TRUE(c.ok()) << error_name(c.error());
  EXPECT_EQ(c->message_id, 9u);
  EXPECT_EQ(c->total_message_len, 100u);
  EXPECT_EQ(c->chunk_index, 1u);
  EXPECT_EQ(c->chunk_count, 3u);
  EXPECT_EQ(c->chunk_payload_len, 28u);
  EXPECT_EQ(*c, kVectorChunk);
}

TEST(ChunkHeaderEncode, ReEncodesTheFactsVectorByteExactly) {
  REQUIREMENT("CHUNK-HDR-001");
  const auto bytes = encode_chunk_header(kVectorChunk);
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), from_hex(kChunkHeaderHex));
}

TEST(ChunkHeaderEncode, WritesEveryFieldAtItsOffset) {
  REQUIREMENT("CHUNK-HDR-001");
  const ChunkHeader c{0x1112131415161718ULL, 0x21222324, 0x31323334, 0x41424344, 0x51525354};
  const auto b = encode_chunk_header(c);
  EXPECT_EQ(load_u32le(&b[chunk_layout::kMagic]), kChunkMagic);
  EXPECT_EQ(load_u16le(&b[chunk_layout::kVersion]), 1);
  EXPECT_EQ(load_u16le(&b[chunk_layout::kFlags]), 0);
  EXPECT_EQ(load_u64le(&b[chunk_layout::kMessageId]), 0x1112131415161718ULL);
  EXPECT_EQ(load_u32le(&b[chunk_layout::kTotalMessageLen]), 0x21222324u);
  EXPECT_EQ(load_u32le(&b[chunk_layout::kChunkIndex]), 0x31323334u);
  EXPECT_EQ(load_u32le(&b[chunk_layout::kChunkCount]), 0x41424344u);
  EXPECT_EQ(load_u32le(&b[chunk_layout::kChunkPayloadLen]), 0x51525354u);
  auto back = decode_chunk_header(ConstBytes(b));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, c);
}

TEST(ChunkHeaderEncode, RefusesABufferShorterThan32Bytes) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t n = 0; n < chunk_layout::kSize; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_chunk_header(kVectorChunk, MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed encode wrote bytes";
  }
}

TEST(ChunkHeaderDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("CHUNK-LEN-001");
  const Bytes bytes = from_hex(kChunkHeaderHex);
  for (std::size_t n = 0; n < chunk_layout::kSize; ++n) {
    auto c = decode_chunk_header(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(c.ok()) << n;
    EXPECT_EQ(c.error(), Error::kChunkTruncated) << n;
  }
}

TEST(ChunkHeaderDecode, RejectsBadMagic) {
  REQUIREMENT("CHUNK-MAGIC-001");
  for (std::uint32_t magic : {0u, kMessageMagic, kChunkMagic ^ 1u, 0x4b48434eu, UINT32_MAX}) {
    Bytes bytes = from_hex(kChunkHeaderHex);
    store_u32le(&bytes[chunk_layout::kMagic], magic);
    auto c = decode_chunk_header(ConstBytes(bytes));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Error::kChunkBadMagic) << std::hex << magic;
  }
}

TEST(ChunkHeaderDecode, RejectsBadVersion) {
  REQUIREMENT("CHUNK-VERSION-001");
  for (std::uint16_t v : {0, 2, 0x0100, 0xFFFF}) {
    Bytes bytes = from_hex(kChunkHeaderHex);
    store_u16le(&bytes[chunk_layout::kVersion], v);
    auto c = decode_chunk_header(ConstBytes(bytes));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Error::kChunkBadVersion) << v;
  }
}

TEST(ChunkHeaderDecode, RejectsAnyFlagBit) {
  REQUIREMENT("CHUNK-FLAGS-001");
  for (int bit = 0; bit < 16; ++bit) {
    Bytes bytes = from_hex(kChunkHeaderHex);
    store_u16le(&bytes[chunk_layout::kFlags], static_cast<std::uint16_t>(1u << bit));
    auto c = decode_chunk_header(ConstBytes(bytes));
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.error(), Error::kChunkNonzeroFlags) << bit;
  }
}

TEST(ChunkHeaderDecode, ReportsTheFirstFailingRuleInOrder) {
  REQUIREMENT("CHUNK-HDR-001");
  Bytes bytes = from_hex(kChunkHeaderHex);
  store_u32le(&bytes[chunk_layout::kMagic], 0);
  store_u16le(&bytes[chunk_layout::kVersion], 7);
  store_u16le(&bytes[chunk_layout::kFlags], 7);
  EXPECT_EQ(decode_chunk_header(ConstBytes(bytes)).error(), Error::kChunkBadMagic);
  store_u32le(&bytes[chunk_layout::kMagic], kChunkMagic);
  EXPECT_EQ(decode_chunk_header(ConstBytes(bytes)).error(), Error::kChunkBadVersion);
  store_u16le(&bytes[chunk_layout::kVersion], 1);
  EXPECT_EQ(decode_chunk_header(ConstBytes(bytes)).error(), Error::kChunkNonzeroFlags);
  store_u16le(&bytes[chunk_layout::kFlags], 0);
  EXPECT_TRUE(decode_chunk_header(ConstBytes(bytes)).ok());
}

// ---- Sender: plan and packets -----------------------------------------------------------

TEST(ChunkPlanning, SendsOnePacketWhenTheMessageFits) {
  REQUIREMENT("CHUNK-SPLIT-001");
  EXPECT_EQ(*plan_chunks(0, 33), (ChunkPlan{1, 1}));
  EXPECT_EQ(*plan_chunks(1, 33), (ChunkPlan{1, 1}));
  EXPECT_EQ(*plan_chunks(68, 100), (ChunkPlan{1, 68})) << "T == P";
  EXPECT_EQ(*plan_chunks(69, 100), (ChunkPlan{2, 68})) << "T == P + 1";
}

TEST(ChunkPlanning, CountsOneFirstPacketPlusCeilOfTheRestOverTheBudget) {
  REQUIREMENT("CHUNK-SPLIT-001");
  EXPECT_EQ(plan_chunks(kVectorPayloadLen, kVectorPacketSize)->packet_count, 3u);
  EXPECT_EQ(plan_chunks(56, 60)->packet_count, 2u);   // 28 + 28
  EXPECT_EQ(plan_chunks(57, 60)->packet_count, 3u);   // 28 + 28 + 1
  EXPECT_EQ(plan_chunks(84, 60)->packet_count, 3u);   // 28 * 3
  EXPECT_EQ(plan_chunks(5, 33)->packet_count, 5u);    // one byte each
  EXPECT_EQ(plan_chunks(5, 34)->packet_count, 3u);    // 2 + 2 + 1
}

TEST(ChunkPlanning, HandlesTheLargestPayloadWithoutOverflow) {
  REQUIREMENT("CHUNK-SPLIT-001");
  EXPECT_EQ(*plan_chunks(UINT32_MAX, 33), (ChunkPlan{UINT32_MAX, 1}));
  EXPECT_EQ(*plan_chunks(UINT32_MAX, UINT32_MAX), (ChunkPlan{2, UINT32_MAX - 32}));
  EXPECT_EQ(*plan_chunks(UINT32_MAX - 32, UINT32_MAX), (ChunkPlan{1, UINT32_MAX - 32}));
}

TEST(ChunkPlanning, RefusesPacketSizesWithoutRoomForPayload) {
  REQUIREMENT("CHUNK-SPLIT-002");
  for (std::uint32_t p : {0u, 1u, 31u, 32u}) {
    auto plan = plan_chunks(0, p);
    ASSERT_FALSE(plan.ok()) << p;
    EXPECT_EQ(plan.error(), Error::kChunkPacketSizeTooSmall) << p;
    Bytes out(64);
    EXPECT_EQ(write_packet(message_header(0), {}, p, 0, MutableBytes(out)).error(),
              Error::kChunkPacketSizeTooSmall);
    EXPECT_EQ(split_message(message_header(0), {}, p).error(), Error::kChunkPacketSizeTooSmall);
  }
  EXPECT_TRUE(plan_chunks(0, 33).ok());
}

TEST(ChunkSplit, ProducesTheFactsVectorContinuation) {
  REQUIREMENT("CHUNK-SPLIT-001");
  const Bytes payload = pattern(kVectorPayloadLen);
  const auto packets = split(message_header(kVectorPayloadLen), payload, kVectorPacketSize);
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_EQ(Bytes(packets[1].begin(), packets[1].begin() + 32), from_hex(kChunkHeaderHex));
  const ChunkHeader last{9, 100, 2, 3, 12};
  const auto last_head = encode_chunk_header(last);
  EXPECT_EQ(Bytes(packets[2].begin(), packets[2].begin() + 32),
            Bytes(last_head.begin(), last_head.end()));
}

TEST(ChunkSplit, FirstPacketIsExactlyThePacketSizeWithTheFullPayloadLen) {
  REQUIREMENT("CHUNK-SPLIT-001");
  const Header h = message_header(kVectorPayloadLen);
  const Bytes payload = pattern(kVectorPayloadLen);
  const auto packets = split(h, payload, kVectorPacketSize);
  ASSERT_EQ(packets.size(), 3u);
  EXPECT_EQ(packets[0].size(), 60u);
  EXPECT_EQ(packets[1].size(), 60u);
  EXPECT_EQ(packets[2].size(), 44u);
  auto first = decode_header(ConstBytes(packets[0]));
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, h) << "the first packet carries the whole message's header";
  Bytes joined;
  joined.insert(joined.end(), packets[0].begin() + 32, packets[0].end());
  joined.insert(joined.end(), packets[1].begin() + 32, packets[1].end());
  joined.insert(joined.end(), packets[2].begin() + 32, packets[2].end());
  EXPECT_EQ(joined, payload);
}

TEST(ChunkSplit, SendsAFittingMessageAsOneWholePacket) {
  REQUIREMENT("CHUNK-SPLIT-001");
  for (std::uint32_t len : {0u, 1u, 68u}) {
    const Bytes payload = pattern(len);
    const auto packets = split(message_header(len), payload, 100);
    ASSERT_EQ(packets.size(), 1u) << len;
    EXPECT_EQ(packets[0].size(), 32u + len);
    EXPECT_EQ(Bytes(packets[0].begin() + 32, packets[0].end()), payload);
  }
}

TEST(ChunkSplit, OneByteOverThePacketSizeTakesTwoPackets) {
  REQUIREMENT("CHUNK-SPLIT-001");
  const Bytes payload = pattern(69);
  const auto packets = split(message_header(69), payload, 100);
  ASSERT_EQ(packets.size(), 2u);
  EXPECT_EQ(packets[0].size(), 100u);
  EXPECT_EQ(packets[1].size(), 33u);
  auto c = decode_chunk_header(ConstBytes(packets[1]));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, (ChunkHeader{9, 101, 1, 2, 1}));
  EXPECT_EQ(packets[1].back(), payload.back());
}

TEST(ChunkWrite, RefusesAnIndexBeyondThePacketCount) {
  REQUIREMENT("CODEC-ENC-002");
  const Bytes payload = pattern(kVectorPayloadLen);
  Bytes out(64);
  for (std::uint32_t index : {3u, 4u, UINT32_MAX}) {
    auto n = write_packet(message_header(kVectorPayloadLen), ConstBytes(payload),
                          kVectorPacketSize, index, MutableBytes(out));
    ASSERT_FALSE(n.ok()) << index;
    EXPECT_EQ(n.error(), Error::kValueOutOfRange) << index;
  }
  EXPECT_EQ(write_packet(message_header(8), ConstBytes(payload).first(8), 100, 1,
                         MutableBytes(out)).error(),
            Error::kValueOutOfRange)
      << "an unchunked message has only packet 0";
}

TEST(ChunkWrite, RefusesAPayloadLenThatDisagreesWithThePayload) {
  REQUIREMENT("CODEC-ENC-002");
  const Bytes payload = pattern(10);
  Bytes out(64);
  for (std::uint32_t claimed : {0u, 9u, 11u, UINT32_MAX}) {
    auto n = write_packet(message_header(claimed), ConstBytes(payload), 60, 0, MutableBytes(out));
    ASSERT_FALSE(n.ok()) << claimed;
    EXPECT_EQ(n.error(), Error::kValueOutOfRange) << claimed;
  }
}

TEST(ChunkWrite, RefusesEveryShortBufferWritingNothing) {
  REQUIREMENT("CODEC-ENC-001");
  const Header h = message_header(kVectorPayloadLen);
  const Bytes payload = pattern(kVectorPayloadLen);
  const std::size_t sizes[] = {60, 60, 44};
  for (std::uint32_t index = 0; index < 3; ++index) {
    for (std::size_t n = 0; n < sizes[index]; ++n) {
      Bytes out(n, 0xEE);
      auto r = write_packet(h, ConstBytes(payload), kVectorPacketSize, index, MutableBytes(out));
      ASSERT_FALSE(r.ok()) << index << "/" << n;
      EXPECT_EQ(r.error(), Error::kBufferTooSmall) << index << "/" << n;
      EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed write wrote bytes";
    }
    Bytes out(sizes[index] + 5, 0xEE);
    auto r = write_packet(h, ConstBytes(payload), kVectorPacketSize, index, MutableBytes(out));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, sizes[index]);
    EXPECT_EQ(Bytes(out.end() - 5, out.end()), Bytes(5, 0xEE));
  }
}

TEST(ChunkScope, NeverSplitsAControlMessage) {
  REQUIREMENT("CHUNK-SCOPE-001");
  Header hello;
  hello.kind = Kind::kControl;
  hello.code = static_cast<std::uint16_t>(ControlCode::kHello);
  hello.payload_len = 44;
  const Bytes payload(44, 0);
  Bytes out(128);
  auto n = write_packet(hello, ConstBytes(payload), 64, 0, MutableBytes(out));
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error(), Error::kChunkControlMessage);
  EXPECT_EQ(split_message(hello, ConstBytes(payload), 64).error(), Error::kChunkControlMessage);
  // Whole, it is an ordinary single packet.
  auto whole = write_packet(hello, ConstBytes(payload), 76, 0, MutableBytes(out));
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(*whole, 76u);
}

TEST(ChunkScope, RefusesTheStartOfAChunkedControlMessage) {
  REQUIREMENT("CHUNK-SCOPE-001");
  Header ack;
  ack.kind = Kind::kControl;
  ack.code = static_cast<std::uint16_t>(ControlCode::kHelloAck);
  ack.payload_len = 48;
  const auto head = encode_header(ack);
  Bytes packet(head.begin(), head.end());
  packet.resize(64, 0);  // 32 of the 48 payload bytes: looks like a chunked start
  Receiver r(64);
  auto p = r.rx.first(ConstBytes(packet));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkControlMessage);
}

// ---- Receiver: reassembly ---------------------------------------------------------------

TEST(ChunkReassembly, ReassemblesTheFactsVectorMessage) {
  REQUIREMENT("CHUNK-SPLIT-001");
  VectorInProgress v;
  EXPECT_EQ(v.r.rx.remaining_packets(), 2u);
  EXPECT_EQ(*v.r.rx.next(ConstBytes(v.packets[1])), Progress::kNeedMore);
  EXPECT_EQ(v.r.rx.remaining_packets(), 1u);
  EXPECT_EQ(*v.r.rx.next(ConstBytes(v.packets[2])), Progress::kComplete);
  EXPECT_EQ(v.r.rx.remaining_packets(), 0u);
  EXPECT_EQ(v.r.rx.header(), v.header);
  EXPECT_EQ(as_bytes(v.r.rx.payload()), v.payload);
}

TEST(ChunkReassembly, HandlesTheSmallestPacketSizes) {
  REQUIREMENT("CHUNK-SPLIT-001");
  for (std::uint32_t p : {33u, 34u}) {
    for (std::uint32_t len : {0u, 1u, 2u, 3u, 5u, 64u}) {
      const Bytes payload = pattern(len);
      const auto packets = split(message_header(len), payload, p);
      const std::uint32_t budget = p - 32;  // count = max(1, ceil(len / budget))
      const std::size_t count = len <= budget ? 1u : (len + budget - 1) / budget;
      ASSERT_EQ(packets.size(), count) << p << "/" << len;
      for (const Bytes& packet : packets) EXPECT_LE(packet.size(), p);
      Receiver r(p);
      auto fed = feed(r.rx, packets);
      ASSERT_FALSE(fed.error.has_value()) << p << "/" << len << ": " << error_name(*fed.error);
      EXPECT_TRUE(fed.complete);
      EXPECT_EQ(as_bytes(r.rx.payload()), payload) << p << "/" << len;
    }
  }
}

TEST(ChunkReassembly, ExactFitAndOneByteOver) {
  REQUIREMENT("CHUNK-SPLIT-001");
  for (std::uint32_t len : {68u, 69u}) {  // T == P, T == P + 1 with P = 100
    const Bytes payload = pattern(len);
    const auto packets = split(message_header(len), payload, 100);
    ASSERT_EQ(packets.size(), len == 68 ? 1u : 2u);
    Receiver r(100);
    auto fed = feed(r.rx, packets);
    ASSERT_FALSE(fed.error.has_value()) << error_name(*fed.error);
    EXPECT_TRUE(fed.complete);
    EXPECT_EQ(as_bytes(r.rx.payload()), payload);
  }
}

TEST(ChunkReassembly, AcceptsAnEmptyPayload) {
  REQUIREMENT("CHUNK-SPLIT-001");
  const auto packets = split(message_header(0), {}, 33);
  ASSERT_EQ(packets.size(), 1u);
  ASSERT_EQ(packets[0].size(), 32u);
  Receiver r(33);
  auto p = r.rx.first(ConstBytes(packets[0]));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, Progress::kComplete);
  EXPECT_TRUE(r.rx.payload().empty());
}

TEST(ChunkReassembly, RejectsEveryTruncatedContinuation) {
  REQUIREMENT("CHUNK-LEN-001");
  for (std::size_t n = 0; n < chunk_layout::kSize; ++n) {
    VectorInProgress v;
    const Bytes prefix(v.packets[1].begin(), v.packets[1].begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(v.next_error(prefix), Error::kChunkTruncated) << n;
  }
}

TEST(ChunkReassembly, RejectsAContinuationWithBadMagic) {
  REQUIREMENT("CHUNK-MAGIC-001");
  VectorInProgress v;
  Bytes packet = v.packets[1];
  packet[chunk_layout::kMagic + 3] ^= 0x40;
  EXPECT_EQ(v.next_error(packet), Error::kChunkBadMagic);
}

TEST(ChunkReassembly, RejectsAContinuationWithBadVersion) {
  REQUIREMENT("CHUNK-VERSION-001");
  VectorInProgress v;
  Bytes packet = v.packets[1];
  store_u16le(&packet[chunk_layout::kVersion], 2);
  EXPECT_EQ(v.next_error(packet), Error::kChunkBadVersion);
}

TEST(ChunkReassembly, RejectsAContinuationWithFlags) {
  REQUIREMENT("CHUNK-FLAGS-001");
  VectorInProgress v;
  Bytes packet = v.packets[1];
  store_u16le(&packet[chunk_layout::kFlags], kFlagBatch);
  EXPECT_EQ(v.next_error(packet), Error::kChunkNonzeroFlags);
}

TEST(ChunkReassembly, RejectsAnotherMessageId) {
  REQUIREMENT("CHUNK-MSGID-001");
  const std::uint64_t ids[] = {0, 8, 10, 9 | (1ULL << 63), UINT64_MAX};
  for (std::uint64_t id : ids) {
    VectorInProgress v;
    ChunkHeader c = kVectorChunk;
    c.message_id = id;
    EXPECT_EQ(v.next_error(continuation(c, 28)), Error::kChunkMessageIdMismatch) << id;
  }
}

TEST(ChunkReassembly, RejectsAnythingButTheNextIndex) {
  REQUIREMENT("CHUNK-INDEX-001");
  for (std::uint32_t index : {0u, 2u, 3u, UINT32_MAX}) {
    VectorInProgress v;
    ChunkHeader c = kVectorChunk;
    c.chunk_index = index;
    EXPECT_EQ(v.next_error(continuation(c, 28)), Error::kChunkIndexMismatch) << index;
  }
  // A repeated index is not the next one either.
  VectorInProgress v;
  ASSERT_TRUE(v.r.rx.next(ConstBytes(v.packets[1])).ok());
  EXPECT_EQ(v.next_error(v.packets[1]), Error::kChunkIndexMismatch);
}

TEST(ChunkReassembly, RejectsACountOtherThanTheDerivedOne) {
  REQUIREMENT("CHUNK-COUNT-001");
  for (std::uint32_t count : {0u, 1u, 2u, 4u, UINT32_MAX}) {
    VectorInProgress v;
    ChunkHeader c = kVectorChunk;
    c.chunk_count = count;
    EXPECT_EQ(v.next_error(continuation(c, 28)), Error::kChunkCountMismatch) << count;
  }
}

TEST(ChunkReassembly, DerivesTheCountFromTheFirstPacketsLength) {
  REQUIREMENT("CHUNK-COUNT-001");
  // Receiver packet size 60 (budget 28), payload 100, but the first packet carries only 10
  // bytes: the count is 1 + ceil(90 / 28) = 5, not the 1 + ceil(72 / 28) = 4 that a full
  // first packet would give.
  const Header h = message_header(100);
  const Bytes payload = pattern(100);
  const auto head = encode_header(h);
  std::vector<Bytes> packets(1, Bytes(head.begin(), head.end()));
  packets[0].insert(packets[0].end(), payload.begin(), payload.begin() + 10);
  const std::uint32_t sizes[] = {28, 28, 28, 6};
  std::size_t at = 10;
  for (std::uint32_t i = 0; i < 4; ++i) {
    const auto c = encode_chunk_header(ChunkHeader{9, 132, i + 1, 5, sizes[i]});
    Bytes packet(c.begin(), c.end());
    packet.insert(packet.end(), payload.begin() + static_cast<std::ptrdiff_t>(at),
                  payload.begin() + static_cast<std::ptrdiff_t>(at + sizes[i]));
    at += sizes[i];
    packets.push_back(packet);
  }
  Receiver r(60);
  auto fed = feed(r.rx, packets);
  ASSERT_FALSE(fed.error.has_value()) << error_name(*fed.error);
  EXPECT_TRUE(fed.complete);
  EXPECT_EQ(as_bytes(r.rx.payload()), payload);

  Receiver wrong(60);
  ASSERT_TRUE(wrong.rx.first(ConstBytes(packets[0])).ok());
  auto p = wrong.rx.next(ConstBytes(continuation(ChunkHeader{9, 132, 1, 4, 28}, 28)));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkCountMismatch);
}

TEST(ChunkReassembly, RejectsAPayloadCompletedBeforeTheLastCountedChunk) {
  REQUIREMENT("CHUNK-COUNT-001");
  VectorInProgress v;
  // All 40 remaining bytes in chunk 1 of 3.
  EXPECT_EQ(v.next_error(continuation(ChunkHeader{9, 100, 1, 3, 40}, 40)),
            Error::kChunkCountMismatch);
}

TEST(ChunkReassembly, RejectsALastCountedChunkThatLeavesBytesMissing) {
  REQUIREMENT("CHUNK-COUNT-001");
  VectorInProgress v;
  ASSERT_TRUE(v.r.rx.next(ConstBytes(v.packets[1])).ok());
  // 12 bytes are missing; the last chunk brings 11.
  EXPECT_EQ(v.next_error(continuation(ChunkHeader{9, 100, 2, 3, 11}, 11)),
            Error::kChunkCountMismatch);
}

TEST(ChunkReassembly, RejectsAWrongTotalLength) {
  REQUIREMENT("CHUNK-TOTAL-001");
  for (std::uint32_t total : {0u, 68u, 99u, 101u, UINT32_MAX}) {
    VectorInProgress v;
    ChunkHeader c = kVectorChunk;
    c.total_message_len = total;
    EXPECT_EQ(v.next_error(continuation(c, 28)), Error::kChunkTotalLenMismatch) << total;
  }
}

TEST(ChunkReassembly, RejectsAPayloadLenOtherThanTheBytesCarried) {
  REQUIREMENT("CHUNK-PLEN-001");
  for (std::uint32_t claimed : {0u, 27u, 29u, UINT32_MAX}) {
    VectorInProgress v;
    ChunkHeader c = kVectorChunk;
    c.chunk_payload_len = claimed;
    EXPECT_EQ(v.next_error(continuation(c, 28)), Error::kChunkPayloadLenMismatch) << claimed;
  }
  VectorInProgress v;  // the header is right, the packet carries one byte too few
  EXPECT_EQ(v.next_error(continuation(kVectorChunk, 27)), Error::kChunkPayloadLenMismatch);
}

TEST(ChunkReassembly, RejectsAnEmptyContinuation) {
  REQUIREMENT("CHUNK-PLEN-002");
  VectorInProgress v;
  ChunkHeader c = kVectorChunk;
  c.chunk_payload_len = 0;
  EXPECT_EQ(v.next_error(continuation(c, 0)), Error::kChunkEmpty);
}

TEST(ChunkReassembly, RejectsAChunkedFirstPacketCarryingNoPayload) {
  REQUIREMENT("CHUNK-PLEN-002");
  const auto head = encode_header(message_header(10));
  Receiver r(60);
  auto p = r.rx.first(ConstBytes(head));  // 32 bytes announcing 10 payload bytes
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkEmpty);
}

TEST(ChunkReassembly, RejectsChunksBeyondThePayload) {
  REQUIREMENT("CHUNK-OVERRUN-001");
  VectorInProgress v;
  ASSERT_TRUE(v.r.rx.next(ConstBytes(v.packets[1])).ok());
  // 12 bytes remain; 13 and more overrun.
  for (std::uint32_t n : {13u, 28u, 100u}) {
    VectorInProgress w;
    ASSERT_TRUE(w.r.rx.next(ConstBytes(w.packets[1])).ok());
    EXPECT_EQ(w.next_error(continuation(ChunkHeader{9, 100, 2, 3, n}, n)), Error::kChunkOverrun)
        << n;
  }
  VectorInProgress x;
  EXPECT_EQ(x.next_error(continuation(ChunkHeader{9, 100, 1, 3, 41}, 41)), Error::kChunkOverrun);
}

TEST(ChunkReassembly, ChecksContinuationRulesInOrder) {
  REQUIREMENT("CHUNK-HDR-001");
  ChunkHeader c{10, 101, 2, 4, 1};  // every field wrong; carries 41 bytes (1 too many)
  std::size_t carried = 41;
  const auto expect = [&](Error e) {
    VectorInProgress v;
    EXPECT_EQ(v.next_error(continuation(c, carried)), e);
  };
  expect(Error::kChunkMessageIdMismatch);
  c.message_id = 9;
  expect(Error::kChunkIndexMismatch);
  c.chunk_index = 1;
  expect(Error::kChunkCountMismatch);
  c.chunk_count = 3;
  expect(Error::kChunkTotalLenMismatch);
  c.total_message_len = 100;
  expect(Error::kChunkPayloadLenMismatch);
  c.chunk_payload_len = 41;
  expect(Error::kChunkOverrun);
  c.chunk_payload_len = 40;
  carried = 40;
  expect(Error::kChunkCountMismatch);  // complete, but chunk 2 of 3 is still announced
  c.chunk_payload_len = 28;
  carried = 28;
  VectorInProgress ok;
  auto p = ok.r.rx.next(ConstBytes(continuation(c, carried)));
  ASSERT_TRUE(p.ok()) << error_name(p.error());
}

TEST(ChunkReassembly, AnErrorLeavesTheReassemblerIdle) {
  REQUIREMENT("SESS-DEAD-001");
  VectorInProgress v;
  ChunkHeader c = kVectorChunk;
  c.chunk_count = 4;
  EXPECT_EQ(v.next_error(continuation(c, 28)), Error::kChunkCountMismatch);
  EXPECT_EQ(v.r.rx.remaining_packets(), 0u);
  EXPECT_TRUE(v.r.rx.payload().empty());
  // Even the right continuation is no longer expected.
  EXPECT_EQ(v.next_error(v.packets[1]), Error::kChunkIndexMismatch);
}

TEST(ChunkReassembly, ExpectsNoContinuationWhenIdleOrComplete) {
  REQUIREMENT("CHUNK-INDEX-001");
  VectorInProgress v;
  Receiver idle(kVectorPacketSize);
  auto p = idle.rx.next(ConstBytes(v.packets[1]));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkIndexMismatch);

  ASSERT_TRUE(v.r.rx.next(ConstBytes(v.packets[1])).ok());
  ASSERT_EQ(*v.r.rx.next(ConstBytes(v.packets[2])), Progress::kComplete);
  EXPECT_EQ(v.next_error(continuation(ChunkHeader{9, 100, 3, 3, 1}, 1)),
            Error::kChunkIndexMismatch);
}

TEST(ChunkReassembly, NeedsAPacketSizeAboveTheHeaderToDeriveACount) {
  REQUIREMENT("CHUNK-SPLIT-002");
  const Bytes payload = pattern(kVectorPayloadLen);
  const auto packets = split(message_header(kVectorPayloadLen), payload, kVectorPacketSize);
  Receiver r(32);
  auto p = r.rx.first(ConstBytes(packets[0]));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkPacketSizeTooSmall);
}

TEST(ChunkReassembly, NeverWritesPastTheCallersBuffer) {
  REQUIREMENT("CHUNK-OVERRUN-001");
  constexpr DirectionLimits kSmall{68, 1};
  Bytes storage(68 + 16, 0xEE);
  Reassembler rx(kVectorPacketSize, kSmall, MutableBytes(storage).first(68));
  const Bytes payload = pattern(68);
  auto packets = split(message_header(68), payload, kVectorPacketSize);
  auto fed = feed(rx, packets);
  ASSERT_FALSE(fed.error.has_value()) << error_name(*fed.error);
  EXPECT_EQ(Bytes(storage.begin() + 68, storage.end()), Bytes(16, 0xEE));
  // A chunk that would go past the payload (and the buffer) is refused before any copy.
  ASSERT_TRUE(rx.first(ConstBytes(packets[0])).ok());
  ASSERT_TRUE(rx.next(ConstBytes(packets[1])).ok());
  auto p = rx.next(ConstBytes(continuation(ChunkHeader{9, 100, 2, 3, 28}, 28)));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkOverrun);
  EXPECT_EQ(Bytes(storage.begin() + 68, storage.end()), Bytes(16, 0xEE));
}

TEST(ChunkReassembly, RefusesAHugePayloadLenItsBufferCannotHold) {
  constexpr DirectionLimits kHuge{UINT32_MAX, UINT32_MAX};
  Bytes storage(64);
  Reassembler rx(65536, kHuge, MutableBytes(storage));
  Header h = message_header(UINT32_MAX);
  h.item_count = UINT32_MAX;
  const auto head = encode_header(h);
  auto p = rx.first(ConstBytes(head));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kBufferTooSmall);
}

TEST(ChunkInterleaving, RejectsAContinuationOfAnotherMessage) {
  REQUIREMENT("CHUNK-NOINTERLEAVE-001");
  const Bytes a = pattern(kVectorPayloadLen, 1);
  const Bytes b = pattern(kVectorPayloadLen, 2);
  const auto pa = split(message_header(kVectorPayloadLen, 1), a, kVectorPacketSize);
  const auto pb = split(message_header(kVectorPayloadLen, 2), b, kVectorPacketSize);
  Receiver r(kVectorPacketSize);
  ASSERT_TRUE(r.rx.first(ConstBytes(pa[0])).ok());
  auto p = r.rx.next(ConstBytes(pb[1]));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkMessageIdMismatch);
}

TEST(ChunkInterleaving, RejectsAnotherMessagesFirstPacketMidSequence) {
  REQUIREMENT("CHUNK-NOINTERLEAVE-001");
  const Bytes a = pattern(kVectorPayloadLen, 1);
  const auto pa = split(message_header(kVectorPayloadLen, 1), a, kVectorPacketSize);
  const Bytes small = pattern(8);
  const auto pb = split(message_header(8, 2), small, kVectorPacketSize);
  Receiver r(kVectorPacketSize);
  ASSERT_TRUE(r.rx.first(ConstBytes(pa[0])).ok());
  ASSERT_TRUE(r.rx.next(ConstBytes(pa[1])).ok());
  auto p = r.rx.next(ConstBytes(pb[0]));  // an outer header where a chunk header belongs
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kChunkBadMagic);
}

TEST(ChunkInterleaving, AcceptsMessagesOneAfterAnother) {
  REQUIREMENT("CHUNK-NOINTERLEAVE-001");
  Receiver r(kVectorPacketSize);
  for (std::uint64_t id : {1u, 2u, 3u}) {
    const Bytes payload = pattern(kVectorPayloadLen, static_cast<std::uint8_t>(id));
    const auto packets = split(message_header(kVectorPayloadLen, id), payload, kVectorPacketSize);
    auto fed = feed(r.rx, packets);
    ASSERT_FALSE(fed.error.has_value()) << error_name(*fed.error);
    EXPECT_EQ(as_bytes(r.rx.payload()), payload);
    EXPECT_EQ(r.rx.header().message_id, id);
  }
}

TEST(ChunkReceiveBuffer, IsThePacketSizeOrTheLargestWholeMessage) {
  REQUIREMENT("CHUNK-RECVBUF-001");
  EXPECT_EQ(packet_receive_capacity(60, {1024, 1}), 60u);
  EXPECT_EQ(packet_receive_capacity(65536, {1024, 1}), 1056u);
  EXPECT_EQ(packet_receive_capacity(100, {68, 1}), 100u);
  EXPECT_EQ(packet_receive_capacity(100, {67, 1}), 99u);
  EXPECT_EQ(packet_receive_capacity(100, {0, 1}), 32u);
  EXPECT_EQ(packet_receive_capacity(UINT32_MAX, {UINT32_MAX, 1}), UINT32_MAX);
}

TEST(ChunkReceiveBuffer, HoldsEveryPacketOfEveryMessageWithinTheLimits) {
  REQUIREMENT("CHUNK-RECVBUF-001");
  for (std::uint32_t p : {33u, 60u, 100u, 300u}) {
    const DirectionLimits limits{200, 1};
    const std::uint32_t capacity = packet_receive_capacity(p, limits);
    for (std::uint32_t len = 0; len <= limits.max_payload_bytes; ++len) {
      const Bytes payload = pattern(len);
      for (const Bytes& packet : split(message_header(len), payload, p))
        ASSERT_LE(packet.size(), capacity) << "P " << p << " payload " << len;
    }
  }
}

TEST(ChunkReceiveBuffer, ATruncatedWholePacketLooksLikeAChunkedStart) {
  REQUIREMENT("CHUNK-RECVBUF-001");
  // Why the buffer rule exists: a 100-byte whole message read into 60 bytes is
  // indistinguishable from the first packet of a chunked message.
  const Bytes payload = pattern(68);
  const auto packets = split(message_header(68), payload, 100);
  ASSERT_EQ(packets.size(), 1u);
  Receiver r(60);
  auto p = r.rx.first(ConstBytes(packets[0]).first(60));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, Progress::kNeedMore);
  EXPECT_EQ(r.rx.remaining_packets(), 2u);
}

// ---- spec/chunking.md worked example ----------------------------------------------------

// STRING_REVERSE request, message_id 7, payload_len 150, packet size 64: five packets.
struct WorkedExample {
  WorkedExample() {
    header.kind = Kind::kRequest;
    header.code = static_cast<std::uint16_t>(Method::kStringReverse);
    header.payload_len = 150;
    header.message_id = 7;
    payload = pattern(150);
    packets = split(header, payload, 64);
  }
  // Feeds `sent` in order and returns the first error; nullopt when the message completed.
  static std::optional<Error> receive(const std::vector<Bytes>& sent) {
    Receiver r(64);
    for (std::size_t i = 0; i < sent.size(); ++i) {
      auto p = i == 0 ? r.rx.first(ConstBytes(sent[i])) : r.rx.next(ConstBytes(sent[i]));
      if (!p.ok()) return p.error();
      if (*p == Progress::kComplete) {
        EXPECT_EQ(i + 1, sent.size()) << "complete before the last packet";
        return std::nullopt;
      }
    }
    ADD_FAILURE() << "the packets ran out before the message completed";
    return std::nullopt;
  }
  Header header;
  Bytes payload;
  std::vector<Bytes> packets;
};

TEST(ChunkWorkedExample, SplitsIntoFivePacketsWithTheSpecHeaders) {
  REQUIREMENT("CHUNK-SPLIT-001");
  WorkedExample ex;
  ASSERT_EQ(ex.packets.size(), 5u);
  const std::size_t sizes[] = {64, 64, 64, 64, 54};
  for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(ex.packets[i].size(), sizes[i]) << i;
  const auto head = [](const Bytes& packet) { return Bytes(packet.begin(), packet.begin() + 32); };
  EXPECT_EQ(head(ex.packets[0]), from_hex("43 50 49 4e 01 00 20 00 01 00 00 00 03 00 00 00 "
                                          "96 00 00 00 01 00 00 00 07 00 00 00 00 00 00 00"));
  EXPECT_EQ(head(ex.packets[1]), from_hex("4b 48 43 4e 01 00 00 00 07 00 00 00 00 00 00 00 "
                                          "b6 00 00 00 01 00 00 00 05 00 00 00 20 00 00 00"));
  EXPECT_EQ(head(ex.packets[4]), from_hex("4b 48 43 4e 01 00 00 00 07 00 00 00 00 00 00 00 "
                                          "b6 00 00 00 04 00 00 00 05 00 00 00 16 00 00 00"));
  for (std::size_t i = 0; i < 5; ++i)
    EXPECT_EQ(Bytes(ex.packets[i].begin() + 32, ex.packets[i].end()),
              Bytes(ex.payload.begin() + static_cast<std::ptrdiff_t>(32 * i),
                    ex.payload.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(
                                             150, 32 * (i + 1)))))
        << "payload bytes of packet " << i;
  EXPECT_FALSE(WorkedExample::receive(ex.packets).has_value());
}

TEST(ChunkWorkedExample, SkippingPacketTwoIsAnIndexMismatch) {
  REQUIREMENT("CHUNK-INDEX-001");
  WorkedExample ex;
  std::vector<Bytes> sent = {ex.packets[0], ex.packets[1], ex.packets[3]};
  EXPECT_EQ(WorkedExample::receive(sent), Error::kChunkIndexMismatch);
}

TEST(ChunkWorkedExample, CountFourInPacketOneIsACountMismatch) {
  REQUIREMENT("CHUNK-COUNT-001");
  WorkedExample ex;
  store_u32le(&ex.packets[1][chunk_layout::kChunkCount], 4);
  EXPECT_EQ(WorkedExample::receive(ex.packets), Error::kChunkCountMismatch);
}

TEST(ChunkWorkedExample, TotalWithoutTheHeaderIsATotalLenMismatch) {
  REQUIREMENT("CHUNK-TOTAL-001");
  WorkedExample ex;
  store_u32le(&ex.packets[1][chunk_layout::kTotalMessageLen], 150);
  EXPECT_EQ(WorkedExample::receive(ex.packets), Error::kChunkTotalLenMismatch);
}

TEST(ChunkWorkedExample, LastPacketDeclaringMoreThanItCarriesIsAPayloadLenMismatch) {
  REQUIREMENT("CHUNK-PLEN-001");
  WorkedExample ex;
  store_u32le(&ex.packets[4][chunk_layout::kChunkPayloadLen], 32);
  EXPECT_EQ(WorkedExample::receive(ex.packets), Error::kChunkPayloadLenMismatch);
}

TEST(ChunkWorkedExample, AFullSizedLastPacketIsAnOverrun) {
  REQUIREMENT("CHUNK-OVERRUN-001");
  WorkedExample ex;
  store_u32le(&ex.packets[4][chunk_layout::kChunkPayloadLen], 32);
  ex.packets[4].resize(64, 0);
  EXPECT_EQ(WorkedExample::receive(ex.packets), Error::kChunkOverrun);
}

TEST(ChunkWorkedExample, AnotherMessageIdIsAMessageIdMismatch) {
  REQUIREMENT("CHUNK-MSGID-001");
  WorkedExample ex;
  store_u64le(&ex.packets[1][chunk_layout::kMessageId], 8);
  EXPECT_EQ(WorkedExample::receive(ex.packets), Error::kChunkMessageIdMismatch);
}

}  // namespace
}  // namespace nipc
