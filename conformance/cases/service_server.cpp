// Service cases with the IUT as server (spec/service.md): unknown methods, bad payloads and
// the response limit.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"
#include "server_exchange.h"

namespace nipc::peer::cases {
namespace {

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
        s->expect_error(h, kStatusUnsupported, "SVC-KIND-001");
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
      s->expect_error(h, kStatusBadEnvelope, "SVC-DECODE-001");
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
      s->expect_error(h, kStatusBadEnvelope, "SVC-DECODE-001");
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
      s->expect_error(h, kStatusLimitExceeded, "SVC-RESPLIMIT-001");
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

}  // namespace

/// Every case of this file, in the order they are written.
void add_service_server_cases(Catalogue& table) {
  wrong_method(table);
  bad_payload(table);
  empty_payload(table);
  resp_limit(table);
  resp_at_limit(table);
}

}  // namespace nipc::peer::cases
