// The transport boundary. Everything above it (handshake, sessions, services) sees only these
// interfaces; a platform supplies the implementations:
//
//   PacketListener / PacketChannel   the baseline packet transport the handshake runs on
//                                    (POSIX: UDS SEQPACKET; Windows: a message-mode pipe)
//   MessageLink                      how logical messages travel once the session is set up
//                                    (chunked packets on the channel, or a shared region)
#ifndef NIPC_TRANSPORT_TRANSPORT_H_
#define NIPC_TRANSPORT_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "nipc/codec/bytes.h"
#include "nipc/codec/header.h"
#include "nipc/transport/error.h"
#include "nipc/transport/sys.h"

namespace nipc {

/// Default listen backlog (UDS-LISTEN-001); named pipes have none.
inline constexpr int kDefaultBacklog = 16;

/// A connected, message-preserving, reliable, ordered channel: each send is delivered as one
/// packet, whole or not at all.
class PacketChannel {
 public:
  virtual ~PacketChannel() = default;

  /// Sends one packet: the concatenation of `parts`. Either the whole packet is accepted by
  /// the OS or the call fails (a short send is an error, UDS-SEND-001). Never raises SIGPIPE.
  /// kPeerClosed when the peer is gone.
  virtual TransportResult<void> send_packet(std::span<const ConstBytes> parts) = 0;

  /// Receives one packet into `buffer` and returns its length. kPacketTooLarge when the packet
  /// did not fit (its tail is lost: the session is dead), kPeerClosed at end of stream,
  /// kTimeout / kCancelled as their names say. `cancel` may be null.
  virtual TransportResult<std::size_t> recv_packet(MutableBytes buffer, Deadline deadline,
                                                   const Canceller* cancel) = 0;

  /// Non-blocking receive: the packet's length, or nullopt when none is queued.
  virtual TransportResult<std::optional<std::size_t>> try_recv_packet(MutableBytes buffer) = 0;

  /// recv_packet for a caller that has just found the queue empty with try_recv_packet: the
  /// same results, but an implementation may go straight to its blocking wait instead of
  /// trying once more first (one system call less per blocked receive).
  virtual TransportResult<std::size_t> wait_packet(MutableBytes buffer, Deadline deadline,
                                                   const Canceller* cancel) {
    return recv_packet(buffer, deadline, cancel);
  }

  /// Without blocking: true when the peer has hung up (used while data flows elsewhere).
  virtual bool peer_hung_up() = 0;

  /// The packet size this side proposes when its configuration leaves it to the transport
  /// (UDS-PKT-001): the largest packet the OS will send on this channel.
  virtual std::uint32_t native_packet_size() const = 0;

  /// The waitable OS object: readable when a packet is queued or the peer hung up.
  virtual NativeHandle native_handle() const = 0;
};

/// A listening endpoint that yields one PacketChannel per accepted connection.
class PacketListener {
 public:
  virtual ~PacketListener() = default;

  /// Waits for and accepts one connection. kTimeout / kCancelled as their names say.
  virtual TransportResult<std::unique_ptr<PacketChannel>> accept(Deadline deadline,
                                                                 const Canceller* cancel) = 0;

  /// The waitable OS object: readable when a connection is pending.
  virtual NativeHandle native_handle() const = 0;
};

/// A received logical message. The payload view points into the link's buffer and stays
/// valid until the next receive on the same link.
struct InboundMessage {
  Header header;
  ConstBytes payload;
};

/// Carries logical messages (outer header + payload) for one established session in one
/// role. Implementations decode the header and enforce the inbound limits of their direction;
/// kinds, message ids and batch directories are the session's business.
class MessageLink {
 public:
  virtual ~MessageLink() = default;

  /// Sends one logical message whose header.payload_len equals payload.size().
  virtual TransportResult<void> send_message(const Header& header, ConstBytes payload) = 0;

  /// Receives one logical message.
  virtual TransportResult<InboundMessage> receive_message(Deadline deadline,
                                                          const Canceller* cancel) = 0;

  /// The header of the last message whose header decoded, even when the message was then
  /// refused (a server needs its message_id and code to answer LIMIT_EXCEEDED).
  virtual std::optional<Header> last_header() const = 0;

  /// How many messages may be outstanding in each direction: 0 means no limit (packet links
  /// pipeline), 1 for a shared region (SHM-ONEINFLIGHT-001).
  virtual std::uint32_t max_in_flight() const = 0;

  /// True when logical messages may travel as several packets (CHUNK-SCOPE-001).
  virtual bool chunks() const = 0;

  /// The waitable OS object of the session (for a shared region: the connection it belongs
  /// to, which reports hang-up only).
  virtual NativeHandle native_handle() const = 0;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_TRANSPORT_H_
