// A session after the handshake, independent of the transport underneath
// (spec/session.md): the message link for packets, the checks every shared-region link shares,
// the handshake over a packet channel, and the client and server ends of a session. The
// shared-region links live with their regions (shm.h on POSIX, win_shm.h on Windows).
#ifndef NIPC_TRANSPORT_SESSION_H_
#define NIPC_TRANSPORT_SESSION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "nipc/codec/chunk.h"
#include "nipc/codec/envelope.h"
#include "nipc/codec/handshake.h"
#include "nipc/transport/error.h"
#include "nipc/transport/spin.h"
#include "nipc/transport/transport.h"

namespace nipc {

/// Profile bits that select a shared-memory transport. POSIX implements both as one transport
/// (PROF-FUTEX-001); Windows as two, hybrid and busy-wait (WIN-PROF-001).
inline constexpr std::uint32_t kShmProfiles = profile::kShmHybrid | profile::kShmFutex;

/// The limits of both directions as the HELLO_ACK agreed them.
DirectionLimits request_limits(const HelloAck& ack) noexcept;
DirectionLimits response_limits(const HelloAck& ack) noexcept;

/// A broken codec rule as a transport error: kLimitExceeded for the limit rules, else
/// kProtocol; the rule travels along.
TransportError rule_error(Error e) noexcept;

/// Checks one message read from a shared region (whatever the platform): the outer header
/// decodes, the inbound limits hold, and the published length is exactly 32 + payload_len
/// (SHM-MSGLEN-001, else kShmBadLength). `last_header` is set to the decoded header, or
/// cleared when none decoded. On success the payload view points into `msg`.
TransportResult<InboundMessage> accept_region_message(ConstBytes msg, DirectionLimits inbound,
                                                      std::optional<Header>& last_header);

/// Logical messages over a packet channel, chunked by the agreed packet size (CHUNK-*).
/// Receives spin adaptively (non-blocking reads) before they block.
class PacketLink final : public MessageLink {
 public:
  /// `inbound` are the limits of the direction this end receives.
  PacketLink(std::unique_ptr<PacketChannel> channel, std::uint32_t packet_size,
             DirectionLimits inbound, SpinPolicy spin = SpinPolicy());

  TransportResult<void> send_message(const Header& header, ConstBytes payload) override;
  TransportResult<InboundMessage> receive_message(Deadline deadline,
                                                  const Canceller* cancel) override;
  std::optional<Header> last_header() const override { return last_header_; }
  std::uint32_t max_in_flight() const override { return 0; }
  bool chunks() const override { return true; }
  NativeHandle native_handle() const override { return channel_->native_handle(); }

  /// Messages sent or received as more than one packet (for tests and reports).
  std::uint64_t chunked_messages() const noexcept { return chunked_; }

 private:
  TransportResult<std::size_t> next_packet(Deadline deadline, const Canceller* cancel, bool spin);
  std::unique_ptr<PacketChannel> channel_;
  std::uint32_t packet_size_;
  DirectionLimits inbound_;
  SpinPolicy spin_;
  std::vector<std::uint8_t> packet_;
  std::vector<std::uint8_t> payload_;
  Reassembler reassembler_;
  std::optional<Header> last_header_;
  bool mid_message_ = false;  // a receive stopped (timeout) between packets of a message
  bool streaming_ = false;    // the last packet was queued before the receive looked for it
  std::uint64_t chunked_ = 0;
};

/// The client half of the handshake (HS-FLOW-001): sends the HELLO as one packet, reads one
/// packet of at most 128 bytes and checks it (check_ack_packet). A rejection status gives
/// kRejected with the AckRejected* rule; any other refusal kHandshakeFailed with its rule.
TransportResult<HelloAck> client_handshake(PacketChannel& channel, const Hello& hello,
                                           Deadline deadline);

/// Creates the session's shared region for an accepted decision; false when it cannot
/// (the server then withdraws its SHM profiles from this handshake, PROF-OFFER-001).
using RegionPreparer = std::function<bool(const HelloAck& ack)>;

/// What the server half of the handshake decided.
struct ServerHandshake {
  Hello hello;
  HandshakeDecision decision;
};

/// The server half of the handshake: reads the first packet, decides it
/// (decide_first_packet), prepares the SHM region before answering when an SHM profile is
/// selected (PROF-SHM-READY-001), and sends the HELLO_ACK. Returns the decision, also for a
/// rejection that was sent (then the caller closes); kHandshakeFailed with the cause when the
/// server closed without answering.
TransportResult<ServerHandshake> server_handshake(PacketChannel& channel, ServerPolicy policy,
                                                  Deadline deadline, const Canceller* cancel,
                                                  const RegionPreparer& prepare);

/// The client end of an established session: request submission with in-flight tracking
/// (SESS-MSGID-*), outbound limits, response checks. After any error the session is broken
/// and every later call fails with the same error (SESS-DEAD-001).
class ClientSession {
 public:
  ClientSession(std::unique_ptr<MessageLink> link, const Hello& hello, const HelloAck& ack);

  /// Sends a request. `header.payload_len` is set from `payload` and transport_status to 0
  /// (ENV-STATUS-001). Refused with nothing sent:
  /// kLimitExceeded (ENV-LIMIT-003/004), kInFlight with kDuplicateMessageId (SESS-MSGID-001),
  /// kInFlight when the link allows no more outstanding requests (SHM-ONEINFLIGHT-001),
  /// kBadParameter for a kind other than REQUEST.
  TransportResult<void> send_request(Header header, ConstBytes payload);

  /// Receives the next response (any in-flight id, SESS-PIPELINE-001). Protocol errors:
  /// kUnexpectedKind, kUnknownMessageId, kResponseCodeMismatch, batch directory rules;
  /// inbound limits. The payload is the caller's to judge by transport_status
  /// (SVC-STATUS-001: decode it only when the status is OK).
  TransportResult<InboundMessage> receive_response(Deadline deadline,
                                                   const Canceller* cancel = nullptr);

  /// One request, one response.
  TransportResult<InboundMessage> call(const Header& header, ConstBytes payload,
                                       Deadline deadline);

  std::size_t in_flight() const noexcept { return in_flight_.size(); }
  std::uint32_t max_in_flight() const noexcept { return link_->max_in_flight(); }
  const HelloAck& ack() const noexcept { return ack_; }
  std::uint32_t profile() const noexcept { return ack_.selected_profile; }
  bool broken() const noexcept { return broken_.has_value(); }
  MessageLink& link() noexcept { return *link_; }
  /// The waitable OS object: readable when a response can be received (packet links).
  NativeHandle native_handle() const noexcept { return link_->native_handle(); }

 private:
  TransportError fail(TransportError e);
  std::unique_ptr<MessageLink> link_;
  Hello hello_;
  HelloAck ack_;
  DirectionLimits request_;
  // Message ids in flight. A vector: pipelines are short, and a scan of a few ids beats
  // hashing and a node allocation per request.
  struct InFlight {
    std::uint64_t message_id;
    std::uint16_t code;  // the response must carry the same (SESS-CODE-001)
  };
  std::vector<InFlight> in_flight_;
  std::optional<TransportError> broken_;
};

/// The server end of an established session.
class ServerSession {
 public:
  ServerSession(std::unique_ptr<MessageLink> link, const HelloAck& ack);

  /// Receives the next request: kind REQUEST only (SESS-KIND-001, HS-ONCE-001), inbound
  /// limits, batch directory. On a protocol error last_header() tells what to answer.
  TransportResult<InboundMessage> receive_request(Deadline deadline, const Canceller* cancel);

  /// Sends a response. kLimitExceeded when it is above the agreed response limits (nothing
  /// sent); kBadParameter for a kind other than RESPONSE.
  TransportResult<void> send_response(Header header, ConstBytes payload);

  /// Sends an error response to `request` (SVC-ERRRESP-001): same code and message_id,
  /// flags 0, item_count 1, empty payload.
  TransportResult<void> send_error(const Header& request, TransportStatus status);

  std::optional<Header> last_header() const { return link_->last_header(); }
  const HelloAck& ack() const noexcept { return ack_; }
  MessageLink& link() noexcept { return *link_; }

 private:
  std::unique_ptr<MessageLink> link_;
  HelloAck ack_;
  DirectionLimits response_;
};

/// Validates the batch directory of a received message when it has one (BATCH-PRESENT-001:
/// BATCH flag and item_count >= 1).
TransportResult<void> check_batch_directory(const InboundMessage& message);

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SESSION_H_
