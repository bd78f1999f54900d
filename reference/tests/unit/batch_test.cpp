// Batch framing (spec/batch.md): canonical encoding, directory validation, item access.
#include "nipc/codec/batch.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::from_hex;

// Facts-sheet vector: items 01 00 00 00 00 00 00 00 and 78 79 00, payload_len 32.
const char* const kTwoItemBatchHex =
    "00 00 00 00 08 00 00 00 08 00 00 00 03 00 00 00 "
    "01 00 00 00 00 00 00 00 78 79 00 00 00 00 00 00";
const Bytes kItem0 = from_hex("01 00 00 00 00 00 00 00");
const Bytes kItem1 = from_hex("78 79 00");

Bytes as_bytes(ConstBytes b) { return Bytes(b.begin(), b.end()); }

Bytes encode(const std::vector<Bytes>& items) {
  std::vector<ConstBytes> views(items.begin(), items.end());
  Bytes out(batch_encoded_size(views));
  auto n = encode_batch(views, MutableBytes(out));
  EXPECT_TRUE(n.ok()) << error_name(n.error());
  EXPECT_EQ(n.ok() ? *n : 0, out.size());
  return out;
}

// A payload with a hand-written directory followed by `packed_len` bytes of packed area.
Bytes with_directory(const std::vector<std::pair<std::uint32_t, std::uint32_t>>& entries,
                     std::size_t packed_len) {
  Bytes out(entries.size() * batch_entry_layout::kSize + packed_len, 0);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    std::uint8_t* e = out.data() + i * batch_entry_layout::kSize;
    store_u32le(e + batch_entry_layout::kOffset, entries[i].first);
    store_u32le(e + batch_entry_layout::kLength, entries[i].second);
  }
  for (std::size_t i = 0; i < packed_len; ++i)
    out[entries.size() * batch_entry_layout::kSize + i] = static_cast<std::uint8_t>(i);
  return out;
}

Error parse_error(const Bytes& payload, std::uint32_t item_count) {
  auto v = BatchView::parse(ConstBytes(payload), item_count);
  EXPECT_FALSE(v.ok()) << "parsed " << item_count << " items";
  return v.ok() ? Error::kBufferTooSmall : v.error();
}

TEST(BatchEncode, ProducesTheFactsVectorByteExactly) {
  REQUIREMENT("BATCH-LAYOUT-001");
  const Bytes out = encode({kItem0, kItem1});
  EXPECT_EQ(out, from_hex(kTwoItemBatchHex)) << testing::to_hex(out);
  EXPECT_EQ(out.size(), 32u) << "the trailing pad counts in the payload";
}

TEST(BatchParse, DecodesTheFactsVectorAndReEncodesIt) {
  REQUIREMENT("BATCH-LAYOUT-001");
  const Bytes payload = from_hex(kTwoItemBatchHex);
  auto v = BatchView::parse(ConstBytes(payload), 2);
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  ASSERT_EQ(v->size(), 2u);
  auto a = v->item(0);
  auto b = v->item(1);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(as_bytes(*a), kItem0);
  EXPECT_EQ(as_bytes(*b), kItem1);
  EXPECT_EQ(encode({as_bytes(*a), as_bytes(*b)}), payload);
}

TEST(BatchEncode, AlignsEveryItemAndZeroesEveryGap) {
  REQUIREMENT("BATCH-LAYOUT-001");
  // Lengths 1, 0, 9, 8: offsets 0, 8, 8, 24; packed end 32; directory 32 bytes.
  const Bytes out = encode({Bytes(1, 0xA1), Bytes(), Bytes(9, 0xB2), Bytes(8, 0xC3)});
  ASSERT_EQ(out.size(), 64u);
  const std::uint32_t offsets[] = {0, 8, 8, 24};
  const std::uint32_t lengths[] = {1, 0, 9, 8};
  for (std::size_t i = 0; i < 4; ++i) {
    const std::uint8_t* e = out.data() + 8 * i;
    EXPECT_EQ(load_u32le(e + batch_entry_layout::kOffset), offsets[i]) << i;
    EXPECT_EQ(load_u32le(e + batch_entry_layout::kLength), lengths[i]) << i;
  }
  Bytes packed(out.begin() + 32, out.end());
  Bytes expected(32, 0);
  expected[0] = 0xA1;
  for (int i = 8; i < 17; ++i) expected[i] = 0xB2;
  for (int i = 24; i < 32; ++i) expected[i] = 0xC3;
  EXPECT_EQ(packed, expected) << testing::to_hex(packed);
}

TEST(BatchEncode, RoundsThePayloadUpToAMultipleOfEight) {
  REQUIREMENT("BATCH-LAYOUT-001");
  for (std::size_t last = 0; last <= 16; ++last) {
    const std::vector<Bytes> items = {Bytes(3, 1), Bytes(last, 2)};
    const Bytes out = encode(items);
    EXPECT_EQ(out.size() % 8, 0u) << last;
    EXPECT_EQ(out.size(), 16 + 8 + ((last + 7) / 8) * 8) << last;
  }
}

TEST(BatchEncode, EncodesAnEmptyBatchAsZeroBytes) {
  REQUIREMENT("BATCH-LAYOUT-001");
  EXPECT_EQ(batch_encoded_size({}), 0u);
  auto n = encode_batch({}, MutableBytes());
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(BatchEncode, RefusesEveryShortBufferWritingNothing) {
  REQUIREMENT("CODEC-ENC-001");
  const std::vector<ConstBytes> items = {ConstBytes(kItem0), ConstBytes(kItem1)};
  for (std::size_t n = 0; n < 32; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_batch(items, MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE)) << "a failed encode wrote bytes, n=" << n;
  }
}

TEST(BatchEncode, WritesOnlyTheEncodingIntoALargerBuffer) {
  REQUIREMENT("BATCH-LAYOUT-001");
  const std::vector<ConstBytes> items = {ConstBytes(kItem0), ConstBytes(kItem1)};
  Bytes out(40, 0xEE);
  auto n = encode_batch(items, MutableBytes(out));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 32u);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 32), from_hex(kTwoItemBatchHex));
  EXPECT_EQ(Bytes(out.begin() + 32, out.end()), Bytes(8, 0xEE));
}

TEST(BatchParse, RejectsEveryPrefixShorterThanTheDirectory) {
  REQUIREMENT("BATCH-DIR-001");
  const Bytes payload = from_hex(kTwoItemBatchHex);
  for (std::size_t n = 0; n < 16; ++n) {
    Bytes prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(parse_error(prefix, 2), Error::kBatchDirectoryTruncated) << n;
  }
}

TEST(BatchParse, RejectsPrefixesThatCutIntoTheItems) {
  REQUIREMENT("BATCH-BOUNDS-001");
  const Bytes payload = from_hex(kTwoItemBatchHex);
  // Item 1 ends at packed offset 11 (payload byte 27); anything shorter loses part of it.
  for (std::size_t n = 16; n < 27; ++n) {
    Bytes prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_EQ(parse_error(prefix, 2), Error::kBatchItemOutOfBounds) << n;
  }
  // The trailing pad is not needed by any item.
  for (std::size_t n = 27; n <= 32; ++n) {
    Bytes prefix(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_TRUE(BatchView::parse(ConstBytes(prefix), 2).ok()) << n;
  }
}

TEST(BatchParse, SurvivesHugeItemCountsOnATinyPayload) {
  REQUIREMENT("BATCH-DIR-001");
  // 0x20000000 * 8 wraps to 0 in 32 bits; UINT32_MAX * 8 to 0xFFFFFFF8.
  for (std::uint32_t count : {0x20000000u, 0x20000001u, UINT32_MAX - 1, UINT32_MAX}) {
    for (std::size_t len : {0u, 7u, 8u, 64u}) {
      EXPECT_EQ(parse_error(Bytes(len, 0), count), Error::kBatchDirectoryTruncated)
          << count << " items in " << len << " bytes";
    }
  }
}

TEST(BatchParse, RejectsMisalignedOffsets) {
  REQUIREMENT("BATCH-ALIGN-001");
  for (std::uint32_t offset : {1u, 2u, 4u, 7u, 9u, 15u, UINT32_MAX}) {
    // Length 0 keeps the item in bounds wherever it can be, so alignment alone decides.
    const Bytes payload = with_directory({{0, 0}, {offset, 0}}, 32);
    EXPECT_EQ(parse_error(payload, 2), Error::kBatchMisalignedOffset) << offset;
  }
}

TEST(BatchParse, AcceptsItemsEndingExactlyAtThePackedArea) {
  REQUIREMENT("BATCH-BOUNDS-001");
  // Packed area of 16 bytes: [0,16), [8,16), and an empty item at the very end.
  const Bytes payload = with_directory({{0, 16}, {8, 8}, {16, 0}}, 16);
  auto v = BatchView::parse(ConstBytes(payload), 3);
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  EXPECT_EQ(v->item(0)->size(), 16u);
  EXPECT_EQ(v->item(1)->size(), 8u);
  EXPECT_TRUE(v->item(2)->empty());
}

TEST(BatchParse, RejectsItemsPastThePackedArea) {
  REQUIREMENT("BATCH-BOUNDS-001");
  const std::pair<std::uint32_t, std::uint32_t> cases[] = {
      {0, 17},            // one byte over
      {16, 1},            // starts at the end
      {24, 0},            // empty but starts past the end
      {0, UINT32_MAX},    // huge length
      {0xFFFFFFF8u, 8},   // offset + length == 2^32: wraps to 0 in 32 bits
      {0xFFFFFFF8u, UINT32_MAX},
      {8, 0xFFFFFFF8u},   // also exactly 2^32
  };
  for (const auto& [offset, length] : cases) {
    const Bytes payload = with_directory({{offset, length}}, 16);
    EXPECT_EQ(parse_error(payload, 1), Error::kBatchItemOutOfBounds)
        << "offset " << offset << " length " << length;
  }
}

TEST(BatchParse, ReportsTheFirstBadEntry) {
  REQUIREMENT("BATCH-BOUNDS-001");
  // Entry 0 out of bounds, entry 1 misaligned: entry 0 decides.
  EXPECT_EQ(parse_error(with_directory({{0, 99}, {3, 0}}, 16), 2), Error::kBatchItemOutOfBounds);
  // Entry 0 misaligned, entry 1 out of bounds.
  EXPECT_EQ(parse_error(with_directory({{3, 0}, {0, 99}}, 16), 2), Error::kBatchMisalignedOffset);
  // Within one entry, alignment is checked before bounds.
  EXPECT_EQ(parse_error(with_directory({{3, 99}}, 16), 1), Error::kBatchMisalignedOffset);
}

TEST(BatchParse, AcceptsOverlappingUnorderedAndEmptyItems) {
  REQUIREMENT("BATCH-OVERLAP-001");
  const Bytes payload = with_directory({{8, 8}, {0, 16}, {0, 0}, {8, 0}, {8, 8}}, 16);
  auto v = BatchView::parse(ConstBytes(payload), 5);
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  const ConstBytes packed = ConstBytes(payload).subspan(40);
  EXPECT_EQ(as_bytes(*v->item(0)), as_bytes(packed.subspan(8, 8)));
  EXPECT_EQ(as_bytes(*v->item(1)), as_bytes(packed));
  EXPECT_TRUE(v->item(2)->empty());
  EXPECT_TRUE(v->item(3)->empty());
  EXPECT_EQ(v->item(4)->data(), v->item(0)->data()) << "items are views, not copies";
}

TEST(BatchParse, IgnoresPackedBytesNoItemCovers) {
  REQUIREMENT("BATCH-OVERLAP-001");
  // One 3-byte item in a 64-byte packed area: the rest is unreferenced, not an error.
  const Bytes payload = with_directory({{0, 3}}, 64);
  auto v = BatchView::parse(ConstBytes(payload), 1);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->item(0)->size(), 3u);
}

TEST(BatchView, RefusesAnIndexAtOrAboveTheItemCount) {
  REQUIREMENT("BATCH-INDEX-001");
  const Bytes payload = from_hex(kTwoItemBatchHex);
  auto v = BatchView::parse(ConstBytes(payload), 2);
  ASSERT_TRUE(v.ok());
  for (std::uint32_t i : {2u, 3u, UINT32_MAX}) {
    auto item = v->item(i);
    ASSERT_FALSE(item.ok()) << i;
    EXPECT_EQ(item.error(), Error::kBatchIndexOutOfRange) << i;
  }
  auto empty = BatchView::parse(ConstBytes(), 0);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->item(0).error(), Error::kBatchIndexOutOfRange);
}

TEST(BatchPresence, ASingleItemBatchCarriesADirectory) {
  REQUIREMENT("BATCH-PRESENT-001");
  const Bytes increment = from_hex("29 00 00 00 00 00 00 00");  // an 8-byte INCREMENT item
  const Bytes payload = encode({increment});
  ASSERT_EQ(payload.size(), 16u);
  EXPECT_EQ(Bytes(payload.begin(), payload.begin() + 8), from_hex("00 00 00 00 08 00 00 00"));
  auto v = BatchView::parse(ConstBytes(payload), 1);
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  EXPECT_EQ(as_bytes(*v->item(0)), increment);
}

TEST(BatchPresence, ASingleItemBatchWithoutADirectoryIsRejected) {
  REQUIREMENT("BATCH-PRESENT-001");
  // The bare item read as a directory: offset 0x29 is misaligned...
  EXPECT_EQ(parse_error(from_hex("29 00 00 00 00 00 00 00"), 1), Error::kBatchMisalignedOffset);
  // ...offset 8 length 0 lies past an empty packed area...
  EXPECT_EQ(parse_error(from_hex("08 00 00 00 00 00 00 00"), 1), Error::kBatchItemOutOfBounds);
  // ...and a shorter item cannot even hold the entry.
  EXPECT_EQ(parse_error(from_hex("01 02 03 04"), 1), Error::kBatchDirectoryTruncated);
}

TEST(BatchPresence, ZeroItemsIsTheEmptyBatch) {
  REQUIREMENT("BATCH-PRESENT-001");
  for (std::size_t len : {0u, 8u, 13u}) {
    const Bytes payload(len, 0xFF);
    auto v = BatchView::parse(ConstBytes(payload), 0);
    ASSERT_TRUE(v.ok()) << len;
    EXPECT_EQ(v->size(), 0u);
  }
}

// ---- spec/batch.md worked example -------------------------------------------------------

// Items: the u64 5, the bytes 68 69, and an empty item; payload_len 40.
const char* const kWorkedBatchHex =
    "00 00 00 00 08 00 00 00 08 00 00 00 02 00 00 00 "
    "10 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00 "
    "68 69 00 00 00 00 00 00";

TEST(BatchWorkedExample, EncodesThreeItemsAsTheSpecShows) {
  REQUIREMENT("BATCH-LAYOUT-001");
  const Bytes out = encode({from_hex("05 00 00 00 00 00 00 00"), from_hex("68 69"), Bytes()});
  EXPECT_EQ(out, from_hex(kWorkedBatchHex)) << testing::to_hex(out);
  auto v = BatchView::parse(ConstBytes(out), 3);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(as_bytes(*v->item(1)), from_hex("68 69"));
  EXPECT_TRUE(v->item(2)->empty());
}

TEST(BatchWorkedExample, SixItemsDoNotFitTheDirectory) {
  REQUIREMENT("BATCH-DIR-001");
  EXPECT_EQ(parse_error(from_hex(kWorkedBatchHex), 6), Error::kBatchDirectoryTruncated);
}

TEST(BatchWorkedExample, OffsetNineIsMisaligned) {
  REQUIREMENT("BATCH-ALIGN-001");
  Bytes payload = from_hex(kWorkedBatchHex);
  payload[8 + batch_entry_layout::kOffset] = 0x09;
  EXPECT_EQ(parse_error(payload, 3), Error::kBatchMisalignedOffset);
}

TEST(BatchWorkedExample, LengthFifteenRunsPastTheArea) {
  REQUIREMENT("BATCH-BOUNDS-001");
  Bytes payload = from_hex(kWorkedBatchHex);
  payload[8 + batch_entry_layout::kLength] = 0x0f;
  EXPECT_EQ(parse_error(payload, 3), Error::kBatchItemOutOfBounds);
  store_u32le(&payload[8 + batch_entry_layout::kLength], UINT32_MAX);  // must not wrap
  EXPECT_EQ(parse_error(payload, 3), Error::kBatchItemOutOfBounds);
}

TEST(BatchWorkedExample, AnItemOnTopOfAnotherIsAccepted) {
  REQUIREMENT("BATCH-OVERLAP-001");
  Bytes payload = from_hex(kWorkedBatchHex);
  payload[16 + batch_entry_layout::kOffset] = 0x00;
  auto v = BatchView::parse(ConstBytes(payload), 3);
  ASSERT_TRUE(v.ok()) << error_name(v.error());
  EXPECT_EQ(v->item(2)->data(), v->item(0)->data());
}

TEST(BatchWorkedExample, ASingleItemBatchIsDirectoryPlusItem) {
  REQUIREMENT("BATCH-PRESENT-001");
  EXPECT_EQ(encode({from_hex("05 00 00 00 00 00 00 00")}),
            from_hex("00 00 00 00 08 00 00 00 05 00 00 00 00 00 00 00"));
}

}  // namespace
}  // namespace nipc
