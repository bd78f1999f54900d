// Windows transport cases with the IUT as client (spec/transport-windows.md): pipe names,
// busy and missing pipes, and the shared-memory region as a client sees it.
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
      st.s->send_ack(st.ack, kStatusOk, std::nullopt, true, h);
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
      st.s->send_ack(st.ack, kStatusOk, std::nullopt, true, h);
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
                 st.s->send_ack(st.ack, kStatusOk, std::nullopt, false);
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
void add_transport_windows_client_cases(Catalogue& table) {
  pipe_name_cli(table);
  pipe_missing_cli(table);
  pipe_busy_cli(table);
  pipe_eof_cli(table);
  name_too_long_cli(table);
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
