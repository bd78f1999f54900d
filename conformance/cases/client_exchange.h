// Helpers of the established-session cases with the IUT as client: answering its requests,
// wrongly on purpose, and the table of bad responses shared by several chapters.
#ifndef NIPC_CONFORMANCE_CASES_CLIENT_EXCHANGE_H_
#define NIPC_CONFORMANCE_CASES_CLIENT_EXCHANGE_H_

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {

inline RawHeader response_to(const Message& req, std::size_t len, std::uint16_t status = kStatusOk) {
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  h.payload_len = static_cast<std::uint32_t>(len);
  h.status = status;
  return h;
}

inline Bytes increment_answer(const Message& req) {
  std::uint64_t v = req.payload.size() >= 8 ? load_u64le(req.payload.data()) : 0;
  return increment_payload(v + 1);
}

// Sends bytes as one packet (UDS) or one publication (SHM).
inline void send_raw(Session& s, const Packet& p, std::optional<std::uint32_t> len = std::nullopt) {
  if (s.on_shm()) s.publish(p.bytes, len);
  else s.send(p);
}

// The common shape: OK handshake, the first request is answered by `bad`, then the client must
// close without sending more and report a failure (with `rule` when it names rules).
using Bad = std::function<void(Ctx&, Session&, const Message&)>;

inline void run_bad_response(Ctx& c, const Bad& bad, std::string_view req, std::optional<std::string> rule) {
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

inline Needs count2() {
  Needs n;
  n.count = 2;
  return n;
}

inline Bad with_header(std::function<void(RawHeader&)> f, std::size_t pad = 0) {
  return [f, pad](Ctx&, Session& s, const Message& req) {
    Bytes p = increment_answer(req);
    p.resize(p.size() + pad, 0);
    RawHeader h = response_to(req, p.size());
    f(h);
    send_raw(s, message_packet(h, p));
  };
}

inline Bad with_status(std::uint16_t status) {
  return with_header([status](RawHeader& h) { h.status = status; });
}

inline const std::vector<BadRow>& bad_rows() {
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
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(kStatusUnsupported)},
      {"svc.cli.status-bad-envelope", "BAD_ENVELOPE with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(kStatusBadEnvelope)},
      {"svc.cli.status-internal", "INTERNAL_ERROR with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(kStatusInternalError)},
      {"svc.cli.status-undefined", "an undefined status 9 with a correct-looking payload is a failed call",
       {"SVC-STATUS-001"}, "", kOnAny, {}, with_status(kStatusUndefined + 2)},
  };
  return rows;
}

// Adds the rows whose id starts with `ids` (one chapter and role).
inline void register_bad_rows(Catalogue& table, std::string_view ids) {
  for (const BadRow& row : bad_rows()) {
    if (!std::string_view(row.id).starts_with(ids)) continue;
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

// ---------------------------------------------------------------------------------------
// Chunking (UDS): the peer agrees on 36-byte packets, so an 8-byte INCREMENT travels as a
// 36-byte first packet (4 payload bytes) and one 4-byte continuation.

constexpr std::uint32_t kTiny = 36;

inline std::vector<Packet> spoil(const Message& req, const std::function<void(RawChunk&, Bytes&)>& f) {
  Bytes p = increment_answer(req);
  Split sp = split_message(response_to(req, p.size()), p, kTiny);
  f(sp.continuations[0].first, sp.continuations[0].second);
  return {sp.first, chunk_packet(sp.continuations[0].first, sp.continuations[0].second)};
}

// ---------------------------------------------------------------------------------------
// Shared memory.

#ifndef _WIN32
inline bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}
#endif

}  // namespace nipc::peer::cases

#endif  // NIPC_CONFORMANCE_CASES_CLIENT_EXCHANGE_H_
