// Batch cases with the IUT as server (spec/batch.md): batch requests, good and with a broken
// directory or item limit.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"
#include "server_exchange.h"

namespace nipc::peer::cases {
namespace {

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
                 s->expect_error(h, kStatusBadEnvelope, row.reqs.front());
                 s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
               }});
  }
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_batch_server_cases(Catalogue& table) {
  batch_four(table);
  batch_one(table);
  batch_overlap(table);
  register_bad_batches(table);
}

}  // namespace nipc::peer::cases
