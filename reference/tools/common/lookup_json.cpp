#include "common/lookup_json.h"

#include <string_view>

namespace nipc::tools {
namespace {

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }
Json hex_of(std::string_view s) {
  return to_hex(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()));
}

const Json& array_member(const Json& object, std::string_view key) {
  const Json& a = member(object, key);
  if (!a.is_array()) throw FieldError("\"" + std::string(key) + "\": expected an array");
  return a;
}

Json labels_to_json(const std::vector<OwnedLabel>& labels) {
  Json out = Json::array();
  for (const OwnedLabel& l : labels) out.push_back(Json{{"key_hex", hex_of(l.key)}, {"value_hex", hex_of(l.value)}});
  return out;
}

std::vector<OwnedLabel> labels_from_json(const Json& item) {
  std::vector<OwnedLabel> out;
  for (const Json& l : array_member(item, "labels")) {
    expect_keys(l, {"key_hex", "value_hex"}, "label");
    out.push_back({text(get_hex(l, "key_hex")), text(get_hex(l, "value_hex"))});
  }
  return out;
}

std::vector<OwnedLabel> owned_labels(const LookupLabelList& list) {
  std::vector<OwnedLabel> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const LookupLabel l = list[i];
    out.push_back({std::string(l.key), std::string(l.value)});
  }
  return out;
}

}  // namespace

Json cgroups_lookup_request_to_json(const std::vector<std::string>& paths) {
  Json list = Json::array();
  for (const std::string& p : paths) list.push_back(hex_of(p));
  return Json{{"paths_hex", std::move(list)}};
}

std::vector<std::string> cgroups_lookup_request_from_json(const Json& f) {
  expect_keys(f, {"paths_hex"}, "cgroups_lookup_request fields");
  std::vector<std::string> out;
  for (const Json& p : array_member(f, "paths_hex")) {
    if (!p.is_string()) throw FieldError("\"paths_hex\": expected hex strings");
    std::optional<Bytes> b = from_hex(p.get_ref<const std::string&>());
    if (!b) throw FieldError("\"paths_hex\": expected an even number of hex digits");
    out.push_back(text(*b));
  }
  return out;
}

Json apps_lookup_request_to_json(const std::vector<std::uint32_t>& pids) {
  return Json{{"pids", pids}};
}

std::vector<std::uint32_t> apps_lookup_request_from_json(const Json& f) {
  expect_keys(f, {"pids"}, "apps_lookup_request fields");
  std::vector<std::uint32_t> out;
  for (const Json& p : array_member(f, "pids")) {
    if (!p.is_number_unsigned() || p.get<std::uint64_t>() > 0xFFFFFFFFull) {
      throw FieldError("\"pids\": expected u32 numbers");
    }
    out.push_back(p.get<std::uint32_t>());
  }
  return out;
}

Json cgroups_lookup_to_json(const OwnedCgroupsLookup& s) {
  Json items = Json::array();
  for (const OwnedCgroupsLookupItem& i : s.items) {
    items.push_back(Json{{"status", i.status},
                         {"orchestrator", i.orchestrator},
                         {"path_hex", hex_of(i.path)},
                         {"name_hex", hex_of(i.name)},
                         {"labels", labels_to_json(i.labels)}});
  }
  return Json{{"generation", u64_json(s.generation)}, {"items", std::move(items)}};
}

OwnedCgroupsLookup cgroups_lookup_from_json(const Json& f) {
  expect_keys(f, {"generation", "items"}, "cgroups_lookup_response fields");
  OwnedCgroupsLookup s;
  s.generation = get_u64(f, "generation");
  for (const Json& j : array_member(f, "items")) {
    expect_keys(j, {"status", "orchestrator", "path_hex", "name_hex", "labels"}, "cgroups lookup item");
    s.items.push_back({get_u16(j, "status"), get_u16(j, "orchestrator"), text(get_hex(j, "path_hex")),
                       text(get_hex(j, "name_hex")), labels_from_json(j)});
  }
  return s;
}

Json apps_lookup_to_json(const OwnedAppsLookup& s) {
  Json items = Json::array();
  for (const OwnedAppsLookupItem& i : s.items) {
    items.push_back(Json{{"status", i.status},
                         {"orchestrator", i.orchestrator},
                         {"cgroup_status", i.cgroup_status},
                         {"pid", i.pid},
                         {"ppid", i.ppid},
                         {"uid", i.uid},
                         {"starttime", u64_json(i.starttime)},
                         {"comm_hex", hex_of(i.comm)},
                         {"cgroup_path_hex", hex_of(i.cgroup_path)},
                         {"cgroup_name_hex", hex_of(i.cgroup_name)},
                         {"labels", labels_to_json(i.labels)}});
  }
  return Json{{"generation", u64_json(s.generation)}, {"items", std::move(items)}};
}

OwnedAppsLookup apps_lookup_from_json(const Json& f) {
  expect_keys(f, {"generation", "items"}, "apps_lookup_response fields");
  OwnedAppsLookup s;
  s.generation = get_u64(f, "generation");
  for (const Json& j : array_member(f, "items")) {
    expect_keys(j, {"status", "orchestrator", "cgroup_status", "pid", "ppid", "uid", "starttime",
                    "comm_hex", "cgroup_path_hex", "cgroup_name_hex", "labels"},
                "apps lookup item");
    OwnedAppsLookupItem i;
    i.status = get_u16(j, "status");
    i.orchestrator = get_u16(j, "orchestrator");
    i.cgroup_status = get_u16(j, "cgroup_status");
    i.pid = get_u32(j, "pid");
    i.ppid = get_u32(j, "ppid");
    i.uid = get_u32(j, "uid");
    i.starttime = get_u64(j, "starttime");
    i.comm = text(get_hex(j, "comm_hex"));
    i.cgroup_path = text(get_hex(j, "cgroup_path_hex"));
    i.cgroup_name = text(get_hex(j, "cgroup_name_hex"));
    i.labels = labels_from_json(j);
    s.items.push_back(std::move(i));
  }
  return s;
}

std::vector<std::string> owned_paths(const CgroupsLookupRequestView& view) {
  std::vector<std::string> out;
  for (std::uint32_t i = 0; i < view.size(); ++i) out.emplace_back(*view.path(i));
  return out;
}

std::vector<std::uint32_t> owned_pids(const AppsLookupRequestView& view) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t i = 0; i < view.size(); ++i) out.push_back(*view.pid(i));
  return out;
}

OwnedCgroupsLookup owned_cgroups_lookup(const CgroupsLookupResponseView& view) {
  OwnedCgroupsLookup s;
  s.generation = view.generation();
  for (std::uint32_t i = 0; i < view.size(); ++i) {
    const CgroupsLookupItemView v = *view.item(i);
    s.items.push_back({v.status, v.orchestrator, std::string(v.path), std::string(v.name),
                       owned_labels(v.labels)});
  }
  return s;
}

OwnedAppsLookup owned_apps_lookup(const AppsLookupResponseView& view) {
  OwnedAppsLookup s;
  s.generation = view.generation();
  for (std::uint32_t i = 0; i < view.size(); ++i) {
    const AppsLookupItemView v = *view.item(i);
    OwnedAppsLookupItem o;
    o.status = v.status;
    o.orchestrator = v.orchestrator;
    o.cgroup_status = v.cgroup_status;
    o.pid = v.pid;
    o.ppid = v.ppid;
    o.uid = v.uid;
    o.starttime = v.starttime;
    o.comm = v.comm;
    o.cgroup_path = v.cgroup_path;
    o.cgroup_name = v.cgroup_name;
    o.labels = owned_labels(v.labels);
    s.items.push_back(std::move(o));
  }
  return s;
}

}  // namespace nipc::tools
