// Lookup payload fields <-> JSON (vectors/README.md, the four lookup families), shared by the
// vector generator and the codec testee, and owned copies of decoded lookups. Same encoding
// rules and strictness as fields_json.h.
#ifndef NIPC_TOOLS_COMMON_LOOKUP_JSON_H_
#define NIPC_TOOLS_COMMON_LOOKUP_JSON_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/fields_json.h"
#include "nipc/codec/lookup.h"
#include "nipc/testing/lookup_fixture.h"

namespace nipc::tools {

using nipc::OwnedAppsLookup;
using nipc::OwnedAppsLookupItem;
using nipc::OwnedCgroupsLookup;
using nipc::OwnedCgroupsLookupItem;
using nipc::OwnedLabel;
using nipc::encode_owned;

/// cgroups_lookup_request: {"paths_hex": ["<path without NUL>", ...]}.
Json cgroups_lookup_request_to_json(const std::vector<std::string>& paths);
std::vector<std::string> cgroups_lookup_request_from_json(const Json& fields);

/// apps_lookup_request: {"pids": [u32, ...]}.
Json apps_lookup_request_to_json(const std::vector<std::uint32_t>& pids);
std::vector<std::uint32_t> apps_lookup_request_from_json(const Json& fields);

/// cgroups_lookup_response: {"generation", "items": [{"status", "orchestrator", "path_hex",
/// "name_hex", "labels": [{"key_hex", "value_hex"}, ...]}, ...]}.
Json cgroups_lookup_to_json(const OwnedCgroupsLookup& lookup);
OwnedCgroupsLookup cgroups_lookup_from_json(const Json& fields);

/// apps_lookup_response: {"generation", "items": [{"status", "orchestrator", "cgroup_status",
/// "pid", "ppid", "uid", "starttime", "comm_hex", "cgroup_path_hex", "cgroup_name_hex",
/// "labels"}, ...]}.
Json apps_lookup_to_json(const OwnedAppsLookup& lookup);
OwnedAppsLookup apps_lookup_from_json(const Json& fields);

/// Owned copies of validated views.
std::vector<std::string> owned_paths(const CgroupsLookupRequestView& view);
std::vector<std::uint32_t> owned_pids(const AppsLookupRequestView& view);
OwnedCgroupsLookup owned_cgroups_lookup(const CgroupsLookupResponseView& view);
OwnedAppsLookup owned_apps_lookup(const AppsLookupResponseView& view);

}  // namespace nipc::tools

#endif  // NIPC_TOOLS_COMMON_LOOKUP_JSON_H_
