// Service cases with the IUT as client (spec/service.md): error statuses in responses and
// the recovery from LIMIT_EXCEEDED.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "client_exchange.h"
#include "common.h"
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
          s->send_message(response_to(m, p.size()), p);
          break;
        }
        case Act::kFail:  // INTERNAL_ERROR (6)
          s->send_message(response_to(m, 0, kStatusInternalError), {});
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

constexpr std::uint32_t kCeiling = 1048576;

// The peer's own next_pow2 (SVC-GROWTH-001), written from the spec.
std::uint32_t pow2_at_least(std::uint64_t n) {
  std::uint64_t p = 16;
  while (p < n) p <<= 1;
  return static_cast<std::uint32_t>(p);
}

// An error response (SVC-ERRRESP-001 shape) with `status`.
void send_status(Session& s, const Message& req, std::uint16_t status) {
  s.send_message(response_to(req, 0, status), {});
}

// The next session's HELLO after the previous one ended; fails `req` when none comes.
struct Next {
  std::unique_ptr<Session> s;
  RawHello hello;
};
Next next_session(Ctx& c, std::string_view req, const std::string& what) {
  auto s = c.try_accept_client(c.step_ms(3));
  if (!s) c.fail(req, what);
  RawHello h = s->read_hello();
  return {std::move(s), h};
}

// Until the client exits it must not connect again (a connection it made and left waiting
// for a HELLO_ACK would otherwise hold it until its handshake timeout); then none may be
// pending either.
void no_more_connections(Ctx& c, std::string_view req, const std::string& why) {
  const Deadline until = c.step(4);
  while (!c.iut()->poll_exit()) {
    if (c.client_connected()) c.fail(req, why);
    if (until.expired()) return;  // client_exit() reports the client that never ends
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  c.check(!c.client_connected(), req, why);
}

void check_same_request(Ctx& c, const Message& again, const Message& first, std::string_view req) {
  c.check(again.payload == first.payload, req, "the repeated request's payload differs from the first");
  c.check(again.h.code == first.h.code, req, "the repeated request's code differs from the first");
}

// On shared memory the client learns of a dropped session only from the socket's hang-up,
// which it must check while it waits (SHM-SOCKET-001): a client that never notices is judged
// there, not under the retry rule it never reached.
const char* dropped_requirement(const Ctx& c) { return c.shm_run() ? "SHM-SOCKET-001" : "SVC-RETRY-001"; }
std::string dropped_text(const Ctx& c) {
  return c.shm_run() ? "after the server closed the socket of a shared-memory session the waiting client did not "
                       "notice (no reconnect within the step), so it never reached its retry"
                     : "after the server dropped the session the client did not reconnect";
}

Needs l2(const char* scenario, std::uint32_t hint = 65536, std::uint64_t count = 1) {
  Needs n;
  n.scenario = std::string(scenario);
  n.max_response_payload = hint;
  n.count = count;
  return n;
}

// ---------------------------------------------------------------------------------------
// Overflow recovery (SVC-OVERFLOW-001, SVC-GROWTH-001).

// Session 1 agrees `first_limit` and answers LIMIT_EXCEEDED; session 2 must propose exactly
// `want_hint` and gets the call answered.
void run_growth(Ctx& c, std::uint32_t first_limit, std::uint32_t want_hint, const std::string& rule) {
  c.server_response_limit = first_limit;
  ClientStart st = client_hello(c);
  st.s->send_ack(st.ack);
  Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
  send_status(*st.s, first, kStatusLimitExceeded);
  st.s->expect_closed("SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client closes the session");
  Next n = next_session(c, "SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client did not reconnect");
  c.check(n.hello.max_response_payload == want_hint, "SVC-GROWTH-001",
          "response hint after LIMIT_EXCEEDED on a limit of " + std::to_string(first_limit) + " is " +
              std::to_string(n.hello.max_response_payload) + ", expected " + std::to_string(want_hint) + " (" + rule +
              ")");
  c.check(n.hello.max_request_payload == st.hello.max_request_payload, "SVC-GROWTH-001",
          "the request proposal changed although no request was refused");
  c.server_response_limit = std::max(want_hint, first_limit);
  n.s->send_ack(n.s->ack_for(n.hello));
  auto seen = n.s->serve();
  c.check(!seen.empty(), "SVC-OVERFLOW-001", "the call was not repeated on the new session");
  if (!seen.empty()) check_same_request(c, seen.front(), first, "SVC-OVERFLOW-001");
  no_more_connections(c, "SVC-OVERFLOW-001", "the client connected again after the recovered call");
  c.expect_client_ok("SVC-OVERFLOW-001");
}

void growth_pow2(Catalogue& table) {
  table.add({
      .id = "svc.cli.overflow-hint-next-pow2",
      .title = "LIMIT_EXCEEDED on a 40000-byte limit: the next HELLO hints exactly next_pow2(80000) = 131072 and the call is repeated",
      .role = Role::kClient,
      .requirements = {"SVC-GROWTH-001", "SVC-OVERFLOW-001", "SVC-STATUS-001"},
      .needs = l2("overflow"),
      .run = [](Ctx& c) { run_growth(c, 40000, 131072, "max(65536, next_pow2(2 x 40000))"); }});
}

void growth_cap(Catalogue& table) {
  table.add({
      .id = "svc.cli.overflow-hint-capped",
      .title = "LIMIT_EXCEEDED on a 700000-byte limit: the next HELLO hints exactly 1 MiB, not next_pow2(1400000)",
      .role = Role::kClient,
      .requirements = {"SVC-GROWTH-001", "SVC-OVERFLOW-001"},
      .needs = l2("overflow"),
      .run = [](Ctx& c) { run_growth(c, 700000, kCeiling, "min(next_pow2(2 x 700000), 1048576)"); }});
}

void eight_attempts(Catalogue& table) {
  table.add({
      .id = "svc.cli.overflow-gives-up-after-8",
      .title = "a server that always answers LIMIT_EXCEEDED while its limit grows sees 8 attempts, a 9th session that stays unused, and no 10th",
      .role = Role::kClient,
      .requirements = {"SVC-OVERFLOW-001", "SVC-GROWTH-001"},
      .needs = l2("overflow", 1024),
      .run = [](Ctx& c) {
        std::uint32_t limit = 1024;
        c.server_response_limit = limit;
        ClientStart st = client_hello(c);
        std::unique_ptr<Session> s = std::move(st.s);
        RawHello hello = st.hello;
        std::uint32_t hint = hello.max_response_payload;
        Message first;
        for (int attempt = 1; attempt <= 8; ++attempt) {
          s->send_ack(s->ack_for(hello));
          Message m = s->expect_message("SVC-OVERFLOW-001", "attempt " + std::to_string(attempt) + " of the call");
          if (attempt == 1) first = m;
          else check_same_request(c, m, first, "SVC-OVERFLOW-001");
          send_status(*s, m, kStatusLimitExceeded);
          s->expect_closed("SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client closes the session");
          Next n = next_session(c, "SVC-OVERFLOW-001",
                                "after attempt " + std::to_string(attempt) + " the client did not reconnect");
          const std::uint32_t want = std::max(hint, std::min(pow2_at_least(2ull * limit), kCeiling));
          c.check(n.hello.max_response_payload == want, "SVC-GROWTH-001",
                  "session " + std::to_string(attempt + 1) + " hints " + std::to_string(n.hello.max_response_payload) +
                      ", expected " + std::to_string(want));
          hint = n.hello.max_response_payload;
          limit *= 2;  // the server's limit grows every time, so recovery never stops for lack of growth
          c.server_response_limit = limit;
          s = std::move(n.s);
          hello = n.hello;
        }
        // The 9th session: made, but the 8-attempt bound forbids using it.
        s->send_ack(s->ack_for(hello));
        s->expect_closed("SVC-OVERFLOW-001", "the client sent a 9th attempt of the call");
        no_more_connections(c, "SVC-OVERFLOW-001", "the client made a 10th session after giving up");
        c.expect_client_failed("SVC-OVERFLOW-001");
      }});
}

void nothing_grew(Catalogue& table) {
  table.add({
      .id = "svc.cli.overflow-stops-when-nothing-grew",
      .title = "LIMIT_EXCEEDED on a 1024-byte limit with a 65536 hint: the new session grows nothing, so the client gives up without using it",
      .role = Role::kClient,
      .requirements = {"SVC-OVERFLOW-001", "SVC-GROWTH-001"},
      .needs = l2("overflow"),
      .run = [](Ctx& c) {
        c.server_response_limit = 1024;
        ClientStart st = client_hello(c);
        st.s->send_ack(st.ack);
        Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
        send_status(*st.s, first, kStatusLimitExceeded);
        st.s->expect_closed("SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client closes the session");
        Next n = next_session(c, "SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client did not reconnect");
        c.check(n.hello.max_response_payload == st.hello.max_response_payload, "SVC-GROWTH-001",
                "the hint changed from " + std::to_string(st.hello.max_response_payload) + " to " +
                    std::to_string(n.hello.max_response_payload) + " although next_pow2(2 x 1024) is below it");
        n.s->send_ack(n.s->ack_for(n.hello));  // the same 1024 limit: nothing grew
        n.s->expect_closed("SVC-OVERFLOW-001", "the client repeated the call on a session where nothing grew");
        no_more_connections(c, "SVC-OVERFLOW-001", "the client connected again after giving up");
        c.expect_client_failed("SVC-OVERFLOW-001");
      }});
}

// ---------------------------------------------------------------------------------------
// Retry of ordinary failures (SVC-RETRY-001).

void retry_once(Catalogue& table) {
  table.add({
      .id = "svc.cli.retry-once-on-new-session",
      .title = "the server drops the session instead of answering: the client repeats the call once on a new session and succeeds",
      .role = Role::kClient,
      .requirements = {"SVC-RETRY-001", "SVC-CALL-001", "SHIM-L2-001", "SHM-SOCKET-001"},
      .needs = l2("retry"),
      .run = [](Ctx& c) {
        ClientStart st = client_hello(c);
        st.s->send_ack(st.ack);
        Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
        st.s->close();
        Next n = next_session(c, dropped_requirement(c), dropped_text(c));
        n.s->send_ack(n.s->ack_for(n.hello));
        auto seen = n.s->serve();
        c.check(seen.size() == 1, "SVC-RETRY-001",
                "the new session carried " + std::to_string(seen.size()) + " requests, expected the one repeated call");
        if (!seen.empty()) {
          check_same_request(c, seen.front(), first, "SVC-RETRY-001");
          c.check(seen.front().h.message_id == first.h.message_id, "SVC-CALL-001",
                  "the repeated call has message_id " + std::to_string(seen.front().h.message_id) + ", the first " +
                      std::to_string(first.h.message_id) + " (ids count successful calls only)");
        }
        no_more_connections(c, "SVC-RETRY-001", "the client made a third session for one call");
        c.expect_client_ok("SVC-RETRY-001");
      }});
}

void retry_not_twice(Catalogue& table) {
  table.add({
      .id = "svc.cli.retry-not-twice",
      .title = "the server drops the first and the repeated call: the client fails without a third session",
      .role = Role::kClient,
      .requirements = {"SVC-RETRY-001", "SHM-SOCKET-001"},
      .needs = l2("retry"),
      .run = [](Ctx& c) {
        ClientStart st = client_hello(c);
        st.s->send_ack(st.ack);
        Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
        st.s->close();
        Next n = next_session(c, dropped_requirement(c), dropped_text(c));
        n.s->send_ack(n.s->ack_for(n.hello));
        Message again = n.s->expect_message("SVC-RETRY-001", "the repeated call");
        check_same_request(c, again, first, "SVC-RETRY-001");
        n.s->close();
        no_more_connections(c, "SVC-RETRY-001", "the client retried a second time");
        c.expect_client_failed("SVC-RETRY-001");
      }});
}

void status_not_decoded(Catalogue& table) {
  table.add({
      .id = "svc.cli.failed-status-never-decoded",
      .title = "INTERNAL_ERROR carrying the correct answer is a failed attempt: the client repeats the call on a new session",
      .role = Role::kClient,
      .requirements = {"SVC-STATUS-001", "SVC-RETRY-001"},
      .needs = [] {
        Needs n = l2("retry");
        n.service_kind = std::string("increment");
        return n;
      }(),
      .run = [](Ctx& c) {
        ClientStart st = client_hello(c);
        st.s->send_ack(st.ack);
        Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
        // The right answer with a failed status: only a client that reads the payload despite
        // the status would take it.
        Bytes body = increment_payload(first.payload.size() >= 8 ? load_u64le(first.payload.data()) + 1 : 0);
        st.s->send_message(response_to(first, body.size(), kStatusInternalError), body);
        auto again = c.try_accept_client(c.step_ms(3));
        if (!again) {
          // No new session: a client that reports success took the payload of a failed status;
          // one that reports failure gave up without its one retry.
          auto r = c.client_exit();
          if (c.client_succeeded(r))
            c.fail("SVC-STATUS-001", "the client took the payload of a response whose status is INTERNAL_ERROR");
          c.fail("SVC-RETRY-001", "after a response with status INTERNAL_ERROR the client failed without repeating the call");
        }
        RawHello h2 = again->read_hello();
        again->send_ack(again->ack_for(h2));
        auto seen = again->serve();
        c.check(!seen.empty(), "SVC-RETRY-001", "the call was not repeated on the new session");
        c.expect_client_ok("SVC-RETRY-001");
      }});
}

// ---------------------------------------------------------------------------------------
// Connection states (SVC-STATE-001): AUTH_FAILED and INCOMPATIBLE are sticky, DISCONNECTED
// is not. The scenario refreshes before each of its two calls.

struct StickyRow {
  const char* id;
  const char* title;
  std::uint16_t status;
};

void sticky_rows(Catalogue& table) {
  static const StickyRow rows[] = {
      {"auth-failed", "AUTH_FAILED", kStatusAuthFailed},
      {"incompatible", "INCOMPATIBLE", kStatusIncompatible},
      {"unsupported", "UNSUPPORTED (no common profile, an incompatibility)", kStatusUnsupported},
  };
  for (const StickyRow& row : rows) {
    table.add({.id = std::string("svc.cli.no-reconnect-after-") + row.id,
                 .title = std::string("a handshake rejected with ") + row.title +
                          " is sticky: the next refresh makes no new connection",
                 .role = Role::kClient,
                 .requirements = {"SVC-STATE-001", "SVC-STATE-002"},
                 .needs = l2("retry", 65536, 2),
                 .run = [&row](Ctx& c) {
                   ClientStart st = client_hello(c);
                   st.s->send_ack(RawAck{}, row.status);
                   st.s->expect_closed("HS-CLI-ABORT-001", "after a rejection the client closes");
                   no_more_connections(c, "SVC-STATE-001",
                                       "the client connected again after a " + std::string(row.title) + " rejection");
                   c.expect_client_failed("SVC-STATE-001");
                 }});
  }
}

void disconnected_retried(Catalogue& table) {
  table.add({
      .id = "svc.cli.reconnect-after-handshake-limit",
      .title = "a handshake rejected with LIMIT_EXCEEDED leaves the client DISCONNECTED: the next refresh connects again and its call succeeds",
      .role = Role::kClient,
      .requirements = {"SVC-STATE-001", "SVC-STATE-002"},
      .needs = l2("retry", 65536, 2),
      .run = [](Ctx& c) {
        ClientStart st = client_hello(c);
        st.s->send_ack(RawAck{}, kStatusLimitExceeded);
        st.s->expect_closed("HS-CLI-ABORT-001", "after a rejection the client closes");
        Next n = next_session(c, "SVC-STATE-001", "the next refresh after a LIMIT_EXCEEDED rejection did not connect");
        n.s->send_ack(n.s->ack_for(n.hello));
        auto seen = n.s->serve();
        c.check(seen.size() == 1, "SVC-STATE-002",
                "the session carried " + std::to_string(seen.size()) +
                    " requests: the call made while DISCONNECTED must send nothing, the second one request");
        no_more_connections(c, "SVC-STATE-001", "the client made a third connection");
        auto r = c.client_exit();
        c.check(r.result.is_object() && r.result.value("verified", 0) == 1, "SVC-STATE-002",
                "the client did not report exactly one verified call of two");
      }});
}

// ---------------------------------------------------------------------------------------
// Shared-memory attach failure (PROF-ATTACH-FAIL-001, SVC-ATTACH-001).

void attach_fail(Catalogue& table) {
  table.add({
      .id = "svc.cli.attach-fail-completes-on-baseline",
      .title = "the selected region cannot be attached: the client's next HELLO offers no SHM bit and its calls complete on that baseline session",
      .role = Role::kClient,
      .requirements = {"SVC-ATTACH-001", "PROF-ATTACH-FAIL-001"},
      .on = kOnShm,
      .needs = l2("attach-fail", 65536, 2),
      .platform = Platform::kPosix,
      .run = NIPC_POSIX_BODY([](Ctx& c) {
        ClientStart st = client_hello(c);
        RegionHeader rh;
        rh.owner_pid = static_cast<std::int32_t>(::getpid());
        rh.owner_generation = 0x600dcafe;
        rh.request_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{st.ack.request_payload} + 32)) + 8;
        rh.response_offset = static_cast<std::uint32_t>(align64(64 + std::uint64_t{rh.request_capacity}));
        rh.response_capacity = static_cast<std::uint32_t>(align64(std::uint64_t{st.ack.response_payload} + 32));
        st.s->send_ack(st.ack, kStatusOk, std::nullopt, true, rh);  // misaligned capacity: attach must fail
        // A client may keep trying to attach for up to 5 s before it gives up (facts of the
        // existing clients; PROF-ATTACH-FAIL-001 does not bound it tighter), so the close is
        // awaited for longer than one step.
        Recv r = st.s->conn().recv(c.step(5), Expect::kMessage);
        if (r.got == Got::kTimeout)
          c.timed_out("PROF-ATTACH-FAIL-001", "a client that cannot attach did not close the session in " +
                                                  std::to_string(c.step_ms(5)) + " ms");
        if (r.got == Got::kPacket)
          c.fail("SVC-ATTACH-001", "the client sent on the socket of the session whose region it could not attach");
        c.check(st.s->region()->seq(Area::kRequest) == 0, "PROF-ATTACH-FAIL-001",
                "the client published into a region it refused");
        Next n = next_session(c, "SVC-ATTACH-001", "after the attach failure the client did not handshake again");
        c.check((n.hello.supported & kShmBits) == 0 && (n.hello.preferred & kShmBits) == 0, "SVC-ATTACH-001",
                "after a failed attach the client still offers " + hex32(n.hello.supported) + " / prefers " +
                    hex32(n.hello.preferred));
        n.s->send_ack(n.s->ack_for(n.hello));
        auto seen = n.s->serve();
        c.check(seen.size() == 2, "SVC-ATTACH-001",
                "the baseline session carried " + std::to_string(seen.size()) + " requests, expected both calls");
        no_more_connections(c, "SVC-ATTACH-001", "the client connected again instead of staying on the baseline session");
        c.expect_client_ok("SVC-ATTACH-001");
      })});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_service_client_cases(Catalogue& table) {
  overflow_recovery(table);
  register_bad(table);
  cache_keeps(table);
  cache_generation(table);
  call_timeout(table);
  growth_pow2(table);
  growth_cap(table);
  eight_attempts(table);
  nothing_grew(table);
  retry_once(table);
  retry_not_twice(table);
  status_not_decoded(table);
  sticky_rows(table);
  disconnected_retried(table);
  attach_fail(table);
}

}  // namespace nipc::peer::cases
