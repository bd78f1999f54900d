// STRING_REVERSE payload (spec/codecs.md): the facts-sheet vector, every decode rule in order,
// 64-bit bounds, the canonical writer, the service answer.
#include "nipc/codec/string_reverse.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "support/huge_view.h"
#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::from_hex;

// STRING_REVERSE "abc" from the protocol facts.
const char* const kAbcHex = "08 00 00 00 03 00 00 00 61 62 63 00";

Bytes encode(std::string_view text) {
  Bytes out(static_cast<std::size_t>(string_reverse_encoded_size(text.size())));
  auto n = encode_string_reverse(text, MutableBytes(out));
  EXPECT_TRUE(n.ok());
  if (n.ok()) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

std::string every_nonzero_byte() {
  std::string s;
  for (int b = 1; b <= 255; ++b) s.push_back(static_cast<char>(b));
  return s;
}

TEST(StringReverseDecode, DecodesTheAbcVector) {
  REQUIREMENT("CODEC-STR-003");
  Bytes bytes = from_hex(kAbcHex);
  auto s = decode_string_reverse(ConstBytes(bytes));
  ASSERT_TRUE(s.ok()) << error_name(s.error());
  EXPECT_EQ(*s, "abc");
}

TEST(StringReverseEncode, ReEncodesTheAbcVectorByteExactly) {
  REQUIREMENT("CODEC-STR-006");
  EXPECT_EQ(encode("abc"), from_hex(kAbcHex));
}

TEST(StringReverseDecode, ReturnsAViewIntoThePayload) {
  REQUIREMENT("CODEC-STR-003");
  Bytes bytes = from_hex(kAbcHex);
  auto s = decode_string_reverse(ConstBytes(bytes));
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(static_cast<const void*>(s->data()), static_cast<const void*>(bytes.data() + 8));
}

TEST(StringReverseDecode, RejectsEveryPrefixShorterThanEightBytesAsTruncated) {
  REQUIREMENT("CODEC-STR-001");
  Bytes bytes = from_hex(kAbcHex);
  for (std::size_t n = 0; n < string_reverse_layout::kFixedSize; ++n) {
    auto s = decode_string_reverse(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(s.ok()) << "prefix " << n;
    EXPECT_EQ(s.error(), Error::kStringTruncated) << "prefix " << n;
  }
}

TEST(StringReverseDecode, RejectsEveryPrefixThatCutsTheStringOrItsNul) {
  REQUIREMENT("CODEC-STR-003");
  Bytes bytes = from_hex(kAbcHex);
  for (std::size_t n = string_reverse_layout::kFixedSize; n < bytes.size(); ++n) {
    auto s = decode_string_reverse(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(s.ok()) << "prefix " << n;
    EXPECT_EQ(s.error(), Error::kStringOutOfBounds) << "prefix " << n;
  }
}

TEST(StringReverseDecode, RejectsAnOffsetOtherThanEight) {
  REQUIREMENT("CODEC-STR-002");
  // Includes offsets that would point at valid bytes (0, 4) and offsets past the payload.
  for (std::uint32_t offset : {0u, 4u, 7u, 9u, 12u, 16u, 0x80000000u, UINT32_MAX}) {
    Bytes bytes = from_hex("08 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    store_u32le(&bytes[string_reverse_layout::kStrOffset], offset);
    auto s = decode_string_reverse(ConstBytes(bytes));
    ASSERT_FALSE(s.ok()) << offset;
    EXPECT_EQ(s.error(), Error::kStringBadOffset) << offset;
  }
}

TEST(StringReverseDecode, ChecksTheOffsetBeforeTheBounds) {
  REQUIREMENT("CODEC-STR-002");
  Bytes bytes = from_hex("09 00 00 00 ff ff ff ff");
  EXPECT_EQ(decode_string_reverse(ConstBytes(bytes)).error(), Error::kStringBadOffset);
}

TEST(StringReverseDecode, RejectsLengthsThatWouldWrapIn32Bits) {
  REQUIREMENT("CODEC-STR-003");
  // offset + length + 1 wraps to a small number in u32 arithmetic for each of these.
  for (std::uint32_t length : {UINT32_MAX, UINT32_MAX - 7, UINT32_MAX - 8, UINT32_MAX - 9}) {
    Bytes bytes = from_hex("08 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
    store_u32le(&bytes[string_reverse_layout::kStrLength], length);
    auto s = decode_string_reverse(ConstBytes(bytes));
    ASSERT_FALSE(s.ok()) << length;
    EXPECT_EQ(s.error(), Error::kStringOutOfBounds) << length;
  }
}

TEST(StringReverseDecode, RejectsALengthOneBeyondThePayload) {
  REQUIREMENT("CODEC-STR-003");
  Bytes bytes = from_hex("08 00 00 00 04 00 00 00 61 62 63 00");
  EXPECT_EQ(decode_string_reverse(ConstBytes(bytes)).error(), Error::kStringOutOfBounds);
}

TEST(StringReverseDecode, RejectsAMissingNul) {
  REQUIREMENT("CODEC-STR-004");
  Bytes bytes = from_hex("08 00 00 00 03 00 00 00 61 62 63 64");
  EXPECT_EQ(decode_string_reverse(ConstBytes(bytes)).error(), Error::kStringMissingNul);
  // The NUL must be exactly at offset + length: one further does not count.
  bytes = from_hex("08 00 00 00 02 00 00 00 61 62 63 00");
  EXPECT_EQ(decode_string_reverse(ConstBytes(bytes)).error(), Error::kStringMissingNul);
}

TEST(StringReverseDecode, AcceptsInteriorNuls) {
  REQUIREMENT("CODEC-STR-005");
  Bytes bytes = from_hex("08 00 00 00 05 00 00 00 00 61 00 62 00 00");
  auto s = decode_string_reverse(ConstBytes(bytes));
  ASSERT_TRUE(s.ok()) << error_name(s.error());
  EXPECT_EQ(*s, std::string_view("\0a\0b\0", 5));
}

TEST(StringReverseDecode, IgnoresBytesAfterTheNul) {
  REQUIREMENT("CODEC-STR-004");
  Bytes bytes = from_hex("08 00 00 00 03 00 00 00 61 62 63 00 78 79 7a ff");
  auto s = decode_string_reverse(ConstBytes(bytes));
  ASSERT_TRUE(s.ok()) << error_name(s.error());
  EXPECT_EQ(*s, "abc");
}

TEST(StringReverseDecode, DecodesTheEmptyString) {
  REQUIREMENT("CODEC-STR-003");
  Bytes bytes = from_hex("08 00 00 00 00 00 00 00 00");
  auto s = decode_string_reverse(ConstBytes(bytes));
  ASSERT_TRUE(s.ok()) << error_name(s.error());
  EXPECT_TRUE(s->empty());
  EXPECT_EQ(encode(""), bytes);
}

TEST(StringReverseCodec, RoundTripsEveryNonzeroByteValue) {
  REQUIREMENT("CODEC-STR-006");
  const std::string text = every_nonzero_byte();
  Bytes bytes = encode(text);
  ASSERT_EQ(bytes.size(), 8u + 255u + 1u);
  auto s = decode_string_reverse(ConstBytes(bytes));
  ASSERT_TRUE(s.ok()) << error_name(s.error());
  EXPECT_EQ(*s, text);
}

TEST(StringReverseEncode, WritesTheCanonicalLayoutWithoutPadding) {
  REQUIREMENT("CODEC-STR-006");
  Bytes out(32, 0xEE);
  auto n = encode_string_reverse("hello", MutableBytes(out));
  ASSERT_TRUE(n.ok()) << error_name(n.error());
  EXPECT_EQ(*n, 8u + 5u + 1u);  // 14: not rounded up to 16
  EXPECT_EQ(load_u32le(&out[string_reverse_layout::kStrOffset]), 8u);
  EXPECT_EQ(load_u32le(&out[string_reverse_layout::kStrLength]), 5u);
  EXPECT_EQ(Bytes(out.begin() + 8, out.begin() + 14), from_hex("68 65 6c 6c 6f 00"));
  EXPECT_EQ(Bytes(out.begin() + 14, out.end()), Bytes(18, 0xEE)) << "wrote past the payload";
}

TEST(StringReverseEncode, ReportsTheSizeWithoutWrapping) {
  REQUIREMENT("CODEC-STR-006");
  EXPECT_EQ(string_reverse_encoded_size(0), 9u);
  EXPECT_EQ(string_reverse_encoded_size(3), 12u);
  EXPECT_EQ(string_reverse_encoded_size(UINT32_MAX), std::uint64_t{UINT32_MAX} + 9);
}

TEST(StringReverseEncode, RefusesEveryShortBufferAndWritesNothing) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t n = 0; n < 12; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_string_reverse("abc", MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed encode wrote bytes";
  }
}

TEST(StringReverseEncode, RefusesAStringLongerThanUint32Max) {
  REQUIREMENT("CODEC-ENC-002");
  const std::size_t too_long = std::size_t{UINT32_MAX} + 1;
  testing::HugeView huge(too_long);
  if (!huge.valid()) GTEST_SKIP() << "cannot map a 4 GiB view";
  Bytes out(64, 0xEE);
  auto r = encode_string_reverse(huge.view(too_long), MutableBytes(out));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kValueOutOfRange);
  EXPECT_EQ(out, Bytes(64, 0xEE));
  // One byte less fits the field; only the buffer is short then.
  r = encode_string_reverse(huge.view(too_long - 1), MutableBytes(out));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kBufferTooSmall);
  EXPECT_EQ(encode_string_reverse_answer(huge.view(too_long), MutableBytes(out)).error(),
            Error::kValueOutOfRange);
}

TEST(StringReverseService, AnswersTheByteReversedString) {
  REQUIREMENT("CODEC-STR-005");
  EXPECT_EQ(reverse_string("abc"), "cba");
  EXPECT_EQ(reverse_string(""), "");
  EXPECT_EQ(reverse_string("x"), "x");
  const std::string_view with_nuls("a\0b\0\0c", 6);
  EXPECT_EQ(reverse_string(with_nuls), std::string_view("c\0\0b\0a", 6));
  const std::string all = every_nonzero_byte();
  const std::string reversed = reverse_string(all);
  ASSERT_EQ(reversed.size(), 255u);
  EXPECT_EQ(static_cast<unsigned char>(reversed.front()), 0xFF);
  EXPECT_EQ(static_cast<unsigned char>(reversed.back()), 0x01);
}

TEST(StringReverseService, WritesTheAnswerAsACanonicalPayload) {
  REQUIREMENT("CODEC-STR-005");
  for (std::string_view request : {std::string_view("abc"), std::string_view(""),
                                   std::string_view("a\0b\0\0c", 6)}) {
    Bytes out(static_cast<std::size_t>(string_reverse_encoded_size(request.size())), 0xEE);
    auto n = encode_string_reverse_answer(request, MutableBytes(out));
    ASSERT_TRUE(n.ok()) << error_name(n.error());
    EXPECT_EQ(*n, out.size());
    EXPECT_EQ(out, encode(reverse_string(request)));
  }
  Bytes vector_answer(12);
  ASSERT_TRUE(encode_string_reverse_answer("abc", MutableBytes(vector_answer)).ok());
  EXPECT_EQ(vector_answer, from_hex("08 00 00 00 03 00 00 00 63 62 61 00"));
}

TEST(StringReverseService, RefusesAShortBufferForTheAnswer) {
  REQUIREMENT("CODEC-ENC-001");
  Bytes out(11, 0xEE);
  EXPECT_EQ(encode_string_reverse_answer("abc", MutableBytes(out)).error(),
            Error::kBufferTooSmall);
  EXPECT_EQ(out, Bytes(11, 0xEE));
}

}  // namespace
}  // namespace nipc
