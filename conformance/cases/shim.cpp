// The shim contract (spec/shim-contract.md): readiness, result lines, exit codes, flags,
// services and termination. These are judged only for implementations whose manifest says
// they follow the contract (line readiness on "^READY", success by exit code); for others the
// cases are not applicable.
#include <dirent.h>

#include <cstring>
#include <regex>
#include <sstream>
#include <thread>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/testing/snapshot_fixture.h"
#include "common.h"

namespace nipc::peer::cases {
namespace {

void need_shim(Ctx& c) {
  if (!c.shim()) c.not_applicable("the implementation is not driven through the shim contract");
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Server.

void ready_line(Catalogue& table) {
  table.add({
    .id = "shim.srv.ready-line-only",
    .title = "the server prints exactly one READY line on stdout and nothing else",
    .requirements = {"SHIM-READY-001"},
    .probe = false,
    .run = [](Ctx& c) {
      need_shim(c);
      auto s = c.open();
      round_trip(c, *s, 1, "SHIM-READY-001");
      s->close();
      c.stop_iut();
      auto out = lines_of(c.iut()->stdout_text());
      static const std::regex kReady("^READY( \\{.*\\})?$");
      c.check(out.size() == 1 && std::regex_match(out[0], kReady), "SHIM-READY-001",
              "stdout has " + std::to_string(out.size()) + " lines; expected the one READY line");
    }});
}

void stop_cleans(Catalogue& table) {
  table.add({
    .id = "shim.srv.sigterm-stops-and-cleans",
    .title = "on SIGTERM the server ends its sessions, removes its socket and region files and exits 0",
    .requirements = {"SHIM-STOP-001", "SHM-CLEAN-001", "UDS-CLOSE-001"},
    .probe = false,
    .platform = Platform::kPosix,  // SIGTERM, socket and region files
    .run = [](Ctx& c) {
      need_shim(c);
      auto s = c.open();
      round_trip(c, *s, 1, "SHIM-STOP-001");
      auto start = std::chrono::steady_clock::now();
      ExitStatus e = c.stop_iut(5000);
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      c.check(e.ok(), "SHIM-STOP-001", "the server ended with " + e.describe() + " after SIGTERM");
      c.check(secs < 5.0, "SHIM-STOP-001", "the server took " + std::to_string(secs) + " s to stop");
      for (const std::string& name : entries(c.cfg().run_dir)) {
        bool region = name.size() > 7 && name.compare(name.size() - 7, 7, ".ipcshm") == 0;
        c.check(!region, "SHM-CLEAN-001", "region file " + name + " left behind after the server stopped");
        c.check(name != c.cfg().service + ".sock", "UDS-CLOSE-001", "the socket file is left behind after the server stopped");
      }
    }});
}

void sessions_n(Catalogue& table) {
  table.add({
    .id = "shim.srv.sessions-2",
    .title = "with --sessions 2 the server exits 0 by itself once two sessions have ended",
    .requirements = {"SHIM-STOP-001"},
    .needs = {.sessions = std::string("2")},
    .probe = false,
    .run = [](Ctx& c) {
      need_shim(c);
      for (std::uint64_t i = 1; i <= 2; ++i) {
        auto s = c.open();
        round_trip(c, *s, i, "SHIM-STOP-001");
        s->close();
      }
      auto e = c.iut()->wait_exit(c.step(3));
      if (!e) c.timed_out("SHIM-STOP-001", "the server still runs after its two sessions ended");
      c.check(e->ok(), "SHIM-STOP-001", "the server ended with " + e->describe());
    }});
}

void srv_unknown_flag(Catalogue& table) {
  table.add({
    .id = "shim.srv.unknown-flag",
    .title = "a server given an unknown flag exits 2 without starting",
    .requirements = {"SHIM-FLAG-001", "SHIM-EXIT-001"},
    .start = false,
    .probe = false,
    .run = [](Ctx& c) {
      need_shim(c);
      c.add_iut_arg("--no-such-flag-for-netipc");
      auto ready = c.launch_iut();
      c.check(ready == IutProcess::Ready::kExited, "SHIM-FLAG-001", "the server started despite an unknown flag");
      if (ready == IutProcess::Ready::kExited)
        c.check(c.iut()->poll_exit()->code == 2, "SHIM-EXIT-001",
                "usage error ended with " + c.iut()->poll_exit()->describe() + ", not exit code 2");
    }});
}

void echo_service(Catalogue& table) {
  table.add({
    .id = "shim.srv.echo",
    .title = "an echo server answers every payload of its method with the payload itself",
    .requirements = {"SHIM-SERVICE-001"},
    .needs = {.service_kind = std::string("echo")},
    .run = [](Ctx& c) {
      need_shim(c);
      auto s = c.open();
      for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{3000}}) {
        Bytes p(n);
        for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(i * 31 + n);
        RawHeader h = request(c, 10 + n, p.size());
        h.code = 1;
        s->send_message(h, p);
        s->expect_answer(h, p, "SHIM-SERVICE-001");
      }
    }});
}

void snapshot_generator(Catalogue& table) {
  table.add({
    .id = "shim.srv.snapshot-generator",
    .title = "a cgroups-snapshot server answers with the generator's snapshot for the default seed and size",
    .requirements = {"SHIM-SNAP-001", "SHIM-SERVICE-001"},
    .needs = {.service_kind = std::string("cgroups-snapshot")},
    .run = [](Ctx& c) {
      need_shim(c);
      auto s = c.open();
      GeneratedSnapshot snap = generate_snapshot(1, 16);
      auto views = snap.views();
      Bytes want(snapshot_encoded_size(views));
      auto n = encode_snapshot(snap.systemd_enabled, snap.generation, views, MutableBytes(want));
      if (!n) c.error("the peer cannot encode the generator's snapshot");
      want.resize(*n);
      RawHeader h = request(c, 5, 4);
      s->send_message(h, Bytes{1, 0, 0, 0});
      s->expect_answer(h, want, "SHIM-SNAP-001");
    }});
}

// ---------------------------------------------------------------------------------------
// Client.

void check_result_line(Ctx& c, const Ctx::ClientResult& r) {
  auto out = lines_of(c.iut()->stdout_text());
  c.check(out.size() == 1, "SHIM-RESULT-001", "the client printed " + std::to_string(out.size()) + " stdout lines, not one");
  const auto& j = r.result;
  if (!j.is_object()) c.fail("SHIM-RESULT-001", "the client printed no JSON result line");
  for (const char* key : {"role", "ok", "scenario", "service_kind", "requests", "verified", "error"})
    c.check(j.contains(key), "SHIM-RESULT-001", std::string("the result line has no '") + key + "'");
  c.check(j.value("role", "") == "client", "SHIM-RESULT-001", "result line role is not \"client\"");
  c.check(j.contains("ok") && j["ok"].is_boolean() && j["ok"].get<bool>() == r.exit.ok(), "SHIM-RESULT-001",
          "result line 'ok' disagrees with the exit code");
  if (j.contains("error") && j["error"].is_object())
    for (const char* key : {"kind", "rule", "requirement", "text"})
      c.check(j["error"].contains(key), "SHIM-RESULT-001", std::string("the result line's error has no '") + key + "'");
}

void result_ok(Catalogue& table) {
  table.add({
    .id = "shim.cli.result-line",
    .title = "a successful client prints one JSON result line with ok true and exits 0",
    .role = Role::kClient,
    .requirements = {"SHIM-RESULT-001", "SHIM-EXIT-001", "SHIM-SCENARIO-001"},
    .needs = {.count = 3u},
    .run = [](Ctx& c) {
      need_shim(c);
      serve_ok(c);
      auto r = c.client_exit();
      c.check(r.exit.ok(), "SHIM-EXIT-001", "a verified run ended with " + r.exit.describe());
      check_result_line(c, r);
    }});
}

void result_rejected(Catalogue& table) {
  table.add({
    .id = "shim.cli.rejected-exit-5",
    .title = "a client whose handshake is rejected exits 5 and names the rule in its result line",
    .role = Role::kClient,
    .requirements = {"SHIM-EXIT-001", "SHIM-RESULT-001"},
    .run = [](Ctx& c) {
      need_shim(c);
      ClientStart st = client_hello(c);
      st.s->send_ack(RawAck{}, 2);
      auto r = c.client_exit();
      c.check(r.exit.signal == 0 && r.exit.code == 5, "SHIM-EXIT-001", "a rejected handshake ended with " + r.exit.describe());
      check_result_line(c, r);
    }});
}

void wrong_answer(Catalogue& table) {
  table.add({
    .id = "shim.cli.wrong-answer",
    .title = "a response with a well-formed envelope but a wrong value fails the run (exit 1)",
    .role = Role::kClient,
    .requirements = {"SHIM-VERIFY-001", "SHIM-EXIT-001"},
    .run = [](Ctx& c) {
      need_shim(c);
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->serve([](Session& s, const Message& req) {
        RawHeader h;
        h.kind = 2;
        h.code = req.h.code;
        h.message_id = req.h.message_id;
        Bytes p = increment_payload(load_u64le(req.payload.data()) + 2);
        h.payload_len = 8;
        s.send_message(h, p);
        return true;
      });
      auto r = c.client_exit();
      c.check(r.exit.signal == 0 && r.exit.code == 1, "SHIM-VERIFY-001", "a wrong answer ended with " + r.exit.describe());
    }});
}

void cli_unknown_flag(Catalogue& table) {
  table.add({
    .id = "shim.cli.unknown-flag",
    .title = "a client given an unknown flag exits 2 and connects nowhere",
    .role = Role::kClient,
    .requirements = {"SHIM-FLAG-001", "SHIM-EXIT-001"},
    .start = false,
    .client_connects = false,
    .run = [](Ctx& c) {
      need_shim(c);
      c.listen();
      c.add_iut_arg("--no-such-flag-for-netipc");
      c.start_iut();
      auto r = c.client_exit(false);
      c.check(r.exit.signal == 0 && r.exit.code == 2, "SHIM-EXIT-001", "usage error ended with " + r.exit.describe());
      c.check(!c.client_connected(), "SHIM-FLAG-001", "the client connected despite a usage error");
    }});
}

void unsupported_scenario(Catalogue& table) {
  table.add({
    .id = "shim.cli.unsupported-scenario",
    .title = "a client asked for a scenario its service kind cannot play exits 4 (large INCREMENT requests)",
    .role = Role::kClient,
    .requirements = {"SHIM-SCENARIO-001", "SHIM-EXIT-001"},
    .needs = {.scenario = std::string("large")},
    .client_connects = false,
    .run = [](Ctx& c) {
      need_shim(c);
      auto r = c.client_exit(false);
      c.check(r.exit.signal == 0 && r.exit.code == 4, "SHIM-SCENARIO-001",
              "large INCREMENT requests ended with " + r.exit.describe() + ", not 4 (not supported)");
      check_result_line(c, r);
    }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_shim_cases(Catalogue& table) {
  ready_line(table);
  stop_cleans(table);
  sessions_n(table);
  srv_unknown_flag(table);
  echo_service(table);
  snapshot_generator(table);
  result_ok(table);
  result_rejected(table);
  wrong_answer(table);
  cli_unknown_flag(table);
  unsupported_scenario(table);
}
}  // namespace nipc::peer::cases
