// Shim-contract cases with the IUT as client (spec/shim-contract.md): the result line, exit
// codes, verification and usage errors.
#include <dirent.h>

#include <cstring>
#include <regex>
#include <sstream>
#include <thread>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/testing/snapshot_fixture.h"
#include "common.h"
#include "shim_io.h"

namespace nipc::peer::cases {
namespace {

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
      st.s->send_ack(RawAck{}, kStatusAuthFailed);
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
void add_shim_client_cases(Catalogue& table) {
  result_ok(table);
  result_rejected(table);
  wrong_answer(table);
  cli_unknown_flag(table);
  unsupported_scenario(table);
}

}  // namespace nipc::peer::cases
