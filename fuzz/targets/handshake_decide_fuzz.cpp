// The server's first-packet decision (spec/handshake.md). Input: a 37-byte prefix giving the
// server policy, then the first packet as the server read it (outer header + HELLO).
//
//   prefix: u64 auth_token, u32 supported_profiles, u32 preferred_profiles,
//           u32 max_request_payload_bytes, u32 response_payload_bytes, u32 packet_size,
//           u64 session_id, u8 options (bit 0: use the HELLO's own auth_token, so inputs
//           reach the checks after HS-AUTH-001 without guessing a 64-bit value).
//
// Oracles: the verdict is recomputed from the raw bytes and the policy (HS-VERSION-001,
// HS-NOTHELLO-001, the HELLO rules and their table statuses, then the HS-ORDER-001 checks of
// decide()); every rejection is the all-zero form (HS-REJECT-001); an OK ACK carries the
// agreed values the spec names and, under a valid policy, passes the client's check_ack for
// the decoded HELLO, also after a trip through encode_ack_packet and check_ack_packet; a
// rejection packet makes check_ack_packet report the matching rejection error.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.h"
#include "nipc/codec/handshake.h"

namespace {

using nipc::Error;
using nipc::TransportStatus;

constexpr std::size_t kPrefixSize = 37;

// The client-side error a rejection status surfaces as (HS-CLI-STATUS-001..005).
Error client_error_for(TransportStatus status) {
  switch (status) {
    case TransportStatus::kAuthFailed: return Error::kAckRejectedAuth;
    case TransportStatus::kUnsupported: return Error::kAckRejectedUnsupported;
    case TransportStatus::kIncompatible: return Error::kAckRejectedIncompatible;
    case TransportStatus::kLimitExceeded: return Error::kAckRejectedLimit;
    default: return Error::kAckRejectedOther;
  }
}

// decide()'s status, in HS-ORDER-001 order, from the policy's plain fields.
TransportStatus expected_status(const nipc::Hello& hello, const nipc::ServerPolicy& policy) {
  const std::uint32_t configured =
      policy.supported_profiles == 0 ? 0x01u : policy.supported_profiles;
  const std::uint32_t offered = configured & ~0x08u;  // PROF-WAITADDR-001
  if (hello.auth_token != policy.auth_token) return TransportStatus::kAuthFailed;
  if ((hello.supported_profiles & offered) == 0) return TransportStatus::kUnsupported;
  if (hello.max_request_payload_bytes > policy.max_request_payload_bytes)
    return TransportStatus::kLimitExceeded;
  const std::uint32_t packet = hello.packet_size < policy.packet_size ? hello.packet_size
                                                                      : policy.packet_size;
  if (packet <= 32) return TransportStatus::kIncompatible;
  return TransportStatus::kOk;
}

// Every reply must survive the wire: the encoded packet decodes to the same status and ACK.
void check_reply_packet(const nipc::HandshakeDecision& reply, const nipc::Hello& sent) {
  const auto packet = nipc::encode_ack_packet(reply);
  const nipc::Result<nipc::Header> h = nipc::decode_header(nipc::ConstBytes(packet));
  NIPC_FUZZ_CHECK(h.ok() && h->kind == nipc::Kind::kControl && h->code == 2 &&
                  h->transport_status == static_cast<std::uint16_t>(reply.status) &&
                  h->payload_len == 48 && h->item_count == 1 && h->message_id == 0 &&
                  h->flags == 0);
  const nipc::Result<nipc::HelloAck> ack =
      nipc::decode_hello_ack(nipc::ConstBytes(packet).subspan(32));
  NIPC_FUZZ_CHECK(ack.ok() && *ack == reply.ack);
  const nipc::Result<nipc::HelloAck> client = nipc::check_ack_packet(sent, packet);
  if (reply.status != TransportStatus::kOk) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(client, client_error_for(reply.status)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  nipc::fuzz::PrefixReader prefix(data, size);
  nipc::ServerPolicy policy;
  policy.auth_token = prefix.u64();
  policy.supported_profiles = prefix.u32();
  policy.preferred_profiles = prefix.u32();
  policy.max_request_payload_bytes = prefix.u32();
  policy.response_payload_bytes = prefix.u32();
  policy.packet_size = prefix.u32();
  policy.session_id = prefix.u64();
  const std::uint8_t options = prefix.u8();
  if (size < kPrefixSize) return 0;
  const nipc::ConstBytes packet = prefix.rest();

  const nipc::Result<nipc::Header> header = nipc::decode_header(packet);
  std::optional<nipc::Hello> hello;
  if (header.ok() && header->kind == nipc::Kind::kControl && header->code == 1) {
    const nipc::Result<nipc::Hello> decoded = nipc::decode_hello(packet.subspan(32));
    if (decoded.ok()) hello = *decoded;
  }
  if ((options & 1) != 0 && hello) policy.auth_token = hello->auth_token;

  const nipc::FirstPacketVerdict verdict = nipc::decide_first_packet(packet, policy);

  // Every rejection says nothing but its status (HS-REJECT-001).
  if (verdict.reply && verdict.reply->status != TransportStatus::kOk)
    NIPC_FUZZ_CHECK(verdict.reply->ack == nipc::HelloAck{});
  if (verdict.reply) check_reply_packet(*verdict.reply, hello.value_or(nipc::Hello{}));

  if (!header.ok()) {
    const std::uint8_t* p = packet.data();
    const bool hello_but_version = header.error() == Error::kHeaderBadVersion &&
                                   nipc::load_u16le(p + 6) == 32 && nipc::load_u16le(p + 8) == 3 &&
                                   nipc::load_u16le(p + 12) == 1;
    NIPC_FUZZ_CHECK(verdict.cause == header.error());
    if (hello_but_version) {  // HS-VERSION-001
      NIPC_FUZZ_CHECK(verdict.reply && verdict.reply->status == TransportStatus::kIncompatible);
    } else {  // HS-NOTHELLO-001
      NIPC_FUZZ_CHECK(!verdict.reply);
    }
    return 0;
  }
  if (header->kind != nipc::Kind::kControl || header->code != 1) {
    NIPC_FUZZ_CHECK(!verdict.reply && verdict.cause == Error::kFirstPacketNotHello);
    return 0;
  }
  if (!hello) {
    const nipc::Result<nipc::Hello> decoded = nipc::decode_hello(packet.subspan(32));
    NIPC_FUZZ_CHECK(verdict.cause == decoded.error());
    const std::optional<TransportStatus> status = nipc::error_info(decoded.error()).reply_status;
    if (status) {
      NIPC_FUZZ_CHECK(verdict.reply && verdict.reply->status == *status);
    } else {
      NIPC_FUZZ_CHECK(!verdict.reply);
    }
    return 0;
  }

  // A decodable HELLO: decide() judged it.
  NIPC_FUZZ_CHECK(verdict.reply && !verdict.cause);
  const nipc::HandshakeDecision& reply = *verdict.reply;
  NIPC_FUZZ_CHECK(reply.status == expected_status(*hello, policy));
  NIPC_FUZZ_CHECK(reply == nipc::decide(*hello, policy));
  if (reply.status != TransportStatus::kOk) return 0;

  const nipc::HelloAck& ack = reply.ack;
  NIPC_FUZZ_CHECK(ack.server_supported_profiles == nipc::offered_profiles(policy));
  NIPC_FUZZ_CHECK(ack.intersection_profiles ==
                  (hello->supported_profiles & ack.server_supported_profiles));
  NIPC_FUZZ_CHECK(std::has_single_bit(ack.selected_profile));
  NIPC_FUZZ_CHECK((ack.selected_profile & ack.intersection_profiles) != 0);
  const std::uint32_t both_prefer =
      ack.intersection_profiles & hello->preferred_profiles & policy.preferred_profiles;
  NIPC_FUZZ_CHECK(ack.selected_profile == std::bit_floor(both_prefer != 0
                                                             ? both_prefer
                                                             : ack.intersection_profiles));
  NIPC_FUZZ_CHECK(ack.agreed_max_request_payload_bytes == hello->max_request_payload_bytes);
  NIPC_FUZZ_CHECK(ack.agreed_max_request_batch_items == hello->max_request_batch_items);
  NIPC_FUZZ_CHECK(ack.agreed_max_response_batch_items == hello->max_request_batch_items);
  NIPC_FUZZ_CHECK(ack.agreed_max_response_payload_bytes == policy.response_payload_bytes);
  NIPC_FUZZ_CHECK(ack.agreed_packet_size ==
                  (hello->packet_size < policy.packet_size ? hello->packet_size
                                                           : policy.packet_size));
  NIPC_FUZZ_CHECK(ack.session_id == policy.session_id);

  // Under a valid policy the client accepts what the server agreed (validate_policy's
  // promise), in memory and through the wire form.
  if (nipc::validate_policy(policy).ok()) {
    NIPC_FUZZ_CHECK(nipc::check_ack(*hello, ack).ok());
    const auto ack_packet = nipc::encode_ack_packet(reply);
    const nipc::Result<nipc::HelloAck> accepted = nipc::check_ack_packet(*hello, ack_packet);
    NIPC_FUZZ_CHECK(accepted.ok() && *accepted == ack);
  }
  return 0;
}
