// Protocol constants and enumerations shared by every layer (spec/envelope.md,
// spec/handshake.md, spec/profiles.md).
#ifndef NIPC_CODEC_CONSTANTS_H_
#define NIPC_CODEC_CONSTANTS_H_

#include <cstdint>

namespace nipc {

inline constexpr std::uint32_t kMessageMagic = 0x4e495043;  // "CPIN" on the wire
inline constexpr std::uint32_t kChunkMagic = 0x4e43484b;    // "KHCN" on the wire
inline constexpr std::uint16_t kEnvelopeVersion = 1;
inline constexpr std::uint16_t kHeaderLen = 32;
inline constexpr std::uint16_t kLayoutVersion = 1;  // HELLO, HELLO_ACK and typed payloads
inline constexpr std::uint32_t kItemAlignment = 8;

/// Message kind (outer header `kind`).
enum class Kind : std::uint16_t {
  kRequest = 1,
  kResponse = 2,
  kControl = 3,
};

/// Outer header flag bits. Only BATCH is defined; receivers ignore the others.
inline constexpr std::uint16_t kFlagBatch = 0x0001;

/// Envelope-level status carried in the outer header.
enum class TransportStatus : std::uint16_t {
  kOk = 0,
  kBadEnvelope = 1,
  kAuthFailed = 2,
  kIncompatible = 3,
  kUnsupported = 4,
  kLimitExceeded = 5,
  kInternalError = 6,
};

/// `code` values when kind is CONTROL.
enum class ControlCode : std::uint16_t {
  kHello = 1,
  kHelloAck = 2,
};

/// `code` values when kind is REQUEST or RESPONSE (one global namespace).
enum class Method : std::uint16_t {
  kIncrement = 1,
  kCgroupsSnapshot = 2,
  kStringReverse = 3,
  kCgroupsLookup = 4,  // newest revision (spec/lookup.md)
  kAppsLookup = 5,     // newest revision (spec/lookup.md)
};

/// Profile bits offered and selected in the handshake.
namespace profile {
inline constexpr std::uint32_t kBaseline = 0x01;    // UDS SEQPACKET / named pipe
inline constexpr std::uint32_t kShmHybrid = 0x02;   // SHM, spin then futex / event
inline constexpr std::uint32_t kShmFutex = 0x04;    // POSIX: same transport as hybrid
inline constexpr std::uint32_t kShmBusywait = 0x04;  // Windows meaning of bit 2
inline constexpr std::uint32_t kShmWaitAddr = 0x08;  // reserved, never implemented
inline constexpr std::uint32_t kShmAny = kShmHybrid | kShmFutex;
}  // namespace profile

/// Defaults and caps that the spec names (spec/handshake.md, spec/envelope.md).
inline constexpr std::uint32_t kDefaultPayloadLimit = 1024;
// 1 MiB: an unconfigured server's request maximum at seed (HS-REQ-003), the growth ceiling
// of unconfigured budgets at newest (HS-REQ-004).
inline constexpr std::uint32_t kRequestPayloadCap = 1048576;
inline constexpr std::uint32_t kDefaultBatchItems = 1;
inline constexpr std::uint32_t kMinPacketSizeExclusive = 32;  // agreed packet must exceed this
inline constexpr std::uint32_t kHandshakeReadSize = 128;      // HELLO / ACK receive buffer

}  // namespace nipc

#endif  // NIPC_CODEC_CONSTANTS_H_
