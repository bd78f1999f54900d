// The deterministic generators behind the `cgroups-lookup` and `apps-lookup` service kinds
// (spec/shim-contract.md, "Lookup generators"): which keys a client asks for, and what a
// server answers for each key. Pure functions of (seed, key), so a server and a client agree
// without talking, and other languages can reproduce them from the contract's description.
#ifndef NIPC_TESTING_LOOKUP_FIXTURE_H_
#define NIPC_TESTING_LOOKUP_FIXTURE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include <vector>

#include "nipc/codec/lookup.h"

namespace nipc {

/// Owned copies of lookup keys, items and responses (strings owned, labels owned).
struct OwnedLabel {
  std::string key;
  std::string value;
};

struct OwnedCgroupsLookupItem {
  std::uint16_t status = 0;
  std::uint16_t orchestrator = 0;
  std::string path;
  std::string name;
  std::vector<OwnedLabel> labels;
};

struct OwnedAppsLookupItem {
  std::uint16_t status = 0;
  std::uint16_t orchestrator = 0;
  std::uint16_t cgroup_status = 0;
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t uid = kUidUnset;
  std::uint64_t starttime = 0;
  std::string comm;
  std::string cgroup_path;
  std::string cgroup_name;
  std::vector<OwnedLabel> labels;
};

struct OwnedCgroupsLookup {
  std::uint64_t generation = 0;
  std::vector<OwnedCgroupsLookupItem> items;
};

struct OwnedAppsLookup {
  std::uint64_t generation = 0;
  std::vector<OwnedAppsLookupItem> items;
};

/// Canonical encodings into `out` (resized to the encoded size); the codec's error on failure.
Result<std::size_t> encode_owned(const std::vector<std::string>& paths, std::vector<std::uint8_t>* out);
Result<std::size_t> encode_owned(const std::vector<std::uint32_t>& pids, std::vector<std::uint8_t>* out);
Result<std::size_t> encode_owned(const OwnedCgroupsLookup& lookup, std::vector<std::uint8_t>* out);
Result<std::size_t> encode_owned(const OwnedAppsLookup& lookup, std::vector<std::uint8_t>* out);

/// Key `j` of request `r`: "/sys/fs/cgroup/cts/r<r>/k<j>".
std::string lookup_cgroup_key(std::uint64_t r, std::uint64_t j);
/// Key `j` of request `r` with `keys` keys per request: 1000 + r × keys + j (mod 2^32).
std::uint32_t lookup_pid_key(std::uint64_t r, std::uint64_t j, std::uint64_t keys);

/// The server's answer for cgroup `path` under `seed` (the item echoes the path).
OwnedCgroupsLookupItem lookup_cgroup_answer(std::uint64_t seed, std::string_view path);
/// The server's answer for `pid` under `seed` (the item echoes the pid).
OwnedAppsLookupItem lookup_pid_answer(std::uint64_t seed, std::uint32_t pid);

}  // namespace nipc

#endif  // NIPC_TESTING_LOOKUP_FIXTURE_H_
