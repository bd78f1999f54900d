// The platform seam: everything the managed server and the client need from the platform's
// transports, so that neither names a socket, a pipe or a region type. POSIX implements it
// with UDS SEQPACKET and region files (src/transport/posix/platform.cpp), Windows with named
// pipes and file mappings (src/transport/windows/platform.cpp).
#ifndef NIPC_TRANSPORT_PLATFORM_H_
#define NIPC_TRANSPORT_PLATFORM_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "nipc/codec/envelope.h"
#include "nipc/codec/revision.h"
#include "nipc/transport/error.h"
#include "nipc/transport/transport.h"

namespace nipc::platform {

/// The name of a service's baseline endpoint: the socket path (UDS-PATH-001) or the pipe name
/// (WIN-PIPE-NAME-001). Fails as the name derivation does.
TransportResult<std::string> endpoint_name(std::string_view run_dir, std::string_view service);

/// Starts listening at the service's endpoint. kAddressInUse (UDS-LIVE-001), or kPipeInUse on
/// Windows (WIN-PIPE-FIRST-001), when a live server owns it. `backlog` <= 0 means the default
/// (sockets only); `packet_size` sizes the pipe buffers (pipes only, 0 = 65536); `revision`
/// picks the stale-socket rule (sockets only: UDS-STALE-003 at seed, UDS-STALE-002 at newest).
TransportResult<std::unique_ptr<PacketListener>> listen(std::string_view run_dir,
                                                        std::string_view service, int backlog,
                                                        std::uint32_t packet_size,
                                                        SpecRevision revision = kDefaultSpecRevision);

/// Connects to the service's endpoint. kNotFound when no server is there (or, for a pipe,
/// every instance is busy: WIN-PIPE-CONNECT-001).
TransportResult<std::unique_ptr<PacketChannel>> connect(std::string_view run_dir,
                                                        std::string_view service);

/// The packet size a baseline channel proposes without configuration (UDS-PKT-001,
/// WIN-PKT-001), for tools that report it before connecting.
std::uint32_t native_packet_size() noexcept;

/// Removes region leftovers of `service` at server start (SHM-STALE-002); the number removed.
/// Windows kernel objects vanish with their handles: always 0 there.
std::size_t remove_stale_regions(std::string_view run_dir, std::string_view service) noexcept;

/// Identifies a session's shared region: everything either side derives its name from.
struct RegionKey {
  std::string_view run_dir;
  std::string_view service;
  std::uint64_t auth_token = 0;
  std::uint32_t profile = 0;  // the selected SHM profile bit
  std::uint64_t session_id = 0;
};

/// A session's shared region, created (server) or attached (client), not yet carrying
/// messages.
class SessionRegion {
 public:
  virtual ~SessionRegion() = default;
  /// What the peer finds it by: the region file path (POSIX) or the mapping name (Windows).
  virtual const std::string& name() const = 0;
  /// The mapped bytes, header first (tests and fault injection look at the header).
  virtual std::span<std::uint8_t> bytes() = 0;
  /// Turns the region and the session's channel (which stays open, SHM-SOCKET-001) into the
  /// session's message link; the region is moved out, this object is spent afterwards.
  /// `inbound` are the limits of the direction this side receives.
  virtual std::unique_ptr<MessageLink> into_link(std::unique_ptr<PacketChannel> channel,
                                                 bool server_side, DirectionLimits inbound) = 0;
};

/// Server side: creates the region of `key` with at least the given area capacities, header
/// complete before it returns (PROF-SHM-READY-001). Failure means the server must not offer
/// SHM to this session (PROF-OFFER-001).
TransportResult<std::unique_ptr<SessionRegion>> create_region(const RegionKey& key,
                                                              std::uint32_t request_capacity,
                                                              std::uint32_t response_capacity);

/// Client side: attaches the region of `key` and validates it (SHM-ATTACH-001,
/// WIN-SHM-ATTACH-001).
TransportResult<std::unique_ptr<SessionRegion>> attach_region(const RegionKey& key);

/// True when an attach error may clear up by itself (the server is still creating the
/// region), so the client retries every 5 ms until its attach timeout.
bool attach_retryable(const TransportError& error) noexcept;

}  // namespace nipc::platform

#endif  // NIPC_TRANSPORT_PLATFORM_H_
