#include "catalogue.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace nipc::peer {

nlohmann::json Needs::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  if (service_kind) j["service_kind"] = *service_kind;
  if (profiles) j["profiles"] = *profiles;
  if (preferred) j["preferred"] = *preferred;
  if (max_request_payload) j["max_request_payload"] = *max_request_payload;
  if (max_request_batch) j["max_request_batch"] = *max_request_batch;
  if (max_response_payload) j["max_response_payload"] = *max_response_payload;
  if (packet_size) j["packet_size"] = *packet_size;
  if (scenario) j["scenario"] = *scenario;
  if (count) j["count"] = *count;
  if (items) j["items"] = *items;
  if (service) j["service"] = *service;
  if (sessions) j["sessions"] = *sessions;
  if (long_run_dir) j["long_run_dir"] = true;
  return j;
}

void Catalogue::add(CaseDef def) {
  auto at = std::lower_bound(rows_.begin(), rows_.end(), def.id,
                             [](const CaseDef& d, const std::string& id) { return d.id < id; });
  if (at != rows_.end() && at->id == def.id) {
    std::fprintf(stderr, "nipc-peer: duplicate case id %s\n", def.id.c_str());
    std::abort();
  }
  rows_.insert(at, std::move(def));
}

const CaseDef* Catalogue::find(const std::string& id) const {
  auto at = std::lower_bound(rows_.begin(), rows_.end(), id,
                             [](const CaseDef& d, const std::string& key) { return d.id < key; });
  return at != rows_.end() && at->id == id ? &*at : nullptr;
}

bool CaseDef::any_service_kind() const {
  if (needs.service_kind) return false;
  if (service_neutral) return true;
  const std::string chapter = chapter_of(id);
  if (chapter == "handshake") return true;
  return role == Role::kServer && (chapter == "transport-uds" || chapter == "transport-shm");
}

std::string platform_name(Platform p, const std::string& id) {
  if (p == Platform::kAuto) {
    std::string chapter = id.substr(0, id.find('.'));
    if (chapter == "uds" || chapter == "shm") return "posix";
    if (chapter == "win") return "windows";
    return "both";
  }
  return p == Platform::kPosix ? "posix" : p == Platform::kWindows ? "windows" : "both";
}

const char* host_platform() {
#ifdef _WIN32
  return "windows";
#else
  return "posix";
#endif
}

bool CaseDef::runs_here() const {
  std::string p = platform_name(platform, id);
  return p == "both" || p == host_platform();
}

std::string chapter_of(const std::string& id) {
  static const std::map<std::string, std::string> kChapters = {
      {"hs", "handshake"}, {"env", "envelope"}, {"sess", "session"}, {"batch", "batch"},
      {"chunk", "chunking"}, {"prof", "profiles"}, {"svc", "service"}, {"codec", "codecs"},
      {"uds", "transport-uds"}, {"shm", "transport-shm"}, {"win", "transport-windows"},
      {"shim", "shim-contract"}, {"vec", "session-vectors"}, {"lookup", "lookup"}};
  auto it = kChapters.find(id.substr(0, id.find('.')));
  return it == kChapters.end() ? "other" : it->second;
}

}  // namespace nipc::peer
