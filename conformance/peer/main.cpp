// nipc-peer: the conformance test peer. It plays the other side of a conversation with an
// implementation under test (IUT), under the control of one catalogue case.
//
//   nipc-peer list                         the catalogue as JSON (one array)
//   nipc-peer run --case ID --profile P --config JSON [...] -- IUT COMMAND...
//                                          runs one case, prints one JSON result line
//
// Profiles: uds | shm-hybrid | shm-futex on POSIX, pipe | shm-hybrid | shm-busywait on
// Windows (the bits 0x01, 0x02, 0x04 of the system the peer was built for).
//
// Exit codes: 0 the case ran (whatever its verdict), 2 usage.
#include <csignal>

#include <CLI/CLI.hpp>
#include <iostream>
#include <nlohmann/json.hpp>

#include "catalogue.h"
#include "ctx.h"

// The case files (cases/<chapter>_<role>.cpp, in the spec's chapter order; the session
// vectors come from vectors/sessions.json): each adds its rows to the catalogue. This list is
// the whole catalogue; a new case file gets a line here.
namespace nipc::peer::cases {
void add_handshake_server_cases(Catalogue& table);
void add_handshake_client_cases(Catalogue& table);
void add_envelope_server_cases(Catalogue& table);
void add_envelope_client_cases(Catalogue& table);
void add_session_server_cases(Catalogue& table);
void add_session_client_cases(Catalogue& table);
void add_batch_server_cases(Catalogue& table);
void add_batch_client_cases(Catalogue& table);
void add_chunking_server_cases(Catalogue& table);
void add_chunking_client_cases(Catalogue& table);
void add_service_server_cases(Catalogue& table);
void add_service_client_cases(Catalogue& table);
void add_lookup_server_cases(Catalogue& table);
void add_lookup_client_cases(Catalogue& table);
void add_codecs_server_cases(Catalogue& table);
void add_transport_uds_server_cases(Catalogue& table);
void add_transport_uds_client_cases(Catalogue& table);
void add_transport_shm_server_cases(Catalogue& table);
void add_transport_shm_client_cases(Catalogue& table);
void add_transport_windows_server_cases(Catalogue& table);
void add_transport_windows_client_cases(Catalogue& table);
void add_shim_server_cases(Catalogue& table);
void add_shim_client_cases(Catalogue& table);
void add_session_vectors_cases(Catalogue& table);
}  // namespace nipc::peer::cases

namespace {

using nipc::peer::CaseDef;
using nipc::peer::Config;
using nlohmann::json;

json describe(const CaseDef& d) {
  json on = json::array();
  if (d.on & nipc::peer::kOnUds) on.push_back("uds");
  if (d.on & nipc::peer::kOnShm) on.push_back("shm");
  return {{"id", d.id},
          {"title", d.title},
          {"chapter", nipc::peer::chapter_of(d.id)},
          {"role", d.role == nipc::peer::Role::kServer ? "server" : "client"},
          {"requirements", d.requirements},
          {"on", on},
          {"profile_bits", d.profile_bits},
          {"needs", d.needs.to_json()},
          {"probe", d.role == nipc::peer::Role::kServer && d.probe},
          {"client_connects", d.role == nipc::peer::Role::kClient && d.client_connects},
          {"service_neutral", d.any_service_kind()},
          {"platform", nipc::peer::platform_name(d.platform, d.id)}};
}

template <class T>
void take(const json& j, const char* key, T* out) {
  if (j.contains(key)) *out = j[key].get<T>();
}

bool parse_config(const std::string& text, Config* c, std::string* why) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return *why = "--config is not a JSON object", false;
  try {
    take(j, "run_dir", &c->run_dir);
    take(j, "service", &c->service);
    take(j, "service_kind", &c->service_kind);
    take(j, "auth_token", &c->auth_token);
    take(j, "other_token", &c->other_token);
    take(j, "profiles", &c->profiles);
    take(j, "preferred", &c->preferred);
    take(j, "max_request_payload", &c->max_request_payload);
    take(j, "max_request_batch", &c->max_request_batch);
    take(j, "max_response_payload", &c->max_response_payload);
    take(j, "packet_size", &c->packet_size);
    take(j, "scenario", &c->scenario);
    take(j, "count", &c->count);
    take(j, "items", &c->items);
    take(j, "snapshot_items", &c->snapshot_items);
    take(j, "snapshot_seed", &c->snapshot_seed);
    take(j, "spec_revision", &c->spec_revision);
  } catch (const json::exception& e) {
    return *why = std::string("--config: ") + e.what(), false;
  }
  if (c->run_dir.empty() || c->service.empty()) return *why = "--config needs run_dir and service", false;
  if (c->spec_revision != "seed" && c->spec_revision != "newest")
    return *why = "--config: unknown spec_revision '" + c->spec_revision + "' (known: seed, newest)", false;
  return true;
}

nipc::peer::Catalogue make_catalogue() {
  using namespace nipc::peer::cases;
  nipc::peer::Catalogue table;
  add_handshake_server_cases(table);
  add_handshake_client_cases(table);
  add_envelope_server_cases(table);
  add_envelope_client_cases(table);
  add_session_server_cases(table);
  add_session_client_cases(table);
  add_batch_server_cases(table);
  add_batch_client_cases(table);
  add_chunking_server_cases(table);
  add_chunking_client_cases(table);
  add_service_server_cases(table);
  add_service_client_cases(table);
  add_lookup_server_cases(table);
  add_lookup_client_cases(table);
  add_codecs_server_cases(table);
  add_transport_uds_server_cases(table);
  add_transport_uds_client_cases(table);
  add_transport_shm_server_cases(table);
  add_transport_shm_client_cases(table);
  add_transport_windows_server_cases(table);
  add_transport_windows_client_cases(table);
  add_shim_server_cases(table);
  add_shim_client_cases(table);
  add_session_vectors_cases(table);
  return table;
}

}  // namespace

int main(int argc, char** argv) {
#ifdef SIGPIPE
  std::signal(SIGPIPE, SIG_IGN);
#endif
  CLI::App app{"nipc-peer: the netipc conformance test peer"};
  app.require_subcommand(1);
  auto* list = app.add_subcommand("list", "print the case catalogue as JSON");
  auto* run = app.add_subcommand("run", "run one case against an IUT");
  std::string case_id, profile = "uds", config_text = "{}";
  nipc::peer::RunOptions opt;
  std::vector<std::string> command;
  run->add_option("--case", case_id, "case id")->required();
  run->add_option("--profile", profile,
                  "uds | shm-hybrid | shm-futex (POSIX); pipe | shm-hybrid | shm-busywait (Windows)");
  run->add_option("--config", config_text, "the IUT's effective configuration (JSON)")->required();
  run->add_option("--timeout-scale", opt.timeout_scale, "stretch every step deadline");
  run->add_option("--ready", opt.ready, "how the IUT server shows readiness: line | socket | connect | delay");
  run->add_flag("--one-session", opt.one_session,
                "the IUT server serves one session and exits: no liveness probe, no second connection");
  run->add_option("--ready-pattern", opt.ready_pattern, "line readiness: regex a stdout line matches");
  run->add_option("--ready-delay-ms", opt.ready_delay_ms, "delay readiness: milliseconds to wait");
  run->add_option("--ready-timeout-ms", opt.ready_timeout_ms, "longest wait for readiness");
  run->add_option("--client-success", opt.client_success, "client success: exit-code | line");
  run->add_option("--client-success-pattern", opt.client_success_pattern,
                  "line success: regex a stdout line matches");
  run->add_flag("--shim", opt.shim, "the IUT follows the shim contract: judge exit codes and result lines");
  run->add_option("command", command, "the IUT command line (after --)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  const nipc::peer::Catalogue catalogue = make_catalogue();
  if (list->parsed()) {
    json out = json::array();
    for (const CaseDef& d : catalogue.cases()) out.push_back(describe(d));
    std::cout << out.dump(1) << std::endl;
    return 0;
  }
  const CaseDef* def = catalogue.find(case_id);
  if (!def) return std::cerr << "nipc-peer: unknown case " << case_id << "\n", 2;
  const bool windows = std::string(nipc::peer::host_platform()) == "windows";
  if (profile == (windows ? "pipe" : "uds")) opt.profile = 1;
  else if (profile == "shm-hybrid") opt.profile = 2;
  else if (profile == (windows ? "shm-busywait" : "shm-futex")) opt.profile = 4;
  else return std::cerr << "nipc-peer: unknown profile " << profile << " on " << nipc::peer::host_platform() << "\n", 2;
  std::string why;
  if (!parse_config(config_text, &opt.iut, &why)) return std::cerr << "nipc-peer: " << why << "\n", 2;
  opt.argv = command;
  nipc::peer::Ctx ctx(*def, opt);
  json result = ctx.run();
  result["profile"] = profile;
  result["platform"] = nipc::peer::host_platform();
  // Replace, never throw: a verdict line is printed whatever text reached it.
  std::cout << result.dump(-1, ' ', false, json::error_handler_t::replace) << std::endl;
  return 0;
}
