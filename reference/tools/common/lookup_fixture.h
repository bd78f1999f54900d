// The deterministic generators behind the `cgroups-lookup` and `apps-lookup` service kinds
// (spec/shim-contract.md, "Lookup generators"): which keys a client asks for, and what a
// server answers for each key. Pure functions of (seed, key), so a server and a client agree
// without talking, and other languages can reproduce them from the contract's description.
#ifndef NIPC_TOOLS_COMMON_LOOKUP_FIXTURE_H_
#define NIPC_TOOLS_COMMON_LOOKUP_FIXTURE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "common/lookup_json.h"

namespace nipc::tools {

/// FNV-1a, 64 bits, over `bytes`.
std::uint64_t fnv1a64(std::string_view bytes) noexcept;

/// Key `j` of request `r`: "/sys/fs/cgroup/cts/r<r>/k<j>".
std::string lookup_cgroup_key(std::uint64_t r, std::uint64_t j);
/// Key `j` of request `r` with `keys` keys per request: 1000 + r × keys + j (mod 2^32).
std::uint32_t lookup_pid_key(std::uint64_t r, std::uint64_t j, std::uint64_t keys);

/// The server's answer for cgroup `path` under `seed` (the item echoes the path).
OwnedCgroupsLookupItem lookup_cgroup_answer(std::uint64_t seed, std::string_view path);
/// The server's answer for `pid` under `seed` (the item echoes the pid).
OwnedAppsLookupItem lookup_pid_answer(std::uint64_t seed, std::uint32_t pid);

}  // namespace nipc::tools

#endif  // NIPC_TOOLS_COMMON_LOOKUP_FIXTURE_H_
