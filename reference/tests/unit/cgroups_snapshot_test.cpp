// CGROUPS_SNAPSHOT request and response (spec/codecs.md): the facts-sheet vector both ways,
// every decode rule in order, overflow regressions, overlap cases, the canonical builder,
// the outer-header rule and the deterministic fixture.
#include "nipc/codec/cgroups_snapshot.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "nipc/testing/snapshot_fixture.h"
#include "support/huge_view.h"
#include "support/test_support.h"

namespace nipc {

// Readable failure output: strings may hold any byte, so print their lengths and hex.
inline void PrintTo(const SnapshotItem& item, std::ostream* os) {
  *os << "{hash " << item.hash << ", options " << item.options << ", enabled " << item.enabled
      << ", name[" << item.name.size() << "] "
      << testing::to_hex(testing::Bytes(item.name.begin(), item.name.end())) << ", path["
      << item.path.size() << "] "
      << testing::to_hex(testing::Bytes(item.path.begin(), item.path.end())) << "}";
}

namespace {

using testing::Bytes;
using testing::from_hex;

// ---------------------------------------------------------------------------------------
// Fixtures

// The 114-byte CGROUPS_SNAPSHOT response from the protocol facts: systemd_enabled 1,
// generation 7, items {0x11223344, 2, 1, "a", "/b"} and {5, 0, 0, "", ""}.
const char* const kVectorHex =
    "01 00 00 00 02 00 00 00 01 00 00 00 00 00 00 00 "
    "07 00 00 00 00 00 00 00 00 00 00 00 25 00 00 00 "
    "28 00 00 00 22 00 00 00 01 00 00 00 44 33 22 11 "
    "02 00 00 00 01 00 00 00 20 00 00 00 01 00 00 00 "
    "22 00 00 00 02 00 00 00 61 00 2f 62 00 00 00 00 "
    "01 00 00 00 05 00 00 00 00 00 00 00 00 00 00 00 "
    "20 00 00 00 00 00 00 00 21 00 00 00 00 00 00 00 "
    "00 00";

// Positions inside the vector: directory entries, then the two items in the packed area.
constexpr std::size_t kEntry0 = 24;
constexpr std::size_t kEntry1 = 32;
constexpr std::size_t kPacked = 40;
constexpr std::size_t kItem0 = 40;  // 37 bytes: "a" at 32, NUL 33, "/b" at 34, NUL 36
constexpr std::size_t kItem1 = 80;  // 34 bytes: "" at 32 (NUL), "" at 33 (NUL)

Bytes vector_bytes() { return from_hex(kVectorHex); }

const SnapshotItem kVectorItems[] = {
    {0x11223344, 2, 1, "a", "/b"},
    {5, 0, 0, "", ""},
};

std::vector<SnapshotItem> items_of(const SnapshotView& view) {
  std::vector<SnapshotItem> out;
  for (std::uint32_t i = 0; i < view.size(); ++i) {
    auto item = view.item(i);
    EXPECT_TRUE(item.ok()) << i;
    if (item.ok()) out.push_back(*item);
  }
  return out;
}

Bytes encode(std::uint32_t systemd_enabled, std::uint64_t generation,
             std::span<const SnapshotItem> items) {
  Bytes out(static_cast<std::size_t>(snapshot_encoded_size(items)), 0xEE);
  auto n = encode_snapshot(systemd_enabled, generation, items, MutableBytes(out));
  EXPECT_TRUE(n.ok()) << error_name(n.error());
  if (n.ok()) {
    EXPECT_EQ(*n, out.size());
  }
  return out;
}

Error parse_error(const Bytes& bytes) {
  auto view = SnapshotView::parse(ConstBytes(bytes));
  EXPECT_FALSE(view.ok()) << "decoded although invalid";
  return view.ok() ? Error::kBufferTooSmall : view.error();  // any non-matching value
}

std::string every_nonzero_byte() {
  std::string s;
  for (int b = 1; b <= 255; ++b) s.push_back(static_cast<char>(b));
  return s;
}

// ---------------------------------------------------------------------------------------
// Request

TEST(SnapshotRequestDecode, AcceptsLayoutOneAndFlagsZero) {
  REQUIREMENT("CODEC-SNREQ-001");
  Bytes bytes = from_hex("01 00 00 00");
  auto r = decode_snapshot_request(ConstBytes(bytes));
  EXPECT_TRUE(r.ok()) << error_name(r.error());
}

TEST(SnapshotRequestDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("CODEC-SNREQ-001");
  Bytes bytes = from_hex("01 00 00 00");
  for (std::size_t n = 0; n < snapshot_request_layout::kSize; ++n) {
    auto r = decode_snapshot_request(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(r.ok()) << "prefix " << n;
    EXPECT_EQ(r.error(), Error::kSnapshotRequestTruncated) << "prefix " << n;
  }
}

TEST(SnapshotRequestDecode, IgnoresBytesAfterTheFourth) {
  REQUIREMENT("CODEC-SNREQ-001");
  Bytes bytes = from_hex("01 00 00 00 ff ff ff ff 07");
  EXPECT_TRUE(decode_snapshot_request(ConstBytes(bytes)).ok());
}

TEST(SnapshotRequestDecode, RejectsALayoutOtherThanOne) {
  REQUIREMENT("CODEC-SNREQ-002");
  for (std::uint16_t layout : {0, 2, 0x0100, 0xFFFF}) {
    Bytes bytes = from_hex("01 00 00 00");
    store_u16le(&bytes[snapshot_request_layout::kLayoutVersion], layout);
    auto r = decode_snapshot_request(ConstBytes(bytes));
    ASSERT_FALSE(r.ok()) << layout;
    EXPECT_EQ(r.error(), Error::kSnapshotRequestBadLayout) << layout;
  }
}

TEST(SnapshotRequestDecode, RejectsNonzeroFlags) {
  REQUIREMENT("CODEC-SNREQ-003");
  for (std::uint16_t flags : {1, 2, 0x8000, 0xFFFF}) {
    Bytes bytes = from_hex("01 00 00 00");
    store_u16le(&bytes[snapshot_request_layout::kFlags], flags);
    auto r = decode_snapshot_request(ConstBytes(bytes));
    ASSERT_FALSE(r.ok()) << flags;
    EXPECT_EQ(r.error(), Error::kSnapshotRequestNonzeroFlags) << flags;
  }
}

TEST(SnapshotRequestDecode, ChecksTheLayoutBeforeTheFlags) {
  REQUIREMENT("CODEC-SNREQ-002");
  Bytes bytes = from_hex("02 00 01 00");
  EXPECT_EQ(decode_snapshot_request(ConstBytes(bytes)).error(), Error::kSnapshotRequestBadLayout);
}

TEST(SnapshotRequestEncode, WritesLayoutOneAndFlagsZero) {
  REQUIREMENT("CODEC-SNREQ-002");
  Bytes out(6, 0xEE);
  auto n = encode_snapshot_request(MutableBytes(out));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  EXPECT_EQ(snapshot_request_encoded_size(), 4u);
  EXPECT_EQ(out, from_hex("01 00 00 00 ee ee"));
}

TEST(SnapshotRequestEncode, RefusesEveryShortBufferAndWritesNothing) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t n = 0; n < snapshot_request_layout::kSize; ++n) {
    Bytes out(n, 0xEE);
    auto r = encode_snapshot_request(MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
    EXPECT_EQ(out, Bytes(n, 0xEE));
  }
}

// ---------------------------------------------------------------------------------------
// Response: the vector

TEST(SnapshotDecode, DecodesThe114ByteVector) {
  REQUIREMENT("CODEC-SNAP-017");
  Bytes bytes = vector_bytes();
  ASSERT_EQ(bytes.size(), 114u);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  EXPECT_EQ(view->size(), 2u);
  EXPECT_EQ(view->systemd_enabled(), 1u);
  EXPECT_EQ(view->generation(), 7u);
  auto items = items_of(*view);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], kVectorItems[0]);
  EXPECT_EQ(items[1], kVectorItems[1]);
}

TEST(SnapshotEncode, ReEncodesThe114ByteVectorByteExactly) {
  REQUIREMENT("CODEC-SNAP-015");
  EXPECT_EQ(snapshot_encoded_size(kVectorItems), 114u);
  EXPECT_EQ(encode(1, 7, kVectorItems), vector_bytes());
}

TEST(SnapshotEncode, RebuildsTheVectorFromItsOwnDecodedView) {
  REQUIREMENT("CODEC-SNAP-015");
  Bytes bytes = vector_bytes();
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok());
  auto items = items_of(*view);
  EXPECT_EQ(encode(view->systemd_enabled(), view->generation(), items), bytes);
}

TEST(SnapshotDecode, ItemViewsPointIntoThePayload) {
  REQUIREMENT("CODEC-SNAP-017");
  Bytes bytes = vector_bytes();
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok());
  auto item = view->item(0);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(static_cast<const void*>(item->name.data()), &bytes[kItem0 + 32]);
  EXPECT_EQ(static_cast<const void*>(item->path.data()), &bytes[kItem0 + 34]);
}

TEST(SnapshotDecode, RefusesAnIndexAtOrPastTheItemCount) {
  REQUIREMENT("BATCH-INDEX-001");
  Bytes bytes = vector_bytes();
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok());
  for (std::uint32_t index : {2u, 3u, UINT32_MAX}) {
    auto item = view->item(index);
    ASSERT_FALSE(item.ok()) << index;
    EXPECT_EQ(item.error(), Error::kBatchIndexOutOfRange) << index;
  }
}

// ---------------------------------------------------------------------------------------
// Response: header and directory rules

TEST(SnapshotDecode, RejectsEveryTruncatedPrefixWithTheRuleItBreaks) {
  REQUIREMENT("CODEC-SNAP-001");
  Bytes bytes = vector_bytes();
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    // < 24: no header; < 40: the two directory entries do not fit; otherwise an item is cut.
    const Error expected = n < 24   ? Error::kSnapshotTruncated
                           : n < 40 ? Error::kSnapshotDirectoryTruncated
                                    : Error::kSnapshotItemOutOfBounds;
    auto view = SnapshotView::parse(ConstBytes(bytes.data(), n));
    ASSERT_FALSE(view.ok()) << "prefix " << n;
    EXPECT_EQ(view.error(), expected) << "prefix " << n;
  }
}

TEST(SnapshotDecode, RejectsALayoutOtherThanOne) {
  REQUIREMENT("CODEC-SNAP-002");
  for (std::uint16_t layout : {0, 2, 0xFFFF}) {
    Bytes bytes = vector_bytes();
    store_u16le(&bytes[snapshot_header_layout::kLayoutVersion], layout);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotBadLayout) << layout;
  }
}

TEST(SnapshotDecode, RejectsNonzeroFlags) {
  REQUIREMENT("CODEC-SNAP-003");
  for (std::uint16_t flags : {1, 0x8000, 0xFFFF}) {
    Bytes bytes = vector_bytes();
    store_u16le(&bytes[snapshot_header_layout::kFlags], flags);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotNonzeroFlags) << flags;
  }
}

TEST(SnapshotDecode, RejectsNonzeroReserved) {
  REQUIREMENT("CODEC-SNAP-004");
  for (std::uint32_t reserved : {1u, 0x80000000u, UINT32_MAX}) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[snapshot_header_layout::kReserved], reserved);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotNonzeroReserved) << reserved;
  }
}

TEST(SnapshotDecode, ChecksHeaderRulesInOrder) {
  REQUIREMENT("CODEC-SNAP-002");
  Bytes bytes = vector_bytes();
  store_u16le(&bytes[snapshot_header_layout::kLayoutVersion], 9);
  store_u16le(&bytes[snapshot_header_layout::kFlags], 9);
  store_u32le(&bytes[snapshot_header_layout::kReserved], 9);
  store_u32le(&bytes[snapshot_header_layout::kItemCount], UINT32_MAX);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotBadLayout);
  store_u16le(&bytes[snapshot_header_layout::kLayoutVersion], 1);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotNonzeroFlags);
  store_u16le(&bytes[snapshot_header_layout::kFlags], 0);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotNonzeroReserved);
  store_u32le(&bytes[snapshot_header_layout::kReserved], 0);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotDirectoryTruncated);
}

TEST(SnapshotDecode, CarriesOpaqueHeaderValuesUnchanged) {
  REQUIREMENT("CODEC-SNAP-015");
  Bytes bytes = encode(0xDEADBEEF, UINT64_MAX, kVectorItems);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->systemd_enabled(), 0xDEADBEEFu);
  EXPECT_EQ(view->generation(), UINT64_MAX);
}

TEST(SnapshotDecode, RejectsADirectoryLongerThanThePayload) {
  REQUIREMENT("CODEC-SNAP-005");
  // 11 entries fit the 90 bytes after the header of the vector (their content is then
  // judged by later rules); 12 do not. 0x20000000 * 8 is 0 in 32-bit arithmetic and
  // UINT32_MAX * 8 wraps too: both must be refused without overflow.
  for (std::uint32_t count : {12u, 0x20000000u, 0x20000001u, UINT32_MAX}) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[snapshot_header_layout::kItemCount], count);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotDirectoryTruncated) << count;
  }
  Bytes bytes = vector_bytes();
  store_u32le(&bytes[snapshot_header_layout::kItemCount], 11);
  EXPECT_NE(parse_error(bytes), Error::kSnapshotDirectoryTruncated);
}

TEST(SnapshotDecode, RejectsUint32MaxItemsBehindABareHeader) {
  REQUIREMENT("CODEC-SNAP-005");
  Bytes bytes = from_hex("01 00 00 00 ff ff ff ff 00 00 00 00 00 00 00 00 "
                         "00 00 00 00 00 00 00 00");
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotDirectoryTruncated);
  store_u32le(&bytes[snapshot_header_layout::kItemCount], 1);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotDirectoryTruncated);
}

TEST(SnapshotDecode, RejectsAMisalignedOffset) {
  REQUIREMENT("CODEC-SNAP-006");
  for (std::uint32_t offset : {1u, 4u, 7u, 41u, UINT32_MAX}) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], offset);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotMisalignedOffset) << offset;
  }
}

TEST(SnapshotDecode, RejectsAnItemPastThePackedArea) {
  REQUIREMENT("CODEC-SNAP-007");
  struct Case {
    std::uint32_t offset, length;
  };
  // The packed area of the vector is 74 bytes. The last three sums wrap in 32 bits.
  for (Case c : {Case{40, 35}, Case{48, 32}, Case{0, 75}, Case{0, UINT32_MAX},
                 Case{0xFFFFFFF8u, 32}, Case{0xFFFFFFF8u, 8}, Case{8, UINT32_MAX - 7}}) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], c.offset);
    store_u32le(&bytes[kEntry1 + batch_entry_layout::kLength], c.length);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemOutOfBounds)
        << c.offset << "+" << c.length;
  }
}

TEST(SnapshotDecode, RejectsAnEntryShorterThanTheItemHeader) {
  REQUIREMENT("CODEC-SNAP-008");
  for (std::uint32_t length : {0u, 1u, 8u, 31u}) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[kEntry1 + batch_entry_layout::kLength], length);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemTruncated) << length;
  }
}

TEST(SnapshotDecode, ChecksEntryRulesInOrder) {
  REQUIREMENT("CODEC-SNAP-006");
  Bytes bytes = vector_bytes();
  // Misaligned, out of bounds and too short at once: alignment wins, then bounds.
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], 0xFFFFFFF9u);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kLength], 8);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotMisalignedOffset);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], 0xFFFFFFF8u);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemOutOfBounds);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], 0);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemTruncated);
}

TEST(SnapshotDecode, ChecksEveryEntryBeforeAnyItem) {
  REQUIREMENT("CODEC-SNAP-017");
  Bytes bytes = vector_bytes();
  store_u16le(&bytes[kItem0 + snapshot_item_layout::kLayoutVersion], 2);  // item 0 broken
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], 4);          // entry 1 broken
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotMisalignedOffset);
}

// ---------------------------------------------------------------------------------------
// Response: item rules

TEST(SnapshotDecode, RejectsAnItemLayoutOtherThanOne) {
  REQUIREMENT("CODEC-SNAP-009");
  for (std::size_t item : {kItem0, kItem1}) {
    for (std::uint16_t layout : {0, 2, 0xFFFF}) {
      Bytes bytes = vector_bytes();
      store_u16le(&bytes[item + snapshot_item_layout::kLayoutVersion], layout);
      EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemBadLayout) << item << " " << layout;
    }
  }
}

TEST(SnapshotDecode, RejectsNonzeroItemFlags) {
  REQUIREMENT("CODEC-SNAP-010");
  for (std::size_t item : {kItem0, kItem1}) {
    for (std::uint16_t flags : {1, 0x8000, 0xFFFF}) {
      Bytes bytes = vector_bytes();
      store_u16le(&bytes[item + snapshot_item_layout::kFlags], flags);
      EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemNonzeroFlags) << item << " " << flags;
    }
  }
}

TEST(SnapshotDecode, RejectsAStringStartingInsideTheItemHeader) {
  REQUIREMENT("CODEC-SNAP-011");
  for (std::size_t field : {snapshot_item_layout::kNameOffset, snapshot_item_layout::kPathOffset}) {
    for (std::uint32_t offset : {0u, 1u, 16u, 31u}) {
      Bytes bytes = vector_bytes();
      store_u32le(&bytes[kItem1 + field], offset);
      store_u32le(&bytes[kItem1 + field + 4], 0);  // the length field follows the offset
      // Byte 0 of the item header is 0x01, byte 1 is 0x00: without the rule some of these
      // would decode.
      EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringOffsetLow) << field << " " << offset;
    }
  }
}

TEST(SnapshotDecode, RejectsAStringOrNulPastTheItem) {
  REQUIREMENT("CODEC-SNAP-012");
  struct Case {
    std::size_t offset_field;
    std::uint32_t offset, length;
  };
  // Item 0 is 37 bytes. Its path ending one byte further would find a zero gap byte right
  // after the item: the bound is the item's length, not the packed area.
  for (Case c : {Case{snapshot_item_layout::kNameOffset, 32, 5},
                 Case{snapshot_item_layout::kPathOffset, 34, 3},
                 Case{snapshot_item_layout::kPathOffset, 37, 0},
                 Case{snapshot_item_layout::kNameOffset, 32, UINT32_MAX},
                 Case{snapshot_item_layout::kNameOffset, 32, UINT32_MAX - 32},
                 Case{snapshot_item_layout::kPathOffset, UINT32_MAX, 0},
                 Case{snapshot_item_layout::kPathOffset, UINT32_MAX, 1}}) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[kItem0 + c.offset_field], c.offset);
    store_u32le(&bytes[kItem0 + c.offset_field + 4], c.length);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringOutOfBounds)
        << c.offset_field << " " << c.offset << "+" << c.length;
  }
}

TEST(SnapshotDecode, RejectsAStringWithoutItsNul) {
  REQUIREMENT("CODEC-SNAP-013");
  Bytes bytes = vector_bytes();
  store_u32le(&bytes[kItem0 + snapshot_item_layout::kNameLength], 2);  // "a\0" then '/'
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringMissingNul);
  bytes = vector_bytes();
  bytes[kItem0 + 36] = 'c';  // the path's NUL
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringMissingNul);
  bytes = vector_bytes();
  bytes[kItem1 + 33] = 0xFF;  // the last byte of the payload: the empty path's NUL
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringMissingNul);
}

TEST(SnapshotDecode, ChecksTheNameBeforeThePathAndEachRuleInOrder) {
  REQUIREMENT("CODEC-SNAP-011");
  Bytes bytes = vector_bytes();
  const std::size_t name = kItem0 + snapshot_item_layout::kNameOffset;
  const std::size_t path = kItem0 + snapshot_item_layout::kPathOffset;
  store_u32le(&bytes[path], 0);  // path broken throughout
  store_u32le(&bytes[name], 0);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringOffsetLow);
  store_u32le(&bytes[name], 40);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringOutOfBounds);
  store_u32le(&bytes[name], 34);
  store_u32le(&bytes[name + 4], 1);  // "/" then 'b'
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringMissingNul);
  store_u32le(&bytes[name], 32);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringOffsetLow);  // now the path's turn
  // Layout and flags come before any string rule.
  store_u16le(&bytes[kItem0 + snapshot_item_layout::kFlags], 1);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemNonzeroFlags);
  store_u16le(&bytes[kItem0 + snapshot_item_layout::kLayoutVersion], 0);
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotItemBadLayout);
}

// Item 0 of the vector: name "a" at 32 (NUL 33), path "/b" at 34 (NUL 36). Each case moves
// the strings and states whether the two ranges, NULs included, overlap.
struct OverlapCase {
  const char* what;
  std::uint32_t name_offset, name_length, path_offset, path_length;
  bool overlaps;
};

TEST(SnapshotDecode, RejectsNameAndPathSharingBytes) {
  REQUIREMENT("CODEC-SNAP-014");
  for (OverlapCase c : {
           OverlapCase{"same string", 32, 1, 32, 1, true},
           OverlapCase{"path is the name's NUL only", 32, 1, 33, 0, true},
           OverlapCase{"path starts at the name's NUL", 32, 1, 33, 3, true},
           OverlapCase{"name spans the path", 32, 4, 34, 2, true},
           OverlapCase{"path spans the name", 34, 2, 32, 4, true},
           OverlapCase{"name is the path's NUL only", 36, 0, 34, 2, true},
           OverlapCase{"two empty strings on one NUL", 33, 0, 33, 0, true},
       }) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kNameOffset], c.name_offset);
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kNameLength], c.name_length);
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kPathOffset], c.path_offset);
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kPathLength], c.path_length);
    EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringsOverlap) << c.what;
  }
}

TEST(SnapshotDecode, AcceptsAdjacentOrSwappedNameAndPath) {
  REQUIREMENT("CODEC-SNAP-014");
  for (OverlapCase c : {
           OverlapCase{"canonical", 32, 1, 34, 2, false},
           OverlapCase{"path first", 34, 2, 32, 1, false},
           OverlapCase{"empty name right before the path", 33, 0, 34, 2, false},
           OverlapCase{"empty path on the item's last byte", 32, 1, 36, 0, false},
       }) {
    Bytes bytes = vector_bytes();
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kNameOffset], c.name_offset);
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kNameLength], c.name_length);
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kPathOffset], c.path_offset);
    store_u32le(&bytes[kItem0 + snapshot_item_layout::kPathLength], c.path_length);
    auto view = SnapshotView::parse(ConstBytes(bytes));
    ASSERT_TRUE(view.ok()) << c.what << ": " << error_name(view.error());
    auto item = view->item(0);
    ASSERT_TRUE(item.ok());
    EXPECT_EQ(item->name.size(), c.name_length) << c.what;
    EXPECT_EQ(item->path.size(), c.path_length) << c.what;
  }
}

TEST(SnapshotDecode, NeverReturnsAViewWithAnInvalidItem) {
  REQUIREMENT("CODEC-SNAP-017");
  // Many valid items and one broken one at the very end: the whole payload is refused.
  std::vector<SnapshotItem> items(20, SnapshotItem{1, 2, 3, "name", "/path"});
  Bytes bytes = encode(0, 0, items);
  ASSERT_TRUE(SnapshotView::parse(ConstBytes(bytes)).ok());
  bytes[bytes.size() - 1] = 'x';  // the last item's path NUL
  EXPECT_EQ(parse_error(bytes), Error::kSnapshotStringMissingNul);
}

// ---------------------------------------------------------------------------------------
// Response: what receivers accept

TEST(SnapshotDecode, AcceptsItemsInAnyOrderAndSharedItems) {
  REQUIREMENT("CODEC-SNAP-016");
  Bytes bytes = vector_bytes();
  // Swap the two entries: item 0 now lives after item 1 in the packed area.
  store_u32le(&bytes[kEntry0 + batch_entry_layout::kOffset], 40);
  store_u32le(&bytes[kEntry0 + batch_entry_layout::kLength], 34);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], 0);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kLength], 37);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  auto items = items_of(*view);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], kVectorItems[1]);
  EXPECT_EQ(items[1], kVectorItems[0]);

  // Both entries pointing at the same item.
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kOffset], 40);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kLength], 34);
  view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  items = items_of(*view);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], items[1]);
}

TEST(SnapshotDecode, AcceptsInteriorNuls) {
  REQUIREMENT("CODEC-SNAP-016");
  const std::string name("a\0b", 3);
  const std::string path("\0\0", 2);
  const SnapshotItem item{7, 8, 9, name, path};
  Bytes bytes = encode(1, 2, std::span<const SnapshotItem>(&item, 1));
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  auto back = view->item(0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, item);
}

TEST(SnapshotDecode, IgnoresBytesAfterTheItemsAndInGaps) {
  REQUIREMENT("CODEC-SNAP-016");
  Bytes bytes = vector_bytes();
  bytes[kItem0 + 37] = 0xAA;  // gap bytes between the items
  bytes[kItem0 + 39] = 0xBB;
  for (std::uint8_t b : {0x00, 0xFF, 0x01, 0x02}) bytes.push_back(b);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  auto items = items_of(*view);
  ASSERT_EQ(items.size(), 2u);
  EXPECT_EQ(items[0], kVectorItems[0]);
  EXPECT_EQ(items[1], kVectorItems[1]);
}

TEST(SnapshotDecode, IgnoresBytesInsideAnItemAfterItsStrings) {
  REQUIREMENT("CODEC-SNAP-016");
  // Item 1 declared 40 bytes long: 6 extra bytes after its strings, covered by the payload.
  Bytes bytes = vector_bytes();
  bytes.resize(bytes.size() + 6, 0x5A);
  store_u32le(&bytes[kEntry1 + batch_entry_layout::kLength], 40);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  auto item = view->item(1);
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(*item, kVectorItems[1]);
}

TEST(SnapshotDecode, DecodesTheEmptySnapshot) {
  REQUIREMENT("CODEC-SNAP-015");
  Bytes bytes = from_hex("01 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 "
                         "2a 00 00 00 00 00 00 00");
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  EXPECT_EQ(view->size(), 0u);
  EXPECT_EQ(view->systemd_enabled(), 1u);
  EXPECT_EQ(view->generation(), 42u);
  EXPECT_EQ(view->item(0).error(), Error::kBatchIndexOutOfRange);
  EXPECT_EQ(encode(1, 42, {}), bytes);
  bytes.push_back(0x99);  // trailing bytes after an empty snapshot are ignored too
  EXPECT_TRUE(SnapshotView::parse(ConstBytes(bytes)).ok());
}

TEST(SnapshotDecode, CarriesTheLargestFieldValues) {
  REQUIREMENT("CODEC-SNAP-017");
  const SnapshotItem item{UINT32_MAX, UINT32_MAX, UINT32_MAX, "n", "p"};
  Bytes bytes = encode(UINT32_MAX, UINT64_MAX, std::span<const SnapshotItem>(&item, 1));
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok());
  auto back = view->item(0);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, item);
}

TEST(SnapshotCodec, RoundTripsEveryNonzeroByteInNameAndPath) {
  REQUIREMENT("CODEC-SNAP-015");
  const std::string all = every_nonzero_byte();
  const std::string reversed(all.rbegin(), all.rend());
  const SnapshotItem items[] = {{1, 2, 3, all, reversed}, {4, 5, 6, "", all}, {7, 8, 9, all, ""}};
  Bytes bytes = encode(0, 3, items);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  auto back = items_of(*view);
  ASSERT_EQ(back.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(back[i], items[i]) << i;
}

// ---------------------------------------------------------------------------------------
// Response: canonical builder

TEST(SnapshotEncode, WritesTheCanonicalLayout) {
  REQUIREMENT("CODEC-SNAP-015");
  const SnapshotItem items[] = {{1, 0, 0, "abc", "/x/y"}, {2, 0, 0, "", "z"}, {3, 0, 0, "q", ""}};
  Bytes bytes = encode(0, 0, items);
  // Item lengths 32+3+1+4+1 = 41, 32+0+1+1+1 = 35, 32+1+1+0+1 = 35; items at 0, 48, 88.
  ASSERT_EQ(bytes.size(), 24u + 3 * 8 + 88 + 35);
  const std::uint32_t want_offsets[] = {0, 48, 88};
  const std::uint32_t want_lengths[] = {41, 35, 35};
  const std::size_t packed = 24 + 3 * 8;
  for (std::size_t i = 0; i < 3; ++i) {
    const std::uint8_t* entry = &bytes[24 + i * 8];
    EXPECT_EQ(load_u32le(entry + batch_entry_layout::kOffset), want_offsets[i]) << i;
    EXPECT_EQ(load_u32le(entry + batch_entry_layout::kLength), want_lengths[i]) << i;
    const std::uint8_t* item = &bytes[packed + want_offsets[i]];
    EXPECT_EQ(load_u32le(item + snapshot_item_layout::kNameOffset), 32u) << i;
    EXPECT_EQ(load_u32le(item + snapshot_item_layout::kPathOffset),
              32u + items[i].name.size() + 1)
        << i;
  }
  // Gap bytes are zero even though the buffer started as 0xEE.
  for (std::size_t at = packed + 41; at < packed + 48; ++at) EXPECT_EQ(bytes[at], 0) << at;
  for (std::size_t at = packed + 48 + 35; at < packed + 88; ++at) EXPECT_EQ(bytes[at], 0) << at;
}

TEST(SnapshotEncode, EmptySnapshotIsTheBare24ByteHeader) {
  REQUIREMENT("CODEC-SNAP-015");
  EXPECT_EQ(snapshot_encoded_size({}), 24u);
  Bytes out(100, 0xEE);
  SnapshotBuilder builder(MutableBytes(out), 9, 0, 5);  // slots reserved but unused
  auto n = builder.finish();
  ASSERT_TRUE(n.ok()) << error_name(n.error());
  EXPECT_EQ(*n, 24u);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 24),
            from_hex("01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                     "05 00 00 00 00 00 00 00"));
}

TEST(SnapshotBuilder, CompactsUnusedDirectorySlotsToTheCanonicalBytes) {
  REQUIREMENT("CODEC-SNAP-015");
  for (std::size_t max_items : {2u, 3u, 10u, 100u}) {
    Bytes out(24 + max_items * 8 + 74, 0xEE);
    SnapshotBuilder builder(MutableBytes(out), max_items, 1, 7);
    ASSERT_TRUE(builder.status().ok()) << max_items;
    for (const SnapshotItem& item : kVectorItems) ASSERT_TRUE(builder.add(item).ok());
    EXPECT_EQ(builder.size(), 2u);
    auto n = builder.finish();
    ASSERT_TRUE(n.ok()) << error_name(n.error());
    EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)), vector_bytes())
        << max_items;
  }
}

TEST(SnapshotBuilder, ReservesTheDefaultSlotCountForItsBuffer) {
  REQUIREMENT("CODEC-SNAP-015");
  EXPECT_EQ(snapshot_default_max_items(0), 0u);
  EXPECT_EQ(snapshot_default_max_items(23), 0u);
  EXPECT_EQ(snapshot_default_max_items(24), 0u);
  EXPECT_EQ(snapshot_default_max_items(71), 0u);
  EXPECT_EQ(snapshot_default_max_items(72), 1u);
  EXPECT_EQ(snapshot_default_max_items(24 + 48 * 1000), 1000u);

  Bytes out(1024, 0xEE);  // (1024 - 24) / 48 = 20 slots
  SnapshotBuilder builder(MutableBytes(out), snapshot_default_max_items(out.size()), 1, 7);
  for (const SnapshotItem& item : kVectorItems) ASSERT_TRUE(builder.add(item).ok());
  auto n = builder.finish();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(Bytes(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n)), vector_bytes());

  // 20 minimal items fit exactly the default reservation of a 1024-byte buffer; a 21st slot
  // does not exist.
  SnapshotBuilder full(MutableBytes(out), snapshot_default_max_items(out.size()), 0, 0);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(full.add(SnapshotItem{}).ok()) << i;
  EXPECT_EQ(full.add(SnapshotItem{}).error(), Error::kBufferTooSmall);
}

TEST(SnapshotBuilder, FailsWhenItRunsOutOfSlotsAndSaysSoInItsResult) {
  REQUIREMENT("CODEC-ENC-001");
  Bytes out(4096);
  SnapshotBuilder builder(MutableBytes(out), 1, 0, 0);
  ASSERT_TRUE(builder.add(kVectorItems[0]).ok());
  auto r = builder.add(kVectorItems[1]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kBufferTooSmall);
  EXPECT_EQ(builder.status().error(), Error::kBufferTooSmall);
  auto n = builder.finish();
  ASSERT_FALSE(n.ok()) << "a snapshot missing an item was finished";
  EXPECT_EQ(n.error(), Error::kBufferTooSmall);
  EXPECT_EQ(builder.add(SnapshotItem{}).error(), Error::kBufferTooSmall) << "failure not sticky";
}

TEST(SnapshotBuilder, FailsForEveryBufferShorterThanTheSnapshot) {
  REQUIREMENT("CODEC-ENC-001");
  for (std::size_t size = 0; size < 114; ++size) {
    Bytes out(size, 0xEE);
    SnapshotBuilder builder(MutableBytes(out), 2, 1, 7);
    for (const SnapshotItem& item : kVectorItems) (void)builder.add(item);
    auto n = builder.finish();
    ASSERT_FALSE(n.ok()) << size;
    EXPECT_EQ(n.error(), Error::kBufferTooSmall) << size;
    auto direct = encode_snapshot(1, 7, kVectorItems, MutableBytes(out));
    ASSERT_FALSE(direct.ok()) << size;
    EXPECT_EQ(direct.error(), Error::kBufferTooSmall) << size;
  }
  Bytes exact(114);
  EXPECT_TRUE(encode_snapshot(1, 7, kVectorItems, MutableBytes(exact)).ok());
}

TEST(SnapshotBuilder, RefusesReservingMoreThanUint32MaxSlots) {
  REQUIREMENT("CODEC-ENC-002");
  Bytes out(64);
  SnapshotBuilder builder(MutableBytes(out), std::size_t{UINT32_MAX} + 1, 0, 0);
  EXPECT_EQ(builder.status().error(), Error::kValueOutOfRange);
  EXPECT_EQ(builder.add(SnapshotItem{}).error(), Error::kValueOutOfRange);
  EXPECT_EQ(builder.finish().error(), Error::kValueOutOfRange);
  // UINT32_MAX slots fit the field; only the buffer is short.
  SnapshotBuilder fits(MutableBytes(out), UINT32_MAX, 0, 0);
  EXPECT_EQ(fits.status().error(), Error::kBufferTooSmall);
}

TEST(SnapshotBuilder, RefusesStringsAndItemsThatDoNotFitU32Fields) {
  REQUIREMENT("CODEC-ENC-002");
  const std::size_t too_long = std::size_t{UINT32_MAX} + 1;
  testing::HugeView huge(too_long);
  if (!huge.valid()) GTEST_SKIP() << "cannot map a 4 GiB view";
  Bytes out(256, 0xEE);
  struct Case {
    std::size_t name, path;
    Error want;
  };
  const std::size_t max_u32 = UINT32_MAX;
  for (Case c : {
           Case{too_long, 0, Error::kValueOutOfRange},
           Case{0, too_long, Error::kValueOutOfRange},
           // 32 + name + 1 + path + 1 = UINT32_MAX + 1: the item length overflows.
           Case{max_u32 - 33, 0, Error::kValueOutOfRange},
           Case{0, max_u32 - 33, Error::kValueOutOfRange},
           Case{max_u32 / 2, max_u32 / 2, Error::kValueOutOfRange},
           // Exactly UINT32_MAX fits the field; the buffer is what is short.
           Case{max_u32 - 34, 0, Error::kBufferTooSmall},
       }) {
    SnapshotBuilder builder(MutableBytes(out), 1, 0, 0);
    const SnapshotItem item{1, 2, 3, huge.view(c.name), huge.view(c.path)};
    EXPECT_EQ(builder.add(item).error(), c.want) << c.name << " " << c.path;
    EXPECT_EQ(builder.finish().error(), c.want) << c.name << " " << c.path;
    const std::span<const SnapshotItem> one(&item, 1);
    EXPECT_EQ(encode_snapshot(0, 0, one, MutableBytes(out)).error(), c.want);
  }
}

TEST(SnapshotBuilder, FinishIsIdempotentAndClosesTheSnapshot) {
  REQUIREMENT("CODEC-ENC-001");
  Bytes out(256);
  SnapshotBuilder builder(MutableBytes(out), 4, 1, 7);
  for (const SnapshotItem& item : kVectorItems) ASSERT_TRUE(builder.add(item).ok());
  auto first = builder.finish();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(builder.add(SnapshotItem{}).error(), Error::kBufferTooSmall);
  auto second = builder.finish();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, *first);
  EXPECT_EQ(Bytes(out.begin(), out.begin() + 114), vector_bytes());
}

// ---------------------------------------------------------------------------------------
// Outer message

TEST(SnapshotMessage, IsNonBatchWhateverTheSnapshotItemCount) {
  REQUIREMENT("CODEC-SNAP-018");
  Bytes payload = vector_bytes();
  for (Kind kind : {Kind::kRequest, Kind::kResponse}) {
    const Header h = snapshot_message_header(kind, 99, static_cast<std::uint32_t>(payload.size()));
    EXPECT_EQ(h.kind, kind);
    EXPECT_EQ(h.code, static_cast<std::uint16_t>(Method::kCgroupsSnapshot));
    EXPECT_EQ(h.flags, 0);
    EXPECT_FALSE(h.is_batch());
    EXPECT_EQ(h.item_count, 1u);
    EXPECT_EQ(h.transport_status, 0);
    EXPECT_EQ(h.message_id, 99u);
    EXPECT_EQ(h.payload_len, 114u);
  }
  // The snapshot's own count is independent: 2 items inside a 1-item message.
  auto view = SnapshotView::parse(ConstBytes(payload));
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->size(), 2u);
}

// ---------------------------------------------------------------------------------------
// Fixture generator

TEST(SnapshotFixture, IsDeterministicPerSeed) {
  const auto a = generate_snapshot(12345, 40);
  const auto b = generate_snapshot(12345, 40);
  EXPECT_EQ(a.systemd_enabled, b.systemd_enabled);
  EXPECT_EQ(a.generation, b.generation);
  EXPECT_EQ(a.items, b.items);
  const auto c = generate_snapshot(12346, 40);
  EXPECT_NE(a.items, c.items);
  EXPECT_EQ(generate_snapshot_items(12345, 40), a.items);
}

TEST(SnapshotFixture, SmallerCountsArePrefixesOfLargerOnes) {
  const auto big = generate_snapshot_items(7, 30);
  for (std::size_t k : {0u, 1u, 4u, 29u}) {
    const auto small = generate_snapshot_items(7, k);
    ASSERT_EQ(small.size(), k);
    for (std::size_t i = 0; i < k; ++i) EXPECT_EQ(small[i], big[i]) << k << " " << i;
  }
}

TEST(SnapshotFixture, CoversEmptyLongAndEveryNonzeroByte) {
  const auto items = generate_snapshot_items(1, 64);
  ASSERT_EQ(items.size(), 64u);
  EXPECT_TRUE(items[0].name.empty());
  EXPECT_TRUE(items[0].path.empty());
  EXPECT_EQ(items[3].name, every_nonzero_byte());
  bool empty_name_only = false, empty_path_only = false, long_name = false, long_path = false;
  bool seen[256] = {};
  for (const auto& item : items) {
    empty_name_only |= item.name.empty() && !item.path.empty();
    empty_path_only |= !item.name.empty() && item.path.empty();
    long_name |= item.name.size() >= 200;
    long_path |= item.path.size() >= 256;
    for (char ch : item.name + item.path) seen[static_cast<unsigned char>(ch)] = true;
  }
  EXPECT_TRUE(empty_name_only);
  EXPECT_TRUE(empty_path_only);
  EXPECT_TRUE(long_name);
  EXPECT_TRUE(long_path);
  EXPECT_FALSE(seen[0]) << "fixture strings must not contain NUL";
  for (int b = 1; b < 256; ++b) EXPECT_TRUE(seen[b]) << b;
}

TEST(SnapshotFixture, RoundTripsThroughTheCodec) {
  REQUIREMENT("CODEC-SNAP-015");
  for (std::size_t k : {0u, 1u, 5u, 100u}) {
    const auto snapshot = generate_snapshot(99, k);
    const auto views = snapshot.views();
    Bytes bytes = encode(snapshot.systemd_enabled, snapshot.generation, views);
    ASSERT_EQ(bytes.size(), snapshot_encoded_size(views));
    auto view = SnapshotView::parse(ConstBytes(bytes));
    ASSERT_TRUE(view.ok()) << error_name(view.error());
    EXPECT_EQ(view->systemd_enabled(), snapshot.systemd_enabled);
    EXPECT_EQ(view->generation(), snapshot.generation);
    EXPECT_EQ(items_of(*view), views) << k;
  }
}

}  // namespace
}  // namespace nipc
