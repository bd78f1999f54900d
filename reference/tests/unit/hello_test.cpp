// HELLO and HELLO_ACK payloads (spec/handshake.md): every field at its offset, every decode
// rule and its order, the facts-sheet vector, every truncated prefix, the encoders.
#include "nipc/codec/hello.h"

#include <gtest/gtest.h>

#include <optional>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::error_of;
using testing::from_hex;

// HELLO payload from the protocol facts: supported 0x03, preferred 0x02, request 1024,
// request batch 1, response 65536, response batch 1, token 0x0102030405060708,
// packet 212992.
const char* const kHelloHex =
    "01 00 00 00 03 00 00 00 02 00 00 00 00 04 00 00 "
    "01 00 00 00 00 00 01 00 01 00 00 00 00 00 00 00 "
    "08 07 06 05 04 03 02 01 00 40 03 00";

Hello facts_hello() {
  Hello h;
  h.supported_profiles = 0x03;
  h.preferred_profiles = 0x02;
  h.max_request_payload_bytes = 1024;
  h.max_request_batch_items = 1;
  h.max_response_payload_bytes = 65536;
  h.max_response_batch_items = 1;
  h.auth_token = 0x0102030405060708ULL;
  h.packet_size = 212992;
  return h;
}

// A HELLO_ACK written out by hand from the layout (offsets 0..47): supported 0x03,
// intersection 0x03, selected 0x02, request 1024, request batch 1, response 65536,
// response batch 1, packet 212992, session_id 7.
const char* const kAckHex =
    "01 00 00 00 03 00 00 00 03 00 00 00 02 00 00 00 "
    "00 04 00 00 01 00 00 00 00 00 01 00 01 00 00 00 "
    "00 40 03 00 00 00 00 00 07 00 00 00 00 00 00 00";

HelloAck hand_ack() {
  HelloAck a;
  a.server_supported_profiles = 0x03;
  a.intersection_profiles = 0x03;
  a.selected_profile = 0x02;
  a.agreed_max_request_payload_bytes = 1024;
  a.agreed_max_request_batch_items = 1;
  a.agreed_max_response_payload_bytes = 65536;
  a.agreed_max_response_batch_items = 1;
  a.agreed_packet_size = 212992;
  a.session_id = 7;
  return a;
}

// Distinct values in every byte, so a field read from the wrong offset cannot pass.
Hello distinct_hello() {
  Hello h;
  h.supported_profiles = 0x11121314;
  h.preferred_profiles = 0x21222324;
  h.max_request_payload_bytes = 0x31323334;
  h.max_request_batch_items = 0x41424344;
  h.max_response_payload_bytes = 0x51525354;
  h.max_response_batch_items = 0x61626364;
  h.auth_token = 0x7172737475767778ULL;
  h.packet_size = 0x81828384;
  return h;
}

HelloAck distinct_ack() {
  HelloAck a;
  a.server_supported_profiles = 0x11121314;
  a.intersection_profiles = 0x21222324;
  a.selected_profile = 0x31323334;
  a.agreed_max_request_payload_bytes = 0x41424344;
  a.agreed_max_request_batch_items = 0x51525354;
  a.agreed_max_response_payload_bytes = 0x61626364;
  a.agreed_max_response_batch_items = 0x71727374;
  a.agreed_packet_size = 0x81828384;
  a.session_id = 0x9192939495969798ULL;
  return a;
}

// ---------------------------------------------------------------------------------------
// HELLO decode

TEST(HelloDecode, DecodesTheFactsSheetVector) {
  REQUIREMENT("HS-HELLO-FMT-001");
  Bytes bytes = from_hex(kHelloHex);
  ASSERT_EQ(bytes.size(), hello_layout::kSize);
  auto h = decode_hello(ConstBytes(bytes));
  ASSERT_TRUE(h.ok()) << error_name(h.error());
  EXPECT_EQ(*h, facts_hello());
}

TEST(HelloDecode, ReadsEveryFieldAtItsOffset) {
  REQUIREMENT("HS-HELLO-FMT-001");
  // Built with the store helpers at the layout offsets, not with the encoder.
  Bytes b(hello_layout::kSize, 0);
  const Hello want = distinct_hello();
  store_u16le(&b[0], 1);
  store_u32le(&b[4], want.supported_profiles);
  store_u32le(&b[8], want.preferred_profiles);
  store_u32le(&b[12], want.max_request_payload_bytes);
  store_u32le(&b[16], want.max_request_batch_items);
  store_u32le(&b[20], want.max_response_payload_bytes);
  store_u32le(&b[24], want.max_response_batch_items);
  store_u64le(&b[32], want.auth_token);
  store_u32le(&b[40], want.packet_size);
  auto h = decode_hello(ConstBytes(b));
  ASSERT_TRUE(h.ok()) << error_name(h.error());
  EXPECT_EQ(*h, want);
}

TEST(HelloDecode, NamedOffsetsMatchTheWireLayout) {
  REQUIREMENT("HS-HELLO-FMT-001");
  EXPECT_EQ(hello_layout::kLayoutVersion, 0u);
  EXPECT_EQ(hello_layout::kFlags, 2u);
  EXPECT_EQ(hello_layout::kSupportedProfiles, 4u);
  EXPECT_EQ(hello_layout::kPreferredProfiles, 8u);
  EXPECT_EQ(hello_layout::kMaxRequestPayloadBytes, 12u);
  EXPECT_EQ(hello_layout::kMaxRequestBatchItems, 16u);
  EXPECT_EQ(hello_layout::kMaxResponsePayloadBytes, 20u);
  EXPECT_EQ(hello_layout::kMaxResponseBatchItems, 24u);
  EXPECT_EQ(hello_layout::kReserved, 28u);
  EXPECT_EQ(hello_layout::kAuthToken, 32u);
  EXPECT_EQ(hello_layout::kPacketSize, 40u);
  EXPECT_EQ(hello_layout::kSize, 44u);
}

TEST(HelloDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("HS-HELLO-LEN-001");
  Bytes bytes = from_hex(kHelloHex);
  for (std::size_t n = 0; n < hello_layout::kSize; ++n) {
    auto h = decode_hello(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(h.ok()) << "prefix " << n;
    EXPECT_EQ(h.error(), Error::kHelloTruncated) << "prefix " << n;
  }
}

TEST(HelloDecode, IgnoresBytesAfterThe44) {
  REQUIREMENT("HS-HELLO-LEN-001");
  Bytes bytes = from_hex(kHelloHex);
  bytes.resize(128, 0xEE);
  auto h = decode_hello(ConstBytes(bytes));
  ASSERT_TRUE(h.ok()) << error_name(h.error());
  EXPECT_EQ(*h, facts_hello());
}

TEST(HelloDecode, ConsumesExactly44BytesAndLeavesTheRest) {
  REQUIREMENT("HS-HELLO-LEN-001");
  Bytes bytes = from_hex(kHelloHex);
  bytes.push_back(0xAB);
  bytes.push_back(0xCD);
  ByteReader reader{ConstBytes(bytes)};
  auto h = decode_hello(&reader);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(reader.consumed(), 44u);
  EXPECT_EQ(reader.remaining(), 2u);
}

TEST(HelloDecode, RejectsLayoutVersionOtherThanOne) {
  REQUIREMENT("HS-HELLO-LAYOUT-001");
  for (std::uint16_t v : {0, 2, 0x0100, 0xFFFF}) {
    Bytes bytes = from_hex(kHelloHex);
    store_u16le(&bytes[hello_layout::kLayoutVersion], v);
    auto h = decode_hello(ConstBytes(bytes));
    ASSERT_FALSE(h.ok()) << v;
    EXPECT_EQ(h.error(), Error::kHelloBadLayout) << v;
  }
}

TEST(HelloDecode, RejectsNonzeroFlags) {
  REQUIREMENT("HS-HELLO-FLAGS-001");
  for (std::uint16_t v : {0x0001, 0x0100, 0x8000, 0xFFFF}) {
    Bytes bytes = from_hex(kHelloHex);
    store_u16le(&bytes[hello_layout::kFlags], v);
    auto h = decode_hello(ConstBytes(bytes));
    ASSERT_FALSE(h.ok()) << v;
    EXPECT_EQ(h.error(), Error::kHelloNonzeroFlags) << v;
  }
}

TEST(HelloDecode, RejectsANonzeroByteAnywhereInReserved) {
  REQUIREMENT("HS-HELLO-RESERVED-001");
  for (std::size_t i = 0; i < 4; ++i) {
    Bytes bytes = from_hex(kHelloHex);
    bytes[hello_layout::kReserved + i] = 0x01;
    auto h = decode_hello(ConstBytes(bytes));
    ASSERT_FALSE(h.ok()) << "byte " << i;
    EXPECT_EQ(h.error(), Error::kHelloNonzeroReserved) << "byte " << i;
  }
  Bytes bytes = from_hex(kHelloHex);
  store_u32le(&bytes[hello_layout::kReserved], 0xFFFFFFFF);
  EXPECT_EQ(error_of(decode_hello(ConstBytes(bytes))), Error::kHelloNonzeroReserved);
}

TEST(HelloDecode, ReportsTheFirstFailingRuleInFieldOrder) {
  REQUIREMENT("HS-ORDER-001");
  // Layout, flags and reserved all wrong: layout wins, then flags, then reserved.
  Bytes bytes = from_hex(kHelloHex);
  store_u16le(&bytes[hello_layout::kLayoutVersion], 2);
  store_u16le(&bytes[hello_layout::kFlags], 1);
  store_u32le(&bytes[hello_layout::kReserved], 1);
  EXPECT_EQ(error_of(decode_hello(ConstBytes(bytes))), Error::kHelloBadLayout);
  store_u16le(&bytes[hello_layout::kLayoutVersion], 1);
  EXPECT_EQ(error_of(decode_hello(ConstBytes(bytes))), Error::kHelloNonzeroFlags);
  store_u16le(&bytes[hello_layout::kFlags], 0);
  EXPECT_EQ(error_of(decode_hello(ConstBytes(bytes))), Error::kHelloNonzeroReserved);
  // Length comes before everything: a short payload with a bad layout is truncated.
  store_u16le(&bytes[hello_layout::kLayoutVersion], 2);
  EXPECT_EQ(error_of(decode_hello(ConstBytes(bytes.data(), 43))), Error::kHelloTruncated);
}

TEST(HelloDecode, AFailedDecodeMovesTheCursorNowhere) {
  REQUIREMENT("HS-HELLO-RESERVED-001");
  Bytes bytes = from_hex(kHelloHex);
  bytes[hello_layout::kReserved] = 1;
  ByteReader reader{ConstBytes(bytes)};
  EXPECT_EQ(error_of(decode_hello(&reader)), Error::kHelloNonzeroReserved);
  EXPECT_EQ(reader.consumed(), 0u);
  ByteReader short_reader{ConstBytes(bytes.data(), 10)};
  EXPECT_EQ(error_of(decode_hello(&short_reader)), Error::kHelloTruncated);
  EXPECT_EQ(short_reader.consumed(), 0u);
}

TEST(HelloDecode, CarriesMaximumFieldValues) {
  REQUIREMENT("HS-HELLO-FMT-001");
  Hello h;
  h.supported_profiles = UINT32_MAX;
  h.preferred_profiles = UINT32_MAX;
  h.max_request_payload_bytes = UINT32_MAX;
  h.max_request_batch_items = UINT32_MAX;
  h.max_response_payload_bytes = UINT32_MAX;
  h.max_response_batch_items = UINT32_MAX;
  h.auth_token = UINT64_MAX;
  h.packet_size = UINT32_MAX;
  const auto bytes = encode_hello(h);
  auto back = decode_hello(ConstBytes(bytes));
  ASSERT_TRUE(back.ok()) << error_name(back.error());
  EXPECT_EQ(*back, h);
}

// ---------------------------------------------------------------------------------------
// HELLO encode

TEST(HelloEncode, ReEncodesTheFactsSheetVectorByteExactly) {
  REQUIREMENT("HS-HELLO-FMT-001");
  const auto bytes = encode_hello(facts_hello());
  EXPECT_EQ(testing::to_hex(Bytes(bytes.begin(), bytes.end())),
            testing::to_hex(from_hex(kHelloHex)));
}

TEST(HelloEncode, WritesLayoutOneZeroFlagsAndZeroReserved) {
  REQUIREMENT("HS-CLI-HELLO-001");
  const auto b = encode_hello(distinct_hello());
  EXPECT_EQ(load_u16le(&b[hello_layout::kLayoutVersion]), 1);
  EXPECT_EQ(load_u16le(&b[hello_layout::kFlags]), 0);
  EXPECT_EQ(load_u32le(&b[hello_layout::kReserved]), 0u);
}

TEST(HelloEncode, WritesEveryFieldAtItsOffset) {
  REQUIREMENT("HS-HELLO-FMT-001");
  const Hello h = distinct_hello();
  const auto b = encode_hello(h);
  EXPECT_EQ(load_u32le(&b[4]), h.supported_profiles);
  EXPECT_EQ(load_u32le(&b[8]), h.preferred_profiles);
  EXPECT_EQ(load_u32le(&b[12]), h.max_request_payload_bytes);
  EXPECT_EQ(load_u32le(&b[16]), h.max_request_batch_items);
  EXPECT_EQ(load_u32le(&b[20]), h.max_response_payload_bytes);
  EXPECT_EQ(load_u32le(&b[24]), h.max_response_batch_items);
  EXPECT_EQ(load_u64le(&b[32]), h.auth_token);
  EXPECT_EQ(load_u32le(&b[40]), h.packet_size);
}

TEST(HelloEncode, RefusesEveryBufferShorterThan44BytesWritingNothing) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t n = 0; n < hello_layout::kSize; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_hello(facts_hello(), MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed encode wrote bytes, size " << n;
  }
}

TEST(HelloEncode, WritesExactly44BytesIntoALargerBuffer) {
  REQUIREMENT("HS-HELLO-FMT-001");
  Bytes out(60, 0xEE);
  ASSERT_TRUE(encode_hello(facts_hello(), MutableBytes(out)).ok());
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 44), from_hex(kHelloHex));
  EXPECT_EQ(Bytes(out.begin() + 44, out.end()), Bytes(16, 0xEE));
}

// ---------------------------------------------------------------------------------------
// HELLO_ACK decode

TEST(HelloAckDecode, DecodesAHandWrittenAck) {
  REQUIREMENT("HS-ACK-FMT-001");
  Bytes bytes = from_hex(kAckHex);
  ASSERT_EQ(bytes.size(), ack_layout::kSize);
  auto a = decode_hello_ack(ConstBytes(bytes));
  ASSERT_TRUE(a.ok()) << error_name(a.error());
  EXPECT_EQ(*a, hand_ack());
}

TEST(HelloAckDecode, ReadsEveryFieldAtItsOffset) {
  REQUIREMENT("HS-ACK-FMT-001");
  Bytes b(ack_layout::kSize, 0);
  const HelloAck want = distinct_ack();
  store_u16le(&b[0], 1);
  store_u32le(&b[4], want.server_supported_profiles);
  store_u32le(&b[8], want.intersection_profiles);
  store_u32le(&b[12], want.selected_profile);
  store_u32le(&b[16], want.agreed_max_request_payload_bytes);
  store_u32le(&b[20], want.agreed_max_request_batch_items);
  store_u32le(&b[24], want.agreed_max_response_payload_bytes);
  store_u32le(&b[28], want.agreed_max_response_batch_items);
  store_u32le(&b[32], want.agreed_packet_size);
  store_u64le(&b[40], want.session_id);
  auto a = decode_hello_ack(ConstBytes(b));
  ASSERT_TRUE(a.ok()) << error_name(a.error());
  EXPECT_EQ(*a, want);
}

TEST(HelloAckDecode, NamedOffsetsMatchTheWireLayout) {
  REQUIREMENT("HS-ACK-FMT-001");
  EXPECT_EQ(ack_layout::kLayoutVersion, 0u);
  EXPECT_EQ(ack_layout::kFlags, 2u);
  EXPECT_EQ(ack_layout::kServerSupportedProfiles, 4u);
  EXPECT_EQ(ack_layout::kIntersectionProfiles, 8u);
  EXPECT_EQ(ack_layout::kSelectedProfile, 12u);
  EXPECT_EQ(ack_layout::kAgreedMaxRequestPayloadBytes, 16u);
  EXPECT_EQ(ack_layout::kAgreedMaxRequestBatchItems, 20u);
  EXPECT_EQ(ack_layout::kAgreedMaxResponsePayloadBytes, 24u);
  EXPECT_EQ(ack_layout::kAgreedMaxResponseBatchItems, 28u);
  EXPECT_EQ(ack_layout::kAgreedPacketSize, 32u);
  EXPECT_EQ(ack_layout::kReserved, 36u);
  EXPECT_EQ(ack_layout::kSessionId, 40u);
  EXPECT_EQ(ack_layout::kSize, 48u);
}

TEST(HelloAckDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("HS-ACK-LEN-001");
  Bytes bytes = from_hex(kAckHex);
  for (std::size_t n = 0; n < ack_layout::kSize; ++n) {
    auto a = decode_hello_ack(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(a.ok()) << "prefix " << n;
    EXPECT_EQ(a.error(), Error::kAckTruncated) << "prefix " << n;
  }
}

TEST(HelloAckDecode, IgnoresBytesAfterThe48) {
  REQUIREMENT("HS-ACK-LEN-001");
  Bytes bytes = from_hex(kAckHex);
  bytes.resize(96, 0xEE);
  ByteReader reader{ConstBytes(bytes)};
  auto a = decode_hello_ack(&reader);
  ASSERT_TRUE(a.ok()) << error_name(a.error());
  EXPECT_EQ(*a, hand_ack());
  EXPECT_EQ(reader.consumed(), 48u);
}

TEST(HelloAckDecode, RejectsLayoutVersionOtherThanOne) {
  REQUIREMENT("HS-ACK-LAYOUT-001");
  for (std::uint16_t v : {0, 2, 0x0100, 0xFFFF}) {
    Bytes bytes = from_hex(kAckHex);
    store_u16le(&bytes[ack_layout::kLayoutVersion], v);
    auto a = decode_hello_ack(ConstBytes(bytes));
    ASSERT_FALSE(a.ok()) << v;
    EXPECT_EQ(a.error(), Error::kAckBadLayout) << v;
  }
}

TEST(HelloAckDecode, RejectsNonzeroFlags) {
  REQUIREMENT("HS-ACK-FLAGS-001");
  for (std::uint16_t v : {0x0001, 0x0100, 0x8000, 0xFFFF}) {
    Bytes bytes = from_hex(kAckHex);
    store_u16le(&bytes[ack_layout::kFlags], v);
    auto a = decode_hello_ack(ConstBytes(bytes));
    ASSERT_FALSE(a.ok()) << v;
    EXPECT_EQ(a.error(), Error::kAckNonzeroFlags) << v;
  }
}

TEST(HelloAckDecode, RejectsANonzeroByteAnywhereInReserved) {
  REQUIREMENT("HS-ACK-RESERVED-001");
  for (std::size_t i = 0; i < 4; ++i) {
    Bytes bytes = from_hex(kAckHex);
    bytes[ack_layout::kReserved + i] = 0x80;
    auto a = decode_hello_ack(ConstBytes(bytes));
    ASSERT_FALSE(a.ok()) << "byte " << i;
    EXPECT_EQ(a.error(), Error::kAckNonzeroReserved) << "byte " << i;
  }
}

TEST(HelloAckDecode, ReportsTheFirstFailingRuleInFieldOrder) {
  REQUIREMENT("HS-ACK-LAYOUT-001");
  Bytes bytes = from_hex(kAckHex);
  store_u16le(&bytes[ack_layout::kLayoutVersion], 0);
  store_u16le(&bytes[ack_layout::kFlags], 1);
  store_u32le(&bytes[ack_layout::kReserved], 1);
  EXPECT_EQ(error_of(decode_hello_ack(ConstBytes(bytes))), Error::kAckBadLayout);
  store_u16le(&bytes[ack_layout::kLayoutVersion], 1);
  EXPECT_EQ(error_of(decode_hello_ack(ConstBytes(bytes))), Error::kAckNonzeroFlags);
  store_u16le(&bytes[ack_layout::kFlags], 0);
  EXPECT_EQ(error_of(decode_hello_ack(ConstBytes(bytes))), Error::kAckNonzeroReserved);
  store_u16le(&bytes[ack_layout::kLayoutVersion], 0);
  EXPECT_EQ(error_of(decode_hello_ack(ConstBytes(bytes.data(), 47))), Error::kAckTruncated);
}

TEST(HelloAckDecode, AFailedDecodeMovesTheCursorNowhere) {
  REQUIREMENT("HS-ACK-FLAGS-001");
  Bytes bytes = from_hex(kAckHex);
  bytes[ack_layout::kFlags] = 1;
  ByteReader reader{ConstBytes(bytes)};
  EXPECT_EQ(error_of(decode_hello_ack(&reader)), Error::kAckNonzeroFlags);
  EXPECT_EQ(reader.consumed(), 0u);
}

TEST(HelloAckDecode, CarriesMaximumFieldValues) {
  REQUIREMENT("HS-ACK-FMT-001");
  HelloAck a;
  a.server_supported_profiles = UINT32_MAX;
  a.intersection_profiles = UINT32_MAX;
  a.selected_profile = UINT32_MAX;
  a.agreed_max_request_payload_bytes = UINT32_MAX;
  a.agreed_max_request_batch_items = UINT32_MAX;
  a.agreed_max_response_payload_bytes = UINT32_MAX;
  a.agreed_max_response_batch_items = UINT32_MAX;
  a.agreed_packet_size = UINT32_MAX;
  a.session_id = UINT64_MAX;
  const auto bytes = encode_hello_ack(a);
  auto back = decode_hello_ack(ConstBytes(bytes));
  ASSERT_TRUE(back.ok()) << error_name(back.error());
  EXPECT_EQ(*back, a);
}

// ---------------------------------------------------------------------------------------
// HELLO_ACK encode

TEST(HelloAckEncode, EncodesTheHandWrittenAckByteExactly) {
  REQUIREMENT("HS-ACK-FMT-001");
  const auto bytes = encode_hello_ack(hand_ack());
  EXPECT_EQ(testing::to_hex(Bytes(bytes.begin(), bytes.end())),
            testing::to_hex(from_hex(kAckHex)));
}

TEST(HelloAckEncode, WritesEveryFieldAtItsOffsetWithZeroFlagsAndReserved) {
  REQUIREMENT("HS-ACK-FMT-001");
  const HelloAck a = distinct_ack();
  const auto b = encode_hello_ack(a);
  EXPECT_EQ(load_u16le(&b[0]), 1);
  EXPECT_EQ(load_u16le(&b[2]), 0);
  EXPECT_EQ(load_u32le(&b[4]), a.server_supported_profiles);
  EXPECT_EQ(load_u32le(&b[8]), a.intersection_profiles);
  EXPECT_EQ(load_u32le(&b[12]), a.selected_profile);
  EXPECT_EQ(load_u32le(&b[16]), a.agreed_max_request_payload_bytes);
  EXPECT_EQ(load_u32le(&b[20]), a.agreed_max_request_batch_items);
  EXPECT_EQ(load_u32le(&b[24]), a.agreed_max_response_payload_bytes);
  EXPECT_EQ(load_u32le(&b[28]), a.agreed_max_response_batch_items);
  EXPECT_EQ(load_u32le(&b[32]), a.agreed_packet_size);
  EXPECT_EQ(load_u32le(&b[36]), 0u);
  EXPECT_EQ(load_u64le(&b[40]), a.session_id);
}

TEST(HelloAckEncode, EncodesTheRejectionFormAsLayoutOneAndZeros) {
  REQUIREMENT("HS-REJECT-001");
  const auto bytes = encode_hello_ack(HelloAck{});
  Bytes want(48, 0);
  want[0] = 0x01;
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), want);
}

TEST(HelloAckEncode, RefusesEveryBufferShorterThan48BytesWritingNothing) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t n = 0; n < ack_layout::kSize; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_hello_ack(hand_ack(), MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed encode wrote bytes, size " << n;
  }
}

}  // namespace
}  // namespace nipc
