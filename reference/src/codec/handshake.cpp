#include "nipc/codec/handshake.h"

#include <algorithm>
#include <bit>

namespace nipc {
namespace {

// HS-REJECT-001: a rejection says nothing beyond its status; every ACK field is zero (the
// encoder still writes layout_version 1).
HandshakeDecision reject(TransportStatus status) noexcept { return {status, HelloAck{}}; }

// HS-VERSION-001: only a packet that would have been a HELLO but for its version earns an
// INCOMPATIBLE reply. The caller has already seen kHeaderBadVersion, so 32 bytes exist.
bool looks_like_hello_header(ConstBytes packet) noexcept {
  const std::uint8_t* p = packet.data();
  return load_u32le(p + header_layout::kMagic) == kMessageMagic &&
         load_u16le(p + header_layout::kHeaderLen) == kHeaderLen &&
         load_u16le(p + header_layout::kKind) == static_cast<std::uint16_t>(Kind::kControl) &&
         load_u16le(p + header_layout::kCode) == static_cast<std::uint16_t>(ControlCode::kHello);
}

// HS-CLI-STATUS-001..005: every non-OK status is its own client error.
Error rejection_error(std::uint16_t status) noexcept {
  switch (static_cast<TransportStatus>(status)) {
    case TransportStatus::kAuthFailed:
      return Error::kAckRejectedAuth;
    case TransportStatus::kUnsupported: return Error::kAckRejectedUnsupported;
    case TransportStatus::kIncompatible: return Error::kAckRejectedIncompatible;
    case TransportStatus::kLimitExceeded: return Error::kAckRejectedLimit;
    default: return Error::kAckRejectedOther;  // includes values outside the enum
  }
}

}  // namespace

Result<void> validate_policy(const ServerPolicy& policy) noexcept {
  if ((policy.supported_profiles & profile::kShmWaitAddr) != 0)
    return Error::kPolicyOffersWaitAddr;  // PROF-WAITADDR-001
  if (policy.session_id == 0) return Error::kPolicyZeroSessionId;  // HS-SID-001
  return {};
}

std::uint32_t offered_profiles(const ServerPolicy& policy) noexcept {
  const std::uint32_t configured =
      policy.supported_profiles == 0 ? profile::kBaseline : policy.supported_profiles;
  // PROF-WAITADDR-001: 0x08 has no implementation, so it is never offered whatever the
  // configuration says; removing it here keeps it out of every intersection.
  return configured & ~profile::kShmWaitAddr;
}

std::uint32_t select_profile(std::uint32_t intersection, std::uint32_t client_preferred,
                             std::uint32_t server_preferred) noexcept {
  const std::uint32_t preferred = intersection & client_preferred & server_preferred;
  const std::uint32_t from = preferred != 0 ? preferred : intersection;
  return std::bit_floor(from);  // bit_floor(0) == 0
}

HandshakeDecision decide(const Hello& hello, const ServerPolicy& policy) noexcept {
  if (hello.auth_token != policy.auth_token)
    return reject(TransportStatus::kAuthFailed);  // HS-AUTH-001: exact 64-bit equality

  const std::uint32_t offered = offered_profiles(policy);
  const std::uint32_t intersection = hello.supported_profiles & offered;
  if (intersection == 0) return reject(TransportStatus::kUnsupported);  // HS-PROF-001

  if (hello.max_request_payload_bytes > policy.max_request_payload_bytes)
    return reject(TransportStatus::kLimitExceeded);  // HS-REQ-001: never clamped

  const std::uint32_t packet_size = std::min(hello.packet_size, policy.packet_size);  // HS-PKT-001
  if (packet_size <= kMinPacketSizeExclusive)
    return reject(TransportStatus::kIncompatible);  // HS-PKT-002

  HelloAck ack;
  ack.server_supported_profiles = offered;  // HS-PROF-003
  ack.intersection_profiles = intersection;
  ack.selected_profile =
      select_profile(intersection, hello.preferred_profiles, policy.preferred_profiles);
  ack.agreed_max_request_payload_bytes = hello.max_request_payload_bytes;  // HS-REQ-002
  ack.agreed_max_request_batch_items = hello.max_request_batch_items;      // HS-BATCH-001
  ack.agreed_max_response_batch_items = hello.max_request_batch_items;  // HS-BATCH-002
  ack.agreed_max_response_payload_bytes = policy.response_payload_bytes;  // HS-RESP-001
  ack.agreed_packet_size = packet_size;
  ack.session_id = policy.session_id;  // HS-SID-001
  return {TransportStatus::kOk, ack};
}

FirstPacketVerdict decide_first_packet(ConstBytes packet, const ServerPolicy& policy) noexcept {
  ByteReader reader(packet);
  const Result<Header> header = decode_header(&reader);
  if (!header.ok()) {
    if (header.error() == Error::kHeaderBadVersion && looks_like_hello_header(packet))
      return {reject(TransportStatus::kIncompatible), header.error()};  // HS-VERSION-001
    return {std::nullopt, header.error()};  // HS-NOTHELLO-001
  }
  if (header->kind != Kind::kControl ||
      header->code != static_cast<std::uint16_t>(ControlCode::kHello))
    return {std::nullopt, Error::kFirstPacketNotHello};  // HS-NOTHELLO-001

  // The HELLO is whatever follows the header; payload_len is not consulted (see the
  // declaration), and decode_hello ignores bytes after its 44.
  const Result<Hello> hello = decode_hello(reader.rest());
  if (!hello.ok()) {
    const std::optional<TransportStatus> status = error_info(hello.error()).reply_status;
    if (!status)
      return {std::nullopt, hello.error()};  // HS-HELLO-LEN-001: close silently
    return {reject(*status), hello.error()};
  }
  return {decide(*hello, policy), std::nullopt};
}

Result<void> check_ack(const Hello& sent, const HelloAck& ack) noexcept {
  if (!std::has_single_bit(ack.selected_profile)) return Error::kAckProfileNotSingleBit;
  // HS-CLI-PROF-001: the selection must be offered by both sides, not just by the client.
  if ((ack.selected_profile & sent.supported_profiles & ack.server_supported_profiles) == 0)
    return Error::kAckProfileNotOffered;
  if (ack.intersection_profiles != (sent.supported_profiles & ack.server_supported_profiles))
    return Error::kAckIntersectionMismatch;
  if (ack.agreed_max_request_payload_bytes != sent.max_request_payload_bytes)
    return Error::kAckRequestPayloadChanged;
  if (ack.agreed_max_request_batch_items != sent.max_request_batch_items)
    return Error::kAckRequestBatchChanged;
  if (ack.agreed_max_response_batch_items != ack.agreed_max_request_batch_items)
    return Error::kAckBatchAsymmetric;
  if (ack.agreed_packet_size <= kMinPacketSizeExclusive) return Error::kAckPacketSizeTooSmall;
  if (ack.agreed_packet_size > sent.packet_size)
    return Error::kAckPacketSizeAboveProposal;
  if (ack.session_id == 0) return Error::kAckZeroSessionId;
  return {};
}

Result<HelloAck> check_ack_packet(const Hello& sent, ConstBytes packet) noexcept {
  ByteReader reader(packet);
  const Result<Header> header = decode_header(&reader);
  if (!header.ok()) {
    // HS-CLI-KIND-001: a peer on another envelope version is incompatible, however it
    // would have answered.
    if (header.error() == Error::kHeaderBadVersion) return Error::kAckRejectedIncompatible;
    return header.error();
  }
  if (header->kind != Kind::kControl ||
      header->code != static_cast<std::uint16_t>(ControlCode::kHelloAck))
    return Error::kAckNotControl;  // HS-CLI-KIND-001
  // HS-CLI-STATUS-*: a rejection is reported as such even when its payload is malformed.
  if (header->transport_status != static_cast<std::uint16_t>(TransportStatus::kOk))
    return rejection_error(header->transport_status);

  // The ACK is whatever follows the header, as on the server side; decode_hello_ack
  // ignores bytes after its 48.
  Result<HelloAck> ack = decode_hello_ack(reader.rest());
  if (!ack.ok()) return ack.error();
  if (Result<void> checked = check_ack(sent, *ack); !checked.ok()) return checked.error();
  return ack;
}

HelloPacket encode_hello_packet(const Hello& hello) noexcept {
  Header h;  // HS-HELLO-HDR-001
  h.kind = Kind::kControl;
  h.flags = 0;
  h.code = static_cast<std::uint16_t>(ControlCode::kHello);
  h.transport_status = static_cast<std::uint16_t>(TransportStatus::kOk);
  h.payload_len = hello_layout::kSize;
  h.item_count = 1;
  h.message_id = 0;
  HelloPacket out{};
  // Neither can fail: the array holds exactly the header and the payload.
  (void)encode_header(h, MutableBytes(out).first(header_layout::kSize));
  (void)encode_hello(hello, MutableBytes(out).subspan(header_layout::kSize));
  return out;
}

AckPacket encode_ack_packet(const HandshakeDecision& decision) noexcept {
  Header h;  // HS-ACK-HDR-001
  h.kind = Kind::kControl;
  h.flags = 0;
  h.code = static_cast<std::uint16_t>(ControlCode::kHelloAck);
  h.transport_status = static_cast<std::uint16_t>(decision.status);
  h.payload_len = ack_layout::kSize;
  h.item_count = 1;
  h.message_id = 0;
  AckPacket out{};
  (void)encode_header(h, MutableBytes(out).first(header_layout::kSize));
  (void)encode_hello_ack(decision.ack, MutableBytes(out).subspan(header_layout::kSize));
  return out;
}

}  // namespace nipc
