// The POSIX shared-memory region header (spec/transport-shm.md, SHM-HDR-001) as named
// offsets, and pure functions that size a region, encode its header, validate one for
// attaching and read its owner for the stale check. No I/O: shm.cpp maps the file and calls
// these; they are tested byte by byte on every host.
#ifndef NIPC_TRANSPORT_SHM_LAYOUT_H_
#define NIPC_TRANSPORT_SHM_LAYOUT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "nipc/codec/bytes.h"
#include "nipc/transport/error.h"

namespace nipc {

/// Byte offsets of the 64-byte region header (SHM-HDR-001).
namespace shm_layout {
inline constexpr std::size_t kMagic = 0;             // u32, 0x4e53484d "NSHM"
inline constexpr std::size_t kVersion = 4;           // u16, 3
inline constexpr std::size_t kHeaderLen = 6;         // u16, 64
inline constexpr std::size_t kOwnerPid = 8;          // i32, server pid
inline constexpr std::size_t kOwnerGeneration = 12;  // u32, non-zero
inline constexpr std::size_t kRequestOffset = 16;    // u32, 64
inline constexpr std::size_t kRequestCapacity = 20;  // u32, multiple of 64
inline constexpr std::size_t kResponseOffset = 24;   // u32, multiple of 64
inline constexpr std::size_t kResponseCapacity = 28; // u32, multiple of 64
inline constexpr std::size_t kRequestSeq = 32;       // u64 atomic
inline constexpr std::size_t kResponseSeq = 40;      // u64 atomic
inline constexpr std::size_t kRequestLen = 48;       // u32 atomic, 32 + payload
inline constexpr std::size_t kResponseLen = 52;      // u32 atomic
inline constexpr std::size_t kRequestSignal = 56;    // u32 atomic futex word
inline constexpr std::size_t kResponseSignal = 60;   // u32 atomic futex word
inline constexpr std::size_t kSize = 64;

inline constexpr std::uint32_t kMagicValue = 0x4e53484d;
inline constexpr std::uint16_t kVersionValue = 3;
inline constexpr std::size_t kAlignment = 64;
}  // namespace shm_layout

/// Where the areas of a POSIX region lie, as its header records them.
struct ShmGeometry {
  std::uint32_t request_offset = 0;
  std::uint32_t request_capacity = 0;
  std::uint32_t response_offset = 0;
  std::uint32_t response_capacity = 0;
  /// The bytes the file must hold: the end of whichever area ends last.
  std::uint64_t region_size() const noexcept {
    const std::uint64_t req = std::uint64_t{request_offset} + request_capacity;
    const std::uint64_t resp = std::uint64_t{response_offset} + response_capacity;
    return req > resp ? req : resp;
  }
  friend bool operator==(const ShmGeometry&, const ShmGeometry&) = default;
};

/// The owner a region header names, for the stale check (SHM-STALE-001).
struct ShmOwner {
  std::int32_t pid = 0;
  std::uint32_t generation = 0;
  friend bool operator==(const ShmOwner&, const ShmOwner&) = default;
};

/// The geometry of a new region (SHM-LAYOUT-001): request area at 64, capacities rounded up to
/// multiples of 64, response area at align64(64 + request capacity). kBadParameter when a
/// capacity is 0 or the region would not fit 32-bit offsets.
TransportResult<ShmGeometry> shm_geometry(std::uint32_t request_capacity,
                                          std::uint32_t response_capacity);

/// Writes the header of `g` to the start of `out` (at least 64 bytes): version, header_len,
/// the owner, offsets and capacities; every counter, length and futex word 0 (SHM-HDR-001).
/// The magic is left as it was (0 in a new file): the creator stores shm_layout::kMagicValue
/// last, with release, once the rest is in place (SHM-CREATE-001).
void encode_shm_header(const ShmGeometry& g, const ShmOwner& owner,
                       std::span<std::uint8_t> out) noexcept;

/// Checks a region header for attaching (SHM-ATTACH-001), in the order of the spec's attach
/// table: at least 64 bytes in the file (kShmNotReady), magic (kShmBadMagic), version
/// (kShmBadVersion), header_len (kShmBadHeader), offsets at least 64 and capacities not 0
/// (kShmNotReady: a server may still be writing it), then request end within 32 bits, every
/// offset and capacity a multiple of 64, response_offset >= align64(request end), and the file
/// as large as both areas (kShmBadSize). `header` is what was read (or mapped) from the file
/// start, `file_size` the file's size. On success the geometry.
TransportResult<ShmGeometry> validate_shm_header(ConstBytes header, std::uint64_t file_size);

/// The owner of a region whose header is readable and carries the magic; nullopt for a
/// header shorter than 64 bytes or with another magic (junk, SHM-STALE-001).
std::optional<ShmOwner> shm_header_owner(ConstBytes header) noexcept;

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SHM_LAYOUT_H_
