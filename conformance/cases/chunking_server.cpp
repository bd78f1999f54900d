// Chunking cases with the IUT as server (spec/chunking.md), UDS only: the peer agrees on a
// 64-byte packet size and sends a 129-byte STRING_REVERSE request as five packets, correct or
// with one continuation field wrong. The server's chunked response is checked by the peer's
// own reassembly (CHUNK-SPLIT-001).
#include <functional>
#include <set>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {
namespace {

constexpr std::uint32_t kPacket = 64;
const std::string kText(120, 'c');

Needs chunk_needs() {
  Needs n;
  n.service_kind = "string-reverse";
  return n;
}

std::unique_ptr<Session> chunk_session(Ctx& c) {
  RawHello h = c.hello();
  h.packet_size = kPacket;
  auto s = c.connect();
  auto ack = s->accept(h, "HS-PKT-001");
  if (ack.a.packet_size != kPacket) c.fail("HS-PKT-001", "agreed_packet_size is not 64");
  return s;
}

Bytes text_payload() { return string_payload(kText + "0123456789"); }
Bytes reversed_payload() {
  std::string t = kText + "0123456789";
  return string_payload(std::string(t.rbegin(), t.rend()));
}

void send_split(Session& s, const Split& sp) {
  s.send(sp.first);
  for (const auto& [ch, bytes] : sp.continuations) s.send(chunk_packet(ch, bytes));
}

void chunk_ok(Catalogue& table) {
  table.add({
    .id = "chunk.srv.request-and-response",
    .title = "a five-packet request is reassembled and the response is chunked by the agreed 64 bytes",
    .requirements = {"CHUNK-SPLIT-001", "HS-PKT-001", "CHUNK-NOINTERLEAVE-001"},
    .on = kOnUds,
    .needs = chunk_needs(),
    .run = [](Ctx& c) {
      auto s = chunk_session(c);
      Bytes p = text_payload();
      RawHeader h = request(c, 7, p.size());
      send_split(*s, split_message(h, p, kPacket));
      Message m = s->expect_answer(h, reversed_payload(), "CHUNK-SPLIT-001");
      c.check(m.packets == 5, "CHUNK-SPLIT-001",
              "a 139-byte response over 64-byte packets takes 5 packets, got " + std::to_string(m.packets));
    }});
}

void chunk_short_first(Catalogue& table) {
  table.add({
    .id = "chunk.srv.short-first-packet",
    .title = "a first packet shorter than P is accepted: the receiver derives the count from it",
    .requirements = {"CHUNK-COUNT-001"},
    .on = kOnUds,
    .needs = chunk_needs(),
    .run = [](Ctx& c) {
      auto s = chunk_session(c);
      Bytes p = text_payload();
      RawHeader h = request(c, 8, p.size());
      // First packet with 8 payload bytes, then 32-byte continuations.
      Packet first = message_packet(h, ConstBytes(p).first(8));
      s->send(first);
      std::size_t at = 8;
      std::uint32_t count = static_cast<std::uint32_t>(1 + (p.size() - 8 + 31) / 32);
      for (std::uint32_t i = 1; i < count; ++i) {
        std::size_t n = std::min<std::size_t>(32, p.size() - at);
        RawChunk ch{.message_id = 8, .total_message_len = static_cast<std::uint32_t>(32 + p.size()),
                    .chunk_index = i, .chunk_count = count, .chunk_payload_len = static_cast<std::uint32_t>(n)};
        s->send(chunk_packet(ch, ConstBytes(p).subspan(at, n)));
        at += n;
      }
      s->expect_answer(h, reversed_payload(), "CHUNK-COUNT-001");
    }});
}

void chunk_slow(Catalogue& table) {
  table.add({
    .id = "chunk.srv.slow-continuations",
    .title = "continuations 200 ms apart are still reassembled",
    .requirements = {"CHUNK-SPLIT-001"},
    .on = kOnUds,
    .needs = chunk_needs(),
    .run = [](Ctx& c) {
      auto s = chunk_session(c);
      Bytes p = text_payload();
      RawHeader h = request(c, 9, p.size());
      Split sp = split_message(h, p, kPacket);
      s->send(sp.first);
      for (const auto& [ch, bytes] : sp.continuations) {
        c.sleep_ms(200);
        s->send(chunk_packet(ch, bytes));
      }
      s->expect_answer(h, reversed_payload(), "CHUNK-SPLIT-001");
    }});
}

void chunk_pipelined(Catalogue& table) {
  table.add({
    .id = "chunk.srv.pipelined-chunked-responses",
    .title = "three chunked responses to pipelined requests never interleave",
    .requirements = {"CHUNK-NOINTERLEAVE-001", "SESS-MSGID-003"},
    .on = kOnUds,
    .needs = chunk_needs(),
    .run = [](Ctx& c) {
      auto s = chunk_session(c);
      Bytes p = text_payload();
      for (std::uint64_t id = 20; id < 23; ++id) send_split(*s, split_message(request(c, id, p.size()), p, kPacket));
      std::set<std::uint64_t> open_ids = {20, 21, 22};
      for (int i = 0; i < 3; ++i) {
        Message m = s->expect_message("CHUNK-NOINTERLEAVE-001", "a chunked response");
        c.check(open_ids.erase(m.h.message_id) == 1, "SESS-MSGID-003",
                "response message_id " + std::to_string(m.h.message_id) + " answers no outstanding request");
        c.check(m.payload == reversed_payload(), "SESS-MSGID-003", "a chunked response carries the wrong payload");
      }
    }});
}

void chunk_disconnect(Catalogue& table) {
  table.add({
    .id = "chunk.srv.disconnect-mid-message",
    .title = "a client that vanishes after two of five packets does not harm the server",
    .requirements = {"SESS-DEAD-001", "UDS-EOF-001", "CHUNK-SPLIT-001"},
    .on = kOnUds,
    .needs = chunk_needs(),
    .run = [](Ctx& c) {
      auto s = chunk_session(c);
      Bytes p = text_payload();
      Split sp = split_message(request(c, 10, p.size()), p, kPacket);
      s->send(sp.first);
      s->send(chunk_packet(sp.continuations[0].first, sp.continuations[0].second));
      s->close();
    }});
}

// ---------------------------------------------------------------------------------------
// One continuation field wrong at a time: the session ends without a reply.

struct BadChunkRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::function<std::vector<Packet>(Ctx&, const RawHeader&, Split&)> spoil;
};

std::vector<Packet> packets(const Split& sp) {
  std::vector<Packet> out{sp.first};
  for (const auto& [ch, bytes] : sp.continuations) out.push_back(chunk_packet(ch, bytes));
  return out;
}

// Spoils continuation `k` with `f`, leaving the rest as they were.
std::function<std::vector<Packet>(Ctx&, const RawHeader&, Split&)> field(std::size_t k, std::function<void(RawChunk&, Bytes&)> f) {
  return [k, f](Ctx&, const RawHeader&, Split& sp) {
    f(sp.continuations[k].first, sp.continuations[k].second);
    return packets(sp);
  };
}

const std::vector<BadChunkRow>& bad_chunk_rows() {
  static const std::vector<BadChunkRow> rows = {
      {"index-2-first", "first continuation with chunk_index 2", {"CHUNK-INDEX-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.chunk_index = 2; })},
      {"index-skipped", "second continuation with chunk_index 3 (one skipped)", {"CHUNK-INDEX-001"},
       field(1, [](RawChunk& ch, Bytes&) { ch.chunk_index = 3; })},
      {"index-0", "a continuation with chunk_index 0", {"CHUNK-INDEX-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.chunk_index = 0; })},
      {"count-4", "chunk_count 4 where the receiver derives 5", {"CHUNK-COUNT-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.chunk_count = 4; })},
      {"count-6", "chunk_count 6 where the receiver derives 5", {"CHUNK-COUNT-001"},
       field(2, [](RawChunk& ch, Bytes&) { ch.chunk_count = 6; })},
      {"total-payload-only", "total_message_len without the 32 header bytes", {"CHUNK-TOTAL-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.total_message_len -= 32; })},
      {"message-id-other", "a continuation carrying another message_id", {"CHUNK-MSGID-001"},
       field(1, [](RawChunk& ch, Bytes&) { ch.message_id += 1; })},
      {"plen-declares-more", "chunk_payload_len 32 on a continuation carrying 31 bytes", {"CHUNK-PLEN-001"},
       field(0, [](RawChunk&, Bytes& b) { b.pop_back(); })},
      {"plen-zero", "an empty continuation (chunk_payload_len 0)", {"CHUNK-PLEN-002"},
       field(0, [](RawChunk& ch, Bytes& b) {
         ch.chunk_payload_len = 0;
         b.clear();
       })},
      // Every chunk matches its own header, but the counted chunks end one byte short of the
      // payload: only the end-of-sequence rule can refuse it.
      {"short-continuation", "the first continuation carries 31 bytes, so the last counted chunk ends one byte short",
       {"CHUNK-COUNT-001"},
       field(0, [](RawChunk& ch, Bytes& b) {
         b.pop_back();
         ch.chunk_payload_len -= 1;
       })},
      {"overrun", "the last continuation carries 32 bytes where 1 remains", {"CHUNK-OVERRUN-001"},
       field(3, [](RawChunk& ch, Bytes& b) {
         b.resize(32, 'o');
         ch.chunk_payload_len = 32;
       })},
      {"bad-magic", "a continuation with a wrong chunk magic", {"CHUNK-MAGIC-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.magic = 0x4e43484c; })},
      {"bad-version", "a continuation of chunk version 2", {"CHUNK-VERSION-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.version = 2; })},
      {"nonzero-flags", "a continuation with flags 1", {"CHUNK-FLAGS-001"},
       field(0, [](RawChunk& ch, Bytes&) { ch.flags = 1; })},
      {"truncated", "a 20-byte continuation", {"CHUNK-LEN-001"},
       [](Ctx&, const RawHeader&, Split& sp) {
         auto out = packets(sp);
         out[1] = out[1].prefix(20);
         return out;
       }},
      {"header-only-first", "a chunked message whose first packet is the bare header", {"CHUNK-PLEN-002"},
       [](Ctx&, const RawHeader& h, Split&) {
         Bytes p = text_payload();
         std::vector<Packet> out{message_packet(h, {})};
         std::uint32_t count = static_cast<std::uint32_t>(1 + (p.size() + 31) / 32);
         for (std::uint32_t i = 1, at = 0; i < count; ++i) {
           std::uint32_t n = std::min<std::uint32_t>(32, static_cast<std::uint32_t>(p.size()) - at);
           RawChunk ch{.message_id = h.message_id, .total_message_len = h.payload_len + 32, .chunk_index = i,
                       .chunk_count = count, .chunk_payload_len = n};
           out.push_back(chunk_packet(ch, ConstBytes(p).subspan(at, n)));
           at += n;
         }
         return out;
       }},
      {"interleaved", "the first packet of another message where a continuation is due", {"CHUNK-NOINTERLEAVE-001"},
       [](Ctx& c, const RawHeader&, Split& sp) {
         auto [payload, answer] = c.sample_request(1);
         Bytes p = text_payload();
         Split other = split_message(request(c, 99, p.size()), p, kPacket);
         std::vector<Packet> out{sp.first, other.first};
         return out;
       }},
  };
  return rows;
}

void register_bad_chunks(Catalogue& table) {
  for (const BadChunkRow& row : bad_chunk_rows()) {
    std::vector<std::string> reqs = row.reqs;
    reqs.push_back("SESS-DEAD-001");
    table.add({.id = std::string("chunk.srv.") + row.id,
               .title = std::string(row.title) + ": the session ends without a reply",
               .requirements = reqs,
               .on = kOnUds,
               .needs = chunk_needs(),
               .run = [&row](Ctx& c) {
                 auto s = chunk_session(c);
                 Bytes p = text_payload();
                 RawHeader h = request(c, 40, p.size());
                 Split sp = split_message(h, p, kPacket);
                 for (const Packet& pk : row.spoil(c, h, sp)) s->send(pk);
                 s->expect_closed(row.reqs.front(), "a reassembly error ends the session without a reply");
               }});
  }
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_chunking_server_cases(Catalogue& table) {
  chunk_ok(table);
  chunk_short_first(table);
  chunk_slow(table);
  chunk_pipelined(table);
  chunk_disconnect(table);
  register_bad_chunks(table);
}
}  // namespace nipc::peer::cases
