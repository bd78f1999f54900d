// The Windows region header (spec/transport-windows.md): sizing, encoding and the attach
// checks. Pure functions, so they are tested on every host.
#include "nipc/transport/win_shm_layout.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "nipc/codec/constants.h"
#include "support/test_support.h"

namespace nipc {
namespace {

namespace L = win_shm_layout;

TEST(WinShmLayout, NamesTheOffsetsOfThe128ByteHeader) {
  REQUIREMENT("WIN-SHM-HDR-001");
  EXPECT_EQ(L::kMagic, 0u);
  EXPECT_EQ(L::kVersion, 4u);
  EXPECT_EQ(L::kHeaderLen, 8u);
  EXPECT_EQ(L::kProfile, 12u);
  EXPECT_EQ(L::kRequestOffset, 16u);
  EXPECT_EQ(L::kRequestCapacity, 20u);
  EXPECT_EQ(L::kResponseOffset, 24u);
  EXPECT_EQ(L::kResponseCapacity, 28u);
  EXPECT_EQ(L::kSpinTries, 32u);
  EXPECT_EQ(L::kRequestLen, 36u);
  EXPECT_EQ(L::kResponseLen, 40u);
  EXPECT_EQ(L::kRequestClientClosed, 44u);
  EXPECT_EQ(L::kRequestServerWaiting, 48u);
  EXPECT_EQ(L::kResponseServerClosed, 52u);
  EXPECT_EQ(L::kResponseClientWaiting, 56u);
  EXPECT_EQ(L::kRequestSeq, 64u);
  EXPECT_EQ(L::kResponseSeq, 72u);
  EXPECT_EQ(L::kReserved, 80u);
  EXPECT_EQ(L::kSize, 128u);
}

TEST(WinShmGeometry, RoundsCapacitiesAndPlacesTheAreasAfterTheHeader) {
  REQUIREMENT("WIN-SHM-LAYOUT-001");
  auto g = win_shm_geometry(profile::kShmHybrid, 1024 + 32, 100);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->request_offset, 128u);
  EXPECT_EQ(g->request_capacity, 1088u);
  EXPECT_EQ(g->response_offset, 1216u);  // align64(128 + 1088)
  EXPECT_EQ(g->response_capacity, 128u);
  EXPECT_EQ(g->spin_tries, 1024u);
  EXPECT_EQ(g->region_size(), 1344u);
}

TEST(WinShmGeometry, RefusesZeroCapacitiesAndRegionsBeyond32Bits) {
  REQUIREMENT("WIN-SHM-LAYOUT-001");
  EXPECT_EQ(win_shm_geometry(2, 0, 64).error().kind, TransportErrorKind::kBadParameter);
  EXPECT_EQ(win_shm_geometry(2, 64, 0).error().kind, TransportErrorKind::kBadParameter);
  EXPECT_EQ(win_shm_geometry(2, 0xffffffc0u, 64).error().kind, TransportErrorKind::kBadParameter);
}

std::vector<std::uint8_t> encoded(std::uint32_t prof = profile::kShmHybrid) {
  std::vector<std::uint8_t> h(L::kSize, 0xee);
  encode_win_shm_header(*win_shm_geometry(prof, 1056, 96), h);
  return h;
}

TEST(WinShmHeader, EncodesEveryFieldLittleEndianWithZeroedWords) {
  REQUIREMENT("WIN-SHM-HDR-001");
  auto h = encoded();
  EXPECT_EQ(testing::to_hex(std::vector<std::uint8_t>(h.begin(), h.begin() + 36)),
            "48 57 53 4e 03 00 00 00 80 00 00 00 02 00 00 00 80 00 00 00 40 04 00 00 "
            "c0 04 00 00 80 00 00 00 00 04 00 00");
  for (std::size_t i = 36; i < L::kSize; ++i) EXPECT_EQ(h[i], 0) << "byte " << i;
}

TEST(WinShmHeader, ValidatesWhatItEncodes) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  auto h = encoded(profile::kShmFutex);
  auto g = validate_win_shm_header(h, profile::kShmFutex);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, *win_shm_geometry(profile::kShmFutex, 1056, 96));
  EXPECT_TRUE(validate_win_shm_header(h, profile::kShmFutex, g->region_size()).ok());
}

TransportErrorKind refusal(std::size_t offset, std::uint32_t value, std::uint64_t mapped = 0) {
  auto h = encoded();
  store_u32le(h.data() + offset, value);
  auto g = validate_win_shm_header(h, profile::kShmHybrid, mapped);
  EXPECT_FALSE(g.ok());
  return g.ok() ? TransportErrorKind::kSystem : g.error().kind;
}

TEST(WinShmHeader, AttachRefusesABadMagicVersionLengthOrProfile) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  EXPECT_EQ(refusal(L::kMagic, 0x4e53484d), TransportErrorKind::kWinShmBadMagic);
  EXPECT_EQ(refusal(L::kVersion, 2), TransportErrorKind::kWinShmBadVersion);
  EXPECT_EQ(refusal(L::kHeaderLen, 64), TransportErrorKind::kWinShmBadHeaderLen);
  EXPECT_EQ(refusal(L::kProfile, 4), TransportErrorKind::kWinShmBadProfile);
}

TEST(WinShmHeader, AttachRefusesZeroUnalignedOverlappingOrOverflowingAreas) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  const auto bad = TransportErrorKind::kWinShmBadLayout;
  EXPECT_EQ(refusal(L::kRequestOffset, 0), bad);
  EXPECT_EQ(refusal(L::kRequestCapacity, 0), bad);
  EXPECT_EQ(refusal(L::kResponseOffset, 0), bad);
  EXPECT_EQ(refusal(L::kResponseCapacity, 0), bad);
  EXPECT_EQ(refusal(L::kResponseOffset, 1217), bad);  // off by one: not a multiple of 64
  EXPECT_EQ(refusal(L::kRequestCapacity, 1100), bad);
  EXPECT_EQ(refusal(L::kResponseOffset, 1152), bad);  // inside the request area
  EXPECT_EQ(refusal(L::kResponseCapacity, 0xffffffc0u), bad);  // end beyond 2^32
  EXPECT_EQ(refusal(L::kRequestCapacity, 0xffffffc0u), bad);
  EXPECT_EQ(refusal(L::kSpinTries, 7, 1000), bad);  // region (1344 bytes) beyond the mapping
}

TEST(WinShmHeader, AttachRefusesAMappingShorterThanTheHeader) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  auto h = encoded();
  auto g = validate_win_shm_header(ConstBytes(h).first(127), profile::kShmHybrid);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().kind, TransportErrorKind::kWinShmBadLayout);
}

TEST(WinShmHeader, AttachRefusesAResponseAreaEndingBeyondTheMappedView) {
  REQUIREMENT("WIN-SHM-ATTACH-002");
  auto h = encoded();
  auto g = validate_win_shm_header(h, profile::kShmHybrid);
  ASSERT_TRUE(g.ok());
  const std::uint64_t size = g->region_size();
  EXPECT_TRUE(validate_win_shm_header(h, profile::kShmHybrid, size).ok());
  auto short_view = validate_win_shm_header(h, profile::kShmHybrid, size - 1);
  ASSERT_FALSE(short_view.ok());
  EXPECT_EQ(short_view.error().kind, TransportErrorKind::kWinShmBadLayout);
}

TEST(WinShmHeader, AttachAdoptsTheServersSpinTries) {
  REQUIREMENT("WIN-SHM-SPIN-001");
  auto h = encoded();
  store_u32le(h.data() + L::kSpinTries, 7);
  auto g = validate_win_shm_header(h, profile::kShmHybrid);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->spin_tries, 7u);
}

}  // namespace
}  // namespace nipc
