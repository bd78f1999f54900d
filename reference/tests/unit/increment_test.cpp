// INCREMENT payload (spec/codecs.md): layout, truncation, trailing bytes, service answer.
#include "nipc/codec/increment.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::from_hex;

TEST(IncrementDecode, ReadsALittleEndianU64) {
  REQUIREMENT("CODEC-INC-001");
  Bytes bytes = from_hex("08 07 06 05 04 03 02 01");
  auto v = decode_increment(ConstBytes(bytes));
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  EXPECT_EQ(*v, 0x0102030405060708ULL);
}

TEST(IncrementDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("CODEC-INC-001");
  Bytes bytes = from_hex("08 07 06 05 04 03 02 01");
  for (std::size_t n = 0; n < increment_layout::kSize; ++n) {
    auto v = decode_increment(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(v.ok()) << "prefix " << n;
    EXPECT_EQ(v.error(), Error::kIncrementTruncated) << "prefix " << n;
  }
}

TEST(IncrementDecode, IgnoresBytesAfterTheValue) {
  REQUIREMENT("CODEC-INC-001");
  Bytes bytes = from_hex("2a 00 00 00 00 00 00 00 ff ff ff ff 01");
  auto v = decode_increment(ConstBytes(bytes));
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  EXPECT_EQ(*v, 42u);
}

TEST(IncrementEncode, WritesExactlyEightLittleEndianBytes) {
  REQUIREMENT("CODEC-INC-001");
  Bytes out(12, 0xEE);
  auto n = encode_increment(0x1122334455667788ULL, MutableBytes(out));
  ASSERT_TRUE(n.ok()) << error_name(n.error());
  EXPECT_EQ(*n, 8u);
  EXPECT_EQ(increment_encoded_size(), 8u);
  EXPECT_EQ(out, from_hex("88 77 66 55 44 33 22 11 ee ee ee ee"));
  EXPECT_EQ(load_u64le(&out[increment_layout::kValue]), 0x1122334455667788ULL);
}

TEST(IncrementEncode, RefusesABufferShorterThanEightBytesAndWritesNothing) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t n = 0; n < increment_layout::kSize; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_increment(UINT64_MAX, MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed encode wrote bytes";
  }
}

TEST(IncrementEncode, RoundTripsBoundaryValues) {
  REQUIREMENT("CODEC-INC-001");
  for (std::uint64_t value : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0x80000000},
                              std::uint64_t{UINT32_MAX}, std::uint64_t{UINT32_MAX} + 1,
                              std::uint64_t{INT64_MAX}, std::uint64_t{UINT64_MAX}}) {
    std::uint8_t out[8];
    ASSERT_TRUE(encode_increment(value, MutableBytes(out)).ok());
    auto back = decode_increment(ConstBytes(out));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, value);
  }
}

TEST(IncrementService, AnswersValuePlusOne) {
  REQUIREMENT("CODEC-INC-002");
  EXPECT_EQ(increment_answer(0), 1u);
  EXPECT_EQ(increment_answer(41), 42u);
  EXPECT_EQ(increment_answer(UINT32_MAX), std::uint64_t{UINT32_MAX} + 1);
}

TEST(IncrementService, WrapsAtTwoToTheSixtyFour) {
  REQUIREMENT("CODEC-INC-002");
  EXPECT_EQ(increment_answer(UINT64_MAX), 0u);
  EXPECT_EQ(increment_answer(UINT64_MAX - 1), UINT64_MAX);
}

}  // namespace
}  // namespace nipc
