// Windows transport cases (spec/transport-windows.md): the named pipe's name, first instance,
// next instance and end of file; the shared-memory region's names, header, layout, spin count,
// busy-wait profile, close flags, length rules and attach checks, in both roles. The rows are
// listed by every build of the peer; their step programs exist only in the Windows build.
#ifdef _WIN32
#define NOMINMAX
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#endif

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "../peer/names.h"
#include "common.h"

namespace nipc::peer::cases {
namespace {

constexpr std::uint32_t kHybrid = 2, kBusyWait = 4;  // the Windows SHM profile bits

#ifdef _WIN32
namespace W = win_region_layout;

constexpr unsigned long kErrorPipeBusy = 231;

/// The SHM profile of this run (the case is registered for SHM runs only).
std::uint32_t shm_profile(Ctx& c) { return c.run_profile(); }

/// Connects to the IUT server's pipe, retrying while the pipe has no free instance or is not
/// there yet, until `deadline`; nullptr then.
std::unique_ptr<Session> connect_retrying(Ctx& c, const std::string& name, Deadline deadline) {
  for (;;) {
    std::string why;
    auto conn = connect_endpoint(c.endpoint(), &c.transcript(), name, &why);
    if (conn) return std::make_unique<Session>(c, std::move(conn), true);
    if (deadline.expired()) {
      c.note("no connection to " + c.endpoint() + ": " + why);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// Where the system ignores FILE_FLAG_FIRST_PIPE_INSTANCE (wine), a server must find the
/// owner by probing the name first (spec/transport-windows.md, "First instance"): a failure
/// says so.
std::string first_instance_hint() {
  return first_instance_enforced() ? ""
                                   : " (this system ignores FILE_FLAG_FIRST_PIPE_INSTANCE: a server must "
                                     "probe the name before it creates its first instance)";
}

/// Waits until the session's pipe reports the other side gone; false at the deadline.
bool wait_hung_up(Session& s, Deadline deadline) {
  while (!s.conn().hung_up()) {
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// The correct INCREMENT answer to `req` as a whole message (header + payload).
Packet increment_reply(const Message& req) {
  std::uint64_t v = req.payload.size() == 8 ? load_u64le(req.payload.data()) : 0;
  Bytes p = increment_payload(v + 1);
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  h.payload_len = static_cast<std::uint32_t>(p.size());
  return message_packet(h, p);
}

/// A request message for the configured service, as published bytes.
Packet request_message(Ctx& c, std::uint64_t id) {
  auto [payload, answer] = c.sample_request(id);
  return message_packet(request(c, id, payload.size()), payload);
}
#endif

// ---------------------------------------------------------------------------------------
// Named pipe, IUT as server.

void pipe_name_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.pipe-name",
    .title = "the server's pipe exists at \\\\.\\pipe\\netipc-<hex16(FNV-1a(run_dir))>-<service> and nowhere near it",
    .requirements = {"WIN-PIPE-NAME-001"},
    .on = kOnUds,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto s = c.open();  // at the peer's own derivation of the name
      round_trip(c, *s, 1, "WIN-PIPE-NAME-001");
      // The hash covers the run_dir bytes exactly as configured: no trailing separator, no
      // service name, no token.
      for (const std::string& wrong : {pipe_name(c.cfg().run_dir + "/", c.cfg().service),
                                       pipe_name(c.cfg().run_dir + "\n" + c.cfg().service, c.cfg().service)}) {
        std::string why;
        auto other = connect_endpoint(wrong, &c.transcript(), "wrong-name", &why);
        c.check(other == nullptr, "WIN-PIPE-NAME-001", "the server also answers at " + wrong);
      }
    })});
}

void pipe_first_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.pipe-first-instance",
    .title = "a second server on the same run_dir and service finds the pipe taken: it exits with the environment code and the first keeps serving",
    .requirements = {"WIN-PIPE-FIRST-001", "SHIM-EXIT-001"},
    .on = kOnUds,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      std::string why;
      auto second = IutProcess::spawn(c.opt().argv, &why);
      if (!second) c.error("cannot start the second server: " + why);
      c.note("second server started, pid " + std::to_string(second->pid()));
      auto e = second->wait_exit(c.step(4));
      if (!e) {
        second->stop(500);
        c.fail("WIN-PIPE-FIRST-001", "a second server on the same pipe name is still running" + first_instance_hint());
      }
      c.note("second server " + e->describe());
      c.check(!e->ok(), "WIN-PIPE-FIRST-001", "the second server exited 0 instead of reporting address-in-use");
      if (c.shim())
        c.check(e->signal == 0 && e->code == 3, "SHIM-EXIT-001",
                "address in use ended the second server with " + e->describe() + ", not the environment code 3");
      auto s = c.open();
      round_trip(c, *s, 1, "WIN-PIPE-FIRST-001");
    })});
}

void pipe_taken_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.pipe-taken-by-peer",
    .title = "a server whose pipe name another process already owns reports address-in-use and does not serve",
    .requirements = {"WIN-PIPE-FIRST-001", "SHIM-EXIT-001"},
    .on = kOnUds,
    .start = false,
    .probe = false,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      c.listen();  // the peer owns the first instance of the server's pipe
      auto ready = c.launch_iut();
      if (ready == IutProcess::Ready::kReady)
        c.fail("WIN-PIPE-FIRST-001",
               "the server became ready on a pipe name another process owns" + first_instance_hint());
      const ExitStatus e = c.expect_refusal(ready, "WIN-PIPE-FIRST-001", "");
      if (c.shim())
        c.check(e.signal == 0 && e.code == 3, "SHIM-EXIT-001",
                "address in use ended the server with " + e.describe() + ", not the environment code 3");
    })});
}

void pipe_next_instance(Catalogue& table) {
  table.add({
    .id = "win.srv.pipe-next-instance",
    .title = "while a first client has connected but not sent its HELLO, a second client can connect and complete a session",
    .requirements = {"WIN-PIPE-ACCEPT-001"},
    .on = kOnUds,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto first = c.connect();  // takes the listening instance; no HELLO yet
      auto second = connect_retrying(c, "s-second", c.step());
      if (!second)
        c.fail("WIN-PIPE-ACCEPT-001", "no second pipe instance while the first connection waits for its handshake");
      second->accept(c.hello(), "WIN-PIPE-ACCEPT-001");
      round_trip(c, *second, 1, "WIN-PIPE-ACCEPT-001");
      first->accept(c.hello(), "WIN-PIPE-ACCEPT-001");
      round_trip(c, *first, 2, "WIN-PIPE-ACCEPT-001");
    })});
}

void pipe_eof_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.pipe-eof",
    .title = "a client closing its pipe after the handshake and in the middle of a chunked message ends only that session",
    .requirements = {"WIN-PIPE-EOF-001", "SESS-DEAD-001"},
    .on = kOnUds,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto a = c.open();
      a->close();
      auto b = c.open();
      Bytes big(3000, 0x41);
      RawHeader rh = request(c, 5, big.size());
      Split parts = split_message(rh, big, 1024);
      b->send(parts.first);
      b->close();  // two continuations never come
      c.sleep_ms(100);
    })});
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

// ---------------------------------------------------------------------------------------
// Named pipe, IUT as client.

void pipe_name_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.pipe-name",
    .title = "the client connects to the pipe at the derived name and completes its calls",
    .role = Role::kClient,
    .requirements = {"WIN-PIPE-NAME-001", "WIN-PIPE-CONNECT-001"},
    .on = kOnUds,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto seen = serve_ok(c);
      c.check(!seen.empty(), "WIN-PIPE-CONNECT-001", "the client sent no request over the pipe");
      c.expect_client_ok("WIN-PIPE-CONNECT-001");
    })});
}

void pipe_missing_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.no-pipe",
    .title = "a client finding no pipe fails at once with the environment code instead of waiting",
    .role = Role::kClient,
    .requirements = {"WIN-PIPE-CONNECT-001", "SHIM-EXIT-001"},
    .on = kOnUds,
    .start = false,
    .client_connects = false,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      c.launch_iut();
      auto e = c.iut()->wait_exit(c.step(2));
      if (!e) c.timed_out("WIN-PIPE-CONNECT-001", "the client still waits for a pipe that does not exist");
      c.check(!e->ok(), "WIN-PIPE-CONNECT-001", "the client reported success without a server");
      if (c.shim())
        c.check(e->signal == 0 && e->code == 3, "SHIM-EXIT-001",
                "a missing server ended the client with " + e->describe() + ", not the environment code 3");
    })});
}

void pipe_busy_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.busy-pipe",
    .title = "a client finding the pipe without a free instance fails instead of waiting for one",
    .role = Role::kClient,
    .requirements = {"WIN-PIPE-CONNECT-001"},
    .on = kOnUds,
    .start = false,
    .client_connects = false,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      c.listen();
      std::string why;
      // The peer occupies the only instance itself and never offers another.
      auto occupant = connect_endpoint(c.endpoint(), &c.transcript(), "occupant", &why);
      if (!occupant) c.error("the peer cannot occupy its own pipe: " + why);
      c.launch_iut();
      auto e = c.iut()->wait_exit(c.step(2));
      if (!e) c.timed_out("WIN-PIPE-CONNECT-001", "the client waits for a busy pipe instead of failing");
      c.check(!e->ok(), "WIN-PIPE-CONNECT-001", "the client reported success while the pipe was busy");
    })});
}

void pipe_eof_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.pipe-eof",
    .title = "when the server closes the pipe instead of answering, the client's call fails and it exits",
    .role = Role::kClient,
    .requirements = {"WIN-PIPE-EOF-001", "SESS-DEAD-001"},
    .on = kOnUds,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->expect_message("HS-CLI-USE-001", "the client's first request");
      st.s->close();
      c.expect_client_failed("WIN-PIPE-EOF-001");
    })});
}

void name_too_long_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.name-too-long",
    .title = "a server whose pipe name would exceed 255 bytes refuses the service instead of truncating the name",
    .requirements = {"WIN-NAME-LEN-001"},
    .on = kOnUds,
    .needs = {.service = std::string(240, 'n')},
    .start = false,
    .probe = false,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto ready = c.launch_iut();
      std::string cut = c.endpoint().substr(0, 255);
      std::string why;
      c.check(connect_endpoint(cut, &c.transcript(), "truncated", &why) == nullptr, "WIN-NAME-LEN-001",
              "the server listens at the truncated name " + cut);
      c.expect_refusal(ready, "WIN-NAME-LEN-001",
                       "the server started with a pipe name of " + std::to_string(c.endpoint().size()) + " bytes");
    })});
}

void name_too_long_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.name-too-long",
    .title = "a client whose pipe name would exceed 255 bytes fails instead of connecting to a truncated name",
    .role = Role::kClient,
    .requirements = {"WIN-NAME-LEN-001"},
    .on = kOnUds,
    .needs = {.service = std::string(240, 'n')},
    .start = false,
    .client_connects = false,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      c.listen_at(c.endpoint().substr(0, 255));
      c.launch_iut();
      auto e = c.iut()->wait_exit(c.step(2));
      if (!e) c.timed_out("WIN-NAME-LEN-001", "the client neither connected nor exited");
      c.check(!c.client_connected(), "WIN-NAME-LEN-001", "the client connected to the truncated pipe name");
      c.check(!e->ok(), "WIN-NAME-LEN-001", "the client reported success with an over-long pipe name");
    })});
}

// ---------------------------------------------------------------------------------------
// Shared memory, IUT as server.

void region_header_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.region-header",
    .title = "the region exists under its derived name with a valid 128-byte header when the HELLO_ACK arrives; publication moves len and seq",
    .requirements = {"WIN-SHM-HDR-001", "WIN-SHM-LAYOUT-001", "WIN-SHM-NAME-001", "WIN-SHM-PUB-001"},
    .on = kOnShm,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto s = c.open();  // the header checks run as the session is established
      for (std::uint64_t id = 1; id <= 3; ++id) round_trip(c, *s, id, "WIN-SHM-PUB-001");
      WinRegionHeader h = s->region()->header();
      c.transcript().received(s->name(), encode(h));
      c.check(h.request_seq == 3 && h.response_seq == 3, "WIN-SHM-PUB-001",
              "after three exchanges req_seq/resp_seq are " + std::to_string(h.request_seq) + "/" +
                  std::to_string(h.response_seq));
      auto [payload, answer] = c.sample_request(3);
      c.check(h.response_len == static_cast<std::int32_t>(32 + answer.size()), "WIN-SHM-PUB-001",
              "resp_len " + std::to_string(h.response_len) + " is not the last response's length");
      c.check(h.padding == 0 && h.reserved_zero, "WIN-SHM-HDR-001", "padding or reserved bytes changed during the session");
    })});
}

void object_names_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.object-names",
    .title = "each session's objects carry the profile and the session id, and the token: two sessions, two mappings, none under another token",
    .requirements = {"WIN-SHM-NAME-001"},
    .on = kOnShm,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto a = c.open();
      auto b = c.open();
      std::string pa = c.object_prefix_of(shm_profile(c), a->ack().session_id);
      std::string pb = c.object_prefix_of(shm_profile(c), b->ack().session_id);
      c.check(pa != pb && win_mapping_exists(pa + "-mapping") && win_mapping_exists(pb + "-mapping"),
              "WIN-SHM-NAME-001", "two sessions do not have two mappings " + pa + " / " + pb);
      std::string other_token = object_prefix(c.cfg().run_dir, c.cfg().service, c.cfg().other_token,
                                              shm_profile(c), a->ack().session_id);
      c.check(!win_mapping_exists(other_token + "-mapping"), "WIN-SHM-NAME-001",
              "a mapping exists under another token's name " + other_token);
      std::string other_profile = c.object_prefix_of(kShmBits & ~shm_profile(c), a->ack().session_id);
      c.check(!win_mapping_exists(other_profile + "-mapping"), "WIN-SHM-NAME-001",
              "a mapping exists under the other profile's name " + other_profile);
      round_trip(c, *a, 1, "WIN-SHM-NAME-001");
      round_trip(c, *b, 2, "WIN-SHM-NAME-001");
    })});
}

void busywait_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.busywait-no-events",
    .title = "in the busy-wait profile the server creates no events and still receives requests published without a signal",
    .requirements = {"WIN-SHM-BUSYWAIT-001"},
    .on = kOnShm,
    .profile_bits = kBusyWait,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      if (shm_profile(c) != kBusyWait) c.not_applicable("busy-wait runs only");
      auto s = c.open();
      std::string p = c.object_prefix_of(kBusyWait, s->ack().session_id);
      c.check(!win_event_exists(p + "-req_event") && !win_event_exists(p + "-resp_event"), "WIN-SHM-BUSYWAIT-001",
              "the busy-wait session has events " + p + "-req_event / -resp_event");
      for (std::uint64_t id = 1; id <= 5; ++id) {
        c.sleep_ms(id == 3 ? 150 : 0);  // a request after a pause still finds the server spinning
        round_trip(c, *s, id, "WIN-SHM-BUSYWAIT-001");
      }
    })});
}

void hybrid_signals_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.hybrid-signals-waiting-client",
    .title = "with resp_client_waiting set, the server signals the response event of the session when it publishes a response",
    .requirements = {"WIN-SHM-PUB-001", "WIN-SHM-NAME-001"},
    .on = kOnShm,
    .profile_bits = kHybrid,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      if (shm_profile(c) != kHybrid) c.not_applicable("hybrid runs only");
      auto s = c.open();
      for (std::uint64_t id = 1; id <= 3; ++id) {
        // The flag is set before the request goes out, so the server sees it when it answers.
        s->region()->set_word(W::kResponseClientWaiting, 1);
        Packet p = request_message(c, id);
        s->publish(p.bytes);
        bool signalled = s->region()->wait_signal(Area::kResponse, c.step_ms());
        s->region()->set_word(W::kResponseClientWaiting, 0);
        bool published = s->region()->seq(Area::kResponse) >= static_cast<std::int64_t>(id);
        c.note(std::string("response event ") + (signalled ? "signalled" : "not signalled") + ", resp_seq " +
               std::to_string(s->region()->seq(Area::kResponse)));
        if (!signalled)
          c.fail("WIN-SHM-PUB-001", published ? "the server published a response without signalling " +
                                                    c.object_prefix_of(kHybrid, s->ack().session_id) +
                                                    "-resp_event although resp_client_waiting was set"
                                              : "no response and no signal within " + std::to_string(c.step_ms()) + " ms");
        auto [payload, answer] = c.sample_request(id);
        Message m = s->expect_message("WIN-SHM-PUB-001", "the response to message_id " + std::to_string(id));
        c.check(m.h.message_id == id && m.payload == answer, "WIN-SHM-PUB-001", "wrong answer to message_id " + std::to_string(id));
      }
    })});
}

void close_flag_srv(Catalogue& table) {
  table.add({
    .id = "win.srv.close-flag",
    .title = "setting req_client_closed ends the session: the server sets resp_server_closed and closes the pipe",
    .requirements = {"WIN-SHM-CLOSE-001"},
    .on = kOnShm,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      auto s = c.open();
      round_trip(c, *s, 1, "WIN-SHM-CLOSE-001");
      c.note("peer sets req_client_closed = 1 and keeps its pipe open");
      s->region()->mark_closed();
      bool gone = wait_hung_up(*s, c.step(2));
      WinRegionHeader h = s->region()->header();
      c.transcript().received(s->name(), encode(h));
      c.check(h.response_server_closed == 1, "WIN-SHM-CLOSE-001",
              "resp_server_closed is " + std::to_string(h.response_server_closed) + " after the session ended");
      if (!gone) c.timed_out("WIN-SHM-CLOSE-001", "the server keeps the session after req_client_closed");
    })});
}

struct LenRow {
  const char* id;
  const char* title;
  std::function<std::uint32_t(Session&, std::uint32_t)> len;
};

const std::vector<LenRow>& len_rows() {
  static const std::vector<LenRow> rows = {
      {"len-zero", "a request published with length 0", [](Session&, std::uint32_t) { return 0u; }},
      {"len-over-capacity", "a request published with a length 64 above the request area",
       [](Session& s, std::uint32_t) -> std::uint32_t {
#ifdef _WIN32
         return s.region()->header().request_capacity + 64;
#else
         (void)s;
         return 0;
#endif
       }},
      {"len-negative", "a request published with length 0x80000000 (above 0x7fffffff)",
       [](Session&, std::uint32_t) { return 0x80000000u; }},
  };
  return rows;
}

void register_len_rows(Catalogue& table) {
  for (const LenRow& row : len_rows()) {
    table.add({.id = std::string("win.srv.") + row.id,
               .title = std::string(row.title) + ": the server consumes it, answers nothing and ends the session",
               .requirements = {"WIN-SHM-LEN-001", "SESS-DEAD-001"},
               .on = kOnShm,
               .run = NIPC_WINDOWS_BODY([&row](Ctx& c) {
                 auto s = c.open();
                 Packet p = request_message(c, 1);
                 s->publish(p.bytes, row.len(*s, static_cast<std::uint32_t>(p.size())));
                 s->expect_closed("WIN-SHM-LEN-001", "a bad published length ends the session without a reply");
               })});
  }
}

struct ExistsRow {
  const char* id;
  const char* title;
  const char* suffix;  // the object the peer creates first
};

void register_exists(Catalogue& table) {
  static const ExistsRow rows[] = {
      {"mapping-exists", "the next session's mapping already exists", "-mapping"},
      {"event-exists", "the next session's request event already exists (hybrid)", "-req_event"},
  };
  for (const ExistsRow& row : rows) {
    table.add({.id = std::string("win.srv.") + row.id,
               .title = std::string(row.title) + ": creation fails and the session runs on the pipe",
               .requirements = {"WIN-SHM-CREATE-001", "PROF-OFFER-001"},
               .on = kOnShm,
               .profile_bits = std::string(row.suffix) == "-mapping" ? 0u : kHybrid,
               .run = NIPC_WINDOWS_BODY([&row](Ctx& c) {
                 std::string suffix = row.suffix;
                 if (suffix != "-mapping" && shm_profile(c) != kHybrid) c.not_applicable("hybrid runs only");
                 auto first = c.open();
                 std::uint64_t next = first->ack().session_id + 1;
                 std::string prefix = c.object_prefix_of(shm_profile(c), next);
                 UniqueHandle squatter;
                 std::unique_ptr<WinRegion> squat;
                 std::string why;
                 if (suffix == "-mapping") {
                   squat = WinRegion::create(prefix, win_region_for(shm_profile(c), 64, 64), std::nullopt, false, false, &why);
                   if (!squat) c.error("cannot create the squatting mapping: " + why);
                 } else {
                   squatter.reset(::CreateEventW(nullptr, FALSE, FALSE, widen_bytes(prefix + suffix).c_str()));
                   if (!squatter.valid()) c.error("cannot create the squatting event: " + last_error_text());
                 }
                 c.note("the peer created " + prefix + suffix + " before the session");
                 auto s = c.connect();
                 RawHello h = c.hello();
                 auto ack = s->handshake(hello_packet(h));
                 if (!ack || ack->h.status != 0) c.fail("PROF-OFFER-001", "the server refused the session instead of dropping SHM");
                 c.check(ack->a.session_id != next || (ack->a.selected & kShmBits) == 0, "WIN-SHM-CREATE-001",
                         "the server selected " + hex32(ack->a.selected) + " although " + prefix + suffix + " already existed");
                 s->establish(h, ack->a);
                 round_trip(c, *s, 1, "PROF-OFFER-001");
               })});
  }
}

void prof_busywait_wins(Catalogue& table) {
  table.add({
    .id = "win.srv.busywait-wins",
    .title = "a server offering 0x07 without preference selects busy-wait (0x04) for a client offering 0x07 without preference",
    .requirements = {"WIN-PROF-001", "HS-PROF-002"},
    .on = kOnUds,
    .needs = {.profiles = 0x07u, .preferred = 0u},
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      RawHello h = c.hello();
      h.supported = 0x07;
      h.preferred = 0;
      auto s = c.connect();
      auto ack = s->handshake(hello_packet(h));
      if (!ack || ack->h.status != 0) c.fail("WIN-PROF-001", "the server refused a HELLO offering 0x07");
      c.check(ack->a.selected == kBusyWait, "WIN-PROF-001",
              "selected_profile " + hex32(ack->a.selected) + ", expected 0x04 (busy-wait wins without preference)");
      s->establish(h, ack->a);
      round_trip(c, *s, 1, "WIN-PROF-001");
    })});
}

// ---------------------------------------------------------------------------------------
// Shared memory, IUT as client.

void object_names_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.object-names",
    .title = "the client attaches to the mapping under the derived name and publishes its requests there",
    .role = Role::kClient,
    .requirements = {"WIN-SHM-NAME-001", "WIN-SHM-PUB-001"},
    .on = kOnShm,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      c.check(st.ack.selected == shm_profile(c), "WIN-SHM-NAME-001", "the run did not select its SHM profile");
      st.s->send_ack(st.ack);
      auto seen = st.s->serve();
      c.check(!seen.empty() && st.s->region()->seq(Area::kRequest) == static_cast<std::int64_t>(seen.size()),
              "WIN-SHM-NAME-001", "the client's requests did not arrive in the session's mapping");
      c.expect_client_ok("WIN-SHM-NAME-001");
    })});
}

void spin_adopted_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.spin-adopted",
    .title = "a client spins as often as the region's spin_tries says: with 0x7fffffff it never blocks during a 200 ms answer delay",
    .role = Role::kClient,
    .requirements = {"WIN-SHM-SPIN-001", "WIN-SHM-ATTACH-001"},
    .on = kOnShm,
    .profile_bits = kHybrid,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      if (shm_profile(c) != kHybrid) c.not_applicable("hybrid runs only: busy-wait clients never block");
      ClientStart st = client_hello(c);
      WinRegionHeader h = win_region_for(kHybrid, st.ack.request_payload, st.ack.response_payload);
      h.spin_tries = 0x7fffffff;
      st.s->send_ack(st.ack, 0, std::nullopt, true, h);
      Message req = st.s->expect_message("HS-CLI-USE-001", "the client's first request");
      // A client spinning 1024 times would set resp_client_waiting and block within a
      // millisecond; one that adopted 0x7fffffff is still spinning.
      int blocked_at = -1;
      for (int ms = 0; ms < 200 && blocked_at < 0; ms += 2) {
        if (st.s->region()->word(W::kResponseClientWaiting) != 0) blocked_at = ms;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      c.check(blocked_at < 0, "WIN-SHM-SPIN-001",
              "the client set resp_client_waiting after " + std::to_string(blocked_at) +
                  " ms although spin_tries is 0x7fffffff");
      st.s->answer(req);
      st.s->serve();
      c.expect_client_ok("WIN-SHM-SPIN-001");
    })});
}

void hybrid_signals_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.hybrid-signals-waiting-server",
    .title = "with req_server_waiting set, the client signals the request event of the session when it publishes a request",
    .role = Role::kClient,
    .requirements = {"WIN-SHM-PUB-001", "WIN-SHM-NAME-001"},
    .on = kOnShm,
    .profile_bits = kHybrid,
    .needs = {.count = 3u},
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      if (shm_profile(c) != kHybrid) c.not_applicable("hybrid runs only");
      ClientStart st = client_hello(c);
      // The peer declares itself waiting before the client can publish anything: the flag is
      // already set in the region the client attaches to, and set again before each answer.
      WinRegionHeader h = win_region_for(kHybrid, st.ack.request_payload, st.ack.response_payload);
      h.request_server_waiting = 1;
      st.s->send_ack(st.ack, 0, std::nullopt, true, h);
      for (int n = 1; n <= 3; ++n) {
        bool signalled = st.s->region()->wait_signal(Area::kRequest, c.step_ms(3));
        st.s->region()->set_word(W::kRequestServerWaiting, 0);
        bool published = st.s->region()->seq(Area::kRequest) >= n;
        if (!signalled)
          c.fail("WIN-SHM-PUB-001", published ? "the client published a request without signalling " +
                                                    c.object_prefix_of(kHybrid, st.ack.session_id) +
                                                    "-req_event although req_server_waiting was set"
                                              : "no request and no signal from the client");
        Message req = st.s->expect_message("WIN-SHM-PUB-001", "request " + std::to_string(n));
        if (n < 3) st.s->region()->set_word(W::kRequestServerWaiting, 1);
        st.s->answer(req);
      }
      st.s->serve();
      c.expect_client_ok("WIN-SHM-PUB-001");
    })});
}

void busywait_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.busywait-no-events",
    .title = "in the busy-wait profile the client works with a region that has no events",
    .role = Role::kClient,
    .requirements = {"WIN-SHM-BUSYWAIT-001"},
    .on = kOnShm,
    .profile_bits = kBusyWait,
    .needs = {.count = 3u},
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      if (shm_profile(c) != kBusyWait) c.not_applicable("busy-wait runs only");
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);  // the peer creates no events for busy-wait
      int n = 0;
      st.s->serve([&](Session& s, const Message& m) {
        if (++n == 2) c.sleep_ms(150);  // a late answer still reaches the spinning client
        s.answer(m);
        return true;
      });
      c.expect_client_ok("WIN-SHM-BUSYWAIT-001");
    })});
}

void close_flag_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.close-flag",
    .title = "a client ending its session sets req_client_closed",
    .role = Role::kClient,
    .requirements = {"WIN-SHM-CLOSE-001"},
    .on = kOnShm,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->serve();
      c.expect_client_ok("WIN-SHM-CLOSE-001");
      std::int32_t flag = st.s->region()->word(W::kRequestClientClosed);
      c.check(flag == 1, "WIN-SHM-CLOSE-001", "req_client_closed is " + std::to_string(flag) + " after the client ended");
    })});
}

void server_closed_cli(Catalogue& table) {
  table.add({
    .id = "win.cli.server-closed-flag",
    .title = "when the server sets resp_server_closed instead of answering, the client's call fails at once instead of waiting",
    .role = Role::kClient,
    .requirements = {"WIN-SHM-CLOSE-001", "SESS-DEAD-001"},
    .on = kOnShm,
    .run = NIPC_WINDOWS_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->expect_message("HS-CLI-USE-001", "the client's first request");
      c.note("peer sets resp_server_closed = 1, answers nothing and keeps its pipe open");
      st.s->region()->mark_closed();
      auto e = c.iut()->wait_exit(c.step(3));
      if (!e) c.timed_out("WIN-SHM-CLOSE-001", "the client keeps waiting for a response after resp_server_closed");
      c.expect_client_failed("WIN-SHM-CLOSE-001");
    })});
}

struct CliLenRow {
  const char* id;
  const char* title;
  std::function<std::uint32_t(Session&, std::uint32_t)> len;
};

void register_cli_len(Catalogue& table) {
  static const CliLenRow rows[] = {
      {"response-len-zero", "a response published with length 0", [](Session&, std::uint32_t) { return 0u; }},
      {"response-len-over-capacity", "a response published with a length 64 above the response area",
       [](Session& s, std::uint32_t) -> std::uint32_t {
#ifdef _WIN32
         return s.region()->header().response_capacity + 64;
#else
         (void)s;
         return 0;
#endif
       }},
  };
  for (const CliLenRow& row : rows) {
    table.add({.id = std::string("win.cli.") + row.id,
               .title = std::string(row.title) + ": the client's call fails and it ends the session",
               .role = Role::kClient,
               .requirements = {"WIN-SHM-LEN-001", "SESS-DEAD-001"},
               .on = kOnShm,
               .run = NIPC_WINDOWS_BODY([&row](Ctx& c) {
                 ClientStart st = client_hello(c);
                 st.s->send_ack(st.ack);
                 Message req = st.s->expect_message("HS-CLI-USE-001", "the client's first request");
                 Packet reply = increment_reply(req);
                 st.s->publish(reply.bytes, row.len(*st.s, static_cast<std::uint32_t>(reply.size())));
                 st.s->expect_closed("SESS-DEAD-001", "after a bad published length the client ends the session");
                 c.expect_client_failed("WIN-SHM-LEN-001");
               })});
  }
}

struct AttachRow {
  const char* id;
  const char* title;
  std::function<void(WinRegionHeader&)> spoil;
  bool events = true;  // hybrid: create the events
};

void register_attach(Catalogue& table) {
  static const AttachRow rows[] = {
      {"bad-magic", "a region with magic 0x4e53484d (the POSIX one)", [](WinRegionHeader& h) { h.magic = 0x4e53484d; }},
      {"bad-version", "a region of version 2", [](WinRegionHeader& h) { h.version = 2; }},
      {"bad-header-len", "a region with header_len 64", [](WinRegionHeader& h) { h.header_len = 64; }},
      {"wrong-profile", "a region whose profile is the other SHM profile",
       [](WinRegionHeader& h) { h.profile = kShmBits & ~h.profile; }},
      {"zero-capacity", "a region with request_capacity 0", [](WinRegionHeader& h) { h.request_capacity = 0; }},
      {"misaligned-capacity", "a region with a response capacity not a multiple of 64",
       [](WinRegionHeader& h) { h.response_capacity += 8; }},
      {"overlapping-areas", "a region whose response area starts inside the request area",
       [](WinRegionHeader& h) { h.response_offset = h.request_offset + 64; }},
      {"capacity-overflow", "a region whose response_offset + response_capacity overflows 32 bits",
       [](WinRegionHeader& h) { h.response_capacity = 0xffffffc0u; }},
      {"no-events", "a hybrid region without its events", [](WinRegionHeader&) {}, false},
  };
  for (const AttachRow& row : rows) {
    table.add({.id = std::string("win.cli.attach-fails-") + row.id,
               .title = std::string(row.title) + ": the client does not use it, closes, and handshakes again on the pipe",
               .role = Role::kClient,
               .requirements = {"WIN-SHM-ATTACH-001", "PROF-ATTACH-FAIL-001", "PROF-LOCK-001"},
               .on = kOnShm,
               .profile_bits = row.events ? 0u : kHybrid,
               .run = NIPC_WINDOWS_BODY([&row](Ctx& c) {
                 if (!row.events && shm_profile(c) != kHybrid) c.not_applicable("hybrid runs only");
                 ClientStart st = client_hello(c);
                 WinRegionHeader h = win_region_for(st.ack.selected, st.ack.request_payload, st.ack.response_payload);
                 row.spoil(h);
                 std::string prefix = c.object_prefix_of(st.ack.selected, st.ack.session_id);
                 std::string why;
                 // The mapping follows the good layout's size, whatever the header claims.
                 WinRegionHeader good = win_region_for(st.ack.selected, st.ack.request_payload, st.ack.response_payload);
                 auto region = WinRegion::create(prefix, h, std::size_t{good.response_offset} + good.response_capacity,
                                                 row.events, false, &why);
                 if (!region) c.error("cannot create the spoiled region: " + why);
                 c.transcript().sent(st.s->name(), encode(h));
                 st.s->send_ack(st.ack, 0, std::nullopt, false);
                 // Existing clients retry a missing mapping, bad magic or missing events for
                 // up to 5 s before they give up.
                 if (!wait_hung_up(*st.s, c.step(6)))
                   c.timed_out("PROF-ATTACH-FAIL-001", "the client neither used nor left a region it must refuse");
                 c.check(region->seq(Area::kRequest) == 0, "PROF-LOCK-001", "the client published into a region it must refuse");
                 auto again = c.accept_client();
                 RawHello h2 = again->read_hello();
                 c.check((h2.supported & kShmBits) == 0 && (h2.preferred & kShmBits) == 0, "PROF-ATTACH-FAIL-001",
                         "after a failed attach the client still offers " + hex32(h2.supported) + " / prefers " +
                             hex32(h2.preferred));
                 again->send_ack(again->ack_for(h2));
                 again->serve();
                 c.expect_client_ok("PROF-ATTACH-FAIL-001");
               })});
  }
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_windows_cases(Catalogue& table) {
  pipe_name_srv(table);
  pipe_first_srv(table);
  pipe_taken_srv(table);
  pipe_next_instance(table);
  pipe_eof_srv(table);
  stop_event_srv(table);
  pipe_name_cli(table);
  pipe_missing_cli(table);
  pipe_busy_cli(table);
  pipe_eof_cli(table);
  name_too_long_srv(table);
  name_too_long_cli(table);
  region_header_srv(table);
  object_names_srv(table);
  busywait_srv(table);
  hybrid_signals_srv(table);
  close_flag_srv(table);
  register_len_rows(table);
  register_exists(table);
  prof_busywait_wins(table);
  object_names_cli(table);
  spin_adopted_cli(table);
  hybrid_signals_cli(table);
  busywait_cli(table);
  close_flag_cli(table);
  server_closed_cli(table);
  register_cli_len(table);
  register_attach(table);
}
}  // namespace nipc::peer::cases
