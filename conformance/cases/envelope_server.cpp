// Envelope cases with the IUT as server (spec/envelope.md): request limits and malformed
// messages after the handshake.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"
#include "server_exchange.h"

namespace nipc::peer::cases {
namespace {

// A session whose request limits are small enough to overrun cheaply.
std::unique_ptr<Session> small_session(Ctx& c, std::uint32_t payload = 64, std::uint32_t batch = 4) {
  RawHello h = c.hello();
  h.max_request_payload = payload;
  h.max_request_batch = h.max_response_batch = batch;
  return c.open(h);
}

// ---------------------------------------------------------------------------------------
// Limits (ENV-LIMIT-001/002, SVC-REQLIMIT-001).

void payload_over(Catalogue& table) {
  table.add({
    .id = "env.srv.payload-over-limit",
    .title = "a request one byte over the agreed payload limit gets LIMIT_EXCEEDED, then the session closes",
    .requirements = {"ENV-LIMIT-001", "SVC-REQLIMIT-001", "SVC-ERRRESP-001", "SESS-DEAD-001"},
    .run = [](Ctx& c) {
      auto s = small_session(c, 64);
      Bytes p = increment_of_size(1, 65);
      RawHeader h = request(c, 11, p.size());
      s->send_message(h, p);
      s->expect_error(h, kStatusLimitExceeded, "ENV-LIMIT-001");
      s->expect_closed("SVC-REQLIMIT-001", "the server closes after an over-limit request");
    }});
}

void payload_at(Catalogue& table) {
  table.add({
    .id = "env.srv.payload-at-limit",
    .title = "a request exactly at the agreed payload limit is served",
    .requirements = {"ENV-LIMIT-001", "CODEC-INC-001", "CODEC-INC-002"},
    .run = [](Ctx& c) {
      auto s = small_session(c, 64);
      Bytes p = increment_of_size(41, 64);
      RawHeader h = request(c, 12, p.size());
      s->send_message(h, p);
      s->expect_answer(h, increment_payload(42), "ENV-LIMIT-001");
    }});
}

void payload_huge(Catalogue& table) {
  table.add({
    .id = "env.srv.payload-len-u32-max",
    .title = "a header announcing payload_len 0xFFFFFFFF gets LIMIT_EXCEEDED before any payload is read",
    .requirements = {"ENV-LIMIT-001", "SVC-REQLIMIT-001"},
    .run = [](Ctx& c) {
      auto s = small_session(c, 64);
      RawHeader h = request(c, 13, 0);
      h.payload_len = 0xFFFFFFFF;
      send_raw(*s, message_packet(h, {}));
      s->expect_error(h, kStatusLimitExceeded, "ENV-LIMIT-001");
      s->expect_closed("SVC-REQLIMIT-001", "the server closes after an over-limit request");
    }});
}

void items_over(Catalogue& table) {
  table.add({
    .id = "env.srv.item-count-over-limit",
    .title = "a request with item_count above the agreed batch limit gets LIMIT_EXCEEDED",
    .requirements = {"ENV-LIMIT-002", "SVC-REQLIMIT-001", "SVC-ERRRESP-001"},
    .run = [](Ctx& c) {
      auto s = small_session(c, 4096, 4);
      Bytes p = increment_payload(1);
      RawHeader h = request(c, 14, p.size());
      h.item_count = 5;
      s->send_message(h, p);
      s->expect_error(h, kStatusLimitExceeded, "ENV-LIMIT-002");
      s->expect_closed("SVC-REQLIMIT-001", "the server closes after an over-limit request");
    }});
}

void batch_items_over(Catalogue& table) {
  table.add({
    .id = "env.srv.batch-over-limit",
    .title = "a batch of 5 items on a session agreed for 4 gets LIMIT_EXCEEDED (flags 0, item_count 1)",
    .requirements = {"ENV-LIMIT-002", "BATCH-ERR-001", "SVC-REQLIMIT-001"},
    .run = [](Ctx& c) {
      auto s = small_session(c, 4096, 4);
      std::vector<Bytes> items;
      for (int i = 0; i < 5; ++i) items.push_back(increment_payload(i));
      Packet p = batch_payload(items);
      RawHeader h = request(c, 15, p.size());
      h.flags = kFlagBatch;
      h.item_count = 5;
      s->send_message(h, p.bytes);
      s->expect_error(h, kStatusLimitExceeded, "ENV-LIMIT-002");
      s->expect_closed("SVC-REQLIMIT-001", "the server closes after an over-limit request");
    }});
}

// ---------------------------------------------------------------------------------------
// Malformed messages after the handshake: the session ends without a reply.

struct DeadRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  unsigned on;
  std::function<Packet(Ctx&)> build;
};

Packet changed(Ctx& c, const std::function<void(RawHeader&)>& f) {
  auto [payload, answer] = c.sample_request(3);
  RawHeader h = request(c, 3, payload.size());
  f(h);
  return message_packet(h, payload);
}

const std::vector<DeadRow>& dead_rows() {
  static const std::vector<DeadRow> rows = {
      {"bad-magic", "a request with a wrong magic ends the session", {"SESS-DEAD-001", "ENV-MAGIC-001"}, kOnAny,
       [](Ctx& c) { return changed(c, [](RawHeader& h) { h.magic = 0x4e495044; }); }},
      {"bad-version", "a request of envelope version 2 ends the session", {"SESS-DEAD-001", "ENV-VERSION-001"}, kOnAny,
       [](Ctx& c) { return changed(c, [](RawHeader& h) { h.version = 2; }); }},
      {"header-len-40", "a request with header_len 40 ends the session", {"SESS-DEAD-001", "ENV-HDRLEN-001"}, kOnAny,
       [](Ctx& c) { return changed(c, [](RawHeader& h) { h.header_len = 40; }); }},
      {"kind-0", "a message of kind 0 ends the session", {"SESS-DEAD-001", "ENV-KIND-001"}, kOnAny,
       [](Ctx& c) { return changed(c, [](RawHeader& h) { h.kind = 0; }); }},
      {"kind-7", "a message of kind 7 ends the session", {"SESS-DEAD-001", "ENV-KIND-001"}, kOnAny,
       [](Ctx& c) { return changed(c, [](RawHeader& h) { h.kind = 7; }); }},
      {"kind-response", "a RESPONSE sent to the server ends the session", {"SESS-KIND-001", "SESS-DEAD-001"}, kOnAny,
       [](Ctx& c) { return changed(c, [](RawHeader& h) { h.kind = 2; }); }},
      {"trailing-bytes", "a single packet 4 bytes longer than 32 + payload_len ends the session",
       {"ENV-TRAIL-001", "SESS-DEAD-001"}, kOnUds,
       [](Ctx& c) {
         Packet p = valid_request(c, 4);
         Bytes extra(4, 0xEE);
         p.raw("trailing", extra);
         return p;
       }},
      {"short-packet", "a 20-byte packet after the handshake ends the session", {"ENV-LEN-001", "SESS-DEAD-001"}, kOnUds,
       [](Ctx& c) { return valid_request(c, 5).prefix(20); }},
      {"stray-continuation", "a continuation chunk with no message in progress ends the session",
       {"SESS-DEAD-001", "CHUNK-INDEX-001"}, kOnUds,
       [](Ctx&) {
         RawChunk ch;
         ch.message_id = 6;
         ch.total_message_len = 40;
         ch.chunk_index = 1;
         ch.chunk_count = 2;
         ch.chunk_payload_len = 4;
         Bytes b(4, 1);
         return chunk_packet(ch, b);
       }},
  };
  return rows;
}

void register_dead(Catalogue& table) {
  for (const DeadRow& row : dead_rows()) {
    table.add({.id = std::string("env.srv.") + row.id,
               .title = row.title,
               .requirements = row.reqs,
               .on = row.on,
               .run = [&row](Ctx& c) {
                 auto s = c.open();
                 send_raw(*s, row.build(c));
                 // A valid request right behind it must not be answered: the session is over.
                 // (Not on SHM: one message in flight, a second would overwrite the first.)
                 if (!s->on_shm()) send_raw(*s, valid_request(c, 9));
                 s->expect_closed(row.reqs.front(), "a receive-side protocol error ends the session without a reply");
               },
               .service_neutral = true});
  }
}

void undefined_flags(Catalogue& table) {
  table.add({
    .id = "env.srv.undefined-flags",
    .title = "undefined flag bits are ignored: the request is served",
    .requirements = {"ENV-FLAGS-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      for (std::uint16_t flags : {std::uint16_t{0x0002}, std::uint16_t{0x8000}}) {
        auto [payload, answer] = c.sample_request(flags);
        RawHeader h = request(c, flags, payload.size());
        h.flags = flags;
        s->send_message(h, payload);
        s->expect_answer(h, answer, "ENV-FLAGS-001");
      }
    },
    .service_neutral = true});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_envelope_server_cases(Catalogue& table) {
  payload_over(table);
  payload_at(table);
  payload_huge(table);
  items_over(table);
  batch_items_over(table);
  register_dead(table);
  undefined_flags(table);
}

}  // namespace nipc::peer::cases
