#include "catalogue.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>

namespace nipc::peer {
namespace {

std::vector<CaseDef>& rows() {
  static std::vector<CaseDef> r;
  return r;
}

bool& sorted() {
  static bool s = false;
  return s;
}

}  // namespace

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

Registrar::Registrar(CaseDef def) {
  for (const CaseDef& d : rows()) {
    if (d.id == def.id) {
      std::fprintf(stderr, "nipc-peer: duplicate case id %s\n", def.id.c_str());
      std::abort();
    }
  }
  rows().push_back(std::move(def));
  sorted() = false;
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

const std::vector<CaseDef>& catalogue() {
  if (!sorted()) {
    std::sort(rows().begin(), rows().end(),
              [](const CaseDef& a, const CaseDef& b) { return a.id < b.id; });
    sorted() = true;
  }
  return rows();
}

const CaseDef* find_case(const std::string& id) {
  for (const CaseDef& d : catalogue())
    if (d.id == id) return &d;
  return nullptr;
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
