// Outer header (spec/envelope.md): every field, every decode rule, the facts-sheet vector.
#include "nipc/codec/header.h"

#include <gtest/gtest.h>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::error_of;
using testing::from_hex;

// HELLO outer header from the protocol facts (kind 3, code 1, payload 44, item_count 1).
const char* const kHelloHeaderHex =
    "43 50 49 4e 01 00 20 00 03 00 00 00 01 00 00 00 "
    "2c 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00";

Bytes valid_header_bytes() { return from_hex(kHelloHeaderHex); }

TEST(HeaderDecode, DecodesTheHelloHeaderVector) {
  REQUIREMENT("ENV-HDR-001");
  Bytes bytes = valid_header_bytes();
  auto h = decode_header(ConstBytes(bytes));
  ASSERT_TRUE(h.ok()) << error_name(h.error());
  EXPECT_EQ(h->kind, Kind::kControl);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->code, 1);
  EXPECT_EQ(h->transport_status, 0);
  EXPECT_EQ(h->payload_len, 44u);
  EXPECT_EQ(h->item_count, 1u);
  EXPECT_EQ(h->message_id, 0u);
}

TEST(HeaderEncode, ReEncodesTheHelloHeaderVectorByteExactly) {
  REQUIREMENT("ENV-HDR-001");
  Header h;
  h.kind = Kind::kControl;
  h.code = 1;
  h.payload_len = 44;
  h.item_count = 1;
  const auto bytes = encode_header(h);
  EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), valid_header_bytes());
}

TEST(HeaderEncode, WritesEveryFieldAtItsOffset) {
  REQUIREMENT("ENV-HDR-001");
  Header h;
  h.kind = Kind::kResponse;
  h.flags = 0xA1B2;
  h.code = 0xC3D4;
  h.transport_status = 0xE5F6;
  h.payload_len = 0x01020304;
  h.item_count = 0x05060708;
  h.message_id = 0x1112131415161718ULL;
  const auto b = encode_header(h);
  EXPECT_EQ(load_u32le(&b[header_layout::kMagic]), kMessageMagic);
  EXPECT_EQ(load_u16le(&b[header_layout::kVersion]), 1);
  EXPECT_EQ(load_u16le(&b[header_layout::kHeaderLen]), 32);
  EXPECT_EQ(load_u16le(&b[header_layout::kKind]), 2);
  EXPECT_EQ(load_u16le(&b[header_layout::kFlags]), 0xA1B2);
  EXPECT_EQ(load_u16le(&b[header_layout::kCode]), 0xC3D4);
  EXPECT_EQ(load_u16le(&b[header_layout::kTransportStatus]), 0xE5F6);
  EXPECT_EQ(load_u32le(&b[header_layout::kPayloadLen]), 0x01020304u);
  EXPECT_EQ(load_u32le(&b[header_layout::kItemCount]), 0x05060708u);
  EXPECT_EQ(load_u64le(&b[header_layout::kMessageId]), 0x1112131415161718ULL);
  auto back = decode_header(ConstBytes(b));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
}

TEST(HeaderEncode, RefusesABufferShorterThan32Bytes) {
  REQUIREMENT("CODEC-ENC-001");
  std::uint8_t out[31] = {};
  auto r = encode_header(Header{}, MutableBytes(out));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kBufferTooSmall);
  for (std::uint8_t b : out) EXPECT_EQ(b, 0) << "a failed encode wrote bytes";
}

TEST(HeaderDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("ENV-LEN-001");
  Bytes bytes = valid_header_bytes();
  for (std::size_t n = 0; n < header_layout::kSize; ++n) {
    auto h = decode_header(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(h.ok()) << "prefix " << n;
    EXPECT_EQ(h.error(), Error::kHeaderTruncated) << "prefix " << n;
  }
}

TEST(HeaderDecode, RejectsBadMagic) {
  REQUIREMENT("ENV-MAGIC-001");
  for (std::uint32_t magic : {0u, 0x4e495042u, 0x4350494eu, kChunkMagic, 0xFFFFFFFFu}) {
    Bytes bytes = valid_header_bytes();
    store_u32le(&bytes[header_layout::kMagic], magic);
    auto h = decode_header(ConstBytes(bytes));
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), Error::kHeaderBadMagic) << std::hex << magic;
  }
}

TEST(HeaderDecode, RejectsBadVersion) {
  REQUIREMENT("ENV-VERSION-001");
  for (std::uint16_t v : {0, 2, 0xFFFF}) {
    Bytes bytes = valid_header_bytes();
    store_u16le(&bytes[header_layout::kVersion], v);
    auto h = decode_header(ConstBytes(bytes));
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), Error::kHeaderBadVersion) << v;
  }
}

TEST(HeaderDecode, RejectsBadHeaderLen) {
  REQUIREMENT("ENV-HDRLEN-001");
  for (std::uint16_t v : {0, 31, 33, 64, 0xFFFF}) {
    Bytes bytes = valid_header_bytes();
    store_u16le(&bytes[header_layout::kHeaderLen], v);
    auto h = decode_header(ConstBytes(bytes));
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), Error::kHeaderBadHeaderLen) << v;
  }
}

TEST(HeaderDecode, RejectsKindOutsideOneToThree) {
  REQUIREMENT("ENV-KIND-001");
  for (std::uint16_t v : {0, 4, 5, 0x0100, 0xFFFF}) {
    Bytes bytes = valid_header_bytes();
    store_u16le(&bytes[header_layout::kKind], v);
    auto h = decode_header(ConstBytes(bytes));
    ASSERT_FALSE(h.ok());
    EXPECT_EQ(h.error(), Error::kHeaderBadKind) << v;
  }
}

TEST(HeaderDecode, AcceptsEachDefinedKind) {
  REQUIREMENT("ENV-KIND-001");
  for (std::uint16_t v : {1, 2, 3}) {
    Bytes bytes = valid_header_bytes();
    store_u16le(&bytes[header_layout::kKind], v);
    auto h = decode_header(ConstBytes(bytes));
    ASSERT_TRUE(h.ok()) << v;
    EXPECT_EQ(static_cast<std::uint16_t>(h->kind), v);
  }
}

TEST(HeaderDecode, ReportsTheFirstFailingRuleInOrder) {
  REQUIREMENT("ENV-ORDER-001");
  // Everything wrong at once: magic wins; then version; then header_len; then kind.
  Bytes bytes = valid_header_bytes();
  store_u32le(&bytes[header_layout::kMagic], 0);
  store_u16le(&bytes[header_layout::kVersion], 9);
  store_u16le(&bytes[header_layout::kHeaderLen], 9);
  store_u16le(&bytes[header_layout::kKind], 9);
  EXPECT_EQ(error_of(decode_header(ConstBytes(bytes))), Error::kHeaderBadMagic);
  store_u32le(&bytes[header_layout::kMagic], kMessageMagic);
  EXPECT_EQ(error_of(decode_header(ConstBytes(bytes))), Error::kHeaderBadVersion);
  store_u16le(&bytes[header_layout::kVersion], 1);
  EXPECT_EQ(error_of(decode_header(ConstBytes(bytes))), Error::kHeaderBadHeaderLen);
  store_u16le(&bytes[header_layout::kHeaderLen], 32);
  EXPECT_EQ(error_of(decode_header(ConstBytes(bytes))), Error::kHeaderBadKind);
}

TEST(HeaderDecode, IgnoresUndefinedFlagBitsAndStatusValues) {
  REQUIREMENT("ENV-FLAGS-001");
  Bytes bytes = valid_header_bytes();
  store_u16le(&bytes[header_layout::kFlags], 0xFFFE);
  store_u16le(&bytes[header_layout::kTransportStatus], 0x7777);
  auto h = decode_header(ConstBytes(bytes));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->flags, 0xFFFE);
  EXPECT_FALSE(h->is_batch());
  EXPECT_EQ(h->transport_status, 0x7777);
}

TEST(HeaderDecode, ConsumesExactly32BytesAndLeavesThePayload) {
  REQUIREMENT("ENV-HDR-001");
  Bytes bytes = valid_header_bytes();
  bytes.push_back(0xAB);
  ByteReader reader{ConstBytes(bytes)};
  auto h = decode_header(&reader);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(reader.consumed(), 32u);
  EXPECT_EQ(reader.remaining(), 1u);
}

TEST(HeaderDecode, AFailedDecodeMovesTheCursorNowhere) {
  REQUIREMENT("ENV-MAGIC-001");
  Bytes bytes = valid_header_bytes();
  bytes[0] ^= 1;
  ByteReader reader{ConstBytes(bytes)};
  ASSERT_FALSE(decode_header(&reader).ok());
  EXPECT_EQ(reader.consumed(), 0u);
}

TEST(HeaderDecode, CarriesMaximumFieldValues) {
  REQUIREMENT("ENV-HDR-001");
  Header h;
  h.kind = Kind::kRequest;
  h.flags = 0xFFFF;
  h.code = 0xFFFF;
  h.transport_status = 0xFFFF;
  h.payload_len = UINT32_MAX;
  h.item_count = UINT32_MAX;
  h.message_id = UINT64_MAX;
  const auto b = encode_header(h);
  auto back = decode_header(ConstBytes(b));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, h);
}

}  // namespace
}  // namespace nipc
