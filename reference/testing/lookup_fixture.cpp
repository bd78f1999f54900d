#include "nipc/testing/lookup_fixture.h"

#include <string>

namespace nipc {
namespace {

std::vector<OwnedLabel> labels(std::uint64_t count) {
  std::vector<OwnedLabel> out;
  for (std::uint64_t i = 0; i < count; ++i) {
    // Label 1 has an empty value: values may be empty, keys may not (LOOKUP-LABEL-003).
    out.push_back({"key" + std::to_string(i), i == 1 ? "" : "value" + std::to_string(i)});
  }
  return out;
}

std::vector<LookupLabel> label_views(const std::vector<OwnedLabel>& labels) {
  std::vector<LookupLabel> out;
  for (const OwnedLabel& l : labels) out.push_back({l.key, l.value});
  return out;
}

// FNV-1a, 64 bits: the hash the shim contract names for the lookup generators.
std::uint64_t fnv1a64(std::string_view bytes) noexcept {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const char c : bytes) {
    h ^= static_cast<std::uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace


std::string lookup_cgroup_key(std::uint64_t r, std::uint64_t j) {
  return "/sys/fs/cgroup/cts/r" + std::to_string(r) + "/k" + std::to_string(j);
}

std::uint32_t lookup_pid_key(std::uint64_t r, std::uint64_t j, std::uint64_t keys) {
  return static_cast<std::uint32_t>(1000 + r * keys + j);
}

OwnedCgroupsLookupItem lookup_cgroup_answer(std::uint64_t seed, std::string_view path) {
  const std::uint64_t n = fnv1a64(path) ^ seed;
  OwnedCgroupsLookupItem item;
  item.path = path;
  switch (n % 4) {
    case 0:
    case 1:
      item.status = static_cast<std::uint16_t>(CgroupsLookupStatus::kKnown);
      item.orchestrator = static_cast<std::uint16_t>((n >> 8) % 8);
      item.name = "name-" + std::to_string((n >> 16) % 1000);
      item.labels = labels((n >> 32) % 3);
      break;
    case 2: item.status = static_cast<std::uint16_t>(CgroupsLookupStatus::kUnknownRetryLater); break;
    default: item.status = static_cast<std::uint16_t>(CgroupsLookupStatus::kUnknownPermanent); break;
  }
  return item;
}

OwnedAppsLookupItem lookup_pid_answer(std::uint64_t seed, std::uint32_t pid) {
  const std::uint64_t n = fnv1a64(std::to_string(pid)) ^ seed;
  OwnedAppsLookupItem item;
  item.pid = pid;
  if (n % 3 == 2) {
    item.status = static_cast<std::uint16_t>(AppsLookupStatus::kUnknown);
    return item;  // everything else empty, uid unset (LOOKUP-APITEM-004)
  }
  item.status = static_cast<std::uint16_t>(AppsLookupStatus::kKnown);
  item.ppid = pid / 2;
  item.uid = static_cast<std::uint32_t>((n >> 8) % 2000);
  item.starttime = n >> 16;
  item.comm = "proc" + std::to_string(pid % 1000);
  item.cgroup_status = static_cast<std::uint16_t>((n >> 4) % 4);
  switch (static_cast<AppsCgroupStatus>(item.cgroup_status)) {
    case AppsCgroupStatus::kKnown:
      item.orchestrator = static_cast<std::uint16_t>((n >> 24) % 8);
      item.cgroup_path = "/cts/" + std::to_string(pid);
      item.cgroup_name = "app" + std::to_string(pid % 100);
      item.labels = labels((n >> 40) % 3);
      break;
    case AppsCgroupStatus::kUnknownPermanent: item.cgroup_path = "/gone/" + std::to_string(pid); break;
    case AppsCgroupStatus::kUnknownRetryLater:
    case AppsCgroupStatus::kHostRoot: break;
  }
  return item;
}

Result<std::size_t> encode_owned(const std::vector<std::string>& paths, std::vector<std::uint8_t>* out) {
  const std::vector<std::string_view> views(paths.begin(), paths.end());
  out->resize(static_cast<std::size_t>(cgroups_lookup_request_encoded_size(views)));
  return encode_cgroups_lookup_request(views, *out);
}

Result<std::size_t> encode_owned(const std::vector<std::uint32_t>& pids, std::vector<std::uint8_t>* out) {
  out->resize(static_cast<std::size_t>(apps_lookup_request_encoded_size(pids.size())));
  return encode_apps_lookup_request(pids, *out);
}

Result<std::size_t> encode_owned(const OwnedCgroupsLookup& s, std::vector<std::uint8_t>* out) {
  std::vector<std::vector<LookupLabel>> labels;
  for (const auto& i : s.items) labels.push_back(label_views(i.labels));
  std::vector<CgroupsLookupItem> items;
  for (std::size_t k = 0; k < s.items.size(); ++k) {
    const auto& i = s.items[k];
    items.push_back({i.status, i.orchestrator, i.path, i.name, labels[k]});
  }
  out->resize(static_cast<std::size_t>(cgroups_lookup_response_encoded_size(items)));
  return encode_cgroups_lookup_response(s.generation, items, *out);
}

Result<std::size_t> encode_owned(const OwnedAppsLookup& s, std::vector<std::uint8_t>* out) {
  std::vector<std::vector<LookupLabel>> labels;
  for (const auto& i : s.items) labels.push_back(label_views(i.labels));
  std::vector<AppsLookupItem> items;
  for (std::size_t k = 0; k < s.items.size(); ++k) {
    const auto& i = s.items[k];
    items.push_back({i.status, i.orchestrator, i.cgroup_status, i.pid, i.ppid, i.uid, i.starttime,
                     i.comm, i.cgroup_path, i.cgroup_name, labels[k]});
  }
  out->resize(static_cast<std::size_t>(apps_lookup_response_encoded_size(items)));
  return encode_apps_lookup_response(s.generation, items, *out);
}

}  // namespace nipc
