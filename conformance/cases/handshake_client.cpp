// Handshake cases with the IUT as client (spec/handshake.md): what the client proposes, how it
// reacts to each rejection status, and which successful HELLO_ACKs it must refuse. The peer
// answers with crafted HELLO_ACKs; a refused or rejected ACK must leave the client sending
// nothing more and closing (HS-CLI-ABORT-001).
#include <functional>
#ifndef _WIN32
#include <sys/socket.h>
#endif
#include <vector>

#include "common.h"

namespace nipc::peer::cases {
namespace {

// ---------------------------------------------------------------------------------------
// The client's HELLO.

void hello_fields(Catalogue& table) {
  table.add({
    .id = "hs.cli.hello-fields",
    .title = "the client's HELLO: header, layout 1, flags 0, reserved 0, its configured proposals",
    .role = Role::kClient,
    .requirements = {"HS-CLI-HELLO-001", "HS-HELLO-HDR-001", "HS-FLOW-001", "ENV-STATUS-001",
                     "CHUNK-SCOPE-001", "HS-HELLO-FMT-001", "UDS-PATH-001"},
    .needs = {.max_request_payload = 4096u, .max_request_batch = 4u, .max_response_payload = 32768u,
              .packet_size = 8192u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      const RawHello& h = st.hello;
      c.check(h.auth_token == c.cfg().auth_token, "HS-CLI-HELLO-001", "HELLO auth_token is not the configured token");
      c.check(h.supported == (c.cfg().profiles & ~0x08u), "HS-CLI-HELLO-001",
              "supported_profiles " + hex32(h.supported) + ", configured " + hex32(c.cfg().profiles));
      c.check(h.preferred == c.cfg().preferred, "HS-CLI-HELLO-001",
              "preferred_profiles " + hex32(h.preferred) + ", configured " + hex32(c.cfg().preferred));
      c.check(h.max_request_payload == 4096, "HS-CLI-HELLO-001",
              "max_request_payload_bytes " + std::to_string(h.max_request_payload) + ", configured 4096");
      c.check(h.max_request_batch == 4 && h.max_response_batch == 4, "HS-CLI-HELLO-001",
              "batch proposals are not the configured 4");
      c.check(h.packet_size == 8192, "HS-CLI-HELLO-001",
              "packet_size " + std::to_string(h.packet_size) + ", configured 8192");
      st.s->send_ack(st.ack);
      st.s->serve();
      c.expect_client_ok("HS-CLI-USE-001");
    }});
}

void hello_sndbuf(Catalogue& table) {
  table.add({
    .id = "hs.cli.pkt-sndbuf",
    .title = "a client left to choose proposes a packet size the kernel can send (SO_SNDBUF - 32)",
    .role = Role::kClient,
    .requirements = {"HS-CLI-PKT-003"},
    .on = kOnUds,
    .needs = {.packet_size = 0u},
    .platform = Platform::kPosix,  // SO_SNDBUF: Windows never derives the packet size (WIN-PKT-001)
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      int sndbuf = 0;
      socklen_t len = sizeof sndbuf;
      ::getsockopt(st.s->conn().fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len);
      if (sndbuf > 32)
        c.check(st.hello.packet_size <= static_cast<std::uint32_t>(sndbuf) - 32, "HS-CLI-PKT-003",
                "proposed packet_size " + std::to_string(st.hello.packet_size) + " above SO_SNDBUF - 32 = " +
                    std::to_string(sndbuf - 32));
      c.check(st.hello.packet_size > 32, "HS-CLI-HELLO-001", "proposed packet_size is 32 or less");
      st.s->send_ack(st.ack);
      st.s->serve();
      c.expect_client_ok("HS-CLI-USE-001");
    })});
}

void hello_no_waitaddr(Catalogue& table) {
  table.add({
    .id = "hs.cli.waitaddr-configured",
    .title = "a client configured with 0x08 never offers it",
    .role = Role::kClient,
    .requirements = {"PROF-WAITADDR-001"},
    .on = kOnUds,
    .needs = {.profiles = 0x09u, .preferred = 0x08u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);  // read_hello() checks 0x08 is not offered
      c.check((st.hello.preferred & 0x08) == 0, "PROF-WAITADDR-001", "HELLO prefers the reserved profile 0x08");
      st.s->send_ack(st.ack);
      st.s->serve();
      c.expect_client_ok("PROF-WAITADDR-001");
    }});
}

void hello_profiles_zero(Catalogue& table) {
  table.add({
    .id = "hs.cli.profiles-zero",
    .title = "a client configured with profiles 0 offers the baseline 0x01",
    .role = Role::kClient,
    .requirements = {"HS-CLI-HELLO-001"},
    .on = kOnUds,
    .needs = {.profiles = 0u, .preferred = 0u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      c.check(st.hello.supported == 0x01, "HS-CLI-HELLO-001",
              "supported_profiles " + hex32(st.hello.supported) + " for a configuration of 0");
      st.s->send_ack(st.ack);
      st.s->serve();
      c.expect_client_ok("HS-CLI-HELLO-001");
    }});
}

// ---------------------------------------------------------------------------------------
// Rejections and refusals: the client sends nothing more, closes and reports the error.

using Reply = std::function<void(Ctx&, Session&, const RawHello&, RawAck&)>;

struct RefuseRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  const char* rule;  // the codec rule a client that names rules reports; "" = none
  Reply reply;
};

// Sends `ack` with `status` in the rejection form (every field 0 but layout_version).
Reply rejection(std::uint16_t status) {
  return [status](Ctx&, Session& s, const RawHello&, RawAck&) { s.send_ack(RawAck{}, status); };
}

// Sends the correct ACK after `spoil` changed it (status OK).
Reply spoiled(std::function<void(Ctx&, const RawHello&, RawAck&)> spoil) {
  return [spoil](Ctx& c, Session& s, const RawHello& h, RawAck& a) {
    spoil(c, h, a);
    s.send_ack(a, kStatusOk);
  };
}

// Sends the correct ACK with a changed header.
Reply header(std::function<void(RawHeader&)> change) {
  return [change](Ctx&, Session& s, const RawHello&, RawAck& a) {
    RawHeader hh = ack_header(0);
    change(hh);
    s.send_ack(a, kStatusOk, hh, false);
  };
}

// Sends raw bytes built from the correct ACK packet.
Reply raw(std::function<std::vector<Packet>(const Packet&)> make) {
  return [make](Ctx&, Session& s, const RawHello&, RawAck& a) {
    for (const Packet& p : make(ack_packet(a, ack_header(0)))) s.send(p);
  };
}

// A profile bit the client did not offer (the server advertises it).
std::uint32_t unoffered(const RawHello& h) {
  for (std::uint32_t bit : {0x02u, 0x04u, 0x01u})
    if ((h.supported & bit) == 0) return bit;
  return 0x08;
}

const std::vector<RefuseRow>& refuse_rows() {
  static const std::vector<RefuseRow> rows = {
      {"status-auth", "AUTH_FAILED is reported as an authentication failure", {"HS-CLI-STATUS-001", "HS-CLI-ABORT-001"},
       "AckRejectedAuth", rejection(kStatusAuthFailed)},
      {"status-unsupported", "UNSUPPORTED is reported as no common profile", {"HS-CLI-STATUS-002", "HS-CLI-ABORT-001"},
       "AckRejectedUnsupported", rejection(kStatusUnsupported)},
      {"status-incompatible", "INCOMPATIBLE is reported as incompatibility", {"HS-CLI-STATUS-003", "HS-CLI-ABORT-001"},
       "AckRejectedIncompatible", rejection(kStatusIncompatible)},
      {"status-limit", "LIMIT_EXCEEDED is reported as a refused limit", {"HS-CLI-STATUS-004", "HS-CLI-ABORT-001"},
       "AckRejectedLimit", rejection(kStatusLimitExceeded)},
      {"status-bad-envelope", "BAD_ENVELOPE is reported as a generic rejection", {"HS-CLI-STATUS-005", "HS-CLI-ABORT-001"},
       "AckRejectedOther", rejection(kStatusBadEnvelope)},
      {"status-internal", "INTERNAL_ERROR is reported as a generic rejection", {"HS-CLI-STATUS-005"},
       "AckRejectedOther", rejection(kStatusInternalError)},
      {"status-7", "undefined status 7 is reported as a generic rejection", {"HS-CLI-STATUS-005"},
       "AckRejectedOther", rejection(kStatusUndefined)},
      {"status-ffff", "undefined status 0xFFFF is reported as a generic rejection", {"HS-CLI-STATUS-005"},
       "AckRejectedOther", rejection(0xFFFF)},
      {"status-auth-garbage-payload", "AUTH_FAILED with a garbage payload: the payload is not decoded",
       {"HS-CLI-STATUS-001"}, "AckRejectedAuth",
       [](Ctx&, Session& s, const RawHello&, RawAck&) {
         RawAck junk;
         junk.layout_version = 9;
         junk.flags = 0xFFFF;
         junk.reserved = 0xFFFFFFFF;
         junk.selected = 0x03;
         s.send_ack(junk, kStatusAuthFailed);
       }},
      {"status-limit-no-payload", "LIMIT_EXCEEDED with a header-only reply: the payload is not decoded",
       {"HS-CLI-STATUS-004"}, "AckRejectedLimit",
       [](Ctx&, Session& s, const RawHello&, RawAck&) { s.send(ack_packet(RawAck{}, ack_header(5)).prefix(32)); }},
      {"ack-truncated-47", "an OK HELLO_ACK with 47 payload bytes is refused", {"HS-ACK-LEN-001", "HS-CLI-ABORT-001"},
       "AckTruncated", raw([](const Packet& p) { return std::vector<Packet>{p.prefix(79)}; })},
      {"ack-split", "an OK HELLO_ACK split over two packets is refused (one packet only)", {"HS-FLOW-001", "HS-ACK-LEN-001"},
       "AckTruncated", raw([](const Packet& p) {
         Packet rest;
         rest.what = "HELLO_ACK payload alone";
         rest.raw("ack payload", ConstBytes(p.bytes).subspan(32));
         return std::vector<Packet>{p.prefix(32), rest};
       })},
      {"ack-layout-2", "HELLO_ACK layout_version 2 is refused", {"HS-ACK-LAYOUT-001", "HS-CLI-ABORT-001"}, "AckBadLayout",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.layout_version = 2; })},
      {"ack-layout-0", "HELLO_ACK layout_version 0 is refused", {"HS-ACK-LAYOUT-001"}, "AckBadLayout",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.layout_version = 0; })},
      {"ack-flags-1", "HELLO_ACK flags 1 are refused", {"HS-ACK-FLAGS-001", "HS-CLI-ABORT-001"}, "AckNonzeroFlags",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.flags = 1; })},
      {"ack-reserved-1", "HELLO_ACK reserved 1 is refused", {"HS-ACK-RESERVED-001", "HS-CLI-ABORT-001"}, "AckNonzeroReserved",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.reserved = 1; })},
      {"ack-reserved-ffffffff", "HELLO_ACK reserved 0xFFFFFFFF is refused", {"HS-ACK-RESERVED-001"}, "AckNonzeroReserved",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.reserved = 0xFFFFFFFF; })},
      {"selected-not-offered", "a selected profile the client did not offer is refused", {"HS-CLI-PROF-001", "HS-CLI-ABORT-001"},
       "AckProfileNotOffered", spoiled([](Ctx&, const RawHello& h, RawAck& a) {
         a.selected = unoffered(h);
         a.server_supported |= a.selected;
       })},
      {"selected-waitaddr", "a selected 0x08 is refused", {"HS-CLI-PROF-001", "PROF-WAITADDR-001"}, "AckProfileNotOffered",
       spoiled([](Ctx&, const RawHello&, RawAck& a) {
         a.server_supported |= 0x08;
         a.selected = 0x08;
       })},
      {"selected-two-bits", "a selected_profile of two bits is refused", {"HS-CLI-PROF-002", "HS-CLI-ABORT-001"},
       "AckProfileNotSingleBit", spoiled([](Ctx&, const RawHello&, RawAck& a) {
         a.selected = a.intersection == 1 ? 0x03 : a.intersection;
         a.server_supported |= a.selected;
       })},
      {"selected-zero", "selected_profile 0 is refused", {"HS-CLI-PROF-002"}, "AckProfileNotSingleBit",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.selected = 0; })},
      {"intersection-wrong", "an intersection_profiles other than supported & server_supported is refused",
       {"HS-CLI-PROF-003", "HS-CLI-ABORT-001"}, "AckIntersectionMismatch",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.intersection |= 0x10; })},
      {"req-payload-plus-1", "agreed request payload one above the proposal is refused", {"HS-CLI-REQ-001", "HS-CLI-ABORT-001"},
       "AckRequestPayloadChanged", spoiled([](Ctx&, const RawHello&, RawAck& a) { a.request_payload += 1; })},
      {"req-payload-minus-1", "agreed request payload one below the proposal is refused", {"HS-CLI-REQ-001"},
       "AckRequestPayloadChanged", spoiled([](Ctx&, const RawHello&, RawAck& a) { a.request_payload -= 1; })},
      {"req-batch-changed", "agreed request batch items other than the proposal are refused", {"HS-CLI-BATCH-001", "HS-CLI-ABORT-001"},
       "AckRequestBatchChanged", spoiled([](Ctx&, const RawHello&, RawAck& a) {
         a.request_batch += 1;
         a.response_batch = a.request_batch;
       })},
      {"batch-asymmetric", "response batch items different from request batch items are refused",
       {"HS-CLI-BATCH-002", "HS-CLI-ABORT-001"}, "AckBatchAsymmetric",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.response_batch = a.request_batch + 1; })},
      {"pkt-32", "agreed packet size 32 is refused", {"HS-CLI-PKT-001", "HS-CLI-ABORT-001"}, "AckPacketSizeTooSmall",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.packet_size = 32; })},
      {"pkt-0", "agreed packet size 0 is refused", {"HS-CLI-PKT-001"}, "AckPacketSizeTooSmall",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.packet_size = 0; })},
      {"pkt-above-proposal", "agreed packet size above the proposal is refused", {"HS-CLI-PKT-002", "HS-CLI-ABORT-001"},
       "AckPacketSizeAboveProposal", spoiled([](Ctx&, const RawHello& h, RawAck& a) { a.packet_size = h.packet_size + 1; })},
      {"sid-0", "session_id 0 in an OK HELLO_ACK is refused", {"HS-CLI-SID-001", "HS-CLI-ABORT-001"}, "AckZeroSessionId",
       spoiled([](Ctx&, const RawHello&, RawAck& a) { a.session_id = 0; })},
      {"reply-kind-response", "a RESPONSE instead of the HELLO_ACK is refused", {"HS-CLI-KIND-001", "HS-CLI-ABORT-001"},
       "AckNotControl", header([](RawHeader& h) { h.kind = 2; })},
      {"reply-code-hello", "a CONTROL HELLO instead of the HELLO_ACK is refused", {"HS-CLI-KIND-001"}, "AckNotControl",
       header([](RawHeader& h) { h.code = 1; })},
      {"reply-version-2", "a HELLO_ACK of envelope version 2 is reported as incompatibility", {"HS-CLI-KIND-001"},
       "AckRejectedIncompatible", header([](RawHeader& h) { h.version = 2; })},
      {"reply-bad-magic", "a reply with a wrong magic is refused", {"HS-CLI-ABORT-001", "ENV-MAGIC-001"}, "HeaderBadMagic",
       header([](RawHeader& h) { h.magic = 0x4e495044; })},
      {"reply-short-20", "a 20-byte reply is refused", {"HS-CLI-ABORT-001", "ENV-LEN-001"}, "HeaderTruncated",
       raw([](const Packet& p) { return std::vector<Packet>{p.prefix(20)}; })},
      {"reply-none", "the server closes without a HELLO_ACK: the attempt fails, nothing is sent", {"HS-CLI-ABORT-001"}, "",
       [](Ctx&, Session& s, const RawHello&, RawAck&) { s.conn().close(); }},
  };
  return rows;
}

void register_refusals(Catalogue& table) {
  for (const RefuseRow& row : refuse_rows()) {
    table.add({.id = std::string("hs.cli.") + row.id,
               .title = row.title,
               .role = Role::kClient,
               .requirements = row.reqs,
               .run = [&row](Ctx& c) {
                 ClientStart st = client_hello(c);
                 row.reply(c, *st.s, st.hello, st.ack);
                 if (std::string(row.id) != "reply-none")
                   st.s->expect_closed("HS-CLI-ABORT-001", "after a rejected or refused HELLO_ACK the client sends nothing and closes");
                 c.expect_client_failed(row.reqs.front(),
                                        *row.rule ? std::optional<std::string>(row.rule) : std::nullopt);
               }});
  }
}

// ---------------------------------------------------------------------------------------
// HELLO_ACKs the client must accept.

void ack_extra(Catalogue& table) {
  table.add({
    .id = "hs.cli.ack-extra-8",
    .title = "8 bytes after the 48-byte HELLO_ACK are ignored",
    .role = Role::kClient,
    .requirements = {"HS-ACK-LEN-001"},
    .on = kOnUds,
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      Packet p = ack_packet(st.ack, ack_header(0));
      Bytes extra(8, 0x5A);
      p.raw("extra", extra);
      st.s->send(p);
      st.s->establish(st.hello, st.ack);
      st.s->serve();
      c.expect_client_ok("HS-ACK-LEN-001");
    }});
}

void ack_slow(Catalogue& table) {
  table.add({
    .id = "hs.cli.ack-slow",
    .title = "a HELLO_ACK that comes 300 ms late is still accepted",
    .role = Role::kClient,
    .requirements = {"HS-FLOW-001"},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      c.sleep_ms(300);
      st.s->send_ack(st.ack);
      st.s->serve();
      c.expect_client_ok("HS-FLOW-001");
    }});
}

void ack_any_response_limit(Catalogue& table) {
  table.add({
    .id = "hs.cli.response-limit-servers-choice",
    .title = "any agreed response limit is the server's to choose: the client accepts 16",
    .role = Role::kClient,
    .requirements = {"HS-RESP-001", "HS-CLI-USE-001"},
    .run = [](Ctx& c) {
      c.server_response_limit = 16;
      serve_ok(c);
      c.expect_client_ok("HS-RESP-001");
    }});
}

void ack_smaller_packet(Catalogue& table) {
  table.add({
    .id = "hs.cli.packet-smaller-than-proposal",
    .title = "the client chunks with an agreed packet size of 64, below its proposal",
    .role = Role::kClient,
    .requirements = {"HS-CLI-USE-001", "CHUNK-SPLIT-001", "HS-PKT-001"},
    .on = kOnUds,
    .needs = {.service_kind = std::string("string-reverse"), .max_request_payload = 8192u, .packet_size = 1024u,
              .scenario = std::string("large")},
    .run = [](Ctx& c) {
      c.server_packet_size = 64;
      auto seen = serve_ok(c);
      c.check(!seen.empty() && seen.front().packets > 1, "CHUNK-SPLIT-001", "the large request was not chunked");
      c.expect_client_ok("HS-CLI-USE-001");
    }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_handshake_client_cases(Catalogue& table) {
  hello_fields(table);
  hello_sndbuf(table);
  hello_no_waitaddr(table);
  hello_profiles_zero(table);
  register_refusals(table);
  ack_extra(table);
  ack_slow(table);
  ack_any_response_limit(table);
  ack_smaller_packet(table);
}
}  // namespace nipc::peer::cases
