// The handshake decisions as pure functions (spec/handshake.md): what a server answers to a
// first packet, and whether a client may accept the HELLO_ACK it received.
#ifndef NIPC_CODEC_HANDSHAKE_H_
#define NIPC_CODEC_HANDSHAKE_H_

#include <array>
#include <cstdint>
#include <optional>

#include "nipc/codec/bytes.h"
#include "nipc/codec/constants.h"
#include "nipc/codec/header.h"
#include "nipc/codec/hello.h"
#include "nipc/codec/result.h"

namespace nipc {

/// What a server is configured to accept and offer. Every limit is a field here, never a
/// constant buried in code.
struct ServerPolicy {
  std::uint64_t auth_token = 0;
  /// Profiles the server can serve for this session; 0 means baseline only (0x01). The
  /// never-implemented bit 0x08 is not offered even if set here (PROF-WAITADDR-001);
  /// validate_policy() refuses such a configuration.
  std::uint32_t supported_profiles = profile::kBaseline;
  std::uint32_t preferred_profiles = 0;
  /// Largest request payload proposal accepted (HS-REQ-001); larger is LIMIT_EXCEEDED.
  std::uint32_t max_request_payload_bytes = kRequestPayloadCap;
  /// The response payload limit the server will use (HS-RESP-001); the client's hint is
  /// ignored.
  std::uint32_t response_payload_bytes = 65536;
  /// The server's own packet size; agreed = min(client, server) (HS-PKT-001).
  std::uint32_t packet_size = 65536;
  /// The session_id this accept attempt consumed (HS-SID-001); never 0.
  std::uint64_t session_id = 1;
};

/// Checks a server configuration before it is used, in this order: supported_profiles must
/// not contain 0x08 (kPolicyOffersWaitAddr, PROF-WAITADDR-001), session_id must not be 0
/// (kPolicyZeroSessionId, HS-SID-001). Success means every HELLO that decide() accepts
/// under this policy yields an ACK a conforming client accepts.
Result<void> validate_policy(const ServerPolicy& policy) noexcept;

/// The profiles a server advertises under `policy` (HS-PROF-003): the configured set, 0
/// meaning baseline (0x01), without the reserved bit 0x08 (PROF-WAITADDR-001).
std::uint32_t offered_profiles(const ServerPolicy& policy) noexcept;

/// The server's answer to a decoded HELLO: a status and the ACK payload to send. When the
/// status is not kOk the ACK is the rejection form (layout 1, every other field 0) and the
/// server closes after sending it.
struct HandshakeDecision {
  TransportStatus status = TransportStatus::kOk;
  HelloAck ack;
  friend bool operator==(const HandshakeDecision&, const HandshakeDecision&) = default;
};

/// Decides a decoded HELLO under `policy`. Checks in spec order (HS-ORDER-001), the first
/// failure deciding the status, with an all-zero ACK (HS-REJECT-001):
///   1. auth_token == policy.auth_token, exact 64-bit equality, else AUTH_FAILED (HS-AUTH-001);
///   2. hello.supported_profiles & offered_profiles(policy) != 0, else UNSUPPORTED
///      (HS-PROF-001);
///   3. max_request_payload_bytes <= policy.max_request_payload_bytes, else LIMIT_EXCEEDED
///      (HS-REQ-001; never clamped);
///   4. min(hello.packet_size, policy.packet_size) > 32, else INCOMPATIBLE (HS-PKT-002).
/// On success (kOk) the ACK carries: server_supported_profiles = offered_profiles(policy),
/// the intersection, select_profile(intersection, hello.preferred, policy.preferred), the
/// request payload and batch proposals unchanged, response batch = request batch, response
/// payload = policy.response_payload_bytes, packet size = the minimum, and
/// policy.session_id (HS-PROF-002/003, HS-REQ-002, HS-BATCH-001/002, HS-RESP-001,
/// HS-PKT-001, HS-SID-001). The client's response hints are ignored.
HandshakeDecision decide(const Hello& hello, const ServerPolicy& policy) noexcept;

/// The server's reaction to the first packet of a connection.
struct FirstPacketVerdict {
  /// nullopt: close without replying (the packet is not a recognisable HELLO).
  std::optional<HandshakeDecision> reply;
  /// The codec rule the packet broke, when it broke one; nullopt for a HELLO that decoded
  /// (decide() then judged it, and the reply's status says how).
  std::optional<Error> cause;
  friend bool operator==(const FirstPacketVerdict&, const FirstPacketVerdict&) = default;
};

/// Decides a whole first packet (outer header + HELLO payload) as a server does. `packet`
/// is what the server read (at most kHandshakeReadSize bytes). In order (HS-ORDER-001):
///   - outer header decode fails with kHeaderBadVersion while the bytes otherwise look like
///     a HELLO header (magic, header_len 32, kind CONTROL, code HELLO): reply INCOMPATIBLE
///     (HS-VERSION-001), cause kHeaderBadVersion;
///   - any other header failure: silent close, cause = the header error (HS-NOTHELLO-001);
///   - kind/code not CONTROL/HELLO: silent close, cause kFirstPacketNotHello
///     (HS-NOTHELLO-001);
///   - the HELLO payload is every byte after the 32-byte header. The header's payload_len,
///     item_count, message_id, flags and transport_status are not judged (existing peers
///     do not either); HS-HELLO-LEN-001 already ignores bytes after the 44, so a
///     payload_len that disagrees changes nothing;
///   - HELLO decode failure: reply with the error's table status (error_info().reply_status)
///     or close silently when the table has none (kHelloTruncated); cause = the error;
///   - otherwise reply decide(hello, policy), cause nullopt.
/// A reply with a non-OK status is always the rejection form; the server closes after it.
FirstPacketVerdict decide_first_packet(ConstBytes packet, const ServerPolicy& policy) noexcept;

/// Checks an ACK the client received against the HELLO it sent. The ACK is assumed to carry
/// status OK. Rules in this order, the first failure being the error:
///   selected_profile is exactly one bit (kAckProfileNotSingleBit, HS-CLI-PROF-002);
///   it is one of sent.supported_profiles (kAckProfileNotOffered, HS-CLI-PROF-001);
///   intersection == sent.supported & server_supported (kAckIntersectionMismatch,
///     HS-CLI-PROF-003);
///   agreed request payload == proposal (kAckRequestPayloadChanged, HS-CLI-REQ-001);
///   agreed request batch == proposal (kAckRequestBatchChanged, HS-CLI-BATCH-001);
///   response batch == request batch (kAckBatchAsymmetric, HS-CLI-BATCH-002);
///   agreed packet size > 32 (kAckPacketSizeTooSmall, HS-CLI-PKT-001);
///   agreed packet size <= sent.packet_size (kAckPacketSizeAboveProposal, HS-CLI-PKT-002);
///   session_id != 0 (kAckZeroSessionId, HS-CLI-SID-001).
/// The single-bit rule comes first so that "offered" is a question about one bit.
/// agreed_max_response_payload_bytes is the server's to choose and is not judged.
Result<void> check_ack(const Hello& sent, const HelloAck& ack) noexcept;

/// Processes a whole HELLO_ACK packet as a client does, in this order:
///   - outer header decode; kHeaderBadVersion surfaces as kAckRejectedIncompatible (the
///     peer speaks another envelope version: the same outcome as an INCOMPATIBLE reply,
///     HS-CLI-KIND-001); every other header error is returned as is;
///   - kind CONTROL and code HELLO_ACK, else kAckNotControl (HS-CLI-KIND-001);
///   - transport_status, before the payload is looked at (HS-CLI-STATUS-001..005):
///     AUTH_FAILED → kAckRejectedAuth, UNSUPPORTED → kAckRejectedUnsupported,
///     INCOMPATIBLE → kAckRejectedIncompatible, LIMIT_EXCEEDED → kAckRejectedLimit, any
///     other non-zero value → kAckRejectedOther;
///   - decode_hello_ack() of every byte after the 32-byte header (header payload_len,
///     item_count, message_id and flags are not judged, as on the server side);
///   - check_ack().
/// Returns the ACK on success. Any failure means the client sends nothing more and closes
/// (HS-CLI-ABORT-001).
Result<HelloAck> check_ack_packet(const Hello& sent, ConstBytes packet) noexcept;

/// A whole HELLO packet (outer header + payload): 76 bytes.
using HelloPacket = std::array<std::uint8_t, header_layout::kSize + hello_layout::kSize>;
/// A whole HELLO_ACK packet (outer header + payload): 80 bytes.
using AckPacket = std::array<std::uint8_t, header_layout::kSize + ack_layout::kSize>;

/// Builds the complete first packet a client sends (32-byte header + 44-byte HELLO). The
/// header is kind CONTROL, code HELLO, flags 0, status 0, payload_len 44, item_count 1,
/// message_id 0 (HS-HELLO-HDR-001).
HelloPacket encode_hello_packet(const Hello& hello) noexcept;

/// Builds the complete HELLO_ACK packet for `decision` (32-byte header + 48-byte payload).
/// The header is kind CONTROL, code HELLO_ACK, flags 0, status = decision.status,
/// payload_len 48, item_count 1, message_id 0 (HS-ACK-HDR-001). The ACK fields are written
/// as given: decide() is what guarantees the all-zero rejection form.
AckPacket encode_ack_packet(const HandshakeDecision& decision) noexcept;

/// Selects the session profile (HS-PROF-002): the highest bit of
/// intersection & client_preferred & server_preferred, else the highest bit of the
/// intersection; 0 when the intersection is empty. The formula alone; keeping 0x08 out of
/// the intersection is decide()'s job (PROF-WAITADDR-001).
std::uint32_t select_profile(std::uint32_t intersection, std::uint32_t client_preferred,
                             std::uint32_t server_preferred) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_HANDSHAKE_H_
