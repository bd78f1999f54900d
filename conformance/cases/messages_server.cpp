// Established-session cases with the IUT as server (spec/envelope.md, session.md, batch.md,
// service.md, codecs.md). Each runs over the run's transport: packets on UDS, the region on
// the shared-memory profiles, where the same envelope checks apply (SHM-MSGLEN-001).
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {
namespace {

// A session whose request limits are small enough to overrun cheaply.
std::unique_ptr<Session> small_session(Ctx& c, std::uint32_t payload = 64, std::uint32_t batch = 4) {
  RawHello h = c.hello();
  h.max_request_payload = payload;
  h.max_request_batch = h.max_response_batch = batch;
  return c.open(h);
}

Bytes increment_of_size(std::uint64_t value, std::size_t size) {
  Bytes b = increment_payload(value);
  b.resize(size, 0);
  return b;
}

// Sends raw message bytes on the session's transport: one packet, or one SHM publication.
void send_raw(Session& s, const Packet& p) {
  if (s.on_shm()) s.publish(p.bytes);
  else s.send(p);
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
      s->expect_error(h, 5, "ENV-LIMIT-001");
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
      s->expect_error(h, 5, "ENV-LIMIT-001");
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
      s->expect_error(h, 5, "ENV-LIMIT-002");
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
      s->expect_error(h, 5, "ENV-LIMIT-002");
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

Packet valid_request(Ctx& c, std::uint64_t id) {
  auto [payload, answer] = c.sample_request(id);
  return message_packet(request(c, id, payload.size()), payload);
}

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

// ---------------------------------------------------------------------------------------
// Correlation (SESS-MSGID-003).

void msgid_echo(Catalogue& table) {
  table.add({
    .id = "sess.srv.message-id-echo",
    .title = "responses echo message_id 0, 1, 2^63 and 2^64-1 and the request's code",
    .requirements = {"SESS-MSGID-003", "ENV-ITEMS-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
        auto [payload, answer] = c.sample_request(id & 0xFFFF);
        RawHeader h = request(c, id, payload.size());
        s->send_message(h, payload);
        s->expect_answer(h, answer, "SESS-MSGID-003");
      }
    }});
}

void pipelined(Catalogue& table) {
  table.add({
    .id = "sess.srv.pipelined",
    .title = "eight requests in flight are each answered once with their own message_id",
    .requirements = {"SESS-MSGID-003", "SESS-PIPELINE-001"},
    .on = kOnUds,
    .run = [](Ctx& c) {
      auto s = c.open();
      std::map<std::uint64_t, Bytes> want;
      for (std::uint64_t id = 100; id < 108; ++id) {
        auto [payload, answer] = c.sample_request(id);
        s->send_message(request(c, id, payload.size()), payload);
        want[id] = answer;
      }
      while (!want.empty()) {
        Message m = s->expect_message("SESS-MSGID-003", "the remaining pipelined responses");
        auto it = want.find(m.h.message_id);
        if (it == want.end()) c.fail("SESS-MSGID-003", "response with message_id " + std::to_string(m.h.message_id) +
                                                           " that is not in flight (or answered twice)");
        c.check(m.h.status == 0 && m.payload == it->second, "SESS-MSGID-003",
                "response to message_id " + std::to_string(m.h.message_id) + " is not its answer");
        want.erase(it);
      }
    }});
}

// ---------------------------------------------------------------------------------------
// Service outcomes (spec/service.md).

void wrong_method(Catalogue& table) {
  table.add({
    .id = "svc.srv.wrong-method",
    .title = "a request for another method gets UNSUPPORTED and the session stays open",
    .requirements = {"SVC-KIND-001", "SVC-ERRRESP-001", "SESS-MSGID-003", "SHIM-SERVICE-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      for (std::uint16_t code : {std::uint16_t{0}, std::uint16_t{2}, std::uint16_t{3}, std::uint16_t{0xFFFF}}) {
        if (code == c.method()) continue;
        auto [payload, answer] = c.sample_request(code);
        RawHeader h = request(c, 50 + code, payload.size());
        h.code = code;
        s->send_message(h, payload);
        s->expect_error(h, 4, "SVC-KIND-001");
      }
      round_trip(c, *s, 60, "SVC-KIND-001");
    }});
}

void bad_payload(Catalogue& table) {
  table.add({
    .id = "svc.srv.undecodable-request",
    .title = "an undecodable request payload gets BAD_ENVELOPE, then the session closes",
    .requirements = {"SVC-DECODE-001", "SVC-ERRRESP-001", "CODEC-INC-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      Bytes p(4, 7);  // 4 bytes: shorter than an INCREMENT value
      RawHeader h = request(c, 21, p.size());
      s->send_message(h, p);
      s->expect_error(h, 1, "SVC-DECODE-001");
      send_raw(*s, valid_request(c, 22));
      s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
    }});
}

void empty_payload(Catalogue& table) {
  table.add({
    .id = "svc.srv.empty-request",
    .title = "an empty INCREMENT request gets BAD_ENVELOPE",
    .requirements = {"SVC-DECODE-001", "CODEC-INC-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      RawHeader h = request(c, 23, 0);
      s->send_message(h, {});
      s->expect_error(h, 1, "SVC-DECODE-001");
      s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
    }});
}

void resp_limit(Catalogue& table) {
  table.add({
    .id = "svc.srv.response-over-limit",
    .title = "a response above the agreed response limit is LIMIT_EXCEEDED, the session closes, the next handshake grants more",
    .requirements = {"SVC-RESPLIMIT-001", "SVC-GROWTH-001", "ENV-LIMIT-003", "SVC-ERRRESP-001"},
    .needs = {.service_kind = std::string("string-reverse"), .max_response_payload = 64u},
    .run = [](Ctx& c) {
      auto s = c.open();
      std::string text(100, 'x');
      Bytes p = string_payload(text);  // the answer is 109 bytes, above 64
      RawHeader h = request(c, 31, p.size());
      s->send_message(h, p);
      s->expect_error(h, 5, "SVC-RESPLIMIT-001");
      s->expect_closed("SVC-RESPLIMIT-001", "the server closes after refusing an oversized response");
      auto s2 = c.connect();
      auto ack = s2->accept(c.hello(), "SVC-RESPLIMIT-001");
      c.check(ack.a.response_payload >= 128, "SVC-GROWTH-001",
              "after a 109-byte response did not fit, the next session's response limit is " +
                  std::to_string(ack.a.response_payload) + ", below next_pow2(109) = 128");
      s2->send_message(h, p);
      s2->expect_answer(h, string_payload(std::string(text.rbegin(), text.rend())), "SVC-RESPLIMIT-001");
    }});
}

void resp_at_limit(Catalogue& table) {
  table.add({
    .id = "svc.srv.response-at-limit",
    .title = "a response exactly at the agreed response limit is sent",
    .requirements = {"SVC-RESPLIMIT-001", "CODEC-STR-005"},
    .needs = {.service_kind = std::string("string-reverse"), .max_response_payload = 64u},
    .run = [](Ctx& c) {
      auto s = c.open();
      std::string text(55, 'y');
      text[3] = 'z';
      RawHeader h = request(c, 32, 64);
      s->send_message(h, string_payload(text));
      s->expect_answer(h, string_payload(std::string(text.rbegin(), text.rend())), "SVC-RESPLIMIT-001");
    }});
}

// ---------------------------------------------------------------------------------------
// Method semantics (spec/codecs.md).

void inc_values(Catalogue& table) {
  table.add({
    .id = "codec.srv.increment",
    .title = "INCREMENT answers value + 1, wrapping at 2^64; bytes after the 8 are ignored",
    .requirements = {"CODEC-INC-002", "CODEC-INC-001", "SVC-BUSINESS-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      std::uint64_t id = 70;
      for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{41}, std::uint64_t{0xFFFFFFFF}, ~std::uint64_t{0}}) {
        Bytes p = increment_payload(v);
        RawHeader h = request(c, id++, p.size());
        s->send_message(h, p);
        s->expect_answer(h, increment_payload(v + 1), "CODEC-INC-002");
      }
      Bytes p = increment_of_size(5, 24);
      RawHeader h = request(c, id, p.size());
      s->send_message(h, p);
      s->expect_answer(h, increment_payload(6), "CODEC-INC-001");
    }});
}

void str_values(Catalogue& table) {
  table.add({
    .id = "codec.srv.string-reverse",
    .title = "STRING_REVERSE answers the byte-reversed string, interior NULs and the empty string included",
    .requirements = {"CODEC-STR-005", "CODEC-STR-006"},
    .needs = {.service_kind = std::string("string-reverse")},
    .run = [](Ctx& c) {
      auto s = c.open();
      std::uint64_t id = 80;
      for (std::string text : {std::string("abc"), std::string("a\0b", 3), std::string(), std::string(300, 'q') + "!"}) {
        Bytes p = string_payload(text);
        RawHeader h = request(c, id++, p.size());
        s->send_message(h, p);
        s->expect_answer(h, string_payload(std::string(text.rbegin(), text.rend())), "CODEC-STR-005");
      }
    }});
}

void str_missing_nul(Catalogue& table) {
  table.add({
    .id = "codec.srv.string-missing-nul",
    .title = "a STRING_REVERSE request without its NUL gets BAD_ENVELOPE",
    .requirements = {"SVC-DECODE-001", "CODEC-STR-004"},
    .needs = {.service_kind = std::string("string-reverse")},
    .run = [](Ctx& c) {
      auto s = c.open();
      Bytes p = string_payload("abc");
      p.back() = 'd';
      RawHeader h = request(c, 90, p.size());
      s->send_message(h, p);
      s->expect_error(h, 1, "SVC-DECODE-001");
      s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
    }});
}

void str_bad_offset(Catalogue& table) {
  table.add({
    .id = "codec.srv.string-offset-9",
    .title = "a STRING_REVERSE request with str_offset 9 should get BAD_ENVELOPE",
    .requirements = {"CODEC-STR-002"},
    .needs = {.service_kind = std::string("string-reverse")},
    .run = [](Ctx& c) {
      auto s = c.open();
      Bytes p = string_payload("abc");
      p.insert(p.begin() + 8, 'X');  // the string now starts at 9
      store_u32le(p.data(), 9);
      RawHeader h = request(c, 91, p.size());
      s->send_message(h, p);
      Message m = s->expect_message("CODEC-STR-002", "an answer");
      c.check(m.h.status == 1, "CODEC-STR-002", "str_offset 9 was accepted (status " + status_name(m.h.status) + ")");
    }});
}

void snapshot(Catalogue& table) {
  table.add({
    .id = "codec.srv.snapshot",
    .title = "a CGROUPS_SNAPSHOT request is answered OK with a non-batch, decodable snapshot",
    .requirements = {"SVC-BUSINESS-001", "CODEC-SNAP-018", "ENV-ITEMS-001"},
    .needs = {.service_kind = std::string("cgroups-snapshot")},
    .run = [](Ctx& c) {
      auto s = c.open();
      RawHeader h = request(c, 95, 4);
      s->send_message(h, Bytes{1, 0, 0, 0});
      Message m = s->expect_message("SVC-BUSINESS-001", "the snapshot");
      c.check(m.h.status == 0, "SVC-BUSINESS-001", "snapshot answered " + status_name(m.h.status));
      c.check(m.h.flags == 0 && m.h.item_count == 1, "CODEC-SNAP-018", "snapshot response is not flags 0, item_count 1");
    }});
}

void snapshot_bad(Catalogue& table) {
  table.add({
    .id = "codec.srv.snapshot-bad-request",
    .title = "a snapshot request with layout_version 2 gets BAD_ENVELOPE",
    .requirements = {"SVC-DECODE-001", "CODEC-SNREQ-002"},
    .needs = {.service_kind = std::string("cgroups-snapshot")},
    .run = [](Ctx& c) {
      auto s = c.open();
      RawHeader h = request(c, 96, 4);
      s->send_message(h, Bytes{2, 0, 0, 0});
      s->expect_error(h, 1, "SVC-DECODE-001");
      s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
    }});
}

// ---------------------------------------------------------------------------------------
// Batches (spec/batch.md).

std::vector<Bytes> increments(std::initializer_list<std::uint64_t> values) {
  std::vector<Bytes> out;
  for (std::uint64_t v : values) out.push_back(increment_payload(v));
  return out;
}

void batch_round_trip(Ctx& c, Session& s, const std::vector<Bytes>& items, std::uint64_t id) {
  Packet p = batch_payload(items);
  RawHeader h = request(c, id, p.size());
  h.flags = kFlagBatch;
  h.item_count = static_cast<std::uint32_t>(items.size());
  s.send_message(h, p.bytes);
  std::vector<Bytes> answers;
  for (const Bytes& b : items) answers.push_back(increment_payload(load_u64le(b.data()) + 1));
  Message m = s.expect_message("BATCH-RESP-001", "the batch response");
  c.check(m.h.status == 0, "BATCH-RESP-001", "batch answered " + status_name(m.h.status));
  c.check((m.h.flags & kFlagBatch) && m.h.item_count == items.size(), "BATCH-RESP-001",
          "batch response needs the BATCH flag and item_count " + std::to_string(items.size()));
  c.check(m.h.code == h.code && m.h.message_id == id, "BATCH-HOMO-001", "batch response code or message_id differ");
  c.check(m.payload == batch_payload(answers).bytes, "BATCH-RESP-001",
          "batch response payload " + hex(m.payload, 40) + " is not the canonical batch of the answers " +
              hex(batch_payload(answers).bytes, 40));
}

void batch_four(Catalogue& table) {
  table.add({
    .id = "batch.srv.four-items",
    .title = "a batch of four INCREMENTs is answered item by item as a canonical batch",
    .requirements = {"BATCH-RESP-001", "BATCH-PRESENT-001", "BATCH-HOMO-001", "BATCH-LAYOUT-001", "ENV-LIMIT-004"},
    .run = [](Ctx& c) {
      auto s = c.open();
      batch_round_trip(c, *s, increments({1, 2, ~std::uint64_t{0}, 1000}), 200);
    }});
}

void batch_one(Catalogue& table) {
  table.add({
    .id = "batch.srv.one-item",
    .title = "a one-item batch carries a directory and is answered as a one-item batch",
    .requirements = {"BATCH-PRESENT-001", "BATCH-RESP-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      batch_round_trip(c, *s, increments({5}), 201);
    }});
}

void batch_overlap(Catalogue& table) {
  table.add({
    .id = "batch.srv.overlapping-items",
    .title = "items that overlap, or come out of order, are not rejected",
    .requirements = {"BATCH-OVERLAP-001", "BATCH-RESP-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      Packet p;
      p.u32("dir[0].offset", 8);
      p.u32("dir[0].length", 8);
      p.u32("dir[1].offset", 0);
      p.u32("dir[1].length", 8);
      p.u32("dir[2].offset", 0);
      p.u32("dir[2].length", 8);
      p.raw("area[0..8]", increment_payload(10));
      p.raw("area[8..16]", increment_payload(20));
      RawHeader h = request(c, 202, p.size());
      h.flags = kFlagBatch;
      h.item_count = 3;
      s->send_message(h, p.bytes);
      Message m = s->expect_message("BATCH-OVERLAP-001", "the batch response");
      c.check(m.h.status == 0, "BATCH-OVERLAP-001", "overlapping items rejected with " + status_name(m.h.status));
      std::vector<Bytes> answers = increments({21, 11, 11});
      c.check(m.payload == batch_payload(answers).bytes, "BATCH-RESP-001", "items not answered positionally");
    }});
}

struct BadBatchRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::uint32_t item_count;
  std::function<Packet()> payload;
};

Packet entries(std::initializer_list<std::pair<std::uint32_t, std::uint32_t>> dir, std::size_t area) {
  Packet p;
  int i = 0;
  for (auto [off, len] : dir) {
    p.u32("dir[" + std::to_string(i) + "].offset", off);
    p.u32("dir[" + std::to_string(i++) + "].length", len);
  }
  Bytes a(area, 0);
  for (std::size_t k = 0; k < area; k += 8) a[k] = static_cast<std::uint8_t>(k / 8 + 1);
  p.raw("area", a);
  return p;
}

const std::vector<BadBatchRow>& bad_batch_rows() {
  static const std::vector<BadBatchRow> rows = {
      {"one-item-misaligned", "a one-item batch whose only entry is misaligned", {"BATCH-PRESENT-001", "BATCH-ALIGN-001"}, 1,
       [] { return entries({{4, 4}}, 8); }},
      {"one-item-out-of-bounds", "a one-item batch whose entry points past the area", {"BATCH-PRESENT-001", "BATCH-BOUNDS-001"}, 1,
       [] { return entries({{8, 8}}, 8); }},
      {"directory-truncated", "item_count 3 with only 16 payload bytes", {"BATCH-DIR-001"}, 3,
       [] { return entries({{0, 8}}, 8); }},
      {"misaligned", "entry 1 at offset 9", {"BATCH-ALIGN-001"}, 2, [] { return entries({{0, 8}, {9, 4}}, 16); }},
      // A whole INCREMENT at a misaligned offset: only the alignment rule can refuse it.
      {"misaligned-decodable", "entry 1 at offset 12 holding a whole INCREMENT", {"BATCH-ALIGN-001"}, 2,
       [] { return entries({{0, 8}, {12, 8}}, 24); }},
      {"out-of-bounds", "entry 1 reaching past the packed area", {"BATCH-BOUNDS-001"}, 2,
       [] { return entries({{0, 8}, {8, 15}}, 16); }},
      {"length-wraps", "entry 1 with length 0xFFFFFFFF (offset + length must not wrap)", {"BATCH-BOUNDS-001"}, 2,
       [] { return entries({{0, 8}, {8, 0xFFFFFFFF}}, 16); }},
      {"undecodable-item", "an item of 4 bytes cannot be an INCREMENT", {"SVC-DECODE-001"}, 2,
       [] { return entries({{0, 8}, {8, 4}}, 16); }},
  };
  return rows;
}

void register_bad_batches(Catalogue& table) {
  for (const BadBatchRow& row : bad_batch_rows()) {
    std::vector<std::string> reqs = row.reqs;
    for (const char* r : {"BATCH-ERR-001", "SVC-DECODE-001"})
      if (std::find(reqs.begin(), reqs.end(), r) == reqs.end()) reqs.push_back(r);
    table.add({.id = std::string("batch.srv.") + row.id,
               .title = std::string(row.title) + ": BAD_ENVELOPE with flags 0 and item_count 1, then close",
               .requirements = reqs,
               .run = [&row](Ctx& c) {
                 auto s = c.open();
                 Packet p = row.payload();
                 RawHeader h = request(c, 300, p.size());
                 h.flags = kFlagBatch;
                 h.item_count = row.item_count;
                 s->send_message(h, p.bytes);
                 s->expect_error(h, 1, row.reqs.front());
                 s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
               }});
  }
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_messages_server_cases(Catalogue& table) {
  payload_over(table);
  payload_at(table);
  payload_huge(table);
  items_over(table);
  batch_items_over(table);
  register_dead(table);
  undefined_flags(table);
  msgid_echo(table);
  pipelined(table);
  wrong_method(table);
  bad_payload(table);
  empty_payload(table);
  resp_limit(table);
  resp_at_limit(table);
  inc_values(table);
  str_values(table);
  str_missing_nul(table);
  str_bad_offset(table);
  snapshot(table);
  snapshot_bad(table);
  batch_four(table);
  batch_one(table);
  batch_overlap(table);
  register_bad_batches(table);
}
}  // namespace nipc::peer::cases
