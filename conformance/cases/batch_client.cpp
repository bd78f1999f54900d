// Batch cases with the IUT as client (spec/batch.md): batch responses, good and with a broken
// directory.
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

}  // namespace

/// Every case of this file, in the order they are written.
void add_batch_client_cases(Catalogue& table) {
  batch_ok(table);
  batch_bad_dir(table);
  batch_bad_dir_one(table);
}

}  // namespace nipc::peer::cases
