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
  /// Profiles the server can serve for this session; 0 means baseline only (0x01).
  std::uint32_t supported_profiles = profile::kBaseline;
  std::uint32_t preferred_profiles = 0;
  /// Largest request payload proposal accepted (HS-REQ-001); larger is LIMIT_EXCEEDED.
  std::uint32_t max_request_payload_bytes = kRequestPayloadCap;
  /// The response payload limit the server will use (HS-RESP-001); the client's hint is
  /// ignored.
  std::uint32_t response_payload_bytes = 65536;
  /// The server's own packet size; agreed = min(client, server) (HS-PKT-001).
  std::uint32_t packet_size = 65536;
  /// The session_id this accept attempt consumed (HS-SID-001).
  std::uint64_t session_id = 1;
};

/// The server's answer to a decoded HELLO: a status and the ACK payload to send. When the
/// status is not kOk the ACK is the rejection form (layout 1, every other field 0) and the
/// server closes after sending it.
struct HandshakeDecision {
  TransportStatus status = TransportStatus::kOk;
  HelloAck ack;
  friend bool operator==(const HandshakeDecision&, const HandshakeDecision&) = default;
};

/// Decides a decoded HELLO under `policy`, checking in spec order (HS-ORDER-001):
/// auth token, profile intersection, request payload cap, packet size.
HandshakeDecision decide(const Hello& hello, const ServerPolicy& policy) noexcept;

/// The server's reaction to the first packet of a connection.
struct FirstPacketVerdict {
  /// nullopt: close without replying (the packet is not a recognisable HELLO).
  std::optional<HandshakeDecision> reply;
  /// Why the packet was refused, when it was; nullopt for a HELLO that decoded.
  std::optional<Error> cause;
};

/// Decides a whole first packet (outer header + HELLO payload) as a server does
/// (HS-VERSION-001, HS-NOTHELLO-001, HS-HELLO-*): an undecodable or non-HELLO header closes
/// silently; a HELLO header with a bad version gets INCOMPATIBLE; HELLO payload errors map
/// to their table status (or a silent close when the table has none); a decodable HELLO
/// goes to decide().
FirstPacketVerdict decide_first_packet(ConstBytes packet, const ServerPolicy& policy) noexcept;

/// Checks an ACK the client received against the HELLO it sent (HS-CLI-*): profile offered,
/// single bit, intersection consistent, request payload and batch echoed, response batch
/// symmetric, packet size in (32, proposal], session_id non-zero. The ACK is assumed to
/// carry status OK.
Result<void> check_ack(const Hello& sent, const HelloAck& ack) noexcept;

/// Processes a whole HELLO_ACK packet as a client does: header decode, CONTROL/HELLO_ACK
/// check (kAckNotControl), status mapped before the payload is decoded
/// (kAckRejected*), payload decode, then check_ack(). Returns the ACK on success.
Result<HelloAck> check_ack_packet(const Hello& sent, ConstBytes packet) noexcept;

/// Builds the complete first packet a client sends (32-byte header + 44-byte HELLO).
std::array<std::uint8_t, 32 + hello_layout::kSize> encode_hello_packet(const Hello& hello) noexcept;

/// Builds the complete HELLO_ACK packet for `decision` (32-byte header + 48-byte payload).
std::array<std::uint8_t, 32 + ack_layout::kSize> encode_ack_packet(
    const HandshakeDecision& decision) noexcept;

/// Selects the session profile (HS-PROF-002): the highest bit of
/// intersection & client_preferred & server_preferred, else the highest bit of the
/// intersection; 0 when the intersection is empty.
std::uint32_t select_profile(std::uint32_t intersection, std::uint32_t client_preferred,
                             std::uint32_t server_preferred) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_HANDSHAKE_H_
