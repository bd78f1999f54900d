// Shared-memory cases with the IUT as client (spec/transport-shm.md, spec/profiles.md): the
// region it attaches to, one request in flight, and broken regions and publications.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "common.h"
#include "client_exchange.h"

namespace nipc::peer::cases {
namespace {

void shm_uses_region(Catalogue& table) {
  table.add({
    .id = "shm.cli.uses-region-only",
    .title = "after an SHM handshake the client attaches, publishes every request in the region, never uses the socket and never removes the region",
    .role = Role::kClient,
    .requirements = {"PROF-LOCK-001", "SHM-SOCKET-001", "SHM-ATTACH-001", "SHM-PATH-001", "SHM-PUB-001", "SHM-CLEAN-001"},
    .on = kOnShm,
    .needs = {.count = 3u},
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      if (!st.s->on_shm()) c.fail("PROF-BITS-001", "the client did not offer the run's SHM profile");
      std::string path = region_file(c.cfg().run_dir, c.cfg().service, st.ack.session_id);
      std::uint64_t n = 0;
      st.s->serve([&](Session& s, const Message& req) {
        RegionHeader rh = s.region()->header();
        ++n;
        c.check(rh.request_seq == n, "SHM-PUB-001", "req_seq " + std::to_string(rh.request_seq) + " after " + std::to_string(n) + " requests");
        c.check(rh.request_len == 32 + req.payload.size(), "SHM-PUB-001", "req_len is not 32 + payload_len");
        c.check(rh.request_signal >= n, "SHM-PUB-001", "req_signal was not incremented per request");
        return false;
      });
      c.check(n == 3, "HS-CLI-USE-001", "expected 3 requests in the region, saw " + std::to_string(n));
      c.expect_client_ok("PROF-LOCK-001");
      Recv r = st.s->conn().recv(c.step(), Expect::kMessage);
      c.check(!r.packet(), "PROF-LOCK-001", "the client sent data over the socket of a shared-memory session");
      c.check(exists(path), "SHM-CLEAN-001", "the client removed the region file " + path);
    })});
}

void shm_one_in_flight(Catalogue& table) {
  table.add({
    .id = "shm.cli.one-request-in-flight",
    .title = "over SHM the client waits for each response before publishing the next request",
    .role = Role::kClient,
    .requirements = {"SHM-ONEINFLIGHT-001"},
    .on = kOnShm,
    .needs = {.scenario = std::string("pipeline"), .count = 6u},
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      std::uint64_t n = 0;
      st.s->serve([&](Session& s, const Message& req) {
        ++n;
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        c.check(s.region()->seq(Area::kRequest) == n, "SHM-ONEINFLIGHT-001",
                "the client published another request before the response to message_id " +
                    std::to_string(req.h.message_id));
        return false;
      });
      c.expect_client_ok("SHM-ONEINFLIGHT-001");
    })});
}

struct AttachRow {
  const char* id;
  const char* title;
  std::function<void(RegionHeader&)> spoil;
};

void register_attach(Catalogue& table) {
  static const AttachRow rows[] = {
      {"bad-version", "a region of version 9", [](RegionHeader& h) { h.version = 9; }},
      {"bad-header-len", "a region with header_len 128", [](RegionHeader& h) { h.header_len = 128; }},
      {"overlapping-areas", "a region whose response area overlaps the request area",
       [](RegionHeader& h) { h.response_offset = h.request_offset; }},
      {"misaligned-capacity", "a region with a request capacity not a multiple of 64",
       [](RegionHeader& h) { h.request_capacity += 8; }},
      // Smaller, so the areas neither overlap nor leave the file: only alignment refuses it.
      {"misaligned-response-capacity", "a region with a response capacity 8 bytes short of a multiple of 64",
       [](RegionHeader& h) { h.response_capacity -= 8; }},
  };
  for (const AttachRow& row : rows) {
    table.add({.id = std::string("shm.cli.attach-fails-") + row.id,
               .title = std::string(row.title) + ": the client closes, drops SHM for good and handshakes again on the baseline",
               .role = Role::kClient,
               .requirements = {"PROF-ATTACH-FAIL-001", "SHM-ATTACH-001", "PROF-LOCK-001"},
               .on = kOnShm,
               .run = NIPC_POSIX_BODY([&row](Ctx& c) {
                 ClientStart st = client_hello(c);
                 RegionHeader rh;
                 rh.owner_pid = static_cast<std::int32_t>(::getpid());
                 rh.owner_generation = 0x600dcafe;
                 rh.request_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{st.ack.request_payload} + 32));
                 rh.response_offset = static_cast<std::uint32_t>(align64(64 + std::uint64_t{rh.request_capacity}));
                 rh.response_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{st.ack.response_payload} + 32));
                 row.spoil(rh);
                 st.s->send_ack(st.ack, kStatusOk, std::nullopt, true, rh);
                 st.s->expect_closed("PROF-ATTACH-FAIL-001", "a client that cannot attach closes the session");
                 c.check(st.s->region()->seq(Area::kRequest) == 0, "PROF-LOCK-001", "the client published into a region it refused");
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

struct ShmBadRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::function<std::uint32_t(std::uint32_t)> len;
};

void register_shm_bad(Catalogue& table) {
  static const ShmBadRow rows[] = {
      {"response-len-longer", "a response published with a length 8 above 32 + payload_len", {"SHM-MSGLEN-001", "SESS-DEAD-001"},
       [](std::uint32_t n) { return n + 8; }},
      {"response-len-zero", "a response published with length 0", {"SHM-CONSUME-001", "SESS-DEAD-001"},
       [](std::uint32_t) { return 0u; }},
  };
  for (const ShmBadRow& row : rows) {
    table.add({.id = std::string("shm.cli.") + row.id,
               .title = std::string(row.title) + ": the client fails and ends the session",
               .role = Role::kClient,
               .requirements = row.reqs,
               .on = kOnShm,
               .needs = count2(),
               .run = NIPC_POSIX_BODY([&row](Ctx& c) {
                 run_bad_response(
                     c,
                     [&row](Ctx&, Session& s, const Message& req) {
                       Bytes p = increment_answer(req);
                       Packet pk = message_packet(response_to(req, p.size()), p);
                       s.publish(pk.bytes, row.len(static_cast<std::uint32_t>(pk.size())));
                     },
                     row.reqs.front(), std::nullopt);
               })});
  }
}

void shm_socket_closed(Catalogue& table) {
  table.add({
    .id = "shm.cli.socket-closed",
    .title = "when the server closes the socket of an SHM session, the client's call fails instead of hanging",
    .role = Role::kClient,
    .requirements = {"SHM-SOCKET-001"},
    .on = kOnShm,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->expect_message("HS-CLI-USE-001", "the client's request");
      st.s->conn().close();
      c.expect_client_failed("SHM-SOCKET-001");
    })});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_transport_shm_client_cases(Catalogue& table) {
  shm_uses_region(table);
  shm_one_in_flight(table);
  register_attach(table);
  register_shm_bad(table);
  shm_socket_closed(table);
}

}  // namespace nipc::peer::cases
