// The POSIX region header (spec/transport-shm.md): sizing, encoding, the attach checks in
// their order and the owner read by the stale check. Pure functions, tested byte by byte.
#include "nipc/transport/shm_layout.h"

#include <gtest/gtest.h>

#include <vector>

#include "support/test_support.h"

namespace nipc {
namespace {

namespace L = shm_layout;

TEST(ShmLayout, NamesTheOffsetsOfThe64ByteHeader) {
  REQUIREMENT("SHM-HDR-001");
  EXPECT_EQ(L::kMagic, 0u);
  EXPECT_EQ(L::kVersion, 4u);
  EXPECT_EQ(L::kHeaderLen, 6u);
  EXPECT_EQ(L::kOwnerPid, 8u);
  EXPECT_EQ(L::kOwnerGeneration, 12u);
  EXPECT_EQ(L::kRequestOffset, 16u);
  EXPECT_EQ(L::kRequestCapacity, 20u);
  EXPECT_EQ(L::kResponseOffset, 24u);
  EXPECT_EQ(L::kResponseCapacity, 28u);
  EXPECT_EQ(L::kRequestSeq, 32u);
  EXPECT_EQ(L::kResponseSeq, 40u);
  EXPECT_EQ(L::kRequestLen, 48u);
  EXPECT_EQ(L::kResponseLen, 52u);
  EXPECT_EQ(L::kRequestSignal, 56u);
  EXPECT_EQ(L::kResponseSignal, 60u);
  EXPECT_EQ(L::kSize, 64u);
  EXPECT_EQ(L::kMagicValue, 0x4e53484du);
  EXPECT_EQ(L::kVersionValue, 3u);
}

TEST(ShmGeometry, SizesTheSpecExampleRegion) {
  REQUIREMENT("SHM-LAYOUT-001");
  // spec/transport-shm.md: 1 MiB requests and 65536-byte responses.
  auto g = shm_geometry(1048576 + 32, 65536 + 32);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->request_offset, 64u);
  EXPECT_EQ(g->request_capacity, 1048640u);
  EXPECT_EQ(g->response_offset, 1048704u);
  EXPECT_EQ(g->response_capacity, 65600u);
  EXPECT_EQ(g->region_size(), 1114304u);
}

TEST(ShmGeometry, RoundsEachCapacityUpTo64) {
  REQUIREMENT("SHM-LAYOUT-001");
  auto g = shm_geometry(1, 65);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, (ShmGeometry{64, 64, 128, 128}));
}

TEST(ShmGeometry, RefusesZeroCapacitiesAndRegionsBeyond32Bits) {
  REQUIREMENT("SHM-LAYOUT-001");
  EXPECT_EQ(shm_geometry(0, 64).error().kind, TransportErrorKind::kBadParameter);
  EXPECT_EQ(shm_geometry(64, 0).error().kind, TransportErrorKind::kBadParameter);
  EXPECT_EQ(shm_geometry(0xffffffc0u, 64).error().kind, TransportErrorKind::kBadParameter);
  EXPECT_EQ(shm_geometry(64, 0xffffff80u).error().kind, TransportErrorKind::kBadParameter);
  // The largest region that fits: 64 + 64 + capacity = 2^32 - 64.
  EXPECT_TRUE(shm_geometry(64, 0xffffff40u).ok());
}

constexpr std::uint64_t kFileSize = 64 + 1088 + 128;  // the region of encoded()

std::vector<std::uint8_t> encoded() {
  std::vector<std::uint8_t> h(L::kSize, 0xee);
  store_u32le(h.data(), 0);  // a new file: the magic is not there yet
  encode_shm_header(*shm_geometry(1024 + 32, 100), {4242, 0xdeadbeef}, h);
  store_u32le(h.data() + L::kMagic, L::kMagicValue);  // what the creator stores last
  return h;
}

TEST(ShmHeader, EncodesEveryFieldLittleEndianWithZeroedWordsAndLeavesTheMagic) {
  REQUIREMENT("SHM-HDR-001");
  std::vector<std::uint8_t> h(L::kSize, 0xee);
  encode_shm_header(*shm_geometry(1024 + 32, 100), {4242, 0xdeadbeef}, h);
  EXPECT_EQ(testing::to_hex(h),
            "ee ee ee ee 03 00 40 00 92 10 00 00 ef be ad de 40 00 00 00 40 04 00 00 "
            "80 04 00 00 80 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
            "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
}

TEST(ShmHeader, ValidatesWhatItEncodes) {
  REQUIREMENT("SHM-ATTACH-001");
  auto g = validate_shm_header(encoded(), kFileSize);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, *shm_geometry(1024 + 32, 100));
}

TransportErrorKind refusal(std::size_t offset, std::uint32_t value,
                           std::uint64_t file_size = kFileSize, bool u16 = false) {
  auto h = encoded();
  if (u16)
    store_u16le(h.data() + offset, static_cast<std::uint16_t>(value));
  else
    store_u32le(h.data() + offset, value);
  auto g = validate_shm_header(h, file_size);
  EXPECT_FALSE(g.ok()) << "offset " << offset << " value " << value;
  return g.ok() ? TransportErrorKind::kSystem : g.error().kind;
}

TEST(ShmHeader, AttachRefusesABadMagicVersionOrHeaderLength) {
  REQUIREMENT("SHM-ATTACH-001");
  EXPECT_EQ(refusal(L::kMagic, 0), TransportErrorKind::kShmBadMagic);
  EXPECT_EQ(refusal(L::kMagic, 0x4e535748), TransportErrorKind::kShmBadMagic);  // Windows'
  EXPECT_EQ(refusal(L::kVersion, 2, kFileSize, true), TransportErrorKind::kShmBadVersion);
  EXPECT_EQ(refusal(L::kVersion, 4, kFileSize, true), TransportErrorKind::kShmBadVersion);
  EXPECT_EQ(refusal(L::kHeaderLen, 128, kFileSize, true), TransportErrorKind::kShmBadHeader);
  EXPECT_EQ(refusal(L::kHeaderLen, 63, kFileSize, true), TransportErrorKind::kShmBadHeader);
}

TEST(ShmHeader, AttachReportsAHeaderWithoutAreasAsNotReady) {
  REQUIREMENT("SHM-ATTACH-001");
  const auto not_ready = TransportErrorKind::kShmNotReady;
  EXPECT_EQ(refusal(L::kRequestOffset, 0), not_ready);
  EXPECT_EQ(refusal(L::kRequestOffset, 63), not_ready);  // inside the header
  EXPECT_EQ(refusal(L::kRequestCapacity, 0), not_ready);
  EXPECT_EQ(refusal(L::kResponseOffset, 0), not_ready);
  EXPECT_EQ(refusal(L::kResponseOffset, 32), not_ready);
  EXPECT_EQ(refusal(L::kResponseCapacity, 0), not_ready);
}

TEST(ShmHeader, AttachRefusesUnalignedOverlappingOverflowingOrOversizedAreas) {
  REQUIREMENT("SHM-ATTACH-001");
  const auto bad = TransportErrorKind::kShmBadSize;
  EXPECT_EQ(refusal(L::kRequestOffset, 65), bad);
  EXPECT_EQ(refusal(L::kRequestCapacity, 1089), bad);
  EXPECT_EQ(refusal(L::kResponseOffset, 1153), bad);
  EXPECT_EQ(refusal(L::kResponseCapacity, 100), bad);
  EXPECT_EQ(refusal(L::kResponseOffset, 1088), bad);  // inside the request area (ends at 1152)
  EXPECT_EQ(refusal(L::kRequestCapacity, 0xffffffc0u), bad);  // request end beyond 2^32
  EXPECT_EQ(refusal(L::kRequestSeq, 0, kFileSize - 1), bad);  // the file one byte short
}

TEST(ShmHeader, AttachAcceptsAFileExactlyAsLargeAsBothAreasOrLarger) {
  REQUIREMENT("SHM-ATTACH-001");
  EXPECT_TRUE(validate_shm_header(encoded(), kFileSize).ok());
  EXPECT_TRUE(validate_shm_header(encoded(), kFileSize + 4096).ok());
}

TEST(ShmHeader, AttachReportsEveryHeaderPrefixAsNotReady) {
  REQUIREMENT("SHM-ATTACH-001");
  const auto h = encoded();
  for (std::size_t n = 0; n < L::kSize; ++n) {
    auto g = validate_shm_header(ConstBytes(h).first(n), kFileSize);
    ASSERT_FALSE(g.ok()) << n << " bytes";
    EXPECT_EQ(g.error().kind, TransportErrorKind::kShmNotReady) << n << " bytes";
    auto short_file = validate_shm_header(h, n);
    ASSERT_FALSE(short_file.ok()) << "file of " << n << " bytes";
    EXPECT_EQ(short_file.error().kind, TransportErrorKind::kShmNotReady) << n << " bytes";
  }
}

TEST(ShmHeader, AttachReportsTheFirstFailingCheckInTheSpecsOrder) {
  REQUIREMENT("SHM-ATTACH-001");
  auto h = encoded();
  store_u32le(h.data() + L::kMagic, 0);
  store_u16le(h.data() + L::kVersion, 9);
  EXPECT_EQ(validate_shm_header(h, kFileSize).error().kind, TransportErrorKind::kShmBadMagic);
  h = encoded();
  store_u16le(h.data() + L::kVersion, 9);
  store_u16le(h.data() + L::kHeaderLen, 9);
  EXPECT_EQ(validate_shm_header(h, kFileSize).error().kind, TransportErrorKind::kShmBadVersion);
  h = encoded();
  store_u16le(h.data() + L::kHeaderLen, 9);
  store_u32le(h.data() + L::kRequestCapacity, 0);
  EXPECT_EQ(validate_shm_header(h, kFileSize).error().kind, TransportErrorKind::kShmBadHeader);
  h = encoded();
  store_u32le(h.data() + L::kRequestCapacity, 0);
  store_u32le(h.data() + L::kRequestOffset, 65);  // also misaligned: not-ready comes first
  EXPECT_EQ(validate_shm_header(h, kFileSize).error().kind, TransportErrorKind::kShmNotReady);
}

TEST(ShmHeader, EveryAttachRefusalNamesTheAttachRule) {
  REQUIREMENT("SHM-ATTACH-001");
  for (auto kind : {TransportErrorKind::kShmNotReady, TransportErrorKind::kShmBadMagic,
                    TransportErrorKind::kShmBadVersion, TransportErrorKind::kShmBadHeader,
                    TransportErrorKind::kShmBadSize})
    EXPECT_EQ(transport_error_info(kind).requirement, "SHM-ATTACH-001");
}

TEST(ShmHeaderOwner, ReadsThePidAndGenerationOfAHeaderWithTheMagic) {
  REQUIREMENT("SHM-STALE-001");
  auto owner = shm_header_owner(encoded());
  ASSERT_TRUE(owner.has_value());
  EXPECT_EQ(*owner, (ShmOwner{4242, 0xdeadbeef}));
}

TEST(ShmHeaderOwner, FindsNoOwnerInAShortHeaderOrOneWithAnotherMagic) {
  REQUIREMENT("SHM-STALE-001");
  auto h = encoded();
  for (std::size_t n = 0; n < L::kSize; ++n)
    EXPECT_FALSE(shm_header_owner(ConstBytes(h).first(n)).has_value()) << n << " bytes";
  store_u32le(h.data() + L::kMagic, 0x4e535748);
  EXPECT_FALSE(shm_header_owner(h).has_value());
}

}  // namespace
}  // namespace nipc
