// The protocol revisions the reference implements (spec/README.md#revisions). Where the two
// revisions disagree the library takes the revision as a run-time option and follows the
// rule with that revision's requirement ID.
#ifndef NIPC_CODEC_REVISION_H_
#define NIPC_CODEC_REVISION_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "nipc/codec/constants.h"

namespace nipc {

/// kSeed: plugin-ipc 6d9ffc1 era; kNewest: plugin-ipc 0d17a9d, the default.
enum class SpecRevision : std::uint8_t { kSeed, kNewest };

inline constexpr SpecRevision kDefaultSpecRevision = SpecRevision::kNewest;

/// "seed" or "newest".
constexpr std::string_view revision_name(SpecRevision r) noexcept {
  return r == SpecRevision::kSeed ? "seed" : "newest";
}

/// The revision called `name`; nullopt for any other text (callers report it as a usage
/// error naming the known revisions).
constexpr std::optional<SpecRevision> parse_revision(std::string_view name) noexcept {
  if (name == "seed") return SpecRevision::kSeed;
  if (name == "newest") return SpecRevision::kNewest;
  return std::nullopt;
}

/// The request maximum of a server whose maximum is not configured: 1 MiB at seed
/// (HS-REQ-003), 1024 at newest (HS-REQ-004; 1 MiB is then only the growth ceiling).
constexpr std::uint32_t default_request_payload_max(SpecRevision r) noexcept {
  return r == SpecRevision::kSeed ? kRequestPayloadCap : kDefaultPayloadLimit;
}

/// The per-call receive timeout of a client that configured none: 30000 ms at newest
/// (SVC-TIMEOUT-001); 0 (wait as long as the connection lives) at seed.
constexpr std::uint32_t default_call_timeout_ms(SpecRevision r) noexcept {
  return r == SpecRevision::kSeed ? 0u : 30000u;
}

}  // namespace nipc

#endif  // NIPC_CODEC_REVISION_H_
