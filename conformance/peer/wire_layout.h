// The peer's own byte layouts of the wire structures it writes and reads: the outer header
// (spec/envelope.md), HELLO and HELLO_ACK (spec/handshake.md), the continuation chunk header
// (spec/chunking.md), a batch directory entry (spec/batch.md) and the POSIX shared-memory
// region header (spec/transport-shm.md), with its own little-endian loads and stores. Every
// offset is copied from the spec's tables, not from the reference, so that an offset or byte
// order bug in the reference's layouts is judged by the peer instead of shared with it (the
// Windows region header has the same arrangement in win_region.h).
#ifndef NIPC_PEER_WIRE_LAYOUT_H_
#define NIPC_PEER_WIRE_LAYOUT_H_

#include <cstddef>
#include <cstdint>

namespace nipc::peer::layout {

/// Little-endian integers at a byte address (every netipc integer is little-endian).
inline std::uint16_t load16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load32(const std::uint8_t* p) {
  return std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) | (std::uint32_t{p[2]} << 16) |
         (std::uint32_t{p[3]} << 24);
}
inline std::uint64_t load64(const std::uint8_t* p) {
  return std::uint64_t{load32(p)} | (std::uint64_t{load32(p + 4)} << 32);
}
inline void store16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void store32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void store64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline constexpr std::uint64_t align8(std::uint64_t x) { return (x + 7) & ~std::uint64_t{7}; }

/// The 32-byte outer header (ENV-HDR-001).
namespace header {
inline constexpr std::size_t kMagic = 0;            // u32
inline constexpr std::size_t kVersion = 4;          // u16
inline constexpr std::size_t kHeaderLen = 6;        // u16
inline constexpr std::size_t kKind = 8;             // u16
inline constexpr std::size_t kFlags = 10;           // u16
inline constexpr std::size_t kCode = 12;            // u16
inline constexpr std::size_t kTransportStatus = 14; // u16
inline constexpr std::size_t kPayloadLen = 16;      // u32
inline constexpr std::size_t kItemCount = 20;       // u32
inline constexpr std::size_t kMessageId = 24;       // u64
inline constexpr std::size_t kSize = 32;
inline constexpr std::uint32_t kMagicValue = 0x4e495043;
inline constexpr std::uint16_t kVersionValue = 1;
}  // namespace header

/// The 44-byte HELLO payload (HS-HELLO-FMT-001).
namespace hello {
inline constexpr std::size_t kLayoutVersion = 0;           // u16
inline constexpr std::size_t kFlags = 2;                   // u16
inline constexpr std::size_t kSupportedProfiles = 4;       // u32
inline constexpr std::size_t kPreferredProfiles = 8;       // u32
inline constexpr std::size_t kMaxRequestPayloadBytes = 12; // u32
inline constexpr std::size_t kMaxRequestBatchItems = 16;   // u32
inline constexpr std::size_t kMaxResponsePayloadBytes = 20;// u32
inline constexpr std::size_t kMaxResponseBatchItems = 24;  // u32
inline constexpr std::size_t kReserved = 28;               // u32
inline constexpr std::size_t kAuthToken = 32;              // u64
inline constexpr std::size_t kPacketSize = 40;             // u32
inline constexpr std::size_t kSize = 44;
inline constexpr std::uint16_t kLayoutVersionValue = 1;
}  // namespace hello

/// The 48-byte HELLO_ACK payload (HS-ACK-FMT-001).
namespace ack {
inline constexpr std::size_t kLayoutVersion = 0;                  // u16
inline constexpr std::size_t kFlags = 2;                          // u16
inline constexpr std::size_t kServerSupportedProfiles = 4;        // u32
inline constexpr std::size_t kIntersectionProfiles = 8;           // u32
inline constexpr std::size_t kSelectedProfile = 12;               // u32
inline constexpr std::size_t kAgreedMaxRequestPayloadBytes = 16;  // u32
inline constexpr std::size_t kAgreedMaxRequestBatchItems = 20;    // u32
inline constexpr std::size_t kAgreedMaxResponsePayloadBytes = 24; // u32
inline constexpr std::size_t kAgreedMaxResponseBatchItems = 28;   // u32
inline constexpr std::size_t kAgreedPacketSize = 32;              // u32
inline constexpr std::size_t kReserved = 36;                      // u32
inline constexpr std::size_t kSessionId = 40;                     // u64
inline constexpr std::size_t kSize = 48;
}  // namespace ack

/// The 32-byte continuation chunk header (CHUNK-HDR-001); message_id sits at 8 here.
namespace chunk {
inline constexpr std::size_t kMagic = 0;            // u32
inline constexpr std::size_t kVersion = 4;          // u16
inline constexpr std::size_t kFlags = 6;            // u16
inline constexpr std::size_t kMessageId = 8;        // u64
inline constexpr std::size_t kTotalMessageLen = 16; // u32
inline constexpr std::size_t kChunkIndex = 20;      // u32
inline constexpr std::size_t kChunkCount = 24;      // u32
inline constexpr std::size_t kChunkPayloadLen = 28; // u32
inline constexpr std::size_t kSize = 32;
inline constexpr std::uint32_t kMagicValue = 0x4e43484b;
inline constexpr std::uint16_t kVersionValue = 1;
}  // namespace chunk

/// One 8-byte batch directory entry (BATCH-LAYOUT-001).
namespace batch_entry {
inline constexpr std::size_t kOffset = 0;  // u32, from the start of the packed area
inline constexpr std::size_t kLength = 4;  // u32
inline constexpr std::size_t kSize = 8;
}  // namespace batch_entry

/// The 64-byte POSIX shared-memory region header (SHM-HDR-001).
namespace posix_region {
inline constexpr std::size_t kMagic = 0;             // u32
inline constexpr std::size_t kVersion = 4;           // u16
inline constexpr std::size_t kHeaderLen = 6;         // u16
inline constexpr std::size_t kOwnerPid = 8;          // i32
inline constexpr std::size_t kOwnerGeneration = 12;  // u32
inline constexpr std::size_t kRequestOffset = 16;    // u32
inline constexpr std::size_t kRequestCapacity = 20;  // u32
inline constexpr std::size_t kResponseOffset = 24;   // u32
inline constexpr std::size_t kResponseCapacity = 28; // u32
inline constexpr std::size_t kRequestSeq = 32;       // u64, atomic
inline constexpr std::size_t kResponseSeq = 40;      // u64, atomic
inline constexpr std::size_t kRequestLen = 48;       // u32, atomic
inline constexpr std::size_t kResponseLen = 52;      // u32, atomic
inline constexpr std::size_t kRequestSignal = 56;    // u32, atomic futex word
inline constexpr std::size_t kResponseSignal = 60;   // u32, atomic futex word
inline constexpr std::size_t kSize = 64;
inline constexpr std::uint32_t kMagicValue = 0x4e53484d;
inline constexpr std::uint16_t kVersionValue = 3;
}  // namespace posix_region

}  // namespace nipc::peer::layout

#endif  // NIPC_PEER_WIRE_LAYOUT_H_
