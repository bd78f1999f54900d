// Helpers shared by the case tables: the peer's own model of what a correct server decides
// (written independently of the reference's handshake code), and request builders.
#ifndef NIPC_CONFORMANCE_CASES_COMMON_H_
#define NIPC_CONFORMANCE_CASES_COMMON_H_

#include <bit>
#include <cstdint>
#include <string>

#include "../peer/catalogue.h"
#include "../peer/ctx.h"

namespace nipc::peer::cases {

inline constexpr std::uint32_t kShmBits = 0x06;

/// Status values by name (ENV-STATUS-001, HS-REJECT-001), so a row says which status it
/// sends or expects. kStatusUndefined is the first value the spec does not define.
inline constexpr std::uint16_t kStatusOk = static_cast<std::uint16_t>(TransportStatus::kOk);
inline constexpr std::uint16_t kStatusBadEnvelope = static_cast<std::uint16_t>(TransportStatus::kBadEnvelope);
inline constexpr std::uint16_t kStatusAuthFailed = static_cast<std::uint16_t>(TransportStatus::kAuthFailed);
inline constexpr std::uint16_t kStatusIncompatible = static_cast<std::uint16_t>(TransportStatus::kIncompatible);
inline constexpr std::uint16_t kStatusUnsupported = static_cast<std::uint16_t>(TransportStatus::kUnsupported);
inline constexpr std::uint16_t kStatusLimitExceeded = static_cast<std::uint16_t>(TransportStatus::kLimitExceeded);
inline constexpr std::uint16_t kStatusInternalError = static_cast<std::uint16_t>(TransportStatus::kInternalError);
inline constexpr std::uint16_t kStatusUndefined = kStatusInternalError + 1;

/// The profiles the IUT server offers under its configuration (0 means baseline; 0x08 is
/// never offered).
inline std::uint32_t server_offer(const Ctx& c) {
  std::uint32_t p = c.cfg().profiles == 0 ? 1u : c.cfg().profiles;
  return p & ~0x08u;
}

/// HS-PROF-002 written out: the highest common preferred bit, else the highest common bit.
inline std::uint32_t expected_selection(std::uint32_t intersection, std::uint32_t client_pref,
                                        std::uint32_t server_pref) {
  std::uint32_t pref = intersection & client_pref & server_pref;
  std::uint32_t from = pref != 0 ? pref : intersection;
  return from == 0 ? 0 : std::bit_floor(from);
}

/// Checks every field of a successful ACK against what `hello` and the IUT's configuration
/// oblige the server to answer, each field under its own requirement.
inline void check_ack_decisions(Ctx& c, const RawHello& h, const RawAck& a) {
  std::uint32_t offer = server_offer(c);
  c.check(a.server_supported == offer, "HS-PROF-003",
          "server_supported_profiles " + hex32(a.server_supported) + ", configured offer " + hex32(offer));
  c.check(a.intersection == (h.supported & a.server_supported), "HS-PROF-003",
          "intersection_profiles " + hex32(a.intersection) + " is not supported & server_supported");
  std::uint32_t want = expected_selection(h.supported & offer, h.preferred, c.cfg().preferred & ~0x08u);
  c.check(a.selected == want, "HS-PROF-002",
          "selected_profile " + hex32(a.selected) + ", expected " + hex32(want));
  c.check(a.request_payload == h.max_request_payload, "HS-REQ-002",
          "agreed_max_request_payload_bytes " + std::to_string(a.request_payload) + " is not the proposal " +
              std::to_string(h.max_request_payload));
  c.check(a.request_batch == h.max_request_batch, "HS-BATCH-001",
          "agreed_max_request_batch_items " + std::to_string(a.request_batch) + " is not the proposal " +
              std::to_string(h.max_request_batch));
  c.check(a.response_batch == a.request_batch, "HS-BATCH-002",
          "agreed_max_response_batch_items " + std::to_string(a.response_batch) +
              " differs from agreed_max_request_batch_items " + std::to_string(a.request_batch));
  // 0 configured means "the implementation's default" (spec/shim-contract.md): the peer does
  // not know that value, so it checks only what holds for any server limit.
  if (c.cfg().max_response_payload == 0) {
    c.check(a.response_payload > 0, "HS-RESP-001", "agreed_max_response_payload_bytes is 0");
  } else {
    c.check(a.response_payload == c.cfg().max_response_payload, "HS-RESP-001",
            "agreed_max_response_payload_bytes " + std::to_string(a.response_payload) +
                " is not the server's configured " + std::to_string(c.cfg().max_response_payload));
  }
  if (c.cfg().packet_size == 0) {
    c.check(a.packet_size > 32 && a.packet_size <= h.packet_size, "HS-PKT-001",
            "agreed_packet_size " + std::to_string(a.packet_size) + " is not in (32, proposal " +
                std::to_string(h.packet_size) + "] (the server's own size is its default)");
    return;
  }
  std::uint32_t pkt = std::min(h.packet_size, c.cfg().packet_size);
  c.check(a.packet_size == pkt, "HS-PKT-001",
          "agreed_packet_size " + std::to_string(a.packet_size) + ", expected min(" +
              std::to_string(h.packet_size) + ", " + std::to_string(c.cfg().packet_size) + ")");
}

/// A request header for the configured service.
inline RawHeader request(const Ctx& c, std::uint64_t id, std::size_t payload_len) {
  RawHeader h;
  h.kind = 1;
  h.code = c.method();
  h.payload_len = static_cast<std::uint32_t>(payload_len);
  h.item_count = 1;
  h.message_id = id;
  return h;
}

/// Sends one correct request and checks its correct answer.
inline void round_trip(Ctx& c, Session& s, std::uint64_t id, std::string_view req) {
  auto [payload, answer] = c.sample_request(id);
  RawHeader h = request(c, id, payload.size());
  s.send_message(h, payload);
  if (c.method() == 2) {
    Message m = s.expect_message(req, "the snapshot response");
    c.check(m.h.status == 0 && m.h.message_id == id, req, "snapshot request not answered OK");
  } else {
    s.expect_answer(h, answer, req);
  }
}

/// The start of every client case: the client connects and sends its HELLO; the peer
/// prepares a correct ACK for it (which the case may then spoil).
struct ClientStart {
  std::unique_ptr<Session> s;
  RawHello hello;
  RawAck ack;
};
inline ClientStart client_hello(Ctx& c) {
  ClientStart st;
  st.s = c.accept_client();
  st.hello = st.s->read_hello();
  st.ack = st.s->ack_for(st.hello);
  return st;
}

/// A correct session with the client: OK ACK, then every request answered correctly.
inline std::vector<Message> serve_ok(Ctx& c, const std::function<bool(Session&, const Message&)>& respond = {}) {
  ClientStart st = client_hello(c);
  st.s->send_ack(st.ack);
  return st.s->serve(respond);
}

}  // namespace nipc::peer::cases

#endif  // NIPC_CONFORMANCE_CASES_COMMON_H_
