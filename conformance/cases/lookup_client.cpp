// CGROUPS_LOOKUP and APPS_LOOKUP with the IUT as client (spec/lookup.md, newest revision; the
// `lookup` scenario of spec/shim-contract.md). The peer answers the client's lookup requests
// from the generators under the default seed 1 — correctly, or with one deviation the client
// must notice.
#include <functional>
#include <string>
#include <vector>

#include "common.h"
#include "nipc/codec/lookup.h"
#include "nipc/testing/lookup_fixture.h"

namespace nipc::peer::cases {
namespace {

constexpr std::uint64_t kSeed = 1;  // the clients' default --lookup-seed

RawHeader response_header(const Message& req, std::size_t len) {
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  h.payload_len = static_cast<std::uint32_t>(len);
  return h;
}

// The generator's answer to a lookup request (empty when the request does not decode).
Bytes generator_answer(const Message& req) {
  Bytes out;
  if (req.h.code == 4) {
    auto view = CgroupsLookupRequestView::parse(req.payload);
    if (!view) return out;
    OwnedCgroupsLookup answer{kSeed, {}};
    for (std::uint32_t i = 0; i < view->size(); ++i)
      answer.items.push_back(lookup_cgroup_answer(kSeed, *view->path(i)));
    (void)encode_owned(answer, &out);
  } else {
    auto view = AppsLookupRequestView::parse(req.payload);
    if (!view) return out;
    OwnedAppsLookup answer{kSeed, {}};
    for (std::uint32_t i = 0; i < view->size(); ++i)
      answer.items.push_back(lookup_pid_answer(kSeed, *view->pid(i)));
    (void)encode_owned(answer, &out);
  }
  return out;
}

using Spoil = std::function<void(Bytes&)>;

// OK handshake; the first request gets the generator's answer spoiled by `spoil`; the client
// must fail and end the session.
void run_spoiled(Ctx& c, const Spoil& spoil, std::string_view req) {
  ClientStart st = client_hello(c);
  st.s->send_ack(st.ack);
  Message first = st.s->expect_message("HS-CLI-USE-001", "the client's first lookup request");
  Bytes p = generator_answer(first);
  if (p.empty()) c.fail("LOOKUP-MSG-003", "the client's lookup request does not decode");
  spoil(p);
  st.s->send_message(response_header(first, p.size()), p);
  st.s->expect_closed("SESS-DEAD-001", "after a wrong lookup answer the client ends the session");
  c.expect_client_failed(req);
}

void cgroups_ok(Catalogue& table) {
  table.add({
      .id = "lookup.cli.cgroups-generator-answers",
      .title = "a cgroups-lookup client accepts three answers equal to the generator's",
      .role = Role::kClient,
      .requirements = {"SHIM-LOOKUP-001", "LOOKUP-MSG-002"},
      .needs = {.service_kind = std::string("cgroups-lookup"), .scenario = std::string("lookup"), .count = 3u},
      .run = [](Ctx& c) {
        ClientStart st = client_hello(c);
        st.s->send_ack(st.ack);
        auto seen = st.s->serve([&](Session& s, const Message& m) {
          Bytes p = generator_answer(m);
          s.send_message(response_header(m, p.size()), p);
          return true;
        });
        c.check(seen.size() == 3, "SHIM-LOOKUP-001", std::to_string(seen.size()) + " lookup requests, not 3");
        c.expect_client_ok("SHIM-LOOKUP-001");
      }});
}

void cgroups_generation(Catalogue& table) {
  table.add({
      .id = "lookup.cli.cgroups-wrong-generation",
      .title = "a cgroups-lookup answer with another generation than the generator's fails the client",
      .role = Role::kClient,
      .requirements = {"SHIM-LOOKUP-001", "SHIM-VERIFY-001"},
      .needs = {.service_kind = std::string("cgroups-lookup"), .scenario = std::string("lookup"), .count = 1u},
      .run = [](Ctx& c) {
        run_spoiled(c, [](Bytes& p) { store_u64le(p.data() + lookup_header_layout::kGeneration, kSeed + 1); },
                    "SHIM-LOOKUP-001");
      }});
}

void cgroups_missing_item(Catalogue& table) {
  table.add({
      .id = "lookup.cli.cgroups-item-missing",
      .title = "a cgroups-lookup answer with one item fewer than the request's keys fails the client",
      .role = Role::kClient,
      .requirements = {"LOOKUP-MSG-002", "SHIM-VERIFY-001"},
      .needs = {.service_kind = std::string("cgroups-lookup"), .scenario = std::string("lookup"), .count = 1u},
      .run = [](Ctx& c) {
        // item_count - 1 over the same bytes: the directory shrinks by one entry, so the packed
        // area moves and is read from the wrong place; any rejection counts.
        run_spoiled(c, [](Bytes& p) {
          store_u32le(p.data() + lookup_header_layout::kItemCount,
                      load_u32le(p.data() + lookup_header_layout::kItemCount) - 1);
        }, "LOOKUP-MSG-002");
      }});
}

void apps_bad_status(Catalogue& table) {
  table.add({
      .id = "lookup.cli.apps-item-bad-status",
      .title = "an apps-lookup answer whose first item has status 9 fails the client",
      .role = Role::kClient,
      .requirements = {"LOOKUP-APITEM-001", "LOOKUP-MSG-003"},
      .needs = {.service_kind = std::string("apps-lookup"), .scenario = std::string("lookup"), .count = 1u},
      .run = [](Ctx& c) {
        run_spoiled(c, [](Bytes& p) {
          const std::uint32_t count = load_u32le(p.data() + lookup_header_layout::kItemCount);
          const std::size_t packed = lookup_header_layout::kSize + count * lookup_header_layout::kEntrySize;
          const std::size_t item0 = packed + load_u32le(p.data() + lookup_header_layout::kSize);
          store_u16le(p.data() + item0 + apps_lookup_item_layout::kStatus, 9);
        }, "LOOKUP-APITEM-001");
      }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_lookup_client_cases(Catalogue& table) {
  cgroups_ok(table);
  cgroups_generation(table);
  cgroups_missing_item(table);
  apps_bad_status(table);
}

}  // namespace nipc::peer::cases
