// Chunking cases with the IUT as client (spec/chunking.md, UDS): chunked responses, good,
// slow and spoiled.
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

}  // namespace

/// Every case of this file, in the order they are written.
void add_chunking_client_cases(Catalogue& table) {
  chunk_ok(table);
  chunk_slow(table);
  register_chunks(table);
}

}  // namespace nipc::peer::cases
