// The Windows shared-memory region header (spec/transport-windows.md, WIN-SHM-HDR-001) as
// named offsets, and pure functions that size a region, encode its header and validate one
// for attaching. Portable: POSIX hosts build and test them too.
#ifndef NIPC_TRANSPORT_WIN_SHM_LAYOUT_H_
#define NIPC_TRANSPORT_WIN_SHM_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "nipc/codec/bytes.h"
#include "nipc/transport/error.h"

namespace nipc {

/// Byte offsets of the 128-byte Windows region header (WIN-SHM-HDR-001).
namespace win_shm_layout {
inline constexpr std::size_t kMagic = 0;                 // u32, 0x4e535748 "NSWH"
inline constexpr std::size_t kVersion = 4;               // u32, 3
inline constexpr std::size_t kHeaderLen = 8;             // u32, 128
inline constexpr std::size_t kProfile = 12;              // u32, 2 or 4
inline constexpr std::size_t kRequestOffset = 16;        // u32, 128
inline constexpr std::size_t kRequestCapacity = 20;      // u32, multiple of 64
inline constexpr std::size_t kResponseOffset = 24;       // u32, multiple of 64
inline constexpr std::size_t kResponseCapacity = 28;     // u32, multiple of 64
inline constexpr std::size_t kSpinTries = 32;            // u32, written by the server
inline constexpr std::size_t kRequestLen = 36;           // i32, interlocked
inline constexpr std::size_t kResponseLen = 40;          // i32, interlocked
inline constexpr std::size_t kRequestClientClosed = 44;  // i32, the client sets 1 on close
inline constexpr std::size_t kRequestServerWaiting = 48; // i32, the server sets 1 while blocked
inline constexpr std::size_t kResponseServerClosed = 52; // i32, the server sets 1 on close
inline constexpr std::size_t kResponseClientWaiting = 56;// i32, the client sets 1 while blocked
inline constexpr std::size_t kPadding = 60;              // 4 bytes, 0
inline constexpr std::size_t kRequestSeq = 64;           // i64, interlocked
inline constexpr std::size_t kResponseSeq = 72;          // i64, interlocked
inline constexpr std::size_t kReserved = 80;             // 48 bytes, 0
inline constexpr std::size_t kSize = 128;

inline constexpr std::uint32_t kMagicValue = 0x4e535748;
inline constexpr std::uint32_t kVersionValue = 3;
inline constexpr std::uint32_t kAlignment = 64;
/// Spin iterations the server writes into spin_tries (the client adopts them).
inline constexpr std::uint32_t kDefaultSpinTries = 1024;
/// A busy-wait receiver yields its thread once every kYieldEvery polls.
inline constexpr std::uint32_t kYieldEvery = 1024;
/// Longest message either side publishes (the len words are i32).
inline constexpr std::uint32_t kMaxMessageLen = 0x7fffffff;
}  // namespace win_shm_layout

/// Where the areas of a Windows region lie, as the header records them.
struct WinShmGeometry {
  std::uint32_t profile = 0;
  std::uint32_t request_offset = 0;
  std::uint32_t request_capacity = 0;
  std::uint32_t response_offset = 0;
  std::uint32_t response_capacity = 0;
  std::uint32_t spin_tries = 0;
  /// response_offset + response_capacity: the bytes the mapping must hold.
  std::uint64_t region_size() const noexcept {
    return std::uint64_t{response_offset} + response_capacity;
  }
  friend bool operator==(const WinShmGeometry&, const WinShmGeometry&) = default;
};

/// The geometry of a new region (WIN-SHM-LAYOUT-001): request area at 128, capacities rounded
/// up to multiples of 64, response area at align64(128 + request capacity). kBadParameter when
/// a capacity is 0 or the region would not fit 32-bit offsets.
TransportResult<WinShmGeometry> win_shm_geometry(std::uint32_t profile,
                                                 std::uint32_t request_capacity,
                                                 std::uint32_t response_capacity,
                                                 std::uint32_t spin_tries =
                                                     win_shm_layout::kDefaultSpinTries);

/// Writes the 128-byte header of `g` to the start of `out` (at least 128 bytes): magic,
/// version, header_len, profile, offsets, capacities and spin_tries; every interlocked word,
/// the padding and the reserved bytes 0 (WIN-SHM-HDR-001).
void encode_win_shm_header(const WinShmGeometry& g, std::span<std::uint8_t> out) noexcept;

/// Checks a mapped header for attaching (WIN-SHM-ATTACH-001), in this order: at least 128
/// bytes mapped (kWinShmBadLayout), magic (kWinShmBadMagic), version (kWinShmBadVersion),
/// header_len (kWinShmBadHeaderLen), profile == `selected_profile` (kWinShmBadProfile), then
/// offsets and capacities non-zero, multiples of 64, without u32 overflow, response_offset >=
/// request_offset + request_capacity, and within `mapped_size` when it is not 0
/// (kWinShmBadLayout). On success the geometry, spin_tries included.
TransportResult<WinShmGeometry> validate_win_shm_header(ConstBytes header,
                                                        std::uint32_t selected_profile,
                                                        std::uint64_t mapped_size = 0);

}  // namespace nipc

#endif  // NIPC_TRANSPORT_WIN_SHM_LAYOUT_H_
