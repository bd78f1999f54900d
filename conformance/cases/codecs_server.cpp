// Method codec cases with the IUT as server (spec/codecs.md): INCREMENT, STRING_REVERSE and
// CGROUPS_SNAPSHOT values, good and malformed.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"
#include "server_exchange.h"

namespace nipc::peer::cases {
namespace {

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
      s->expect_error(h, kStatusBadEnvelope, "SVC-DECODE-001");
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
      c.check(m.h.status == kStatusBadEnvelope, "CODEC-STR-002", "str_offset 9 was accepted (status " + status_name(m.h.status) + ")");
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
      s->expect_error(h, kStatusBadEnvelope, "SVC-DECODE-001");
      s->expect_closed("SVC-DECODE-001", "the server closes after BAD_ENVELOPE");
    }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_codecs_server_cases(Catalogue& table) {
  inc_values(table);
  str_values(table);
  str_missing_nul(table);
  str_bad_offset(table);
  snapshot(table);
  snapshot_bad(table);
}

}  // namespace nipc::peer::cases
