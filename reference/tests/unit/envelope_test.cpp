// Envelope rules above the header decode (spec/envelope.md): directional limits on both
// sides, single-packet length, item_count of non-batch messages.
#include "nipc/codec/envelope.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "nipc/codec/chunk.h"
#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;

constexpr DirectionLimits kLimits{1024, 4};

Header header_with(std::uint32_t payload_len, std::uint32_t item_count) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = static_cast<std::uint16_t>(Method::kIncrement);
  h.payload_len = payload_len;
  h.item_count = item_count;
  h.message_id = 7;
  return h;
}

// One whole packet: header + payload_len filler bytes + `extra` bytes beyond the message.
Bytes single_packet(const Header& h, std::size_t extra = 0) {
  const auto head = encode_header(h);
  Bytes packet(head.begin(), head.end());
  packet.resize(packet.size() + h.payload_len + extra, 0x5A);
  return packet;
}

TEST(InboundLimits, AcceptsPayloadUpToTheLimit) {
  REQUIREMENT("ENV-LIMIT-001");
  for (std::uint32_t len : {0u, 1u, 1023u, 1024u})
    EXPECT_TRUE(check_inbound_limits(header_with(len, 1), kLimits).ok()) << len;
}

TEST(InboundLimits, RejectsPayloadAboveTheLimit) {
  REQUIREMENT("ENV-LIMIT-001");
  for (std::uint32_t len : {1025u, 65536u, UINT32_MAX}) {
    auto r = check_inbound_limits(header_with(len, 1), kLimits);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.error(), Error::kPayloadOverLimit) << len;
  }
}

TEST(InboundLimits, AcceptsItemCountUpToTheLimitIncludingZero) {
  REQUIREMENT("ENV-LIMIT-002");
  for (std::uint32_t n : {0u, 1u, 4u})
    EXPECT_TRUE(check_inbound_limits(header_with(8, n), kLimits).ok()) << n;
}

TEST(InboundLimits, RejectsItemCountAboveTheLimit) {
  REQUIREMENT("ENV-LIMIT-002");
  for (std::uint32_t n : {5u, 1000u, UINT32_MAX}) {
    auto r = check_inbound_limits(header_with(8, n), kLimits);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kItemCountOverLimit) << n;
  }
}

TEST(InboundLimits, ChecksThePayloadBeforeTheItemCount) {
  REQUIREMENT("ENV-LIMIT-001");
  auto r = check_inbound_limits(header_with(UINT32_MAX, UINT32_MAX), kLimits);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kPayloadOverLimit);
}

TEST(InboundLimits, ZeroLimitsAllowOnlyEmptyMessages) {
  REQUIREMENT("ENV-LIMIT-001");
  constexpr DirectionLimits kNone{0, 0};
  EXPECT_TRUE(check_inbound_limits(header_with(0, 0), kNone).ok());
  EXPECT_EQ(check_inbound_limits(header_with(1, 0), kNone).error(), Error::kPayloadOverLimit);
  EXPECT_EQ(check_inbound_limits(header_with(0, 1), kNone).error(), Error::kItemCountOverLimit);
}

TEST(OutboundLimits, AcceptsPayloadUpToTheLimit) {
  REQUIREMENT("ENV-LIMIT-003");
  for (std::uint32_t len : {0u, 1024u})
    EXPECT_TRUE(check_outbound_limits(len, 1, kLimits).ok()) << len;
}

TEST(OutboundLimits, RefusesPayloadAboveTheLimit) {
  REQUIREMENT("ENV-LIMIT-003");
  for (std::uint32_t len : {1025u, UINT32_MAX}) {
    auto r = check_outbound_limits(len, 1, kLimits);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.error(), Error::kOutboundPayloadOverLimit) << len;
  }
  // Payload first, as on the receiving side.
  EXPECT_EQ(check_outbound_limits(1025, 5, kLimits).error(), Error::kOutboundPayloadOverLimit);
}

TEST(OutboundLimits, AcceptsItemCountUpToTheLimitIncludingZero) {
  REQUIREMENT("ENV-LIMIT-004");
  for (std::uint32_t n : {0u, 1u, 4u}) EXPECT_TRUE(check_outbound_limits(8, n, kLimits).ok()) << n;
}

TEST(OutboundLimits, RefusesItemCountAboveTheLimit) {
  REQUIREMENT("ENV-LIMIT-004");
  for (std::uint32_t n : {5u, UINT32_MAX}) {
    auto r = check_outbound_limits(8, n, kLimits);
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kOutboundItemCountOverLimit) << n;
  }
}

// The receive path: Reassembler::first applies the limits to the header alone.
struct Receiver {
  explicit Receiver(std::uint32_t packet_size, DirectionLimits limits = kLimits)
      : buffer(limits.max_payload_bytes), rx(packet_size, limits, MutableBytes(buffer)) {}
  Bytes buffer;
  Reassembler rx;
};

TEST(ReceiveLimits, RejectsAnOversizedPayloadFromTheHeaderAlone) {
  REQUIREMENT("ENV-LIMIT-001");
  Receiver r(65536);
  // Only the 32 header bytes arrive: the limit is judged before any payload is read.
  const auto head = encode_header(header_with(1025, 1));
  auto p = r.rx.first(ConstBytes(head));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kPayloadOverLimit);
  EXPECT_EQ(r.rx.remaining_packets(), 0u);
}

TEST(ReceiveLimits, RejectsTooManyItems) {
  REQUIREMENT("ENV-LIMIT-002");
  Receiver r(65536);
  const Bytes packet = single_packet(header_with(16, 5));
  auto p = r.rx.first(ConstBytes(packet));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kItemCountOverLimit);
}

TEST(ReceiveLimits, AcceptsAMessageExactlyAtBothLimits) {
  REQUIREMENT("ENV-LIMIT-001");
  Receiver r(65536);
  const Bytes packet = single_packet(header_with(1024, 4));
  auto p = r.rx.first(ConstBytes(packet));
  ASSERT_TRUE(p.ok()) << error_name(p.error());
  EXPECT_EQ(*p, Reassembler::Progress::kComplete);
  EXPECT_EQ(r.rx.payload().size(), 1024u);
}

TEST(SinglePacket, ExactLengthCompletesTheMessage) {
  REQUIREMENT("ENV-TRAIL-001");
  for (std::uint32_t len : {0u, 1u, 8u, 100u}) {
    Receiver r(65536);
    const Bytes packet = single_packet(header_with(len, 1));
    auto p = r.rx.first(ConstBytes(packet));
    ASSERT_TRUE(p.ok()) << len << ": " << error_name(p.error());
    EXPECT_EQ(*p, Reassembler::Progress::kComplete);
    EXPECT_EQ(r.rx.header(), header_with(len, 1));
    EXPECT_EQ(Bytes(r.rx.payload().begin(), r.rx.payload().end()),
              Bytes(packet.begin() + 32, packet.end()));
  }
}

TEST(SinglePacket, RejectsBytesBeyondThePayload) {
  REQUIREMENT("ENV-TRAIL-001");
  for (std::uint32_t len : {0u, 8u, 100u}) {
    for (std::size_t extra : {1u, 7u, 64u}) {
      Receiver r(65536);
      const Bytes packet = single_packet(header_with(len, 1), extra);
      auto p = r.rx.first(ConstBytes(packet));
      ASSERT_FALSE(p.ok()) << len << "+" << extra;
      EXPECT_EQ(p.error(), Error::kPacketLengthMismatch) << len << "+" << extra;
      EXPECT_EQ(r.rx.remaining_packets(), 0u);
      EXPECT_TRUE(r.rx.payload().empty());
    }
  }
}

TEST(SinglePacket, ReportsHeaderErrorsBeforeLengthErrors) {
  REQUIREMENT("ENV-LEN-001");
  Receiver r(65536);
  const Bytes packet = single_packet(header_with(8, 1));
  for (std::size_t n = 0; n < header_layout::kSize; ++n) {
    auto p = r.rx.first(ConstBytes(packet.data(), n));
    ASSERT_FALSE(p.ok()) << n;
    EXPECT_EQ(p.error(), Error::kHeaderTruncated) << n;
  }
  Bytes bad = single_packet(header_with(8, 1), 3);
  bad[header_layout::kMagic] ^= 0xFF;
  EXPECT_EQ(r.rx.first(ConstBytes(bad)).error(), Error::kHeaderBadMagic);
}

// Not a wire rule: the caller's buffer is smaller than its own limits promised.
TEST(SinglePacket, RefusesAPayloadLargerThanTheCallersBuffer) {
  Bytes small(10);
  Reassembler rx(65536, kLimits, MutableBytes(small));
  const Bytes packet = single_packet(header_with(11, 1));
  auto p = rx.first(ConstBytes(packet));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kBufferTooSmall);
}

TEST(NonBatchMessage, CarriesItemCountOne) {
  REQUIREMENT("ENV-ITEMS-001");
  // A default header is a non-batch message with one item...
  Header h;
  EXPECT_EQ(h.item_count, 1u);
  EXPECT_FALSE(h.is_batch());
  // ...and every packet plan keeps it: single packet and chunked alike.
  h.message_id = 3;
  for (std::uint32_t len : {8u, 300u}) {
    h.payload_len = len;
    const Bytes payload(len, 0x11);
    auto packets = split_message(h, ConstBytes(payload), 64);
    ASSERT_TRUE(packets.ok()) << error_name(packets.error());
    auto decoded = decode_header(ConstBytes(packets->front()));
    ASSERT_TRUE(decoded.ok());
    EXPECT_EQ(decoded->item_count, 1u) << len;
    EXPECT_EQ(decoded->flags, 0) << len;
  }
}

// ---- spec/envelope.md worked example ----------------------------------------------------

// INCREMENT request, message_id 1, value 41.
const char* const kIncrementRequestHex =
    "43 50 49 4e 01 00 20 00 01 00 00 00 01 00 00 00 "
    "08 00 00 00 01 00 00 00 01 00 00 00 00 00 00 00 "
    "29 00 00 00 00 00 00 00";

TEST(EnvelopeWorkedExample, TheIncrementRequestArrivesWhole) {
  REQUIREMENT("ENV-TRAIL-001");
  Receiver r(65536);
  const Bytes packet = testing::from_hex(kIncrementRequestHex);
  auto p = r.rx.first(ConstBytes(packet));
  ASSERT_TRUE(p.ok()) << error_name(p.error());
  EXPECT_EQ(*p, Reassembler::Progress::kComplete);
  EXPECT_EQ(r.rx.header().message_id, 1u);
  EXPECT_EQ(Bytes(r.rx.payload().begin(), r.rx.payload().end()),
            testing::from_hex("29 00 00 00 00 00 00 00"));
}

TEST(EnvelopeWorkedExample, FourTrailingBytesAreAPacketLengthMismatch) {
  REQUIREMENT("ENV-TRAIL-001");
  Receiver r(65536);
  Bytes packet = testing::from_hex(kIncrementRequestHex);
  packet.insert(packet.end(), {0, 0, 0, 0});
  auto p = r.rx.first(ConstBytes(packet));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error(), Error::kPacketLengthMismatch);
}

}  // namespace
}  // namespace nipc
