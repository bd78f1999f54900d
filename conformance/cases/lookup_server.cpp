// CGROUPS_LOOKUP and APPS_LOOKUP with the IUT as server (spec/lookup.md, newest revision; the
// service kinds of spec/shim-contract.md). The expected answers come from the shim contract's
// lookup generators under the default seed 1, encoded canonically by the peer.
#include <string>
#include <vector>

#include "common.h"
#include "nipc/testing/lookup_fixture.h"

namespace nipc::peer::cases {
namespace {

constexpr std::uint64_t kSeed = 1;  // the servers' default --lookup-seed

Bytes cgroups_request(const std::vector<std::string>& keys) {
  Bytes out;
  (void)encode_owned(keys, &out);
  return out;
}

Bytes cgroups_answer(const std::vector<std::string>& keys) {
  OwnedCgroupsLookup answer{kSeed, {}};
  for (const std::string& k : keys) answer.items.push_back(lookup_cgroup_answer(kSeed, k));
  Bytes out;
  (void)encode_owned(answer, &out);
  return out;
}

Bytes apps_request(const std::vector<std::uint32_t>& pids) {
  Bytes out;
  (void)encode_owned(pids, &out);
  return out;
}

Bytes apps_answer(const std::vector<std::uint32_t>& pids) {
  OwnedAppsLookup answer{kSeed, {}};
  for (std::uint32_t p : pids) answer.items.push_back(lookup_pid_answer(kSeed, p));
  Bytes out;
  (void)encode_owned(answer, &out);
  return out;
}

std::vector<std::string> cgroup_keys(std::uint64_t r, std::uint64_t n) {
  std::vector<std::string> keys;
  for (std::uint64_t j = 0; j < n; ++j) keys.push_back(lookup_cgroup_key(r, j));
  return keys;
}

std::vector<std::uint32_t> pid_keys(std::uint64_t r, std::uint64_t n) {
  std::vector<std::uint32_t> keys;
  for (std::uint64_t j = 0; j < n; ++j) keys.push_back(lookup_pid_key(r, j, n));
  return keys;
}

// The IUT answers `payload` OK with exactly `want` in a non-batch response.
void expect_lookup_answer(Ctx& c, Session& s, std::uint64_t id, const Bytes& payload, const Bytes& want) {
  RawHeader h = request(c, id, payload.size());
  s.send_message(h, payload);
  Message m = s.expect_answer(h, want, "SHIM-LOOKUP-001");
  c.check(m.h.flags == 0 && m.h.item_count == 1, "LOOKUP-MSG-001",
          "lookup response is not flags 0, item_count 1");
}

void cgroups_answer_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.cgroups-answer",
      .title = "a cgroups-lookup server answers 8 keys with the generator's items, in key order, canonically encoded",
      .requirements = {"SHIM-LOOKUP-001", "LOOKUP-MSG-001", "LOOKUP-MSG-002", "LOOKUP-ENC-001"},
      .needs = {.service_kind = std::string("cgroups-lookup")},
      .run = [](Ctx& c) {
        auto s = c.open();
        for (std::uint64_t r = 0; r < 3; ++r) {
          const auto keys = cgroup_keys(r, 8);
          expect_lookup_answer(c, *s, 40 + r, cgroups_request(keys), cgroups_answer(keys));
        }
      }});
}

void apps_answer_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.apps-answer",
      .title = "an apps-lookup server answers 8 pids with the generator's items, in key order, canonically encoded",
      .requirements = {"SHIM-LOOKUP-001", "LOOKUP-MSG-001", "LOOKUP-MSG-002", "LOOKUP-ENC-001"},
      .needs = {.service_kind = std::string("apps-lookup")},
      .run = [](Ctx& c) {
        auto s = c.open();
        for (std::uint64_t r = 0; r < 3; ++r) {
          const auto pids = pid_keys(r, 8);
          expect_lookup_answer(c, *s, 50 + r, apps_request(pids), apps_answer(pids));
        }
      }});
}

void cgroups_empty_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.cgroups-empty-request",
      .title = "a cgroups-lookup request without keys is answered with the 16-byte header alone",
      .requirements = {"LOOKUP-ENC-001", "LOOKUP-MSG-002"},
      .needs = {.service_kind = std::string("cgroups-lookup")},
      .run = [](Ctx& c) {
        auto s = c.open();
        expect_lookup_answer(c, *s, 60, cgroups_request({}), cgroups_answer({}));
      }});
}

void cgroups_gapped_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.cgroups-gap-bytes",
      .title = "a cgroups-lookup request whose gap bytes are not zero is still answered",
      .requirements = {"LOOKUP-DIR-004", "SHIM-LOOKUP-001"},
      .needs = {.service_kind = std::string("cgroups-lookup")},
      .run = [](Ctx& c) {
        auto s = c.open();
        const std::vector<std::string> keys = {"/a", lookup_cgroup_key(7, 1)};
        Bytes p = cgroups_request(keys);
        p[32 + 3] = 0x5a;  // the gap after "/a\0" (header 16 + directory 16)
        expect_lookup_answer(c, *s, 61, p, cgroups_answer(keys));
      }});
}

// A request the decoder must refuse gets BAD_ENVELOPE and the session closes (SVC-DECODE-001).
void expect_refused(Ctx& c, std::uint64_t id, const Bytes& payload, std::string_view rule) {
  auto s = c.open();
  RawHeader h = request(c, id, payload.size());
  s->send_message(h, payload);
  s->expect_error(h, 1, rule);
  s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
}

void cgroups_interior_nul_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.cgroups-key-interior-nul",
      .title = "a cgroups-lookup key with a NUL inside gets BAD_ENVELOPE",
      .requirements = {"LOOKUP-CGKEY-003", "SVC-DECODE-001"},
      .needs = {.service_kind = std::string("cgroups-lookup")},
      .run = [](Ctx& c) {
        Bytes p = cgroups_request({"/ab"});
        p[24 + 1] = 0;  // "/\0b\0"
        expect_refused(c, 70, p, "LOOKUP-CGKEY-003");
      }});
}

void cgroups_empty_key_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.cgroups-key-empty",
      .title = "a cgroups-lookup key that is only a NUL gets BAD_ENVELOPE",
      .requirements = {"LOOKUP-CGKEY-001", "SVC-DECODE-001"},
      .needs = {.service_kind = std::string("cgroups-lookup")},
      .run = [](Ctx& c) {
        Bytes p = cgroups_request({"/"});
        store_u32le(p.data() + 20, 1);  // directory length 1 over a NUL: an empty path
        p[24] = 0;
        expect_refused(c, 71, p, "LOOKUP-CGKEY-001");
      }});
}

void apps_reserved_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.apps-key-reserved",
      .title = "an apps-lookup key whose reserved field is not zero gets BAD_ENVELOPE",
      .requirements = {"LOOKUP-APKEY-002", "SVC-DECODE-001"},
      .needs = {.service_kind = std::string("apps-lookup")},
      .run = [](Ctx& c) {
        Bytes p = apps_request({1, 2});
        p[32 + 8 + 4] = 1;  // key 1's reserved field (header 16 + directory 16)
        expect_refused(c, 72, p, "LOOKUP-APKEY-002");
      }});
}

void apps_request_reserved_case(Catalogue& table) {
  table.add({
      .id = "lookup.srv.apps-header-reserved",
      .title = "an apps-lookup request whose header reserved0 is not zero gets BAD_ENVELOPE",
      .requirements = {"LOOKUP-HDR-004", "SVC-DECODE-001"},
      .needs = {.service_kind = std::string("apps-lookup")},
      .run = [](Ctx& c) {
        Bytes p = apps_request({3});
        store_u32le(p.data() + 8, 1);
        expect_refused(c, 73, p, "LOOKUP-HDR-004");
      }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_lookup_server_cases(Catalogue& table) {
  cgroups_answer_case(table);
  apps_answer_case(table);
  cgroups_empty_case(table);
  cgroups_gapped_case(table);
  cgroups_interior_nul_case(table);
  cgroups_empty_key_case(table);
  apps_reserved_case(table);
  apps_request_reserved_case(table);
}

}  // namespace nipc::peer::cases
