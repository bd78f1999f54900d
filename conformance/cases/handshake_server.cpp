// Handshake cases with the IUT as server (spec/handshake.md): one HELLO field wrong at a time,
// the rest valid; check order; decisions field by field; session ids; malformed first packets.
#include <functional>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {
namespace {

using Mutate = std::function<void(Ctx&, RawHello&, RawHeader&)>;

// ---------------------------------------------------------------------------------------
// Rejections: the HELLO is complete and recognisable, one thing is wrong, the server answers
// with a rejection ACK and closes.

struct RejectRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::uint16_t status;
  Mutate mutate;
};

std::uint64_t flip(std::uint64_t v, int bit) { return v ^ (std::uint64_t{1} << bit); }
std::uint32_t no_common(const Ctx& c) { return 0x07u & ~server_offer(c); }

const std::vector<RejectRow>& reject_rows() {
  static const std::vector<RejectRow> rows = {
      {"layout-0", "HELLO layout_version 0 is INCOMPATIBLE", {"HS-HELLO-LAYOUT-001", "HS-REJECT-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.layout_version = 0; }},
      {"layout-2", "HELLO layout_version 2 is INCOMPATIBLE", {"HS-HELLO-LAYOUT-001", "HS-REJECT-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.layout_version = 2; }},
      {"layout-ffff", "HELLO layout_version 0xFFFF is INCOMPATIBLE", {"HS-HELLO-LAYOUT-001", "HS-REJECT-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.layout_version = 0xFFFF; }},
      {"flags-0001", "HELLO flags 0x0001 are BAD_ENVELOPE", {"HS-HELLO-FLAGS-001", "HS-REJECT-001"}, kStatusBadEnvelope,
       [](Ctx&, RawHello& h, RawHeader&) { h.flags = 0x0001; }},
      {"flags-8000", "HELLO flags 0x8000 are BAD_ENVELOPE", {"HS-HELLO-FLAGS-001", "HS-REJECT-001"}, kStatusBadEnvelope,
       [](Ctx&, RawHello& h, RawHeader&) { h.flags = 0x8000; }},
      {"reserved-1", "HELLO reserved 0x00000001 is BAD_ENVELOPE", {"HS-HELLO-RESERVED-001", "HS-REJECT-001"}, kStatusBadEnvelope,
       [](Ctx&, RawHello& h, RawHeader&) { h.reserved = 1; }},
      {"reserved-ffffffff", "HELLO reserved 0xFFFFFFFF is BAD_ENVELOPE", {"HS-HELLO-RESERVED-001", "HS-REJECT-001"}, kStatusBadEnvelope,
       [](Ctx&, RawHello& h, RawHeader&) { h.reserved = 0xFFFFFFFF; }},
      {"auth-zero", "auth token 0 is AUTH_FAILED", {"HS-AUTH-001", "HS-REJECT-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token = 0; }},
      {"auth-bit0", "auth token with its lowest bit flipped is AUTH_FAILED", {"HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token = flip(h.auth_token, 0); }},
      {"auth-bit63", "auth token with its highest bit flipped is AUTH_FAILED", {"HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token = flip(h.auth_token, 63); }},
      {"auth-high-word", "auth token equal in its low 32 bits only is AUTH_FAILED", {"HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token ^= 0x0000000100000000ull; }},
      {"auth-ones", "auth token 0xFFFFFFFFFFFFFFFF is AUTH_FAILED", {"HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token = ~std::uint64_t{0}; }},
      {"auth-other-run", "a valid token of another run is AUTH_FAILED", {"HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx& c, RawHello& h, RawHeader&) { h.auth_token = c.cfg().other_token; }},
      {"prof-none-common", "no common profile is UNSUPPORTED", {"HS-PROF-001", "HS-REJECT-001"}, kStatusUnsupported,
       [](Ctx& c, RawHello& h, RawHeader&) { h.supported = no_common(c); h.preferred = 0; }},
      {"prof-only-waitaddr", "offering only the reserved 0x08 is UNSUPPORTED", {"HS-PROF-001", "PROF-WAITADDR-001"}, kStatusUnsupported,
       [](Ctx&, RawHello& h, RawHeader&) { h.supported = 0x08; h.preferred = 0x08; }},
      {"prof-only-unknown", "offering only undefined bits is UNSUPPORTED", {"HS-PROF-001", "PROF-UNKNOWN-001"}, kStatusUnsupported,
       [](Ctx&, RawHello& h, RawHeader&) { h.supported = 0xFFFFFF00u; h.preferred = 0; }},
      {"req-max-plus-1", "request proposal one above the configured maximum is LIMIT_EXCEEDED", {"HS-REQ-001", "HS-REJECT-001"}, kStatusLimitExceeded,
       [](Ctx& c, RawHello& h, RawHeader&) { h.max_request_payload = c.cfg().max_request_payload + 1; }},
      {"req-u32-max", "request proposal 0xFFFFFFFF is LIMIT_EXCEEDED", {"HS-REQ-001"}, kStatusLimitExceeded,
       [](Ctx&, RawHello& h, RawHeader&) { h.max_request_payload = 0xFFFFFFFF; }},
      {"pkt-32", "packet_size 32 is INCOMPATIBLE", {"HS-PKT-002", "HS-REJECT-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.packet_size = 32; }},
      {"pkt-0", "packet_size 0 is INCOMPATIBLE", {"HS-PKT-002"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.packet_size = 0; }},
      {"pkt-1", "packet_size 1 is INCOMPATIBLE", {"HS-PKT-002"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.packet_size = 1; }},
      {"version-2", "a HELLO-shaped header of envelope version 2 is INCOMPATIBLE", {"HS-VERSION-001", "HS-REJECT-001"}, kStatusIncompatible,
       [](Ctx&, RawHello&, RawHeader& hh) { hh.version = 2; }},
      {"version-0", "a HELLO-shaped header of envelope version 0 is INCOMPATIBLE", {"HS-VERSION-001"}, kStatusIncompatible,
       [](Ctx&, RawHello&, RawHeader& hh) { hh.version = 0; }},
      {"version-ffff", "a HELLO-shaped header of envelope version 0xFFFF is INCOMPATIBLE", {"HS-VERSION-001"}, kStatusIncompatible,
       [](Ctx&, RawHello&, RawHeader& hh) { hh.version = 0xFFFF; }},
      // Check order (HS-ORDER-001): two faults, the earlier check decides.
      {"order-version-before-auth", "version 2 and a wrong token: INCOMPATIBLE (header first)", {"HS-ORDER-001", "HS-VERSION-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader& hh) { hh.version = 2; h.auth_token = 0; }},
      {"order-layout-before-auth", "layout 2 and a wrong token: INCOMPATIBLE", {"HS-ORDER-001", "HS-HELLO-LAYOUT-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.layout_version = 2; h.auth_token = 0; }},
      {"order-layout-before-flags", "layout 2 and flags 1: INCOMPATIBLE", {"HS-ORDER-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.layout_version = 2; h.flags = 1; }},
      {"order-layout-before-reserved", "layout 2 and reserved 1: INCOMPATIBLE", {"HS-ORDER-001"}, kStatusIncompatible,
       [](Ctx&, RawHello& h, RawHeader&) { h.layout_version = 2; h.reserved = 1; }},
      {"order-flags-before-auth", "flags 1 and a wrong token: BAD_ENVELOPE", {"HS-ORDER-001", "HS-HELLO-FLAGS-001"}, kStatusBadEnvelope,
       [](Ctx&, RawHello& h, RawHeader&) { h.flags = 1; h.auth_token = 0; }},
      {"order-reserved-before-auth", "reserved 1 and a wrong token: BAD_ENVELOPE", {"HS-ORDER-001", "HS-HELLO-RESERVED-001"}, kStatusBadEnvelope,
       [](Ctx&, RawHello& h, RawHeader&) { h.reserved = 1; h.auth_token = 0; }},
      {"order-auth-before-profiles", "wrong token and no common profile: AUTH_FAILED", {"HS-ORDER-001", "HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx& c, RawHello& h, RawHeader&) { h.auth_token = 0; h.supported = no_common(c); h.preferred = 0; }},
      {"order-auth-before-limit", "wrong token and a proposal above the maximum: AUTH_FAILED", {"HS-ORDER-001", "HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token = 0; h.max_request_payload = 0xFFFFFFFF; }},
      {"order-auth-before-packet", "wrong token and packet_size 32: AUTH_FAILED", {"HS-ORDER-001", "HS-AUTH-001"}, kStatusAuthFailed,
       [](Ctx&, RawHello& h, RawHeader&) { h.auth_token = 0; h.packet_size = 32; }},
      {"order-profiles-before-limit", "no common profile and a proposal above the maximum: UNSUPPORTED", {"HS-ORDER-001", "HS-PROF-001"}, kStatusUnsupported,
       [](Ctx& c, RawHello& h, RawHeader&) { h.supported = no_common(c); h.preferred = 0; h.max_request_payload = 0xFFFFFFFF; }},
      {"order-profiles-before-packet", "no common profile and packet_size 32: UNSUPPORTED", {"HS-ORDER-001", "HS-PROF-001"}, kStatusUnsupported,
       [](Ctx& c, RawHello& h, RawHeader&) { h.supported = no_common(c); h.preferred = 0; h.packet_size = 32; }},
      {"order-limit-before-packet", "a proposal above the maximum and packet_size 32: LIMIT_EXCEEDED", {"HS-ORDER-001", "HS-REQ-001"}, kStatusLimitExceeded,
       [](Ctx&, RawHello& h, RawHeader&) { h.max_request_payload = 0xFFFFFFFF; h.packet_size = 32; }},
  };
  return rows;
}

void register_rejects(Catalogue& table) {
  for (const RejectRow& row : reject_rows()) {
    table.add({.id = std::string("hs.srv.") + row.id,
               .title = row.title,
               .role = Role::kServer,
               .requirements = row.reqs,
               .run = [&row](Ctx& c) {
                 RawHello h = c.hello();
                 RawHeader hh = hello_header();
                 row.mutate(c, h, hh);
                 c.connect()->reject(hello_packet(h, hh), row.status, row.reqs.front());
               }});
  }
}

// ---------------------------------------------------------------------------------------
// First packets that are not a recognisable HELLO: the server closes without a reply.

struct SilentRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::function<Packet(Ctx&)> build;
};

Packet valid_hello(Ctx& c) { return hello_packet(c.hello()); }

Packet with_header(Ctx& c, const std::function<void(RawHeader&)>& f) {
  RawHeader hh = hello_header();
  f(hh);
  return hello_packet(c.hello(), hh);
}

const std::vector<SilentRow>& silent_rows() {
  static const std::vector<SilentRow> rows = {
      {"request-before-hello", "a REQUEST as the first packet", {"HS-NOTHELLO-001", "HS-FLOW-001"},
       [](Ctx& c) {
         auto [payload, answer] = c.sample_request(1);
         return message_packet(request(c, 1, payload.size()), payload);
       }},
      {"response-first", "a RESPONSE as the first packet", {"HS-NOTHELLO-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.kind = 2; }); }},
      {"ack-first", "a HELLO_ACK (CONTROL code 2) as the first packet", {"HS-NOTHELLO-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.code = 2; }); }},
      {"control-code-0", "CONTROL code 0 as the first packet", {"HS-NOTHELLO-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.code = 0; }); }},
      {"control-code-3", "CONTROL code 3 as the first packet", {"HS-NOTHELLO-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.code = 3; }); }},
      {"bad-magic", "wrong magic in an otherwise valid HELLO", {"HS-NOTHELLO-001", "ENV-MAGIC-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.magic = 0x4e495044; }); }},
      {"zero-magic", "76 bytes starting 00 00 00 00", {"HS-NOTHELLO-001", "ENV-MAGIC-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.magic = 0; }); }},
      {"header-len-40", "header_len 40 in an otherwise valid HELLO", {"HS-NOTHELLO-001", "ENV-HDRLEN-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.header_len = 40; }); }},
      {"kind-0", "kind 0 in an otherwise valid HELLO", {"HS-NOTHELLO-001", "ENV-KIND-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.kind = 0; }); }},
      {"kind-4", "kind 4 in an otherwise valid HELLO", {"HS-NOTHELLO-001", "ENV-KIND-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.kind = 4; }); }},
      {"version-2-request", "version 2 on a REQUEST header is not HELLO-shaped: silent", {"HS-NOTHELLO-001", "HS-VERSION-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.version = 2; h.kind = 1; }); }},
      {"version-2-header-len-40", "version 2 with header_len 40 is not HELLO-shaped: silent", {"HS-NOTHELLO-001", "HS-VERSION-001"},
       [](Ctx& c) { return with_header(c, [](RawHeader& h) { h.version = 2; h.header_len = 40; }); }},
      {"short-20", "a 20-byte first packet", {"HS-NOTHELLO-001", "ENV-LEN-001"},
       [](Ctx& c) { return valid_hello(c).prefix(20); }},
      {"header-only", "a HELLO header with no payload bytes", {"HS-HELLO-LEN-001"},
       [](Ctx& c) { return valid_hello(c).prefix(32); }},
      {"hello-43", "a HELLO with 43 payload bytes", {"HS-HELLO-LEN-001"},
       [](Ctx& c) { return valid_hello(c).prefix(75); }},
  };
  return rows;
}

void register_silent(Catalogue& table) {
  for (const SilentRow& row : silent_rows()) {
    table.add({.id = std::string("hs.srv.") + row.id,
               .title = std::string(row.title) + ": close without reply",
               .role = Role::kServer,
               .requirements = row.reqs,
               .run = [&row](Ctx& c) { c.connect()->silent_close(row.build(c), row.reqs.front()); }});
  }
}

// ---------------------------------------------------------------------------------------
// Successful handshakes: each negotiated field follows its rule.

struct AcceptRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  unsigned on;
  Needs needs;
  std::function<void(Ctx&, RawHello&)> mutate;
  std::function<void(Ctx&, const RawHello&, const RawAck&)> check;  // extra checks
};

const std::vector<AcceptRow>& accept_rows() {
  static const std::vector<AcceptRow> rows = {
      {"accept-valid", "a valid HELLO is accepted and every ACK field follows its rule",
       {"HS-FLOW-001", "HS-ACK-HDR-001", "HS-PROF-003", "HS-REQ-002", "HS-BATCH-001", "HS-RESP-001", "HS-PKT-001", "UDS-PATH-001"},
       kOnAny, {}, nullptr, nullptr},
      {"hello-extra-8", "8 bytes after the 44-byte HELLO are ignored", {"HS-HELLO-LEN-001"}, kOnAny, {}, nullptr, nullptr},
      {"req-1", "request proposal 1 is echoed", {"HS-REQ-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_payload = 1; }, nullptr},
      {"req-max", "request proposal equal to the configured maximum is echoed", {"HS-REQ-001", "HS-REQ-002"}, kOnAny,
       {.max_request_payload = 65536u},
       [](Ctx& c, RawHello& h) { h.max_request_payload = c.cfg().max_request_payload; }, nullptr},
      {"req-max-default", "request proposal of 1 MiB is echoed by a server with the default maximum", {"HS-REQ-001", "HS-REQ-002"}, kOnAny,
       {.max_request_payload = 1048576u},
       [](Ctx&, RawHello& h) { h.max_request_payload = 1048576; }, nullptr},
      {"batch-1", "request batch proposal 1 is echoed, response batch equal", {"HS-BATCH-001", "HS-BATCH-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_batch = h.max_response_batch = 1; }, nullptr},
      {"batch-1000", "request batch proposal 1000 is echoed, response batch equal", {"HS-BATCH-001", "HS-BATCH-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_batch = h.max_response_batch = 1000; }, nullptr},
      {"batch-u32-max", "request batch proposal 0xFFFFFFFF is echoed, response batch equal", {"HS-BATCH-001", "HS-BATCH-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_batch = h.max_response_batch = 0xFFFFFFFF; }, nullptr},
      {"batch-hint-9", "response batch hint 9 with request batch 4: response batch 4", {"HS-BATCH-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_batch = 4; h.max_response_batch = 9; }, nullptr},
      {"batch-hint-0", "response batch hint 0 with request batch 4: response batch 4", {"HS-BATCH-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_batch = 4; h.max_response_batch = 0; }, nullptr},
      {"batch-hint-u32-max", "response batch hint 0xFFFFFFFF with request batch 4: response batch 4", {"HS-BATCH-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_request_batch = 4; h.max_response_batch = 0xFFFFFFFF; }, nullptr},
      {"resp-hint-1", "response hint 1 is ignored: the server's own limit", {"HS-RESP-001"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_response_payload = 1; }, nullptr},
      {"resp-hint-0", "response hint 0 is ignored: the server's own limit", {"HS-RESP-001"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_response_payload = 0; }, nullptr},
      {"resp-hint-u32-max", "response hint 0xFFFFFFFF is ignored: the server's own limit", {"HS-RESP-001"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.max_response_payload = 0xFFFFFFFF; }, nullptr},
      {"pkt-above-server", "packet_size above the server's: the server's size", {"HS-PKT-001"}, kOnAny, {.packet_size = 4096u},
       [](Ctx& c, RawHello& h) { h.packet_size = c.cfg().packet_size + 1; }, nullptr},
      {"pkt-below-server", "packet_size below the server's: the proposal", {"HS-PKT-001"}, kOnAny, {.packet_size = 4096u},
       [](Ctx& c, RawHello& h) { h.packet_size = c.cfg().packet_size - 1; }, nullptr},
      {"pkt-u32-max", "packet_size 0xFFFFFFFF: the server's size", {"HS-PKT-001"}, kOnAny, {.packet_size = 4096u},
       [](Ctx&, RawHello& h) { h.packet_size = 0xFFFFFFFF; }, nullptr},
      {"prof-unknown-bits", "undefined bits in supported_profiles are simply outside the intersection", {"PROF-UNKNOWN-001", "HS-PROF-001"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.supported |= 0xFFFFFF00u; }, nullptr},
      {"prof-waitaddr-offered", "a client offering and preferring 0x08 never gets it", {"PROF-WAITADDR-001", "HS-PROF-002"}, kOnAny, {},
       [](Ctx&, RawHello& h) { h.supported |= 0x08; h.preferred = 0x08; },
       [](Ctx& c, const RawHello&, const RawAck& a) {
         c.check(a.selected != 0x08 && (a.server_supported & 0x08) == 0 && (a.intersection & 0x08) == 0,
                 "PROF-WAITADDR-001", "0x08 advertised, intersected or selected");
       }},
      {"prof-baseline-only", "a baseline-only server selects 0x01 whatever the client prefers", {"HS-PROF-002", "HS-PROF-003"}, kOnUds, {},
       [](Ctx&, RawHello& h) { h.supported = 0x07; h.preferred = 0x06; }, nullptr},
      {"prof-common-pref", "the common preference wins over the highest bit", {"HS-PROF-002", "PROF-BITS-001"}, kOnShm,
       {.profiles = 0x07u, .preferred = 0x06u},
       [](Ctx&, RawHello& h) { h.supported = 0x07; h.preferred = 0x02; }, nullptr},
      {"prof-highest-pref", "the highest common preferred bit is selected", {"HS-PROF-002"}, kOnShm,
       {.profiles = 0x07u, .preferred = 0x06u},
       [](Ctx&, RawHello& h) { h.supported = 0x07; h.preferred = 0x06; }, nullptr},
      {"prof-no-common-pref", "without a common preference the highest common bit is selected", {"HS-PROF-002"}, kOnShm,
       {.profiles = 0x07u, .preferred = 0x06u},
       [](Ctx&, RawHello& h) { h.supported = 0x07; h.preferred = 0x01; }, nullptr},
      {"prof-partial-offer", "the intersection of 0x03 with 0x07 selects 0x02", {"HS-PROF-001", "HS-PROF-002", "HS-PROF-003"}, kOnShm,
       {.profiles = 0x07u, .preferred = 0x06u},
       [](Ctx&, RawHello& h) { h.supported = 0x03; h.preferred = 0; }, nullptr},
  };
  return rows;
}

void register_accepts(Catalogue& table) {
  for (const AcceptRow& row : accept_rows()) {
    table.add({.id = std::string("hs.srv.") + row.id,
               .title = row.title,
               .role = Role::kServer,
               .requirements = row.reqs,
               .on = row.on,
               .needs = row.needs,
               .run = [&row](Ctx& c) {
                 RawHello h = c.hello();
                 if (row.mutate) row.mutate(c, h);
                 auto s = c.connect();
                 Packet p = hello_packet(h);
                 if (std::string(row.id) == "hello-extra-8") {
                   Bytes extra(8, 0xA5);
                   p.raw("extra", extra);
                 }
                 auto ack = s->handshake(p);
                 if (!ack) c.fail(row.reqs.front(), "the IUT closed instead of accepting");
                 if (ack->h.status != kStatusOk)
                   c.fail(row.reqs.front(), "rejected with " + status_name(ack->h.status));
                 check_ack_decisions(c, h, ack->a);
                 if (row.check) row.check(c, h, ack->a);
                 s->close();
               }});
  }
}

// ---------------------------------------------------------------------------------------
// Sessions, ids and protocol flow.

void pkt_33(Catalogue& table) {
  table.add({
    .id = "hs.srv.pkt-33",
    .title = "packet_size 33 is accepted; the ACK is one unchunked packet and responses chunk by 33",
    .requirements = {"HS-PKT-001", "HS-PKT-002", "CHUNK-SCOPE-001", "CHUNK-SPLIT-001"},
    .run = [](Ctx& c) {
      RawHello h = c.hello();
      h.packet_size = 33;
      auto s = c.connect();
      auto ack = s->accept(h);
      c.check(ack.a.packet_size == 33, "HS-PKT-001", "agreed_packet_size " + std::to_string(ack.a.packet_size));
      round_trip(c, *s, 5, "CHUNK-SPLIT-001");
    }});
}

void sid_sequence(Catalogue& table) {
  table.add({
    .id = "hs.srv.sid-sequence",
    .title = "session_id starts at 1 and strictly increases, also across failed attempts",
    .requirements = {"HS-SID-001"},
    .run = [](Ctx& c) {
      std::uint64_t last = 0;
      for (int i = 0; i < 5; ++i) {
        if (i == 2) {
          RawHello bad = c.hello();
          bad.auth_token = 0;
          c.connect()->reject(hello_packet(bad), kStatusAuthFailed, "HS-AUTH-001");
        }
        if (i == 3) c.connect()->silent_close(hello_packet(c.hello()).prefix(20), "HS-NOTHELLO-001");
        auto s = c.connect();
        auto ack = s->accept(c.hello(), "HS-SID-001");
        if (i == 0)
          c.check(ack.a.session_id == 1, "HS-SID-001",
                  "first session of a fresh listener has session_id " + std::to_string(ack.a.session_id));
        else
          c.check(ack.a.session_id > last, "HS-SID-001",
                  "session_id " + std::to_string(ack.a.session_id) + " after " + std::to_string(last));
        last = ack.a.session_id;
        s->close();
      }
    }});
}

void sid_concurrent(Catalogue& table) {
  table.add({
    .id = "hs.srv.sid-concurrent",
    .title = "concurrent sessions get distinct session_ids",
    .requirements = {"HS-SID-001"},
    .run = [](Ctx& c) {
      std::vector<std::unique_ptr<Session>> open;
      std::vector<std::uint64_t> ids;
      for (int i = 0; i < 3; ++i) open.push_back(c.connect());
      for (auto& s : open) ids.push_back(s->accept(c.hello(), "HS-SID-001").a.session_id);
      for (std::size_t i = 0; i < ids.size(); ++i)
        for (std::size_t j = i + 1; j < ids.size(); ++j)
          c.check(ids[i] != ids[j], "HS-SID-001", "two live sessions share session_id " + std::to_string(ids[i]));
      for (auto& s : open) round_trip(c, *s, 3, "HS-SID-001");
    }});
}

void reject_then_request(Catalogue& table) {
  table.add({
    .id = "hs.srv.reject-then-request",
    .title = "after a rejection the server answers nothing more and closes",
    .requirements = {"HS-REJECT-001", "HS-AUTH-001"},
    .run = [](Ctx& c) {
      RawHello h = c.hello();
      h.auth_token = ~h.auth_token;
      auto s = c.connect();
      auto ack = s->handshake(hello_packet(h));
      if (!ack || ack->h.status != kStatusAuthFailed) c.fail("HS-AUTH-001", "expected an AUTH_FAILED HELLO_ACK");
      auto [payload, answer] = c.sample_request(1);
      s->send(message_packet(request(c, 1, payload.size()), payload));
      s->expect_closed("HS-REJECT-001", "a rejected connection carries no session");
    }});
}

void hello_split(Catalogue& table) {
  table.add({
    .id = "hs.srv.hello-split",
    .title = "a HELLO split over two packets is a truncated HELLO: close without reply",
    .requirements = {"HS-FLOW-001", "HS-HELLO-LEN-001"},
    .run = [](Ctx& c) {
      Packet p = hello_packet(c.hello());
      auto s = c.connect();
      s->send(p.prefix(32));
      Packet rest;
      rest.what = "HELLO payload alone";
      rest.raw("hello payload", ConstBytes(p.bytes).subspan(32));
      s->send(rest);
      s->expect_closed("HS-HELLO-LEN-001", "the first packet held no HELLO payload");
    }});
}

void hello_every_prefix(Catalogue& table) {
  table.add({
    .id = "hs.srv.hello-every-prefix",
    .title = "every proper prefix of a HELLO (1..75 bytes) is closed without reply",
    .requirements = {"HS-HELLO-LEN-001", "HS-NOTHELLO-001", "ENV-LEN-001"},
    .run = [](Ctx& c) {
      Packet p = hello_packet(c.hello());
      for (std::size_t n = 1; n < p.size(); ++n)
        c.connect()->silent_close(p.prefix(n), n < 32 ? "HS-NOTHELLO-001" : "HS-HELLO-LEN-001");
    }});
}

void hello_disconnect(Catalogue& table) {
  table.add({
    .id = "hs.srv.disconnect-at-every-byte",
    .title = "a client that sends 0..75 bytes of a HELLO and vanishes does not harm the server",
    .requirements = {"HS-FLOW-001", "HS-NOTHELLO-001"},
    .run = [](Ctx& c) {
      Packet p = hello_packet(c.hello());
      for (std::size_t n = 0; n < p.size(); ++n) {
        auto s = c.connect();
        if (n > 0) s->send(p.prefix(n));
        s->close();
      }
    }});
}

void second_hello(Catalogue& table) {
  table.add({
    .id = "hs.srv.second-hello",
    .title = "a second HELLO on an established session ends it without reply",
    .requirements = {"HS-ONCE-001", "SESS-KIND-001", "SESS-DEAD-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      round_trip(c, *s, 1, "HS-ONCE-001");
      Packet hp = hello_packet(c.hello());
      RawHeader hh = hello_header();
      Bytes payload(hp.bytes.begin() + 32, hp.bytes.end());
      s->send_message(hh, payload);
      s->expect_closed("HS-ONCE-001", "a CONTROL message after the handshake ends the session");
    }});
}

void ack_after_handshake(Catalogue& table) {
  table.add({
    .id = "hs.srv.control-ack-in-session",
    .title = "a CONTROL HELLO_ACK sent by the client in an established session ends it",
    .requirements = {"HS-ONCE-001", "SESS-KIND-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      RawAck a;
      Packet ap = encode(a);
      s->send_message(ack_header(0), ap.bytes);
      s->expect_closed("HS-ONCE-001", "a CONTROL message after the handshake ends the session");
    }});
}

void waitaddr_configured(Catalogue& table) {
  table.add({
    .id = "hs.srv.prof-waitaddr-configured",
    .title = "a server configured with 0x08 still never advertises nor selects it",
    .requirements = {"PROF-WAITADDR-001"},
    .needs = {.profiles = 0x0Fu, .preferred = 0x08u},
    .run = [](Ctx& c) {
      RawHello h = c.hello();
      h.supported = 0x09;
      h.preferred = 0x08;
      auto s = c.connect();
      auto ack = s->handshake(hello_packet(h));
      if (!ack) c.fail("PROF-WAITADDR-001", "closed instead of answering");
      c.check(ack->h.status == kStatusOk, "PROF-WAITADDR-001", "rejected: " + status_name(ack->h.status));
      c.check((ack->a.server_supported & 0x08) == 0 && ack->a.selected == 0x01, "PROF-WAITADDR-001",
              "0x08 advertised or selected: offer " + hex32(ack->a.server_supported) + ", selected " +
                  hex32(ack->a.selected));
    }});
}

// ---------------------------------------------------------------------------------------
// The request cap of a server whose maximum is not configured (--max-request-payload 0):
// 1 MiB at seed (HS-REQ-003), 1024 at newest (HS-REQ-004).

struct CapRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::uint32_t proposal;
  bool accepted;
};

const std::vector<CapRow>& cap_rows() {
  static const std::vector<CapRow> rows = {
      {"seed-unconfigured-accepts-1mib", "at seed an unconfigured server accepts a 1 MiB request proposal and echoes it",
       {"HS-REQ-003", "HS-REQ-002"}, 1048576u, true},
      {"seed-unconfigured-refuses-above-1mib", "at seed an unconfigured server refuses a proposal of 1 MiB + 1 with LIMIT_EXCEEDED",
       {"HS-REQ-003", "HS-REQ-001", "HS-REJECT-001"}, 1048577u, false},
      {"newest-unconfigured-accepts-1024", "at newest an unconfigured server accepts a 1024-byte request proposal and echoes it",
       {"HS-REQ-004", "HS-REQ-002"}, 1024u, true},
      {"newest-unconfigured-refuses-1025", "at newest an unconfigured server refuses a proposal of 1025 with LIMIT_EXCEEDED",
       {"HS-REQ-004", "HS-REQ-001", "HS-REJECT-001"}, 1025u, false},
      {"newest-unconfigured-refuses-1mib", "at newest 1 MiB is no handshake cap: an unconfigured server refuses a 1 MiB proposal",
       {"HS-REQ-004", "HS-REQ-001", "HS-REJECT-001"}, 1048576u, false},
  };
  return rows;
}

void req_cap_rows(Catalogue& table) {
  for (const CapRow& row : cap_rows()) {
    table.add({.id = std::string("hs.srv.req-cap-") + row.id,
                 .title = row.title,
                 .role = Role::kServer,
                 .requirements = row.reqs,
                 // 0: the implementation's own default (spec/shim-contract.md).
                 .needs = {.max_request_payload = 0u},
                 .run = [&row](Ctx& c) {
                   RawHello h = c.hello();
                   h.max_request_payload = row.proposal;
                   c.note("revision " + c.cfg().spec_revision + ", unconfigured request maximum, proposal " +
                          std::to_string(row.proposal));
                   if (!row.accepted) {
                     c.connect()->reject(hello_packet(h), 5, row.reqs.front());
                     return;
                   }
                   auto s = c.connect();
                   auto ack = s->accepted(s->handshake(hello_packet(h)), h, row.reqs.front());
                   c.check(ack.a.request_payload == row.proposal, "HS-REQ-002",
                           "agreed_max_request_payload_bytes " + std::to_string(ack.a.request_payload) +
                               " is not the proposal " + std::to_string(row.proposal));
                 }});
  }
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_handshake_server_cases(Catalogue& table) {
  register_rejects(table);
  register_silent(table);
  register_accepts(table);
  pkt_33(table);
  sid_sequence(table);
  sid_concurrent(table);
  reject_then_request(table);
  hello_split(table);
  hello_every_prefix(table);
  hello_disconnect(table);
  second_hello(table);
  ack_after_handshake(table);
  waitaddr_configured(table);
  req_cap_rows(table);
}
}  // namespace nipc::peer::cases
