// Established-session cases with the IUT as client: the peer serves the client's scenario and
// answers one request wrongly (spec/envelope.md, session.md, batch.md, chunking.md,
// service.md, transport-shm.md). A client that meets a protocol error must end the session
// (SESS-DEAD-001): it sends nothing more and reports the failure.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {
namespace {

RawHeader response_to(const Message& req, std::size_t len) {
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  h.payload_len = static_cast<std::uint32_t>(len);
  return h;
}

Bytes increment_answer(const Message& req) {
  std::uint64_t v = req.payload.size() >= 8 ? load_u64le(req.payload.data()) : 0;
  return increment_payload(v + 1);
}

// Sends bytes as one packet (UDS) or one publication (SHM).
void send_raw(Session& s, const Packet& p, std::optional<std::uint32_t> len = std::nullopt) {
  if (s.on_shm()) s.publish(p.bytes, len);
  else s.send(p);
}

// The common shape: OK handshake, the first request is answered by `bad`, then the client must
// close without sending more and report a failure (with `rule` when it names rules).
using Bad = std::function<void(Ctx&, Session&, const Message&)>;

void run_bad_response(Ctx& c, const Bad& bad, std::string_view req, std::optional<std::string> rule) {
  ClientStart st = client_hello(c);
  st.s->send_ack(st.ack);
  Message first = st.s->expect_message("HS-CLI-USE-001", "the client's first request");
  bad(c, *st.s, first);
  st.s->expect_closed("SESS-DEAD-001", "after a protocol error the client ends the session and sends nothing more");
  c.expect_client_failed(req, rule);
}

struct BadRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  const char* rule;
  unsigned on;
  Needs needs;
  Bad bad;
};

Needs count2() {
  Needs n;
  n.count = 2;
  return n;
}

Bad with_header(std::function<void(RawHeader&)> f, std::size_t pad = 0) {
  return [f, pad](Ctx&, Session& s, const Message& req) {
    Bytes p = increment_answer(req);
    p.resize(p.size() + pad, 0);
    RawHeader h = response_to(req, p.size());
    f(h);
    send_raw(s, message_packet(h, p));
  };
}

Bad with_status(std::uint16_t status) {
  return with_header([status](RawHeader& h) { h.status = status; });
}

const std::vector<BadRow>& bad_rows() {
  static const std::vector<BadRow> rows = {
      {"sess.cli.unknown-message-id", "a response whose message_id is not in flight", {"SESS-MSGID-002", "SESS-DEAD-001"},
       "UnknownMessageId", kOnAny, count2(), with_header([](RawHeader& h) { h.message_id += 1000; })},
      {"sess.cli.wrong-code", "a response whose code differs from the request's", {"SESS-CODE-001", "SESS-DEAD-001"}, "",
       kOnAny, count2(), with_header([](RawHeader& h) { h.code = static_cast<std::uint16_t>(h.code + 1); })},
      // The pipeline scenario checks responses only through the session, so the session's own
      // code check is what must catch this one.
      {"sess.cli.wrong-code-pipelined", "a pipelined response whose code differs from the request's",
       {"SESS-CODE-001", "SESS-DEAD-001"}, "", kOnAny, Needs{.scenario = std::string("pipeline"), .count = 1u},
       with_header([](RawHeader& h) { h.code = static_cast<std::uint16_t>(h.code + 1); })},
      {"sess.cli.kind-request", "a REQUEST where a RESPONSE is due", {"SESS-KIND-001", "SESS-DEAD-001"}, "UnexpectedKind",
       kOnAny, count2(), with_header([](RawHeader& h) { h.kind = 1; })},
      {"sess.cli.kind-control", "a CONTROL message after the handshake", {"HS-ONCE-001", "SESS-KIND-001"}, "UnexpectedKind",
       kOnAny, count2(), with_header([](RawHeader& h) { h.kind = 3; })},
      {"env.cli.response-over-limit", "a response above the agreed response limit of 16 bytes",
       {"ENV-LIMIT-001", "SESS-DEAD-001"}, "PayloadOverLimit", kOnAny, count2(),
       [](Ctx&, Session& s, const Message& req) {
         Bytes p = increment_answer(req);
         p.resize(24, 0);
         send_raw(s, message_packet(response_to(req, p.size()), p));
       }},
      {"env.cli.items-over-limit", "a non-batch response with item_count 2 on a session agreed for 1",
       {"ENV-LIMIT-002", "SESS-DEAD-001"}, "ItemCountOverLimit", kOnAny, count2(),
       with_header([](RawHeader& h) { h.item_count = 2; })},
      {"env.cli.trailing-bytes", "a response packet 4 bytes longer than 32 + payload_len", {"ENV-TRAIL-001", "SESS-DEAD-001"},
       "PacketLengthMismatch", kOnUds, count2(),
       [](Ctx&, Session& s, const Message& req) {
         Bytes p = increment_answer(req);
         Packet pk = message_packet(response_to(req, p.size()), p);
         Bytes extra(4, 0xEE);
         pk.raw("trailing", extra);
         s.send(pk);
       }},
      {"env.cli.bad-magic", "a response with a wrong magic", {"SESS-DEAD-001", "ENV-MAGIC-001"}, "HeaderBadMagic", kOnAny,
       count2(), with_header([](RawHeader& h) { h.magic = 0x4e495044; })},
      {"env.cli.bad-version", "a response of envelope version 2", {"SESS-DEAD-001", "ENV-VERSION-001"}, "HeaderBadVersion",
       kOnAny, count2(), with_header([](RawHeader& h) { h.version = 2; })},
      {"env.cli.header-len-40", "a response with header_len 40", {"SESS-DEAD-001", "ENV-HDRLEN-001"}, "HeaderBadHeaderLen",
       kOnAny, count2(), with_header([](RawHeader& h) { h.header_len = 40; })},
      {"env.cli.kind-0", "a response of kind 0", {"SESS-DEAD-001", "ENV-KIND-001"}, "HeaderBadKind", kOnAny, count2(),
       with_header([](RawHeader& h) { h.kind = 0; })},
      {"svc.cli.status-unsupported", "UNSUPPORTED with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(4)},
      {"svc.cli.status-bad-envelope", "BAD_ENVELOPE with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(1)},
      {"svc.cli.status-internal", "INTERNAL_ERROR with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(6)},
      {"svc.cli.status-undefined", "an undefined status 9 with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(9)},
  };
  return rows;
}

void register_bad(Catalogue& table) {
  for (const BadRow& row : bad_rows()) {
    table.add({.id = row.id,
               .title = std::string(row.title) + ": the client fails and ends the session",
               .role = Role::kClient,
               .requirements = row.reqs,
               .on = row.on,
               .needs = row.needs,
               .run = [&row](Ctx& c) {
                 if (std::string(row.id) == "env.cli.response-over-limit") c.server_response_limit = 16;
                 run_bad_response(c, row.bad, row.reqs.front(),
                                  *row.rule ? std::optional<std::string>(row.rule) : std::nullopt);
               }});
  }
}

void duplicate_response(Catalogue& table) {
  table.add({
    .id = "sess.cli.duplicate-response",
    .title = "a second response to an answered request is not in flight any more: the client fails",
    .role = Role::kClient,
    .requirements = {"SESS-MSGID-002", "SESS-DEAD-001"},
    .needs = {.count = 3u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      Message first = st.s->expect_message("HS-CLI-USE-001", "the client's first request");
      Bytes p = increment_answer(first);
      st.s->send_message(response_to(first, p.size()), p);
      // The duplicate goes out once the next request shows the first answer was consumed.
      Message second = st.s->expect_message("HS-CLI-USE-001", "the client's second request");
      st.s->send_message(response_to(first, p.size()), p);
      st.s->expect_closed("SESS-DEAD-001", "after a duplicate response the client ends the session");
      c.expect_client_failed("SESS-MSGID-002", std::string("UnknownMessageId"));
      (void)second;
    }});
}

// ---------------------------------------------------------------------------------------
// What the client sends.

void pipeline_reverse(Catalogue& table) {
  table.add({
    .id = "sess.cli.pipelined-answered-in-reverse",
    .title = "responses to pipelined requests may come in any order; in-flight message_ids are unique",
    .role = Role::kClient,
    .requirements = {"SESS-PIPELINE-001", "SESS-MSGID-001", "SESS-MSGID-002", "ENV-ITEMS-001"},
    .on = kOnUds,
    .needs = {.scenario = std::string("pipeline"), .count = 12u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      std::set<std::uint64_t> in_flight;
      std::size_t answered = 0;
      while (answered < 12) {
        std::vector<Message> batch;
        Session::Incoming in = st.s->receive(c.step(2));
        if (in.got != Got::kPacket) c.fail("HS-CLI-USE-001", "the client stopped before its 12 requests were answered");
        batch.push_back(in.msg);
        // Collect whatever else is in flight (a pipelining client sends more without waiting).
        for (;;) {
          Session::Incoming more = st.s->receive(Deadline::after(std::chrono::milliseconds(40)));
          if (more.got != Got::kPacket) break;
          batch.push_back(more.msg);
        }
        for (const Message& m : batch) {
          c.check(in_flight.insert(m.h.message_id).second, "SESS-MSGID-001",
                  "message_id " + std::to_string(m.h.message_id) + " sent while already in flight");
        }
        std::reverse(batch.begin(), batch.end());
        for (const Message& m : batch) {
          Bytes p = increment_answer(m);
          st.s->send_message(response_to(m, p.size()), p);
          in_flight.erase(m.h.message_id);
          ++answered;
        }
      }
      st.s->serve();
      c.expect_client_ok("SESS-PIPELINE-001");
    }});
}

// Serves whole client lifetimes: sessions until the client exits (a client may reconnect
// with grown limits after refusing its own request, SVC-OVERFLOW-001).
// Serves every session the client opens until it exits; `sessions` counts the handshakes.
std::vector<Message> serve_until_exit(Ctx& c, int* sessions) {
  std::vector<Message> seen;
  Deadline give_up = c.step(4);
  for (;;) {
    if (c.iut()->poll_exit()) return seen;
    if (give_up.expired()) c.timed_out("HS-CLI-USE-001", "the client neither finished nor connected");
    auto s = c.try_accept_client(5);
    if (!s) continue;
    RawHello h = s->read_hello();
    s->send_ack(s->ack_for(h));
    ++*sessions;
    for (const Message& m : s->serve()) seen.push_back(m);
    give_up = c.step(4);
  }
}

void outbound_limit(Catalogue& table) {
  table.add({
    .id = "env.cli.never-above-request-limit",
    .title = "a client asked to send more than the agreed request limit never puts it on the wire",
    .role = Role::kClient,
    .requirements = {"ENV-LIMIT-003", "HS-CLI-USE-001"},
    .on = kOnUds,
    .needs = {.service_kind = std::string("string-reverse"), .max_request_payload = 1024u, .packet_size = 1024u,
              .scenario = std::string("large")},
    .run = [](Ctx& c) {
      int sessions = 0;
      serve_until_exit(c, &sessions);  // every request is checked against its session's agreed limit
      // A client that never connected shows nothing about the limit: no pass without evidence.
      c.check(sessions > 0, "HS-CLI-USE-001", "the client exited without ever connecting");
      c.client_exit();
    }});
}

void batch_limit(Catalogue& table) {
  table.add({
    .id = "env.cli.never-above-batch-limit",
    .title = "a client asked to batch more items than agreed never sends such a batch",
    .role = Role::kClient,
    .requirements = {"ENV-LIMIT-004", "HS-CLI-USE-001"},
    .needs = {.max_request_batch = 2u, .scenario = std::string("batch"), .items = 4u},
    .run = [](Ctx& c) {
      int sessions = 0;
      serve_until_exit(c, &sessions);
      c.check(sessions > 0, "HS-CLI-USE-001", "the client exited without ever connecting");
      c.client_exit();
    }});
}

// ---------------------------------------------------------------------------------------
// Batches.

Needs batch_needs(std::uint32_t items) {
  Needs n;
  n.max_request_batch = items;
  n.scenario = "batch";
  n.items = items;
  n.count = 2;
  return n;
}

void batch_ok(Catalogue& table) {
  table.add({
    .id = "batch.cli.batches",
    .title = "the client's batches carry a directory and are answered item by item",
    .role = Role::kClient,
    .requirements = {"BATCH-PRESENT-001", "BATCH-HOMO-001", "ENV-LIMIT-004"},
    .needs = batch_needs(4),
    .run = [](Ctx& c) {
      auto seen = serve_ok(c);
      c.check(!seen.empty() && (seen.front().h.flags & kFlagBatch) && seen.front().h.item_count == 4,
              "BATCH-PRESENT-001", "the client's batch request is not a BATCH of 4 items");
      c.expect_client_ok("BATCH-PRESENT-001");
    }});
}

Bad bad_directory(std::uint32_t items) {
  return [items](Ctx&, Session& s, const Message& req) {
    Packet p;
    for (std::uint32_t i = 0; i < items; ++i) {
      p.u32("dir[" + std::to_string(i) + "].offset", i * 8 + 4);
      p.u32("dir[" + std::to_string(i) + "].length", 4);
    }
    Bytes area(items * 8 + 8, 0);
    p.raw("area", area);
    RawHeader h = response_to(req, p.size());
    h.flags = kFlagBatch;
    h.item_count = items;
    s.send_message(h, p.bytes);
  };
}

void batch_bad_dir(Catalogue& table) {
  table.add({
    .id = "batch.cli.bad-directory",
    .title = "a batch response with misaligned directory offsets: the client fails",
    .role = Role::kClient,
    .requirements = {"BATCH-PRESENT-001", "BATCH-ALIGN-001", "SESS-DEAD-001"},
    .needs = batch_needs(4),
    .run = [](Ctx& c) { run_bad_response(c, bad_directory(4), "BATCH-PRESENT-001", std::string("BatchMisalignedOffset")); }});
}

void batch_bad_dir_one(Catalogue& table) {
  table.add({
    .id = "batch.cli.one-item-bad-directory",
    .title = "a one-item batch response with a misaligned directory entry: the client fails",
    .role = Role::kClient,
    .requirements = {"BATCH-PRESENT-001", "BATCH-ALIGN-001"},
    .needs = batch_needs(1),
    .run = [](Ctx& c) { run_bad_response(c, bad_directory(1), "BATCH-PRESENT-001", std::string("BatchMisalignedOffset")); }});
}

// ---------------------------------------------------------------------------------------
// Chunking (UDS): the peer agrees on 36-byte packets, so an 8-byte INCREMENT travels as a
// 36-byte first packet (4 payload bytes) and one 4-byte continuation.

constexpr std::uint32_t kTiny = 36;

void chunk_ok(Catalogue& table) {
  table.add({
    .id = "chunk.cli.requests-and-responses",
    .title = "with a 36-byte agreed packet size the client chunks its requests and reassembles responses",
    .role = Role::kClient,
    .requirements = {"CHUNK-SPLIT-001", "HS-CLI-USE-001", "CHUNK-NOINTERLEAVE-001"},
    .on = kOnUds,
    .needs = {.count = 4u},
    .run = [](Ctx& c) {
      c.server_packet_size = kTiny;
      auto seen = serve_ok(c);
      for (const Message& m : seen)
        c.check(m.packets == 2, "CHUNK-SPLIT-001", "an 8-byte request over 36-byte packets takes 2 packets");
      c.expect_client_ok("CHUNK-SPLIT-001");
    }});
}

void chunk_slow(Catalogue& table) {
  table.add({
    .id = "chunk.cli.slow-continuation",
    .title = "a response continuation that comes 200 ms late is still reassembled",
    .role = Role::kClient,
    .requirements = {"CHUNK-SPLIT-001"},
    .on = kOnUds,
    .run = [](Ctx& c) {
      c.server_packet_size = kTiny;
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->serve([](Session& s, const Message& req) {
        Bytes p = increment_answer(req);
        Split sp = split_message(response_to(req, p.size()), p, kTiny);
        s.send(sp.first);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        for (auto& [ch, b] : sp.continuations) s.send(chunk_packet(ch, b));
        return true;
      });
      c.expect_client_ok("CHUNK-SPLIT-001");
    }});
}

struct ChunkRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  const char* rule;
  std::function<std::vector<Packet>(const Message&)> packets;
};

std::vector<Packet> spoil(const Message& req, const std::function<void(RawChunk&, Bytes&)>& f) {
  Bytes p = increment_answer(req);
  Split sp = split_message(response_to(req, p.size()), p, kTiny);
  f(sp.continuations[0].first, sp.continuations[0].second);
  return {sp.first, chunk_packet(sp.continuations[0].first, sp.continuations[0].second)};
}

// A response whose first packet carries `first` payload bytes, then continuations of up to 4.
std::vector<Packet> uneven(const Message& req, std::size_t first, std::size_t extra_last) {
  Bytes p = increment_answer(req);
  RawHeader h = response_to(req, p.size());
  std::vector<Packet> out{message_packet(h, ConstBytes(p).first(first))};
  std::uint32_t count = static_cast<std::uint32_t>(1 + (p.size() - first + 3) / 4);
  std::size_t at = first;
  for (std::uint32_t i = 1; i < count; ++i) {
    std::size_t n = std::min<std::size_t>(4, p.size() - at);
    Bytes b(p.begin() + static_cast<std::ptrdiff_t>(at), p.begin() + static_cast<std::ptrdiff_t>(at + n));
    if (i + 1 == count) b.resize(b.size() + extra_last, 'o');
    RawChunk ch{.message_id = h.message_id, .total_message_len = 40, .chunk_index = i, .chunk_count = count,
                .chunk_payload_len = static_cast<std::uint32_t>(b.size())};
    out.push_back(chunk_packet(ch, b));
    at += n;
  }
  return out;
}

const std::vector<ChunkRow>& chunk_rows() {
  static const std::vector<ChunkRow> rows = {
      {"index-2", "a continuation with chunk_index 2", {"CHUNK-INDEX-001"}, "ChunkIndexMismatch",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.chunk_index = 2; }); }},
      {"count-3", "chunk_count 3 where 2 is derived", {"CHUNK-COUNT-001"}, "ChunkCountMismatch",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.chunk_count = 3; }); }},
      {"total-wrong", "total_message_len 8 (payload only)", {"CHUNK-TOTAL-001"}, "ChunkTotalLenMismatch",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.total_message_len = 8; }); }},
      {"message-id-other", "a continuation of another message_id", {"CHUNK-MSGID-001"}, "ChunkMessageIdMismatch",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.message_id += 1; }); }},
      {"plen-mismatch", "chunk_payload_len 3 on a continuation carrying 4 bytes", {"CHUNK-PLEN-001"},
       "ChunkPayloadLenMismatch", [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.chunk_payload_len = 3; }); }},
      {"plen-zero", "an empty continuation", {"CHUNK-PLEN-002"}, "ChunkEmpty",
       [](const Message& r) {
         return spoil(r, [](RawChunk& c, Bytes& b) {
           c.chunk_payload_len = 0;
           b.clear();
         });
       }},
      {"bad-magic", "a continuation with a wrong chunk magic", {"CHUNK-MAGIC-001"}, "ChunkBadMagic",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.magic = 0x11111111; }); }},
      {"bad-version", "a continuation of chunk version 2", {"CHUNK-VERSION-001"}, "ChunkBadVersion",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.version = 2; }); }},
      {"nonzero-flags", "a continuation with flags 1", {"CHUNK-FLAGS-001"}, "ChunkNonzeroFlags",
       [](const Message& r) { return spoil(r, [](RawChunk& c, Bytes&) { c.flags = 1; }); }},
      {"truncated", "a 20-byte continuation", {"CHUNK-LEN-001"}, "ChunkTruncated",
       [](const Message& r) {
         auto v = spoil(r, [](RawChunk&, Bytes&) {});
         v[1] = v[1].prefix(20);
         return v;
       }},
      {"header-only-first", "a chunked response whose first packet is the bare header", {"CHUNK-PLEN-002"}, "ChunkEmpty",
       [](const Message& r) { return uneven(r, 0, 0); }},
      {"overrun", "continuations carrying more than payload_len", {"CHUNK-OVERRUN-001"}, "ChunkOverrun",
       [](const Message& r) { return uneven(r, 2, 2); }},
      {"interleaved", "the first packet of another response where a continuation is due", {"CHUNK-NOINTERLEAVE-001"}, "",
       [](const Message& r) {
         auto v = spoil(r, [](RawChunk&, Bytes&) {});
         v[1] = v[0];
         return v;
       }},
  };
  return rows;
}

void register_chunks(Catalogue& table) {
  for (const ChunkRow& row : chunk_rows()) {
    std::vector<std::string> reqs = row.reqs;
    reqs.push_back("SESS-DEAD-001");
    table.add({.id = std::string("chunk.cli.") + row.id,
               .title = std::string(row.title) + ": the client fails and ends the session",
               .role = Role::kClient,
               .requirements = reqs,
               .on = kOnUds,
               .needs = count2(),
               .run = [&row](Ctx& c) {
                 c.server_packet_size = kTiny;
                 run_bad_response(
                     c, [&row](Ctx&, Session& s, const Message& req) { for (const Packet& p : row.packets(req)) s.send(p); },
                     row.reqs.front(), *row.rule ? std::optional<std::string>(row.rule) : std::nullopt);
               }});
  }
}

// ---------------------------------------------------------------------------------------
// Shared memory.

#ifndef _WIN32
bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}
#endif

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
                 st.s->send_ack(st.ack, 0, std::nullopt, true, rh);
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

// ---------------------------------------------------------------------------------------
// Endpoint names.

void cli_bad_name(Catalogue& table) {
  table.add({
    .id = "uds.cli.bad-service-name",
    .title = "a client refuses the service name '..' and connects nowhere",
    .role = Role::kClient,
    .requirements = {"UDS-NAME-001"},
    .on = kOnUds,
    .needs = {.service = std::string("..")},
    .client_connects = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.expect_client_failed("UDS-NAME-001");
      c.check(!c.client_connected(), "UDS-NAME-001", "the client connected to " + c.socket_path());
    })});
}

void cli_server_closes(Catalogue& table) {
  table.add({
    .id = "uds.cli.server-closes",
    .title = "when the server closes the connection with a request in flight, the client's call fails",
    .role = Role::kClient,
    .requirements = {"UDS-EOF-001", "SESS-DEAD-001"},
    .on = kOnUds,
    .needs = count2(),
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->expect_message("HS-CLI-USE-001", "the client's request");
      st.s->conn().close();
      c.expect_client_failed("UDS-EOF-001", std::string("PeerClosed"));
    })});
}

void cli_no_server(Catalogue& table) {
  table.add({
    .id = "uds.cli.no-server",
    .title = "a client finding a stale socket file reports 'no server' and leaves the file alone",
    .role = Role::kClient,
    .requirements = {"UDS-CONNECT-001", "SHIM-EXIT-001"},
    .on = kOnUds,
    .start = false,
    .client_connects = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.listen();
      c.close_listener();  // the socket file stays, nobody listens
      c.start_iut();
      auto r = c.client_exit(false);
      c.check(!r.exit.ok() && r.exit.signal == 0, "UDS-CONNECT-001", "the client ended with " + r.exit.describe());
      if (c.shim()) {
        c.check(r.exit.code == 3, "SHIM-EXIT-001", "'no server' ended with " + r.exit.describe() + ", not 3");
        std::string kind = r.result.is_object() && r.result.contains("error") && r.result["error"].is_object()
                               ? r.result["error"].value("kind", "") : "";
        c.check(kind == "NotFound", "UDS-CONNECT-001", "the client reported '" + kind + "', not NotFound");
      }
      c.check(exists(c.socket_path()), "UDS-CONNECT-001", "the client removed the socket file at " + c.socket_path());
    })});
}

void cli_long_path(Catalogue& table) {
  table.add({
    .id = "uds.cli.path-too-long",
    .title = "a client refuses a socket path longer than 107 bytes instead of truncating it",
    .role = Role::kClient,
    .requirements = {"UDS-SUN-001", "UDS-PATH-001"},
    .on = kOnUds,
    .needs = {.long_run_dir = true},
    .start = false,
    .client_connects = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.listen_at(c.socket_path().substr(0, 107));
      c.start_iut();
      c.expect_client_failed("UDS-SUN-001");
      c.check(!c.client_connected(), "UDS-SUN-001", "the client connected to the truncated path");
    })});
}

}  // namespace
}  // namespace nipc::peer::cases

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
      limit.status = 5;
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

}  // namespace

/// Every case of this file, in the order they are written.
void add_messages_client_cases(Catalogue& table) {
  register_bad(table);
  duplicate_response(table);
  pipeline_reverse(table);
  outbound_limit(table);
  batch_limit(table);
  batch_ok(table);
  batch_bad_dir(table);
  batch_bad_dir_one(table);
  chunk_ok(table);
  chunk_slow(table);
  register_chunks(table);
  shm_uses_region(table);
  shm_one_in_flight(table);
  register_attach(table);
  register_shm_bad(table);
  shm_socket_closed(table);
  cli_bad_name(table);
  cli_server_closes(table);
  cli_no_server(table);
  cli_long_path(table);
  overflow_recovery(table);
}
}  // namespace nipc::peer::cases
