// Windows transport cases with the IUT as server (spec/transport-windows.md): the named
// pipe, the shared-memory region and its objects, and the stop event.
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
#include "windows_objects.h"

namespace nipc::peer::cases {
namespace {

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

}  // namespace

/// Every case of this file, in the order they are written.
void add_transport_windows_server_cases(Catalogue& table) {
  pipe_name_srv(table);
  pipe_first_srv(table);
  pipe_taken_srv(table);
  pipe_next_instance(table);
  pipe_eof_srv(table);
  name_too_long_srv(table);
  region_header_srv(table);
  object_names_srv(table);
  busywait_srv(table);
  hybrid_signals_srv(table);
  close_flag_srv(table);
  register_len_rows(table);
  register_exists(table);
  prof_busywait_wins(table);
}

}  // namespace nipc::peer::cases
