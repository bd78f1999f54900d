// The managed server: one endpoint, one service (one method code), one thread per session
// (spec/service.md, spec/transport-uds.md, spec/transport-shm.md).
#ifndef NIPC_TRANSPORT_SERVER_H_
#define NIPC_TRANSPORT_SERVER_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "nipc/codec/constants.h"
#include "nipc/codec/revision.h"
#include "nipc/transport/platform.h"
#include "nipc/transport/session.h"

namespace nipc {

/// What a typed handler made of one request item.
enum class HandlerStatus : std::uint8_t {
  kOk,          // `out` holds the response payload
  kBadRequest,  // the request payload did not decode (answered BAD_ENVELOPE, SVC-DECODE-001)
  kFailed,      // the handler failed (answered INTERNAL_ERROR, SVC-HANDLER-001)
  kOverflow,    // the response did not fit the room the server gave; its size is unknown
                // (answered LIMIT_EXCEEDED, the session closes, SVC-BUILDER-001)
};

/// A typed service: the one method code an endpoint serves (SVC-KIND-001) and its handler.
/// handle() may be called from several session threads at once.
class Service {
 public:
  virtual ~Service() = default;
  virtual std::uint16_t method() const = 0;
  /// Answers one request payload (one item of a batch) by appending the response payload to
  /// `out` (empty on entry).
  virtual HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) = 0;
  /// The server calls this one. `room` is the response space the server grants:
  /// max(agreed response limit, 1024) bytes (SVC-BUILDER-001). A service that builds into
  /// fixed room (a snapshot builder) returns kOverflow when the response does not fit it; a
  /// response longer than the agreed limit but within `room` is returned with kOk and the
  /// server measures it (SVC-RESPLIMIT-001). The default ignores `room` and calls handle().
  virtual HandlerStatus handle_bounded(ConstBytes request, std::vector<std::uint8_t>& out,
                                       std::size_t room) {
    (void)room;
    return handle(request, out);
  }
};

/// The response room a server grants a handler for a session whose agreed response limit is
/// `agreed_response` (SVC-BUILDER-001).
constexpr std::size_t response_room(std::uint32_t agreed_response) noexcept {
  return agreed_response < 1024u ? 1024u : agreed_response;
}

/// Server configuration. Zero values take the documented defaults.
struct ServerConfig {
  std::string run_dir;
  std::string service;
  std::uint64_t auth_token = 0;
  std::uint32_t supported_profiles = profile::kBaseline;  // 0 → baseline
  std::uint32_t preferred_profiles = 0;
  /// The protocol revision served where the two revisions disagree: the unconfigured
  /// request maximum (HS-REQ-003 / HS-REQ-004), stale-socket recovery (UDS-STALE-003 /
  /// UDS-STALE-002) and the ceiling of the learned sizes (SVC-GROWTH-002 / SVC-GROWTH-003).
  SpecRevision revision = kDefaultSpecRevision;
  /// Largest request payload proposal accepted (HS-REQ-001); 0 → the revision's default
  /// (default_request_payload_max: 1 MiB at seed, 1024 at newest).
  std::uint32_t max_request_payload_bytes = 0;
  /// The response limit granted to the first sessions; grows when responses do
  /// (SVC-RESPLIMIT-001). 0 → unconfigured: the first sessions get 65536. At seed growth has
  /// no ceiling (SVC-GROWTH-002); at newest a non-zero value is also the ceiling, and an
  /// unconfigured server grows up to 1 MiB (SVC-GROWTH-003).
  std::uint32_t max_response_payload_bytes = 0;
  std::uint32_t packet_size = 0;  // 0 → the channel's native size (SO_SNDBUF − 32; pipe 65536)
  int backlog = kDefaultBacklog;
  std::uint32_t handshake_timeout_ms = 10000;
  /// Sessions served at once; further connections are accepted, handshaken and closed
  /// (0 = no limit).
  std::uint32_t max_concurrent_sessions = 0;
  /// Fault injection for tests: called with the name of every region (file path on POSIX,
  /// mapping name on Windows) right after it was created, before the HELLO_ACK is sent.
  std::function<void(const std::string& path)> on_region_created;
};

/// Counters of a running server (read at any time).
struct ServerStats {
  std::uint64_t accepted = 0;
  std::uint64_t sessions_ok = 0;      // handshakes answered OK
  std::uint64_t sessions_shm = 0;     // of which on a shared region
  std::uint64_t handshakes_rejected = 0;
  std::uint64_t requests = 0;
  std::uint64_t error_responses = 0;
  std::uint64_t regions_created = 0;
  std::uint64_t stale_regions_removed = 0;
};

class Server {
 public:
  /// Removes stale regions of the service (SHM-STALE-002), then listens at the platform's
  /// endpoint (UDS-STALE-001, WIN-PIPE-FIRST-001).
  static TransportResult<std::unique_ptr<Server>> start(ServerConfig config,
                                                        std::shared_ptr<Service> service);
  ~Server();

  /// Accepts and serves sessions until stop(), or until `max_sessions` sessions (0 = no
  /// limit) have been accepted and have all ended. Returns after every session thread joined.
  void run(std::uint64_t max_sessions = 0);

  /// Ends run(): stops accepting and ends every session promptly. Thread-safe and
  /// async-signal-safe.
  void stop() noexcept { cancel_.cancel(); }

  /// The endpoint served: the socket path (POSIX) or the pipe name (Windows).
  const std::string& socket_path() const noexcept { return endpoint_; }
  ServerStats stats() const;
  /// The response limit the next session will be granted (SVC-LEARN-001). It starts at the
  /// configured limit, never shrinks, never passes response_ceiling() and lives as long as
  /// this object.
  std::uint32_t learned_response_payload() const noexcept {
    // Relaxed: a size hint read by the accept path; no other data depends on it.
    return learned_response_.load(std::memory_order_relaxed);
  }
  /// The request size this server has learned (SVC-LEARN-002): next_pow2 of every request
  /// payload seen, of every over-limit payload_len announced and of every agreed request
  /// limit; 0 before the first session. The agreed request limit is always the client's
  /// proposal (HS-REQ-002), so this value changes nothing on the wire; it is what a server
  /// that prepares regions before the HELLO would size their request areas from.
  std::uint32_t learned_request_payload() const noexcept {
    return learned_request_.load(std::memory_order_relaxed);
  }
  /// The largest response limit this server will ever grant: at newest the configured
  /// max_response_payload_bytes, or 1 MiB when it was 0 (SVC-GROWTH-003); at seed
  /// UINT32_MAX, i.e. no ceiling (SVC-GROWTH-002).
  std::uint32_t response_ceiling() const noexcept { return response_ceiling_; }
  /// The same ceiling for the learned request size: the configured
  /// max_request_payload_bytes, or 1 MiB when it was 0, at newest; UINT32_MAX at seed.
  std::uint32_t request_ceiling() const noexcept { return request_ceiling_; }

 private:
  Server(ServerConfig config, std::shared_ptr<Service> service,
         std::unique_ptr<PacketListener> listener, std::string endpoint);
  void serve_session(std::unique_ptr<PacketChannel> channel, std::uint64_t session_id);
  void serve_requests(ServerSession& session);
  void grow_response(std::uint64_t size) noexcept;
  void grow_request(std::uint64_t size) noexcept;

  ServerConfig config_;
  std::shared_ptr<Service> service_;
  std::unique_ptr<PacketListener> listener_;
  std::string endpoint_;
  Canceller cancel_;
  std::atomic<std::uint32_t> learned_response_;
  // Set by start() from the configuration as given, before defaults replace its zeros.
  std::uint32_t response_ceiling_ = UINT32_MAX;
  std::uint32_t request_ceiling_ = UINT32_MAX;
  std::atomic<std::uint32_t> learned_request_{0};
  std::atomic<std::uint32_t> active_{0};
  std::uint64_t next_session_id_ = 1;  // accept thread only

  // Counters only: relaxed atomics, they order nothing else.
  struct Counters {
    std::atomic<std::uint64_t> accepted{0}, sessions_ok{0}, sessions_shm{0},
        handshakes_rejected{0}, requests{0}, error_responses{0}, regions_created{0},
        stale_regions_removed{0};
  } counters_;
  struct Worker {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  void reap(bool all);
  std::mutex threads_mu_;
  std::vector<Worker> threads_;
};

/// next_pow2 of the growth rules (SVC-GROWTH-001): 16 below 16, else the smallest power of
/// two >= n (saturating at 2^31).
std::uint32_t next_pow2(std::uint64_t n) noexcept;

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SERVER_H_
