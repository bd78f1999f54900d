// handshake_decide (what a server answers to a first packet) and handshake_check_ack
// (whether a client accepts the HELLO_ACK it got), spec/handshake.md and spec/profiles.md.
// Every expected HELLO_ACK below is written out field by field from the spec's rules, never
// computed by the reference's decide(): verify() then compares the two.
#include <limits>
#include <string>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/handshake.h"

namespace nipc::vectors {
namespace {

constexpr std::uint16_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kToken = 0x1122334455667788;

namespace hdr = header_layout;

// Offsets of HELLO and HELLO_ACK fields inside a whole packet (after the outer header).
constexpr std::size_t hello_at(std::size_t field) { return hdr::kSize + field; }
constexpr std::size_t ack_at(std::size_t field) { return hdr::kSize + field; }

// The spec's worked example (spec/handshake.md): the client supports 0x03 without
// preference, proposes 4096-byte requests in batches of 4, hints 65536-byte responses,
// packet size 65536.
Hello spec_hello() { return Hello{0x03, 0x00, 4096, 4, 65536, 4, kToken, 65536}; }

// ... and the server: same token, offer 0x01, no preference, default request maximum,
// response limit 65536, packet size 65536, this accept attempt is session 5.
ServerPolicy spec_policy() {
  ServerPolicy p;
  p.auth_token = kToken;
  p.supported_profiles = 0x01;
  p.preferred_profiles = 0;
  p.max_request_payload_bytes = 1048576;
  p.response_payload_bytes = 65536;
  p.packet_size = 65536;
  p.session_id = 5;
  return p;
}

// Its answer, as the spec prints it.
HelloAck spec_ack() { return HelloAck{0x01, 0x01, 0x01, 4096, 4, 65536, 4, 65536, 5}; }

Bytes hello_packet(const Hello& h) { return to_bytes(encode_hello_packet(h)); }

Bytes ack_packet(TransportStatus status, const HelloAck& ack) {
  return to_bytes(encode_ack_packet(HandshakeDecision{status, ack}));
}

// ---- handshake_decide -----------------------------------------------------------------------

class DecideCases {
 public:
  explicit DecideCases(Family& f) : f_(f) {}

  /// The server accepts `hello` under `policy` and answers with exactly `expected`.
  CaseRef accepts(std::string_view name, std::string_view comment, const Hello& hello,
                  const ServerPolicy& policy, const HelloAck& expected) {
    return accepts_packet(name, comment, hello_packet(hello), policy, expected);
  }
  CaseRef accepts_packet(std::string_view name, std::string_view comment, Bytes packet,
                         const ServerPolicy& policy, const HelloAck& expected) {
    return f_.valid(name, comment, std::move(packet),
                    tools::decide_reply_to_json(ack_packet(TransportStatus::kOk, expected)))
        .reqs({"HS-ACK-HDR-001", "HS-ACK-FMT-001"})
        .context(tools::decide_context_to_json(policy));
  }
  /// The server rejects with `status` (the rejection HELLO_ACK, HS-REJECT-001) and closes.
  CaseRef rejects(std::string_view name, std::string_view comment, Bytes packet,
                  const ServerPolicy& policy, TransportStatus status) {
    return f_.invalid(name, comment, std::move(packet), tools::status_class(status))
        .req("HS-REJECT-001")
        .context(tools::decide_context_to_json(policy));
  }
  CaseRef rejects(std::string_view name, std::string_view comment, const Hello& hello,
                  const ServerPolicy& policy, TransportStatus status) {
    return rejects(name, comment, hello_packet(hello), policy, status);
  }
  /// The server closes without replying.
  CaseRef closes(std::string_view name, std::string_view comment, Bytes packet) {
    return f_.invalid(name, comment, std::move(packet), tools::kSilentClose)
        .context(tools::decide_context_to_json(spec_policy()));
  }
  /// The contract leaves the choice to the server; the reference accepts with `expected`.
  CaseRef may_accept(std::string_view name, std::string_view comment, Bytes packet,
                     const ServerPolicy& policy, const HelloAck& expected) {
    return f_.acceptable(name, comment, std::move(packet),
                         tools::decide_reply_to_json(ack_packet(TransportStatus::kOk, expected)))
        .context(tools::decide_context_to_json(policy));
  }

 private:
  Family& f_;
};

void add_decide_accepted(DecideCases& d) {
  d.accepts("spec-example",
            "the spec's example: offer 0x01, intersection 0x01, request values echoed, response "
            "batch equal to request batch, session 5",
            spec_hello(), spec_policy(), spec_ack())
      .reqs({"HS-FLOW-001", "HS-PROF-003", "HS-REQ-002", "HS-BATCH-001", "HS-BATCH-002",
             "HS-RESP-001", "HS-PKT-001", "HS-SID-001"});

  // Profiles (HS-PROF-001..003, PROF-*).
  const auto profiles = [&](std::string_view name, std::string_view comment,
                            std::uint32_t client_supported, std::uint32_t client_preferred,
                            std::uint32_t server_supported, std::uint32_t server_preferred,
                            std::uint32_t offered, std::uint32_t intersection,
                            std::uint32_t selected) {
    Hello h = spec_hello();
    h.supported_profiles = client_supported;
    h.preferred_profiles = client_preferred;
    ServerPolicy p = spec_policy();
    p.supported_profiles = server_supported;
    p.preferred_profiles = server_preferred;
    HelloAck a = spec_ack();
    a.server_supported_profiles = offered;
    a.intersection_profiles = intersection;
    a.selected_profile = selected;
    return d.accepts(name, comment, h, p, a).reqs({"HS-PROF-002", "HS-PROF-003"});
  };
  profiles("highest-common-bit-without-preference",
           "both support 0x03, nobody prefers: the highest common bit 0x02 (SHM) is selected",
           0x03, 0, 0x03, 0, 0x03, 0x03, 0x02)
      .req("PROF-BITS-001");
  profiles("highest-bit-when-preferences-differ",
           "both support 0x07, client prefers 0x01, server 0x02: no common preference, so the "
           "highest common bit 0x04",
           0x07, 0x01, 0x07, 0x02, 0x07, 0x07, 0x04)
      .req("PROF-BITS-001");
  profiles("highest-common-preference", "both support 0x07 and prefer 0x03: 0x02 is selected",
           0x07, 0x03, 0x07, 0x03, 0x07, 0x07, 0x02);
  profiles("preference-beats-higher-bit", "both support 0x03 and prefer 0x01: 0x01 is selected",
           0x03, 0x01, 0x03, 0x01, 0x03, 0x03, 0x01);
  profiles("preference-needs-both-sides",
           "only the server prefers 0x01: the intersection's highest bit 0x02 is selected", 0x03, 0,
           0x03, 0x01, 0x03, 0x03, 0x02);
  profiles("server-configured-zero-offers-baseline",
           "a server configured with profiles 0 offers 0x01", 0x03, 0, 0, 0, 0x01, 0x01, 0x01);
  profiles("client-unknown-bits-ignored",
           "the client offers every bit: the unknown ones fall outside the intersection",
           kU32Max, 0, 0x03, 0, 0x03, 0x03, 0x02)
      .req("PROF-UNKNOWN-001");
  profiles("client-waitaddr-bit-not-selected",
           "the client offers 0x09 to a server of 0x07: 0x08 is never in the intersection", 0x09,
           0x08, 0x07, 0, 0x07, 0x01, 0x01)
      .req("PROF-WAITADDR-001");
  profiles("waitaddr-preference-ignored",
           "client 0x0f preferring 0x08, server 0x07 preferring 0x08: 0x04 is selected", 0x0F,
           0x08, 0x07, 0x08, 0x07, 0x07, 0x04)
      .reqs({"PROF-WAITADDR-001", "PROF-UNKNOWN-001"});
  profiles("shm-only-client", "a client offering only 0x02 to a server of 0x03", 0x02, 0x02, 0x03,
           0, 0x03, 0x02, 0x02);

  // auth_token: exact 64-bit equality.
  for (const auto& [name, token] : {std::pair{"token-zero-both", std::uint64_t{0}},
                                    std::pair{"token-all-ones-both", kU64Max}}) {
    Hello h = spec_hello();
    h.auth_token = token;
    ServerPolicy p = spec_policy();
    p.auth_token = token;
    d.accepts(name, "client and server share the token " + std::to_string(token), h, p, spec_ack())
        .req("HS-AUTH-001");
  }

  // Request payload proposals (HS-REQ-001/002): echoed, never clamped.
  const auto request_payload = [&](std::string_view name, std::string_view comment,
                                   std::uint32_t proposal, std::uint32_t server_max) {
    Hello h = spec_hello();
    h.max_request_payload_bytes = proposal;
    ServerPolicy p = spec_policy();
    p.max_request_payload_bytes = server_max;
    HelloAck a = spec_ack();
    a.agreed_max_request_payload_bytes = proposal;
    return d.accepts(name, comment, h, p, a).reqs({"HS-REQ-001", "HS-REQ-002"});
  };
  request_payload("request-payload-one", "a 1-byte proposal is echoed", 1, 1048576);
  request_payload("request-payload-zero", "a 0-byte proposal is echoed", 0, 1048576)
      .flag("ZeroLength");
  request_payload("request-payload-at-default-cap", "the spec's variation: 1048576 is accepted",
                  1048576, 1048576);
  request_payload("request-payload-at-configured-cap", "1024 with a server maximum of 1024", 1024,
                  1024);
  request_payload("request-payload-max-with-max-cap", "UINT32_MAX with a server maximum of UINT32_MAX",
                  kU32Max, kU32Max);

  // Batch items (HS-BATCH-001/002): the request value is echoed for both directions.
  const auto batch = [&](std::string_view name, std::string_view comment, std::uint32_t request,
                         std::uint32_t response_hint) {
    Hello h = spec_hello();
    h.max_request_batch_items = request;
    h.max_response_batch_items = response_hint;
    HelloAck a = spec_ack();
    a.agreed_max_request_batch_items = request;
    a.agreed_max_response_batch_items = request;
    return d.accepts(name, comment, h, spec_policy(), a).reqs({"HS-BATCH-001", "HS-BATCH-002"});
  };
  batch("batch-one", "request batch 1", 1, 1);
  batch("batch-thousand", "request batch 1000", 1000, 1000).flag("MaxItems");
  batch("batch-max", "request batch UINT32_MAX", kU32Max, kU32Max).flag("MaxItems");
  batch("batch-zero", "request batch 0 is echoed too", 0, 0).flag("ZeroLength");
  batch("response-batch-hint-ignored", "the spec's variation: response batch hint 9, request 4",
        4, 9);
  batch("response-batch-hint-zero", "response batch hint 0 with request 4", 4, 0);
  batch("response-batch-hint-max", "response batch hint UINT32_MAX with request 4", 4, kU32Max);

  // Response payload (HS-RESP-001): the server's own value, the client's hint ignored.
  const auto response = [&](std::string_view name, std::string_view comment, std::uint32_t hint,
                            std::uint32_t server) {
    Hello h = spec_hello();
    h.max_response_payload_bytes = hint;
    ServerPolicy p = spec_policy();
    p.response_payload_bytes = server;
    HelloAck a = spec_ack();
    a.agreed_max_response_payload_bytes = server;
    return d.accepts(name, comment, h, p, a).req("HS-RESP-001");
  };
  response("response-hint-one-ignored", "the client hints 1 byte; the server's 65536 applies", 1,
           65536);
  response("response-hint-max-ignored", "the client hints UINT32_MAX; the server's 65536 applies",
           kU32Max, 65536);
  response("response-server-one", "a server response limit of 1 byte", 65536, 1);
  response("response-server-max", "a server response limit of UINT32_MAX", 65536, kU32Max);

  // Packet size (HS-PKT-001): the smaller proposal.
  const auto packet = [&](std::string_view name, std::string_view comment, std::uint32_t client,
                          std::uint32_t server, std::uint32_t agreed) {
    Hello h = spec_hello();
    h.packet_size = client;
    ServerPolicy p = spec_policy();
    p.packet_size = server;
    HelloAck a = spec_ack();
    a.agreed_packet_size = agreed;
    return d.accepts(name, comment, h, p, a).reqs({"HS-PKT-001", "HS-PKT-002"});
  };
  packet("packet-size-33", "the spec's variation: a client packet size of 33 is agreed", 33, 65536,
         33)
      .flag("BoundaryPacketSize");
  packet("packet-size-client-larger", "client 131072, server 65536: 65536", 131072, 65536, 65536);
  packet("packet-size-client-smaller", "client 4096, server 65536: 4096", 4096, 65536, 4096);
  packet("packet-size-client-max", "client UINT32_MAX, server 65536: 65536", kU32Max, 65536, 65536);
  packet("packet-size-server-33", "client 65536, server 33: 33", 65536, 33, 33)
      .flag("BoundaryPacketSize");
  packet("packet-size-linux-default", "client 212992 (SO_SNDBUF), server 212960: 212960", 212992,
         212960, 212960);

  for (const auto& [name, sid] : {std::pair{"session-id-one", std::uint64_t{1}},
                                  std::pair{"session-id-max", kU64Max}}) {
    ServerPolicy p = spec_policy();
    p.session_id = sid;
    HelloAck a = spec_ack();
    a.session_id = sid;
    d.accepts(name, "the policy's session_id " + std::to_string(sid) + " is carried", spec_hello(),
              p, a)
        .req("HS-SID-001");
  }

  const Bytes spec = hello_packet(spec_hello());
  d.accepts_packet("hello-with-8-trailing-bytes", "the spec's variation: 8 extra bytes are ignored",
                   concat(spec, filled(8, 0)), spec_policy(), spec_ack())
      .req("HS-HELLO-LEN-001");
  d.accepts_packet("packet-of-128-bytes", "96 payload bytes fill the 128-byte handshake buffer",
                   concat(spec, filled(52, 0xff)), spec_policy(), spec_ack())
      .reqs({"HS-HELLO-LEN-001", "HS-FLOW-001"});
  d.accepts_packet("packet-longer-than-buffer",
                   "a 200-byte first packet: the server reads 128 bytes, the HELLO is in the "
                   "first 76",
                   concat(spec, filled(124, 0xff)), spec_policy(), spec_ack())
      .req("HS-FLOW-001");
  d.accepts_packet("header-undefined-flag-bits", "HELLO header flags 0x8000 are ignored",
                   with_u16(spec, hdr::kFlags, 0x8000), spec_policy(), spec_ack())
      .req("ENV-FLAGS-001");

  // The HELLO header's payload_len, item_count, message_id, flags and status are not judged.
  for (const auto& [name, at, value, comment] :
       {std::tuple{"header-payload-len-zero", hdr::kPayloadLen, 0u, "header payload_len 0"},
        std::tuple{"header-payload-len-1000", hdr::kPayloadLen, 1000u, "header payload_len 1000"},
        std::tuple{"header-item-count-zero", hdr::kItemCount, 0u, "header item_count 0"},
        std::tuple{"header-message-id-7", hdr::kMessageId, 7u, "header message_id 7"}}) {
    d.may_accept(name, std::string(comment) + ": the server need not check it",
                 at == hdr::kMessageId ? with_u64(spec, at, value) : with_u32(spec, at, value),
                 spec_policy(), spec_ack())
        .req("HS-HELLO-HDR-001");
  }
  d.may_accept("header-batch-flag", "HELLO header with the BATCH flag: the server need not check it",
               with_u16(spec, hdr::kFlags, kFlagBatch), spec_policy(), spec_ack())
      .req("HS-HELLO-HDR-001");
  d.may_accept("header-status-nonzero",
               "HELLO header transport_status 5: the server need not check it",
               with_u16(spec, hdr::kTransportStatus, 5), spec_policy(), spec_ack())
      .reqs({"HS-HELLO-HDR-001", "ENV-STATUS-001"});
}

void add_decide_rejected(DecideCases& d) {
  const Bytes spec = hello_packet(spec_hello());
  const ServerPolicy policy = spec_policy();
  const auto hello_with = [&](auto edit) {
    Hello h = spec_hello();
    edit(h);
    return h;
  };
  const Hello wrong_token = hello_with([](Hello& h) { h.auth_token = kToken ^ 1; });

  // HELLO payload checks (HS-HELLO-LAYOUT/FLAGS/RESERVED-001).
  for (const auto& [name, v] : {std::pair{"layout-zero", std::uint16_t{0}},
                                std::pair{"layout-two", std::uint16_t{2}},
                                std::pair{"layout-max", kU16Max}}) {
    d.rejects(name, "HELLO layout_version " + std::to_string(v),
              with_u16(spec, hello_at(hello_layout::kLayoutVersion), v), policy,
              TransportStatus::kIncompatible)
        .req("HS-HELLO-LAYOUT-001");
  }
  d.rejects("layout-before-auth", "the spec's variation: layout_version 2 and a wrong token",
            with_u16(hello_packet(wrong_token), hello_at(hello_layout::kLayoutVersion), 2), policy,
            TransportStatus::kIncompatible)
      .reqs({"HS-HELLO-LAYOUT-001", "HS-ORDER-001"});
  for (const auto& [name, v] : {std::pair{"flags-one", std::uint16_t{1}},
                                std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                std::pair{"flags-all-bits", kU16Max}}) {
    d.rejects(name, "HELLO flags " + std::to_string(v), with_u16(spec, hello_at(hello_layout::kFlags), v),
              policy, TransportStatus::kBadEnvelope)
        .req("HS-HELLO-FLAGS-001")
        .flag("NonzeroFlags");
  }
  d.rejects("flags-before-auth", "HELLO flags 1 and a wrong token",
            with_u16(hello_packet(wrong_token), hello_at(hello_layout::kFlags), 1), policy,
            TransportStatus::kBadEnvelope)
      .reqs({"HS-HELLO-FLAGS-001", "HS-ORDER-001"});
  for (const auto& [name, v] : {std::pair{"reserved-one", 1u},
                                std::pair{"reserved-high-bit", 0x80000000u},
                                std::pair{"reserved-all-ones", kU32Max}}) {
    d.rejects(name, "HELLO reserved " + std::to_string(v),
              with_u32(spec, hello_at(hello_layout::kReserved), v), policy,
              TransportStatus::kBadEnvelope)
        .req("HS-HELLO-RESERVED-001")
        .flag("NonzeroReserved");
  }
  d.rejects("reserved-before-auth", "the spec's variation: reserved 1 and a wrong token",
            with_u32(hello_packet(wrong_token), hello_at(hello_layout::kReserved), 1), policy,
            TransportStatus::kBadEnvelope)
      .reqs({"HS-HELLO-RESERVED-001", "HS-ORDER-001"})
      .flag("NonzeroReserved");
  d.rejects("layout-before-flags", "layout_version 0 and flags 1",
            with_u16(with_u16(spec, hello_at(hello_layout::kLayoutVersion), 0),
                     hello_at(hello_layout::kFlags), 1),
            policy, TransportStatus::kIncompatible)
      .reqs({"HS-HELLO-LAYOUT-001", "HS-ORDER-001"});

  // auth_token (HS-AUTH-001): exact 64-bit equality, before profiles and limits.
  for (const auto& [name, token, comment] :
       {std::tuple{"token-zero", std::uint64_t{0}, "the client sends token 0"},
        std::tuple{"token-low-bit-differs", kToken ^ 1, "the lowest bit differs"},
        std::tuple{"token-high-bit-differs", kToken ^ (std::uint64_t{1} << 63), "bit 63 differs"},
        std::tuple{"token-all-ones", kU64Max, "the client sends UINT64_MAX"},
        std::tuple{"token-high-half-differs", kToken ^ 0xFFFFFFFF00000000u,
                   "only the high 32 bits differ"},
        std::tuple{"token-low-half-differs", kToken ^ 0x00000000FFFFFFFFu,
                   "only the low 32 bits differ"}}) {
    d.rejects(name, comment, hello_with([&](Hello& h) { h.auth_token = token; }), policy,
              TransportStatus::kAuthFailed)
        .req("HS-AUTH-001");
  }
  ServerPolicy zero_token = policy;
  zero_token.auth_token = 0;
  d.rejects("server-token-zero", "a server with token 0 and a client with the example token",
            spec_hello(), zero_token, TransportStatus::kAuthFailed)
      .req("HS-AUTH-001");
  d.rejects("auth-before-profiles", "the spec's variation: wrong token and supported 0x04",
            hello_with([](Hello& h) {
              h.auth_token = 0;
              h.supported_profiles = 0x04;
            }),
            policy, TransportStatus::kAuthFailed)
      .reqs({"HS-AUTH-001", "HS-ORDER-001"});
  d.rejects("auth-before-request-cap", "wrong token and a request proposal over the cap",
            hello_with([](Hello& h) {
              h.auth_token = 0;
              h.max_request_payload_bytes = kU32Max;
            }),
            policy, TransportStatus::kAuthFailed)
      .reqs({"HS-AUTH-001", "HS-ORDER-001"});
  d.rejects("auth-before-packet-size", "wrong token and packet size 32",
            hello_with([](Hello& h) {
              h.auth_token = 0;
              h.packet_size = 32;
            }),
            policy, TransportStatus::kAuthFailed)
      .reqs({"HS-AUTH-001", "HS-ORDER-001"});

  // Profiles (HS-PROF-001).
  const auto no_profile = [&](std::string_view name, std::string_view comment,
                              std::uint32_t client, std::uint32_t server) {
    ServerPolicy p = policy;
    p.supported_profiles = server;
    return d.rejects(name, comment, hello_with([&](Hello& h) { h.supported_profiles = client; }),
                     p, TransportStatus::kUnsupported)
        .req("HS-PROF-001");
  };
  no_profile("no-common-profile", "client 0x04, server 0x03", 0x04, 0x03);
  no_profile("client-offers-nothing", "client supported_profiles 0", 0, 0x03).flag("ZeroLength");
  no_profile("client-offers-only-waitaddr", "client 0x08, server 0x07: 0x08 is never offered",
             0x08, 0x07)
      .req("PROF-WAITADDR-001");
  no_profile("client-offers-only-unknown-bits", "client 0xfffffff0, server 0x07", 0xFFFFFFF0, 0x07)
      .req("PROF-UNKNOWN-001");
  no_profile("server-zero-means-baseline-only", "client 0x06, server configured 0 (offers 0x01)",
             0x06, 0)
      .req("HS-PROF-003");
  d.rejects("profiles-before-request-cap", "no common profile and a request proposal over the cap",
            hello_with([](Hello& h) {
              h.supported_profiles = 0x04;
              h.max_request_payload_bytes = kU32Max;
            }),
            policy, TransportStatus::kUnsupported)
      .reqs({"HS-PROF-001", "HS-ORDER-001"});

  // Request payload cap (HS-REQ-001): never clamped.
  const auto over_cap = [&](std::string_view name, std::string_view comment,
                            std::uint32_t proposal, std::uint32_t server_max) {
    ServerPolicy p = policy;
    p.max_request_payload_bytes = server_max;
    return d.rejects(name, comment,
                     hello_with([&](Hello& h) { h.max_request_payload_bytes = proposal; }), p,
                     TransportStatus::kLimitExceeded)
        .req("HS-REQ-001");
  };
  over_cap("request-payload-one-over-default-cap", "the spec's variation: 1048577", 1048577,
           1048576);
  over_cap("request-payload-max", "a proposal of UINT32_MAX", kU32Max, 1048576);
  over_cap("request-payload-one-over-configured-cap", "1025 with a server maximum of 1024", 1025,
           1024);
  over_cap("request-payload-over-zero-cap", "1 with a server maximum of 0", 1, 0);
  d.rejects("request-cap-before-packet-size", "a proposal over the cap and packet size 32",
            hello_with([](Hello& h) {
              h.max_request_payload_bytes = 1048577;
              h.packet_size = 32;
            }),
            policy, TransportStatus::kLimitExceeded)
      .reqs({"HS-REQ-001", "HS-ORDER-001"});

  // Packet size (HS-PKT-002).
  const auto small_packet = [&](std::string_view name, std::string_view comment,
                                std::uint32_t client, std::uint32_t server) {
    ServerPolicy p = policy;
    p.packet_size = server;
    return d.rejects(name, comment, hello_with([&](Hello& h) { h.packet_size = client; }), p,
                     TransportStatus::kIncompatible)
        .reqs({"HS-PKT-002", "HS-PKT-001"})
        .flag("BoundaryPacketSize");
  };
  small_packet("packet-size-32", "the spec's variation: client packet size 32", 32, 65536);
  small_packet("packet-size-zero", "client packet size 0", 0, 65536);
  small_packet("packet-size-one", "client packet size 1", 1, 65536);
  small_packet("server-packet-size-32", "client 65536, server 32: the minimum is 32", 65536, 32);
  small_packet("server-packet-size-zero", "client 65536, server 0", 65536, 0);
}

void add_decide_first_packet(DecideCases& d) {
  const Bytes spec = hello_packet(spec_hello());
  const ServerPolicy policy = spec_policy();

  // HS-VERSION-001: a HELLO-shaped header with another version gets INCOMPATIBLE.
  for (const auto& [name, v] : {std::pair{"header-version-zero", std::uint16_t{0}},
                                std::pair{"header-version-two", std::uint16_t{2}},
                                std::pair{"header-version-max", kU16Max}}) {
    d.rejects(name, "a HELLO whose outer header has version " + std::to_string(v),
              with_u16(spec, hdr::kVersion, v), policy, TransportStatus::kIncompatible)
        .req("HS-VERSION-001");
  }
  d.rejects("header-version-before-hello-checks",
            "version 2 and a 43-byte HELLO with layout_version 2: the version decides",
            first_bytes(with_u16(with_u16(spec, hello_at(hello_layout::kLayoutVersion), 2),
                                 hdr::kVersion, 2),
                        75),
            policy, TransportStatus::kIncompatible)
      .reqs({"HS-VERSION-001", "HS-ORDER-001"});

  // HS-NOTHELLO-001: anything else that is not a HELLO is closed on silently.
  const auto not_hello = [&](std::string_view name, std::string_view comment, Bytes packet) {
    return d.closes(name, comment, std::move(packet)).req("HS-NOTHELLO-001");
  };
  not_hello("version-two-header-len-33", "version 2 with header_len 33: not HELLO-shaped",
            with_u16(with_u16(spec, hdr::kVersion, 2), hdr::kHeaderLen, 33))
      .req("HS-VERSION-001");
  not_hello("version-two-kind-request", "version 2 with kind REQUEST",
            with_u16(with_u16(spec, hdr::kVersion, 2), hdr::kKind, 1))
      .req("HS-VERSION-001");
  not_hello("version-two-code-hello-ack", "version 2 with code HELLO_ACK",
            with_u16(with_u16(spec, hdr::kVersion, 2), hdr::kCode, 2))
      .req("HS-VERSION-001");
  not_hello("version-two-bad-magic", "version 2 with magic 0",
            with_u16(with_u32(spec, hdr::kMagic, 0), hdr::kVersion, 2));

  Header request;
  request.kind = Kind::kRequest;
  request.code = static_cast<std::uint16_t>(Method::kIncrement);
  request.payload_len = 8;
  request.message_id = 1;
  not_hello("request-before-hello", "an INCREMENT request as the first packet",
            concat(to_bytes(encode_header(request)), filled(8, 0)));
  not_hello("response-kind", "a HELLO with kind RESPONSE", with_u16(spec, hdr::kKind, 2));
  not_hello("hello-ack-code", "a HELLO with code HELLO_ACK", with_u16(spec, hdr::kCode, 2));
  not_hello("control-code-zero", "a CONTROL message with code 0", with_u16(spec, hdr::kCode, 0));
  not_hello("control-code-three", "a CONTROL message with code 3", with_u16(spec, hdr::kCode, 3));
  not_hello("empty-packet", "a 0-byte first packet", Bytes{}).flag("ZeroLength");
  not_hello("header-truncated", "31 bytes of a HELLO", first_bytes(spec, 31)).flag("Truncated");
  not_hello("bad-magic", "a HELLO with magic 0", with_u32(spec, hdr::kMagic, 0));
  not_hello("chunk-magic", "a continuation chunk header as the first packet",
            with_u32(spec, hdr::kMagic, kChunkMagic));
  not_hello("header-len-33", "a HELLO with header_len 33", with_u16(spec, hdr::kHeaderLen, 33));
  not_hello("kind-zero", "a HELLO with kind 0", with_u16(spec, hdr::kKind, 0));
  not_hello("kind-four", "a HELLO with kind 4", with_u16(spec, hdr::kKind, 4));

  // HS-HELLO-LEN-001: fewer than 44 payload bytes, closed silently.
  const auto short_hello = [&](std::string_view name, std::string_view comment, Bytes packet) {
    return d.closes(name, comment, std::move(packet)).req("HS-HELLO-LEN-001").flag("Truncated");
  };
  short_hello("header-only", "the HELLO header without a payload", first_bytes(spec, 32))
      .flag("ZeroLength");
  short_hello("payload-43-bytes", "the spec's variation: the payload cut to 43 bytes",
              first_bytes(spec, 75));
  short_hello("payload-1-byte", "one payload byte", first_bytes(spec, 33));
  short_hello("length-before-layout", "43 payload bytes with layout_version 2",
              first_bytes(with_u16(spec, hello_at(hello_layout::kLayoutVersion), 2), 75))
      .req("HS-ORDER-001");
}

// ---- handshake_check_ack --------------------------------------------------------------------

// What the client sent: supports 0x03 preferring 0x02, 4096-byte requests in batches of 4,
// packet size 65536.
Hello sent_hello() { return Hello{0x03, 0x02, 4096, 4, 65536, 4, kToken, 65536}; }

// A correct answer to it from a server offering 0x03.
HelloAck good_ack() { return HelloAck{0x03, 0x03, 0x02, 4096, 4, 65536, 4, 65536, 1}; }

class CheckAckCases {
 public:
  explicit CheckAckCases(Family& f) : f_(f) {}

  CaseRef accepts(std::string_view name, std::string_view comment, const HelloAck& ack,
                  const Hello& sent = sent_hello()) {
    return accepts_packet(name, comment, ack_packet(TransportStatus::kOk, ack), ack, sent);
  }
  CaseRef accepts_packet(std::string_view name, std::string_view comment, Bytes packet,
                         const HelloAck& ack, const Hello& sent = sent_hello()) {
    return f_.valid(name, comment, std::move(packet), tools::hello_ack_to_json(ack))
        .context(tools::check_ack_context_to_json(sent));
  }
  CaseRef refuses(std::string_view name, std::string_view comment, Bytes packet, Error e,
                  const Hello& sent = sent_hello()) {
    return f_.invalid(name, comment, std::move(packet), e)
        .context(tools::check_ack_context_to_json(sent));
  }
  CaseRef refuses(std::string_view name, std::string_view comment, const HelloAck& ack, Error e,
                  const Hello& sent = sent_hello()) {
    return refuses(name, comment, ack_packet(TransportStatus::kOk, ack), e, sent);
  }
  CaseRef may_accept(std::string_view name, std::string_view comment, Bytes packet,
                     const HelloAck& ack) {
    return f_.acceptable(name, comment, std::move(packet), tools::hello_ack_to_json(ack))
        .context(tools::check_ack_context_to_json(sent_hello()));
  }

 private:
  Family& f_;
};

void add_check_ack_accepted(CheckAckCases& c) {
  const auto with = [](auto edit) {
    HelloAck a = good_ack();
    edit(a);
    return a;
  };
  c.accepts("matching-ack", "every value consistent with the HELLO sent", good_ack())
      .reqs({"HS-ACK-HDR-001", "HS-ACK-FMT-001", "HS-CLI-PROF-001", "HS-CLI-PROF-002",
             "HS-CLI-PROF-003", "HS-CLI-REQ-001", "HS-CLI-BATCH-001", "HS-CLI-BATCH-002",
             "HS-CLI-PKT-001", "HS-CLI-PKT-002", "HS-CLI-SID-001"});
  c.accepts("spec-example", "the spec's example exchange", spec_ack(), spec_hello())
      .req("HS-ACK-FMT-001");
  c.accepts("lower-profile-selected", "the server selected 0x01, which both offer",
            with([](HelloAck& a) { a.selected_profile = 0x01; }))
      .req("HS-CLI-PROF-001");
  c.accepts("server-offers-more", "the server offers 0x07; the intersection is still 0x03",
            with([](HelloAck& a) { a.server_supported_profiles = 0x07; }))
      .req("HS-CLI-PROF-003");
  c.accepts("packet-size-33", "agreed packet size 33, the smallest usable",
            with([](HelloAck& a) { a.agreed_packet_size = 33; }))
      .req("HS-CLI-PKT-001")
      .flag("BoundaryPacketSize");
  Hello small = sent_hello();
  small.packet_size = 33;
  c.accepts("packet-size-equals-proposal", "agreed packet size 33, equal to the proposal",
            with([](HelloAck& a) { a.agreed_packet_size = 33; }), small)
      .req("HS-CLI-PKT-002")
      .flag("BoundaryPacketSize");
  for (const auto& [name, v] : {std::pair{"response-payload-zero", 0u},
                                std::pair{"response-payload-max", kU32Max}}) {
    c.accepts(name, "agreed response payload " + std::to_string(v) + ": the server's to choose",
              with([&](HelloAck& a) { a.agreed_max_response_payload_bytes = v; }))
        .req("HS-RESP-001");
  }
  c.accepts("session-id-max", "session_id UINT64_MAX",
            with([](HelloAck& a) { a.session_id = kU64Max; }))
      .req("HS-CLI-SID-001");
  c.accepts_packet("trailing-bytes", "8 bytes after the 48-byte payload are ignored",
                   concat(ack_packet(TransportStatus::kOk, good_ack()), filled(8, 0xee)),
                   good_ack())
      .req("HS-ACK-LEN-001");
  c.accepts_packet("header-undefined-flag-bits", "HELLO_ACK header flags 0x8000 are ignored",
                   with_u16(ack_packet(TransportStatus::kOk, good_ack()), hdr::kFlags, 0x8000),
                   good_ack())
      .req("ENV-FLAGS-001");

  const Bytes good = ack_packet(TransportStatus::kOk, good_ack());
  c.may_accept("header-payload-len-zero", "HELLO_ACK header payload_len 0: not judged by the reference",
               with_u32(good, hdr::kPayloadLen, 0), good_ack())
      .req("HS-ACK-HDR-001");
  c.may_accept("header-item-count-zero", "HELLO_ACK header item_count 0: not judged by the reference",
               with_u32(good, hdr::kItemCount, 0), good_ack())
      .req("HS-ACK-HDR-001");
  c.may_accept("header-message-id-9", "HELLO_ACK header message_id 9: not judged by the reference",
               with_u64(good, hdr::kMessageId, 9), good_ack())
      .req("HS-ACK-HDR-001");
}

void add_check_ack_refused(CheckAckCases& c) {
  const Bytes good = ack_packet(TransportStatus::kOk, good_ack());
  const auto with = [](auto edit) {
    HelloAck a = good_ack();
    edit(a);
    return a;
  };

  // The outer header (ENV-*, HS-CLI-KIND-001).
  c.refuses("empty-reply", "a 0-byte reply", Bytes{}, Error::kHeaderTruncated).flag("ZeroLength");
  c.refuses("reply-16-bytes", "a 16-byte reply", first_bytes(good, 16), Error::kHeaderTruncated)
      .flag("Truncated");
  c.refuses("reply-31-bytes", "a 31-byte reply", first_bytes(good, 31), Error::kHeaderTruncated)
      .flag("Truncated");
  for (const auto& [name, magic] : {std::pair{"magic-zero", 0u},
                                    std::pair{"magic-is-chunk-magic", kChunkMagic},
                                    std::pair{"magic-all-ones", kU32Max}}) {
    c.refuses(name, "reply magic " + std::to_string(magic), with_u32(good, hdr::kMagic, magic),
              Error::kHeaderBadMagic);
  }
  for (const auto& [name, v] : {std::pair{"version-zero", std::uint16_t{0}},
                                std::pair{"version-two", std::uint16_t{2}},
                                std::pair{"version-max", kU16Max}}) {
    c.refuses(name, "reply header version " + std::to_string(v) + ": reported as incompatibility",
              with_u16(good, hdr::kVersion, v), Error::kAckRejectedIncompatible)
        .req("HS-CLI-KIND-001");
  }
  for (const auto& [name, v] : {std::pair{"header-len-zero", std::uint16_t{0}},
                                std::pair{"header-len-33", std::uint16_t{33}},
                                std::pair{"header-len-max", kU16Max}}) {
    c.refuses(name, "reply header_len " + std::to_string(v), with_u16(good, hdr::kHeaderLen, v),
              Error::kHeaderBadHeaderLen);
  }
  for (const auto& [name, v] : {std::pair{"kind-zero", std::uint16_t{0}},
                                std::pair{"kind-four", std::uint16_t{4}},
                                std::pair{"kind-max", kU16Max}}) {
    c.refuses(name, "reply kind " + std::to_string(v), with_u16(good, hdr::kKind, v),
              Error::kHeaderBadKind);
  }
  for (const auto& [name, at, v, comment] :
       {std::tuple{"kind-request", hdr::kKind, std::uint16_t{1}, "a REQUEST instead of CONTROL"},
        std::tuple{"kind-response", hdr::kKind, std::uint16_t{2}, "a RESPONSE instead of CONTROL"},
        std::tuple{"code-hello", hdr::kCode, std::uint16_t{1}, "code HELLO instead of HELLO_ACK"},
        std::tuple{"code-zero", hdr::kCode, std::uint16_t{0}, "CONTROL code 0"},
        std::tuple{"code-three", hdr::kCode, std::uint16_t{3}, "CONTROL code 3"}}) {
    c.refuses(name, comment, with_u16(good, at, v), Error::kAckNotControl);
  }

  // transport_status, mapped before the payload is decoded (HS-CLI-STATUS-001..005).
  for (const auto& [status, error, stem] :
       {std::tuple{std::uint16_t{2}, Error::kAckRejectedAuth, "auth-failed"},
        std::tuple{std::uint16_t{4}, Error::kAckRejectedUnsupported, "unsupported"},
        std::tuple{std::uint16_t{3}, Error::kAckRejectedIncompatible, "incompatible"},
        std::tuple{std::uint16_t{5}, Error::kAckRejectedLimit, "limit-exceeded"}}) {
    const Bytes rejection = ack_packet(static_cast<TransportStatus>(status), HelloAck{});
    const std::string s(stem);
    c.refuses("status-" + s, "a rejection with status " + std::to_string(status), rejection, error)
        .req("HS-REJECT-001");
    c.refuses("status-" + s + "-without-payload",
              "status " + std::to_string(status) + " and only the 32-byte header: the payload "
              "is never looked at",
              first_bytes(rejection, 32), error)
        .flag("ZeroLength");
    c.refuses("status-" + s + "-with-bad-payload",
              "status " + std::to_string(status) + " and a payload with layout_version 9",
              with_u16(rejection, ack_at(ack_layout::kLayoutVersion), 9), error);
  }
  for (const auto& [name, status] : {std::pair{"status-bad-envelope", std::uint16_t{1}},
                                     std::pair{"status-internal-error", std::uint16_t{6}},
                                     std::pair{"status-undefined-7", std::uint16_t{7}},
                                     std::pair{"status-max", kU16Max}}) {
    c.refuses(name, "status " + std::to_string(status) + " is a generic rejection",
              with_u16(good, hdr::kTransportStatus, status), Error::kAckRejectedOther);
  }
  c.refuses("kind-before-status", "code HELLO with status AUTH_FAILED",
            with_u16(with_u16(good, hdr::kTransportStatus, 2), hdr::kCode, 1),
            Error::kAckNotControl);
  c.refuses("version-before-status", "header version 2 with status AUTH_FAILED",
            with_u16(with_u16(good, hdr::kTransportStatus, 2), hdr::kVersion, 2),
            Error::kAckRejectedIncompatible)
      .req("HS-CLI-KIND-001");

  // The payload (HS-ACK-LEN/LAYOUT/FLAGS/RESERVED-001).
  constexpr FieldStart kAckFields[] = {
      {"layout-version", ack_layout::kLayoutVersion},
      {"flags", ack_layout::kFlags},
      {"server-supported-profiles", ack_layout::kServerSupportedProfiles},
      {"intersection-profiles", ack_layout::kIntersectionProfiles},
      {"selected-profile", ack_layout::kSelectedProfile},
      {"agreed-max-request-payload-bytes", ack_layout::kAgreedMaxRequestPayloadBytes},
      {"agreed-max-request-batch-items", ack_layout::kAgreedMaxRequestBatchItems},
      {"agreed-max-response-payload-bytes", ack_layout::kAgreedMaxResponsePayloadBytes},
      {"agreed-max-response-batch-items", ack_layout::kAgreedMaxResponseBatchItems},
      {"agreed-packet-size", ack_layout::kAgreedPacketSize},
      {"reserved", ack_layout::kReserved},
      {"session-id", ack_layout::kSessionId},
  };
  for (const FieldStart& field : kAckFields) {
    CaseRef r = c.refuses("payload-truncated-before-" + std::string(field.name),
                          "an OK reply whose payload ends before " + std::string(field.name),
                          first_bytes(good, ack_at(field.offset)), Error::kAckTruncated)
                    .flag("Truncated");
    if (field.offset == 0) r.flag("ZeroLength");
  }
  c.refuses("payload-47-bytes", "an OK reply with a 47-byte payload", first_bytes(good, 79),
            Error::kAckTruncated)
      .flag("Truncated");
  for (const auto& [name, v] : {std::pair{"layout-zero", std::uint16_t{0}},
                                std::pair{"layout-two", std::uint16_t{2}},
                                std::pair{"layout-max", kU16Max}}) {
    c.refuses(name, "ACK layout_version " + std::to_string(v),
              with_u16(good, ack_at(ack_layout::kLayoutVersion), v), Error::kAckBadLayout);
  }
  for (const auto& [name, v] : {std::pair{"flags-one", std::uint16_t{1}},
                                std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                std::pair{"flags-all-bits", kU16Max}}) {
    c.refuses(name, "ACK flags " + std::to_string(v),
              with_u16(good, ack_at(ack_layout::kFlags), v), Error::kAckNonzeroFlags);
  }
  for (const auto& [name, v] : {std::pair{"reserved-one", 1u},
                                std::pair{"reserved-high-bit", 0x80000000u},
                                std::pair{"reserved-all-ones", kU32Max}}) {
    c.refuses(name, "ACK reserved " + std::to_string(v),
              with_u32(good, ack_at(ack_layout::kReserved), v), Error::kAckNonzeroReserved)
        .flag("NonzeroReserved");
  }

  // The values against the HELLO sent (HS-CLI-PROF/REQ/BATCH/PKT/SID-*).
  Hello all = sent_hello();
  all.supported_profiles = 0x07;
  for (const auto& [name, selected, comment] :
       {std::tuple{"selected-two-bits", 0x03u, "selected 0x03, both bits offered by both"},
        std::tuple{"selected-0x06", 0x06u, "selected 0x06 with 0x07 on both sides"},
        std::tuple{"selected-0x05", 0x05u, "selected 0x05 with 0x07 on both sides"}}) {
    HelloAck a = good_ack();
    a.server_supported_profiles = 0x07;
    a.intersection_profiles = 0x07;
    a.selected_profile = selected;
    c.refuses(name, comment, a, Error::kAckProfileNotSingleBit, all);
  }
  c.refuses("selected-not-offered-by-client", "selected 0x04, which the client does not support",
            with([](HelloAck& a) {
              a.server_supported_profiles = 0x07;
              a.selected_profile = 0x04;
            }),
            Error::kAckProfileNotOffered);
  c.refuses("selected-not-offered-by-server",
            "selected 0x02, which the server's offer 0x01 lacks",
            with([](HelloAck& a) {
              a.server_supported_profiles = 0x01;
              a.intersection_profiles = 0x01;
              a.selected_profile = 0x02;
            }),
            Error::kAckProfileNotOffered);
  c.refuses("selected-waitaddr", "selected 0x08, offered by neither side",
            with([](HelloAck& a) { a.selected_profile = 0x08; }), Error::kAckProfileNotOffered)
      .req("PROF-WAITADDR-001");
  c.refuses("selected-high-bit", "selected 0x80000000",
            with([](HelloAck& a) { a.selected_profile = 0x80000000; }),
            Error::kAckProfileNotOffered);

  for (const auto& [name, v] : {std::pair{"intersection-too-small", 0x01u},
                                std::pair{"intersection-too-large", 0x07u},
                                std::pair{"intersection-zero", 0u}}) {
    c.refuses(name, "intersection_profiles " + std::to_string(v) + " instead of 0x03",
              with([&](HelloAck& a) { a.intersection_profiles = v; }),
              Error::kAckIntersectionMismatch);
  }
  for (const auto& [name, v] : {std::pair{"request-payload-lowered", 4095u},
                                std::pair{"request-payload-raised", 4097u},
                                std::pair{"request-payload-zero", 0u},
                                std::pair{"request-payload-max", kU32Max}}) {
    c.refuses(name, "agreed request payload " + std::to_string(v) + " for a proposal of 4096",
              with([&](HelloAck& a) { a.agreed_max_request_payload_bytes = v; }),
              Error::kAckRequestPayloadChanged);
  }
  for (const auto& [name, v] : {std::pair{"request-batch-lowered", 3u},
                                std::pair{"request-batch-raised", 5u},
                                std::pair{"request-batch-zero", 0u},
                                std::pair{"request-batch-max", kU32Max}}) {
    c.refuses(name, "agreed request batch " + std::to_string(v) + " (both directions) for 4",
              with([&](HelloAck& a) {
                a.agreed_max_request_batch_items = v;
                a.agreed_max_response_batch_items = v;
              }),
              Error::kAckRequestBatchChanged);
  }
  for (const auto& [name, v] : {std::pair{"response-batch-five", 5u},
                                std::pair{"response-batch-one", 1u},
                                std::pair{"response-batch-zero", 0u},
                                std::pair{"response-batch-max", kU32Max}}) {
    c.refuses(name, "agreed response batch " + std::to_string(v) + ", request batch 4",
              with([&](HelloAck& a) { a.agreed_max_response_batch_items = v; }),
              Error::kAckBatchAsymmetric);
  }
  for (const auto& [name, v] : {std::pair{"packet-size-32", 32u}, std::pair{"packet-size-one", 1u},
                                std::pair{"packet-size-zero", 0u}}) {
    c.refuses(name, "agreed packet size " + std::to_string(v),
              with([&](HelloAck& a) { a.agreed_packet_size = v; }), Error::kAckPacketSizeTooSmall)
        .flag("BoundaryPacketSize");
  }
  c.refuses("packet-size-one-above-proposal", "agreed 65537 for a proposal of 65536",
            with([](HelloAck& a) { a.agreed_packet_size = 65537; }),
            Error::kAckPacketSizeAboveProposal)
      .flag("BoundaryPacketSize");
  c.refuses("packet-size-max", "agreed UINT32_MAX for a proposal of 65536",
            with([](HelloAck& a) { a.agreed_packet_size = kU32Max; }),
            Error::kAckPacketSizeAboveProposal);
  Hello small = sent_hello();
  small.packet_size = 33;
  c.refuses("packet-size-34-for-33", "agreed 34 for a proposal of 33",
            with([](HelloAck& a) { a.agreed_packet_size = 34; }),
            Error::kAckPacketSizeAboveProposal, small)
      .flag("BoundaryPacketSize");
  c.refuses("session-id-zero", "an OK reply with session_id 0",
            with([](HelloAck& a) { a.session_id = 0; }), Error::kAckZeroSessionId);
  HelloAck spec_zero = spec_ack();
  spec_zero.session_id = 0;
  c.refuses("spec-example-session-id-zero", "the spec's example ACK with session_id 0", spec_zero,
            Error::kAckZeroSessionId, spec_hello());
  c.refuses("session-id-zero-packet-33", "packet size 33 and session_id 0",
            with([](HelloAck& a) {
              a.agreed_packet_size = 33;
              a.session_id = 0;
            }),
            Error::kAckZeroSessionId);

  // Several faults: the first check in the spec's order decides.
  c.refuses("order-layout-before-values", "layout_version 2 and session_id 0",
            with_u16(ack_packet(TransportStatus::kOk, with([](HelloAck& a) { a.session_id = 0; })),
                     ack_at(ack_layout::kLayoutVersion), 2),
            Error::kAckBadLayout);
  c.refuses("order-intersection-before-request", "wrong intersection and request payload",
            with([](HelloAck& a) {
              a.intersection_profiles = 0x01;
              a.agreed_max_request_payload_bytes = 1;
            }),
            Error::kAckIntersectionMismatch);
  c.refuses("order-request-payload-before-batch", "request payload and request batch changed",
            with([](HelloAck& a) {
              a.agreed_max_request_payload_bytes = 1;
              a.agreed_max_request_batch_items = 1;
            }),
            Error::kAckRequestPayloadChanged);
  c.refuses("order-request-batch-before-asymmetry", "request batch 3 and response batch 5",
            with([](HelloAck& a) {
              a.agreed_max_request_batch_items = 3;
              a.agreed_max_response_batch_items = 5;
            }),
            Error::kAckRequestBatchChanged);
  c.refuses("order-packet-size-before-session-id", "packet size 32 and session_id 0",
            with([](HelloAck& a) {
              a.agreed_packet_size = 32;
              a.session_id = 0;
            }),
            Error::kAckPacketSizeTooSmall);
}

}  // namespace

Family handshake_decide_family() {
  Family f("handshake_decide",
           "What a server does with the first packet of a connection (spec/handshake.md): "
           "bytes are the whole packet (outer header + HELLO), context.policy is the server's "
           "configuration. Valid: the server accepts and fields.reply_hex is the HELLO_ACK it "
           "sends. Invalid: Status<Name> (it sends the rejection HELLO_ACK with that status and "
           "closes) or SilentClose (it closes without replying).");
  DecideCases d(f);
  add_decide_accepted(d);
  add_decide_rejected(d);
  add_decide_first_packet(d);
  return f;
}

Family handshake_check_ack_family() {
  Family f("handshake_check_ack",
           "Whether a client accepts the HELLO_ACK it received (spec/handshake.md): bytes are "
           "the whole reply packet, context.hello the HELLO the client sent. Valid: fields are "
           "the accepted HELLO_ACK. Invalid: the error class the client reports; it then sends "
           "nothing more and closes.");
  CheckAckCases c(f);
  add_check_ack_accepted(c);
  add_check_ack_refused(c);
  return f;
}

}  // namespace nipc::vectors
