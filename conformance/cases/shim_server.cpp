// Shim-contract cases with the IUT as server (spec/shim-contract.md): readiness, stop,
// --sessions, usage errors and the test services.
#ifdef _WIN32
#define NOMINMAX
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif
#include <dirent.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "../peer/names.h"
#include "common.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/testing/snapshot_fixture.h"
#include "shim_io.h"
#include "windows_objects.h"

namespace nipc::peer::cases {
namespace {

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

void stop_event_srv(Catalogue& table) {
  table.add({
    .id = "shim.srv.stop-event",
    .title = "setting the manual-reset event Local\\netipc-shim-stop-<pid> stops the server with exit code 0 and its pipe goes away",
    .requirements = {"SHIM-STOP-002", "SHIM-STOP-001"},
    .on = kOnAny,
    .probe = false,
    .platform = Platform::kWindows,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      if (!c.shim()) c.not_applicable("the implementation is not driven through the shim contract");
      auto s = c.open();
      round_trip(c, *s, 1, "SHIM-STOP-002");
      std::string name = "Local\\netipc-shim-stop-" + std::to_string(c.iut()->pid());
      UniqueHandle stop(::OpenEventW(EVENT_MODIFY_STATE, FALSE, widen_bytes(name).c_str()));
      if (!stop.valid()) c.fail("SHIM-STOP-002", "the server has no stop event " + name + ": " + last_error_text());
      c.note("peer sets " + name);
      ::SetEvent(stop.get());
      auto e = c.iut()->wait_exit(c.step(4));
      if (!e) c.timed_out("SHIM-STOP-002", "the server still runs after its stop event was set");
      c.check(e->ok(), "SHIM-STOP-002", "the server ended with " + e->describe() + " after its stop event");
      std::string why;
      c.check(connect_endpoint(c.endpoint(), &c.transcript(), "after-stop", &why) == nullptr, "SHIM-STOP-001",
              "the pipe " + c.endpoint() + " still accepts connections after the server stopped");
    })});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_shim_server_cases(Catalogue& table) {
  ready_line(table);
  stop_cleans(table);
  sessions_n(table);
  srv_unknown_flag(table);
  echo_service(table);
  snapshot_generator(table);
  stop_event_srv(table);
}

}  // namespace nipc::peer::cases
