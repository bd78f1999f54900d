// Generated from spec/shim-knobs.json by runners/ctslib/knobs.py; do not edit.
// Regenerate: ./cts spec knobs --write (runners/tests/test_shim_knobs.py checks it).
//
// The shim contract's exit codes and knob defaults (spec/shim-contract.md), for the
// reference shim nipc-ref and the conformance peer nipc-peer.
#ifndef NIPC_TOOLS_SHIM_KNOBS_H_
#define NIPC_TOOLS_SHIM_KNOBS_H_

#include <cstdint>

namespace nipc::shim {

/// SHIM-EXIT-001: one code, one outcome, for both roles.
enum Exit : int {
  kExitOk = 0,
  kExitFailed = 1,
  kExitUsage = 2,
  kExitEnvironment = 3,
  kExitNotSupported = 4,
  kExitRejected = 5,
};

/// What a shim uses when a flag is absent (the contract's Default column;
/// 0 asks for the default where the column names one that is not a number).
namespace contract {
inline constexpr const char* kTransportPosix = "uds";
inline constexpr const char* kTransportWindows = "pipe";
namespace server {
inline constexpr std::uint64_t kAuthToken = std::uint64_t{0ull};
inline constexpr std::uint32_t kProfiles = std::uint32_t{0x1u};
inline constexpr std::uint32_t kPreferred = std::uint32_t{0x0u};
inline constexpr std::uint32_t kMaxRequestPayload = std::uint32_t{0u};
inline constexpr std::uint32_t kMaxResponsePayload = std::uint32_t{65536u};
inline constexpr std::uint32_t kPacketSize = std::uint32_t{0u};
inline constexpr std::uint32_t kTimeoutMs = std::uint32_t{10000u};
inline constexpr std::uint32_t kSnapshotItems = std::uint32_t{16u};
inline constexpr std::uint64_t kSnapshotSeed = std::uint64_t{1ull};
inline constexpr std::uint32_t kLookupKeys = std::uint32_t{8u};
inline constexpr std::uint64_t kLookupSeed = std::uint64_t{1ull};
inline constexpr std::uint16_t kEchoMethod = std::uint16_t{1u};
inline constexpr const char* kSessions = "forever";
inline constexpr const char* kSpecRevision = "newest";
}  // namespace server
namespace client {
inline constexpr std::uint64_t kAuthToken = std::uint64_t{0ull};
inline constexpr std::uint32_t kProfiles = std::uint32_t{0x1u};
inline constexpr std::uint32_t kPreferred = std::uint32_t{0x0u};
inline constexpr std::uint32_t kMaxRequestPayload = std::uint32_t{0u};
inline constexpr std::uint32_t kMaxResponsePayload = std::uint32_t{65536u};
inline constexpr std::uint32_t kPacketSize = std::uint32_t{0u};
inline constexpr std::uint32_t kTimeoutMs = std::uint32_t{10000u};
inline constexpr std::uint32_t kSnapshotItems = std::uint32_t{16u};
inline constexpr std::uint64_t kSnapshotSeed = std::uint64_t{1ull};
inline constexpr std::uint32_t kLookupKeys = std::uint32_t{8u};
inline constexpr std::uint64_t kLookupSeed = std::uint64_t{1ull};
inline constexpr std::uint16_t kEchoMethod = std::uint16_t{1u};
inline constexpr const char* kScenario = "single";
inline constexpr std::uint64_t kCount = std::uint64_t{1ull};
inline constexpr std::uint32_t kItems = std::uint32_t{4u};
inline constexpr std::uint32_t kDepth = std::uint32_t{16u};
inline constexpr std::uint64_t kSize = std::uint64_t{0ull};
inline constexpr std::uint32_t kMaxRequestBatch = std::uint32_t{0u};
inline constexpr std::uint64_t kDurationMs = std::uint64_t{1000ull};
inline constexpr double kRate = 0.0;
inline constexpr const char* kSpecRevision = "newest";
}  // namespace client
}  // namespace contract

/// What the suite passes when a conformance case needs nothing particular.
namespace run {
namespace server {
inline constexpr const char* kServiceKind = "increment";
inline constexpr std::uint32_t kProfiles = std::uint32_t{0x1u};
inline constexpr std::uint32_t kPreferred = std::uint32_t{0x0u};
inline constexpr std::uint32_t kMaxRequestPayload = std::uint32_t{1048576u};
inline constexpr std::uint32_t kMaxResponsePayload = std::uint32_t{65536u};
inline constexpr std::uint32_t kPacketSize = std::uint32_t{65536u};
inline constexpr std::uint32_t kSnapshotItems = std::uint32_t{16u};
inline constexpr std::uint64_t kSnapshotSeed = std::uint64_t{1ull};
inline constexpr std::uint32_t kLookupKeys = std::uint32_t{8u};
inline constexpr std::uint64_t kLookupSeed = std::uint64_t{1ull};
inline constexpr const char* kSessions = "forever";
inline constexpr const char* kScenario = "single";
inline constexpr std::uint64_t kCount = std::uint64_t{1ull};
inline constexpr std::uint32_t kItems = std::uint32_t{4u};
inline constexpr std::uint32_t kDepth = std::uint32_t{16u};
inline constexpr std::uint64_t kSize = std::uint64_t{0ull};
inline constexpr std::uint32_t kMaxRequestBatch = std::uint32_t{1u};
inline constexpr const char* kSpecRevision = "newest";
}  // namespace server
namespace client {
inline constexpr const char* kServiceKind = "increment";
inline constexpr std::uint32_t kProfiles = std::uint32_t{0x1u};
inline constexpr std::uint32_t kPreferred = std::uint32_t{0x0u};
inline constexpr std::uint32_t kMaxRequestPayload = std::uint32_t{4096u};
inline constexpr std::uint32_t kMaxResponsePayload = std::uint32_t{65536u};
inline constexpr std::uint32_t kPacketSize = std::uint32_t{65536u};
inline constexpr std::uint32_t kSnapshotItems = std::uint32_t{16u};
inline constexpr std::uint64_t kSnapshotSeed = std::uint64_t{1ull};
inline constexpr std::uint32_t kLookupKeys = std::uint32_t{8u};
inline constexpr std::uint64_t kLookupSeed = std::uint64_t{1ull};
inline constexpr const char* kSessions = "forever";
inline constexpr const char* kScenario = "single";
inline constexpr std::uint64_t kCount = std::uint64_t{1ull};
inline constexpr std::uint32_t kItems = std::uint32_t{4u};
inline constexpr std::uint32_t kDepth = std::uint32_t{16u};
inline constexpr std::uint64_t kSize = std::uint64_t{0ull};
inline constexpr std::uint32_t kMaxRequestBatch = std::uint32_t{1u};
inline constexpr const char* kSpecRevision = "newest";
}  // namespace client
/// The token of matrix cells and the peer's default (conformance cases draw their own).
inline constexpr std::uint64_t kAuthToken = 0x5eed00c0ffee0001ull;
}  // namespace run

}  // namespace nipc::shim

#endif  // NIPC_TOOLS_SHIM_KNOBS_H_
