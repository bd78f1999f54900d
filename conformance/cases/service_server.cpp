// Service cases with the IUT as server (spec/service.md): unknown methods, bad payloads and
// the response limit.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"
#include "server_exchange.h"
#include <string>
#include "nipc/codec/cgroups_snapshot.h"

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
    // Growth past the configured 64 is seed behaviour (SVC-GROWTH-002); at newest 64 is the
    // ceiling, checked by svc.srv.newest-configured-response-stays.
    .requirements = {"SVC-RESPLIMIT-001", "SVC-GROWTH-001", "SVC-GROWTH-002", "ENV-LIMIT-003", "SVC-ERRRESP-001"},
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

std::uint64_t pow2_at_least(std::uint64_t n) {
  std::uint64_t p = 16;
  while (p < n) p <<= 1;
  return p;
}

std::uint64_t align64_of(std::uint64_t n) { return (n + 63) / 64 * 64; }

// A HELLO whose response hint is tiny: the response limit is the server's to decide
// (HS-RESP-001), so a learned value must show up whatever the client hints.
RawHello small_hint_hello(const Ctx& c) {
  RawHello h = c.hello();
  h.max_response_payload = 16;
  return h;
}

void growth_persists(Catalogue& table) {
  table.add({
      .id = "svc.srv.response-growth-persists",
      .title = "a response limit grown after LIMIT_EXCEEDED serves the repeated call on the next session and stays for every later session",
      .requirements = {"SVC-LEARN-001", "SVC-RESPLIMIT-001", "SVC-GROWTH-001", "SVC-GROWTH-002", "SVC-ERRRESP-001"},
      .needs = {.service_kind = std::string("string-reverse"), .max_response_payload = 64u},
      .run = [](Ctx& c) {
        auto s = c.open();
        c.check(s->ack().response_payload == 64, "SVC-LEARN-001",
                "the first session's response limit is " + std::to_string(s->ack().response_payload) +
                    ", not the configured 64");
        std::string text(100, 'g');
        text[7] = 'h';
        Bytes p = string_payload(text);  // the answer is 109 bytes, above 64
        Bytes answer = string_payload(std::string(text.rbegin(), text.rend()));
        RawHeader h = request(c, 71, p.size());
        s->send_message(h, p);
        s->expect_error(h, 5, "SVC-RESPLIMIT-001");
        s->expect_closed("SVC-RESPLIMIT-001", "the server closes after refusing an oversized response");
        const std::uint64_t grown = pow2_at_least(answer.size());  // 128
        for (int i = 0; i < 3; ++i) {
          auto next = c.connect();
          auto ack = next->accept(small_hint_hello(c), "SVC-LEARN-001");
          c.check(ack.a.response_payload >= grown, i == 0 ? "SVC-GROWTH-001" : "SVC-LEARN-001",
                  "session " + std::to_string(i + 2) + " after a " + std::to_string(answer.size()) +
                      "-byte response did not fit grants " + std::to_string(ack.a.response_payload) +
                      " response bytes, below next_pow2(" + std::to_string(answer.size()) + ") = " +
                      std::to_string(grown));
          RawHeader again = request(c, 72 + i, p.size());
          next->send_message(again, p);
          next->expect_answer(again, answer, "SVC-LEARN-001");
          next->close();
        }
      }});
}

void builder_overflow(Catalogue& table) {
  table.add({
      .id = "svc.srv.builder-overflow",
      .title = "a snapshot larger than the room it is built in is LIMIT_EXCEEDED, the session closes, and each next session grants at least twice the limit until the snapshot arrives",
      .requirements = {"SVC-BUILDER-001", "SVC-GROWTH-001", "SVC-GROWTH-002", "SVC-LEARN-001", "SVC-ERRRESP-001"},
      .needs = {.service_kind = std::string("cgroups-snapshot"), .max_response_payload = 1024u},
      .run = [](Ctx& c) {
        // The snapshot of the run's generator (16 items by default) is several KiB: more than
        // 1024 bytes of room, so the first sessions overflow. Every growth rule of the spec
        // doubles a power-of-two limit at least, so 8 sessions reach 2^8 × 1024.
        std::uint64_t limit = 0;
        int overflows = 0;
        for (int attempt = 1; attempt <= 8; ++attempt) {
          auto s = c.connect();
          auto ack = s->accept(small_hint_hello(c), "SVC-BUILDER-001");
          if (attempt == 1) {
            c.check(ack.a.response_payload == 1024, "SVC-LEARN-001",
                    "the first session's response limit is " + std::to_string(ack.a.response_payload) +
                        ", not the configured 1024");
          } else {
            c.check(ack.a.response_payload >= 2 * limit, "SVC-BUILDER-001",
                    "after LIMIT_EXCEEDED on a " + std::to_string(limit) + "-byte limit, session " +
                        std::to_string(attempt) + " grants " + std::to_string(ack.a.response_payload) +
                        ", below twice the old limit (" + std::to_string(2 * limit) + ")");
          }
          limit = ack.a.response_payload;
          Bytes req{1, 0, 0, 0};
          RawHeader h = request(c, 80 + attempt, req.size());
          s->send_message(h, req);
          Message m = s->expect_message("SVC-BUILDER-001", "the answer to the snapshot request");
          if (m.h.status == 5) {
            ++overflows;
            c.check(m.h.kind == 2 && m.h.code == 2 && m.h.message_id == h.message_id && m.h.flags == 0 &&
                        m.h.item_count == 1 && m.payload.empty(),
                    "SVC-ERRRESP-001", "the LIMIT_EXCEEDED answer is not kind 2, code 2, the request's id, flags 0, item_count 1, empty");
            s->expect_closed("SVC-BUILDER-001", "the server closes after a builder overflow");
            continue;
          }
          if (m.h.status != 0)
            c.fail("SVC-BUILDER-001", "the snapshot request was answered with status " +
                                          std::to_string(m.h.status) + ", neither OK nor LIMIT_EXCEEDED");
          auto view = decode_snapshot(m.payload);
          c.check(view.ok() && view->size() == c.cfg().snapshot_items, "SVC-BUILDER-001",
                  "the snapshot that finally arrived does not decode to " +
                      std::to_string(c.cfg().snapshot_items) + " items");
          c.check(overflows > 0, "SVC-BUILDER-001",
                  "the snapshot fit 1024 bytes at once: the case needs a larger one (snapshot_items)");
          c.note("served after " + std::to_string(overflows) + " LIMIT_EXCEEDED answers, limit " +
                 std::to_string(limit) + ", " + std::to_string(m.payload.size()) + " bytes");
          return;
        }
        c.fail("SVC-BUILDER-001", "8 sessions, each answered LIMIT_EXCEEDED: the limit never grew enough");
      }});
}

void region_from_learned(Catalogue& table) {
  table.add({
      .id = "svc.srv.region-sized-from-learned",
      .title = "after the response limit grew, the next session's region belongs to its session_id and its response area holds the grown limit",
      .requirements = {"SVC-LEARN-001", "SHM-SIZE-001", "SVC-RESPLIMIT-001", "SVC-GROWTH-002"},
      .on = kOnShm,
      .needs = {.service_kind = std::string("string-reverse"), .max_response_payload = 64u},
      .run = [](Ctx& c) {
        auto s = c.open();
        std::string text(300, 'r');
        Bytes p = string_payload(text);  // a 309-byte answer, above 64
        RawHeader h = request(c, 91, p.size());
        s->send_message(h, p);
        s->expect_error(h, 5, "SVC-RESPLIMIT-001");
        s->expect_closed("SVC-RESPLIMIT-001", "the server closes after refusing an oversized response");
        // How much the limit grows is svc.srv.response-growth-persists' business; here it must
        // have grown, and the region must be sized from what was granted.
        auto next = c.connect();
        auto ack = next->accept(small_hint_hello(c), "SVC-LEARN-001");  // opens the session's region
        const std::uint32_t granted = ack.a.response_payload;
        c.check(granted > 64, "SVC-RESPLIMIT-001",
                "the session after a 309-byte response did not fit grants " + std::to_string(granted) +
                    " response bytes, no more than before");
        Region* r = next->region();
        auto hdr = r->header();
        c.check(hdr.response_capacity >= align64_of(std::uint64_t{granted} + 32), "SHM-SIZE-001",
                "the region of session " + std::to_string(ack.a.session_id) + " has a response area of " +
                    std::to_string(hdr.response_capacity) + " bytes for a grown limit of " + std::to_string(granted));
        c.check(hdr.request_capacity >= align64_of(std::uint64_t{ack.a.request_payload} + 32), "SHM-SIZE-001",
                "the region's request area of " + std::to_string(hdr.request_capacity) +
                    " bytes is below 32 + the agreed request limit " + std::to_string(ack.a.request_payload));
        // An answer of exactly the granted size travels through the grown response area.
        std::string fits(granted >= 9 ? granted - 9 : 0, 'f');
        fits[0] = 'F';
        RawHeader again = request(c, 92, fits.size() + 9);
        next->send_message(again, string_payload(fits));
        next->expect_answer(again, string_payload(std::string(fits.rbegin(), fits.rend())), "SVC-LEARN-001");
      }});
}

// ---------------------------------------------------------------------------------------
// The growth ceiling at newest (SVC-GROWTH-003): a configured response limit is never passed,
// an unconfigured server grows up to 1 MiB.

void configured_response_stays(Catalogue& table) {
  table.add({
      .id = "svc.srv.newest-configured-response-stays",
      .title = "at newest a server configured with a 64-byte response limit answers a larger response LIMIT_EXCEEDED and every later session still grants 64",
      .requirements = {"SVC-GROWTH-003", "SVC-RESPLIMIT-001", "SVC-LEARN-001", "SVC-ERRRESP-001"},
      .needs = {.service_kind = std::string("string-reverse"), .max_response_payload = 64u},
      .run = [](Ctx& c) {
        auto s = c.open();
        c.check(s->ack().response_payload == 64, "SVC-LEARN-001",
                "the first session's response limit is " + std::to_string(s->ack().response_payload) +
                    ", not the configured 64");
        std::string text(100, 'c');
        text[5] = 'C';
        Bytes p = string_payload(text);  // the answer is 109 bytes, above the ceiling 64
        RawHeader h = request(c, 101, p.size());
        s->send_message(h, p);
        s->expect_error(h, kStatusLimitExceeded, "SVC-RESPLIMIT-001");
        s->expect_closed("SVC-RESPLIMIT-001", "the server closes after refusing an oversized response");
        for (int i = 0; i < 2; ++i) {
          auto next = c.connect();
          auto ack = next->accept(small_hint_hello(c), "SVC-LEARN-001");
          c.check(ack.a.response_payload == 64, "SVC-GROWTH-003",
                  "session " + std::to_string(i + 2) + " after a 109-byte response did not fit grants " +
                      std::to_string(ack.a.response_payload) + " response bytes; the configured 64 is the ceiling");
          // What still fits is served; the same oversized answer is refused again.
          std::string small(55, 's');
          small[1] = 'S';
          RawHeader fits = request(c, 102 + 2 * i, 64);
          next->send_message(fits, string_payload(small));
          next->expect_answer(fits, string_payload(std::string(small.rbegin(), small.rend())), "SVC-LEARN-001");
          RawHeader again = request(c, 103 + 2 * i, p.size());
          next->send_message(again, p);
          next->expect_error(again, kStatusLimitExceeded, "SVC-GROWTH-003");
          next->expect_closed("SVC-RESPLIMIT-001", "the server closes after refusing an oversized response");
        }
      }});
}

void builder_overflow_stays(Catalogue& table) {
  table.add({
      .id = "svc.srv.newest-builder-overflow-stays",
      .title = "at newest a snapshot larger than a configured 1024-byte response limit is LIMIT_EXCEEDED in every session and the limit stays 1024",
      .requirements = {"SVC-GROWTH-003", "SVC-BUILDER-001", "SVC-LEARN-001", "SVC-ERRRESP-001"},
      .needs = {.service_kind = std::string("cgroups-snapshot"), .max_response_payload = 1024u},
      // The probe's valid request is this same snapshot, which a correct server refuses for
      // good here; the three sessions below already show the server alive and serving.
      .probe = false,
      .run = [](Ctx& c) {
        // The run's snapshot (16 items by default) is several KiB: above 1024, so it never fits.
        for (int attempt = 1; attempt <= 3; ++attempt) {
          auto s = c.connect();
          auto ack = s->accept(small_hint_hello(c), "SVC-BUILDER-001");
          c.check(ack.a.response_payload == 1024, attempt == 1 ? "SVC-LEARN-001" : "SVC-GROWTH-003",
                  "session " + std::to_string(attempt) + " grants " + std::to_string(ack.a.response_payload) +
                      " response bytes; the configured 1024 is both start and ceiling");
          Bytes req{1, 0, 0, 0};
          RawHeader h = request(c, 110 + attempt, req.size());
          s->send_message(h, req);
          Message m = s->expect_message("SVC-BUILDER-001", "the answer to the snapshot request");
          if (m.h.status == 0)
            c.fail("SVC-GROWTH-003", "the snapshot (" + std::to_string(m.payload.size()) +
                                         " bytes) was served on a session granted " +
                                         std::to_string(ack.a.response_payload) +
                                         " bytes: the case needs a snapshot above 1024 (snapshot_items)");
          if (m.h.status != kStatusLimitExceeded)
            c.fail("SVC-BUILDER-001", "the snapshot request was answered with status " +
                                          std::to_string(m.h.status) + ", not LIMIT_EXCEEDED");
          c.check(m.h.kind == 2 && m.h.code == 2 && m.h.message_id == h.message_id && m.h.flags == 0 &&
                      m.h.item_count == 1 && m.payload.empty(),
                  "SVC-ERRRESP-001", "the LIMIT_EXCEEDED answer is not kind 2, code 2, the request's id, flags 0, item_count 1, empty");
          s->expect_closed("SVC-BUILDER-001", "the server closes after a builder overflow");
        }
      }});
}

void unconfigured_response_grows(Catalogue& table) {
  table.add({
      .id = "svc.srv.newest-unconfigured-response-grows",
      .title = "at newest a server without a configured response limit grows it past its first limit after LIMIT_EXCEEDED and keeps the grown limit",
      .requirements = {"SVC-GROWTH-003", "SVC-RESPLIMIT-001", "SVC-LEARN-001", "SHM-SIZE-001"},
      // 0: no response limit configured (spec/shim-contract.md); the request limit is
      // configured so that a request as large as the first response limit gets through.
      .needs = {.service_kind = std::string("string-reverse"), .max_request_payload = 1048576u,
                .max_response_payload = 0u},
      .run = [](Ctx& c) {
        RawHello hello = small_hint_hello(c);
        auto s = c.connect();
        auto first = s->accept(hello, "SVC-LEARN-001");
        const std::uint32_t start = first.a.response_payload;
        // The answer is the text plus 9 bytes of framing: one byte above the first limit.
        const std::uint64_t answer_size = std::uint64_t{start} + 1;
        if (answer_size > 1048576)
          c.not_applicable("the first response limit is " + std::to_string(start) +
                           " bytes: no response above it stays within the 1 MiB ceiling");
        const std::uint64_t grown = pow2_at_least(answer_size);
        c.note("first response limit " + std::to_string(start) + ", expected growth to " + std::to_string(grown));
        std::string text(answer_size - 9, 'u');
        text[2] = 'U';
        Bytes p = string_payload(text);
        hello.max_request_payload = static_cast<std::uint32_t>(p.size());
        s->close();
        s = c.connect();
        auto ack = s->accept(hello, "SVC-LEARN-001");
        c.check(ack.a.response_payload == start, "SVC-LEARN-001",
                "a second session before any overflow grants " + std::to_string(ack.a.response_payload) +
                    " response bytes, not the first " + std::to_string(start));
        RawHeader h = request(c, 121, p.size());
        s->send_message(h, p);
        s->expect_error(h, kStatusLimitExceeded, "SVC-RESPLIMIT-001");
        s->expect_closed("SVC-RESPLIMIT-001", "the server closes after refusing an oversized response");
        Bytes answer = string_payload(std::string(text.rbegin(), text.rend()));
        for (int i = 0; i < 2; ++i) {
          auto next = c.connect();
          auto a = next->accept(hello, "SVC-LEARN-001");
          c.check(a.a.response_payload >= grown && a.a.response_payload <= 1048576, i == 0 ? "SVC-GROWTH-003" : "SVC-LEARN-001",
                  "after a " + std::to_string(answer_size) + "-byte response did not fit, session " +
                      std::to_string(i + 3) + " of an unconfigured server grants " +
                      std::to_string(a.a.response_payload) + " response bytes, not between next_pow2 = " +
                      std::to_string(grown) + " and the 1 MiB ceiling");
          if (next->on_shm()) {
            const std::uint64_t area = next->region()->header().response_capacity;
            c.check(area >= align64_of(std::uint64_t{a.a.response_payload} + 32), "SHM-SIZE-001",
                    "the region of session " + std::to_string(a.a.session_id) + " has a response area of " +
                        std::to_string(area) + " bytes for a grown limit of " +
                        std::to_string(a.a.response_payload));
          }
          RawHeader again = request(c, 122 + i, p.size());
          next->send_message(again, p);
          next->expect_answer(again, answer, "SVC-LEARN-001");
          next->close();
        }
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
  growth_persists(table);
  builder_overflow(table);
  region_from_learned(table);
  configured_response_stays(table);
  builder_overflow_stays(table);
  unconfigured_response_grows(table);
}

}  // namespace nipc::peer::cases
