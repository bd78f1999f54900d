// Service cases with the IUT as client (spec/service.md): error statuses in responses and
// the recovery from LIMIT_EXCEEDED.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "common.h"
#include "client_exchange.h"
#include <cstdio>
#include <string>
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/testing/snapshot_fixture.h"

namespace nipc::peer::cases {
namespace {

void overflow_recovery(Catalogue& table) {
  table.add({
    .id = "svc.cli.overflow-recovery",
    .title = "on LIMIT_EXCEEDED the client reconnects with a grown response hint and repeats the call",
    .role = Role::kClient,
    .requirements = {"SVC-OVERFLOW-001", "SVC-GROWTH-001", "SVC-STATUS-001"},
    .needs = {.max_response_payload = 16u, .scenario = std::string("overflow")},
    .run = [](Ctx& c) {
      c.server_response_limit = 16;
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
      RawHeader limit = response_to(first, 0);
      limit.status = kStatusLimitExceeded;
      st.s->send_message(limit, {});
      st.s->expect_closed("SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client closes the session");
      c.server_response_limit = 65536;
      auto again = c.accept_client();
      RawHello h2 = again->read_hello();
      c.check(h2.max_response_payload >= 32, "SVC-GROWTH-001",
              "response hint after LIMIT_EXCEEDED on a 16-byte limit is " + std::to_string(h2.max_response_payload) +
                  ", below next_pow2(2 x 16) = 32");
      again->send_ack(again->ack_for(h2));
      auto seen = again->serve();
      c.check(!seen.empty() && seen.front().payload == first.payload, "SVC-OVERFLOW-001", "the call was not repeated");
      c.expect_client_ok("SVC-OVERFLOW-001");
    }});
}

void register_bad(Catalogue& table) { register_bad_rows(table, "svc.cli."); }

// What the peer does with the n-th snapshot request of the case (counting every session).
enum class Act {
  kServeAll,      // the generator's snapshot, all K items, its own generation
  kServeHalf,     // the first K/2 items under generation + 1
  kFail,          // INTERNAL_ERROR, then close the session
  kRestart,       // a server restart: new endpoint, then the session closes unanswered
};

Bytes snapshot_bytes(const Ctx& c, bool half, std::uint64_t* generation) {
  GeneratedSnapshot g = generate_snapshot(c.cfg().snapshot_seed, c.cfg().snapshot_items);
  if (half) {
    g.items.resize(g.items.size() / 2);
    g.generation += 1;
  }
  *generation = g.generation;
  auto views = g.views();
  Bytes out(snapshot_encoded_size(views));
  auto n = encode_snapshot(g.systemd_enabled, g.generation, views, MutableBytes(out));
  out.resize(n.ok() ? *n : 0);
  return out;
}

RawHeader answer_header(const Message& req, std::size_t len, std::uint16_t status) {
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  h.payload_len = static_cast<std::uint32_t>(len);
  h.status = status;
  return h;
}

// Plays the server until the client exits: every connection gets an OK handshake, every
// snapshot request the action `plan` names for its index. Returns the requests answered.
int serve_cache_client(Ctx& c, const std::function<Act(int)>& plan) {
  int index = 0;
  Deadline give_up = c.step(4);
  bool closed_by_peer = false;  // the peer ended the last session while a call waited
  while (!c.iut()->poll_exit()) {
    if (give_up.expired()) {
      // A client blocked in a shared-memory wait must notice the closed socket
      // (SHM-SOCKET-001); on sockets the close itself wakes it.
      if (closed_by_peer)
        c.timed_out(c.shm_run() ? "SHM-SOCKET-001" : "SVC-CACHE-003",
                    "the server closed the session under a waiting call, and within " +
                        std::to_string(c.step_ms(4)) + " ms the client neither reconnected nor finished");
      c.timed_out("HS-CLI-USE-001", "the client neither finished nor connected");
    }
    auto s = c.try_accept_client(5);
    if (!s) continue;
    closed_by_peer = false;
    RawHello hello = s->read_hello();
    s->send_ack(s->ack_for(hello));
    for (bool open = true; open;) {
      Session::Incoming in = s->receive(c.step(3));
      if (in.got != Got::kPacket) break;  // closed (or silent: the client's exit decides)
      const Message& m = in.msg;
      c.check(m.h.kind == 1 && m.h.code == 2, "HS-CLI-USE-001", "the cache sent something else than a snapshot request");
      std::uint64_t gen = 0;
      switch (plan(index++)) {
        case Act::kServeAll:
        case Act::kServeHalf: {
          Bytes p = snapshot_bytes(c, plan(index - 1) == Act::kServeHalf, &gen);
          s->send_message(answer_header(m, p.size(), 0), p);
          break;
        }
        case Act::kFail:  // INTERNAL_ERROR (6)
          s->send_message(answer_header(m, 0, 6), {});
          open = false;
          break;
        case Act::kRestart:
#ifndef _WIN32
          // The new endpoint exists before the old session ends, so the client's reconnect
          // finds it (a restarted server that is already up again).
          c.close_listener();
          std::remove(c.socket_path().c_str());
          c.listen();
#endif
          closed_by_peer = true;
          open = false;
          break;
      }
    }
    s->close();
    give_up = c.step(4);
  }
  return index;
}

// The result line's report of refresh `i`, or a failure when it is missing.
const nlohmann::json& refresh_report(Ctx& c, const Ctx::ClientResult& r, std::size_t i, const char* req) {
  static const nlohmann::json none;
  if (!r.result.is_object() || !r.result.contains("refreshes") || !r.result["refreshes"].is_array() ||
      r.result["refreshes"].size() <= i)
    c.fail(req, "the client's result line has no report of refresh " + std::to_string(i + 1) +
                    " (the cache scenario's `refreshes`)");
  const nlohmann::json& e = r.result["refreshes"][i];
  if (!e.is_object()) c.fail(req, "refresh report " + std::to_string(i + 1) + " is not an object");
  return e.is_object() ? e : none;
}

template <class T>
T field(Ctx& c, const nlohmann::json& e, const char* key, const char* req) {
  if (!e.contains(key) || e[key].is_null()) c.fail(req, std::string("refresh report without `") + key + "`");
  try {
    return e[key].get<T>();
  } catch (const nlohmann::json::exception&) {
    c.fail(req, std::string("refresh report field `") + key + "` has the wrong type");
  }
}

void cache_keeps(Catalogue& table) {
  table.add({
      .id = "svc.cli.cache-refresh-failure-keeps-snapshot",
      .title = "a refresh answered INTERNAL_ERROR leaves the cache ready with the previous snapshot, every item still found",
      .role = Role::kClient,
      .requirements = {"SVC-CACHE-002", "SVC-CACHE-004", "SVC-CACHE-001", "SVC-STATUS-001"},
      .needs = {.service_kind = std::string("cgroups-snapshot"), .scenario = std::string("cache"), .count = 2u},
      .platform = Platform::kPosix,
      .run = [](Ctx& c) {
        int requests = serve_cache_client(c, [](int i) { return i == 0 ? Act::kServeAll : Act::kFail; });
        c.check(requests >= 2, "SVC-CACHE-002",
                "the client asked for " + std::to_string(requests) + " snapshot(s); two refreshes need two");
        auto r = c.client_exit();
        std::uint64_t gen = 0;
        (void)snapshot_bytes(c, false, &gen);
        const std::uint64_t k = c.cfg().snapshot_items;
        const auto& first = refresh_report(c, r, 0, "SVC-CACHE-001");
        c.check(field<bool>(c, first, "ok", "SVC-CACHE-001"), "SVC-CACHE-001", "the first refresh, answered with a good snapshot, failed");
        c.check(field<std::uint64_t>(c, first, "hits", "SVC-CACHE-001") == k, "SVC-CACHE-001",
                "after the first refresh " + first.value("hits", nlohmann::json(0)).dump() + " of " +
                    std::to_string(k) + " items were found");
        c.check(!field<bool>(c, first, "miss_found", "SVC-CACHE-001"), "SVC-CACHE-001",
                "a name the snapshot does not hold was found (lookup must match hash and name)");
        const auto& second = refresh_report(c, r, 1, "SVC-CACHE-002");
        c.check(!field<bool>(c, second, "ok", "SVC-CACHE-002"), "SVC-STATUS-001",
                "a refresh answered INTERNAL_ERROR was reported as a success");
        c.check(field<bool>(c, second, "ready", "SVC-CACHE-004"), "SVC-CACHE-004",
                "the cache is no longer ready after a failed refresh");
        c.check(field<std::uint64_t>(c, second, "generation", "SVC-CACHE-002") == gen, "SVC-CACHE-002",
                "after the failed refresh the cache reports generation " + second["generation"].dump() +
                    ", not the kept snapshot's " + std::to_string(gen));
        c.check(field<std::uint64_t>(c, second, "items", "SVC-CACHE-002") == k &&
                    field<std::uint64_t>(c, second, "hits", "SVC-CACHE-002") == k,
                "SVC-CACHE-002",
                "after the failed refresh the cache holds " + second["items"].dump() + " items and finds " +
                    second["hits"].dump() + " of the " + std::to_string(k) + " it had");
        c.check(c.client_succeeded(r), "SVC-CACHE-004", "the client did not end its cache scenario successfully");
      }});
}

void cache_generation(Catalogue& table) {
  table.add({
      .id = "svc.cli.cache-generation-change",
      .title = "after a server restart, a refresh with a new generation replaces the whole cache: removed items are gone",
      .role = Role::kClient,
      .requirements = {"SVC-CACHE-003", "SVC-CACHE-001", "SHM-SOCKET-001"},
      .needs = {.service_kind = std::string("cgroups-snapshot"), .scenario = std::string("cache"), .count = 2u},
      .platform = Platform::kPosix,
      .run = [](Ctx& c) {
        int requests = serve_cache_client(c, [](int i) {
          return i == 0 ? Act::kServeAll : i == 1 ? Act::kRestart : Act::kServeHalf;
        });
        c.check(requests >= 3, "SVC-CACHE-003",
                "the client asked for " + std::to_string(requests) +
                    " snapshot(s); the second refresh needs one on the restarted server");
        auto r = c.client_exit();
        std::uint64_t gen2 = 0;
        (void)snapshot_bytes(c, true, &gen2);
        const std::uint64_t k = c.cfg().snapshot_items;
        const auto& first = refresh_report(c, r, 0, "SVC-CACHE-001");
        c.check(field<bool>(c, first, "ok", "SVC-CACHE-001") &&
                    field<std::uint64_t>(c, first, "hits", "SVC-CACHE-001") == k,
                "SVC-CACHE-001", "the first refresh did not cache the " + std::to_string(k) + " items served");
        const auto& second = refresh_report(c, r, 1, "SVC-CACHE-003");
        c.check(field<bool>(c, second, "ok", "SVC-CACHE-003"), "SVC-CACHE-003",
                "the refresh across the server restart failed");
        c.check(field<std::uint64_t>(c, second, "generation", "SVC-CACHE-003") == gen2, "SVC-CACHE-003",
                "after the new snapshot the cache reports generation " + second["generation"].dump() +
                    ", not the new " + std::to_string(gen2));
        c.check(field<std::uint64_t>(c, second, "items", "SVC-CACHE-003") == k / 2, "SVC-CACHE-003",
                "the new snapshot has " + std::to_string(k / 2) + " items, the cache holds " + second["items"].dump());
        c.check(field<std::uint64_t>(c, second, "hits", "SVC-CACHE-003") == k / 2, "SVC-CACHE-003",
                "of the " + std::to_string(k) + " old items, " + second["hits"].dump() + " are found; exactly the " +
                    std::to_string(k / 2) + " the new snapshot kept must be");
        c.check(!field<bool>(c, second, "miss_found", "SVC-CACHE-001"), "SVC-CACHE-001",
                "a name the snapshot does not hold was found");
        c.check(c.client_succeeded(r), "SVC-CACHE-003", "the client did not end its cache scenario successfully");
      }});
}

// A call whose response never comes: at newest every call is bounded (SVC-TIMEOUT-001), so
// the client gives up, closes the session, reports a failure and does not repeat the call on
// a new connection. The bound is the client's configured per-call timeout (the shim
// contract's --timeout-ms, 10000 ms unless set) and never more than the 30000 ms default;
// the peer waits for 30000 ms plus a margin of three steps.
void call_timeout(Catalogue& table) {
  table.add({
      .id = "svc.cli.call-timeout-newest",
      .title = "at newest a call whose response never comes times out: the client closes, fails and does not retry",
      .role = Role::kClient,
      .requirements = {"SVC-TIMEOUT-001"},
      .run = [](Ctx& c) {
        ClientStart st = client_hello(c);
        st.s->send_ack(st.ack);
        Message req = st.s->expect_message("SVC-TIMEOUT-001", "the client's first request");
        c.note("request " + std::to_string(req.h.message_id) + " left unanswered");
        const auto started = std::chrono::steady_clock::now();
        const int budget_ms = 30000 + c.step_ms(3);
        Session::Incoming in = st.s->receive(Deadline::after(std::chrono::milliseconds(budget_ms)));
        const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - started).count();
        if (in.got == Got::kTimeout)
          c.timed_out("SVC-TIMEOUT-001", "the session was still open " + std::to_string(budget_ms) +
                                             " ms after the unanswered request: the call is not bounded");
        c.check(in.got == Got::kClosed, "SVC-TIMEOUT-001",
                "the client sent " + kind_name(in.msg.h.kind) + " while its call was pending; it must time out and close");
        c.note("the client closed the session " + std::to_string(waited) + " ms after the request");
        c.expect_client_failed("SVC-TIMEOUT-001");
        // A retry would have connected before the client exited: its connection is queued.
        auto again = c.try_accept_client(c.step_ms());
        c.check(again == nullptr, "SVC-TIMEOUT-001", "the client repeated the timed-out call on a new connection");
      }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_service_client_cases(Catalogue& table) {
  overflow_recovery(table);
  register_bad(table);
  cache_keeps(table);
  cache_generation(table);
  call_timeout(table);
}

}  // namespace nipc::peer::cases
