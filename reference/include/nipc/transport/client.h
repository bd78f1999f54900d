// Connecting a client: endpoint, handshake, and the shared region when an SHM profile is
// selected, with the fallback rule when attaching fails (PROF-ATTACH-FAIL-001).
#ifndef NIPC_TRANSPORT_CLIENT_H_
#define NIPC_TRANSPORT_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "nipc/codec/constants.h"
#include "nipc/transport/session.h"

namespace nipc {

/// Everything a client proposes. Zero values take the documented defaults.
struct ClientConfig {
  std::string run_dir;
  std::string service;
  std::uint64_t auth_token = 0;
  std::uint32_t supported_profiles = profile::kBaseline;  // 0 → baseline
  std::uint32_t preferred_profiles = 0;
  std::uint32_t max_request_payload_bytes = kDefaultPayloadLimit;  // 0 → 1024
  std::uint32_t max_request_batch_items = kDefaultBatchItems;      // 0 → 1
  std::uint32_t max_response_payload_bytes = 65536;                // hint; 0 → 1024
  std::uint32_t packet_size = 0;  // 0 → the channel's native size (SO_SNDBUF − 32)
  std::uint32_t handshake_timeout_ms = 10000;
  std::uint32_t attach_timeout_ms = 5000;  // SHM attach retries every 5 ms until then
};

/// The HELLO a client sends on `channel` (HS-CLI-HELLO-001): defaults applied, bit 0x08
/// never offered (PROF-WAITADDR-001), response batch items equal to request batch items.
Hello make_hello(const ClientConfig& config, std::uint32_t native_packet_size) noexcept;

/// A client context. It remembers, for its whole life, that SHM attach failed once and then
/// offers only the remaining profiles (PROF-ATTACH-FAIL-001).
class Client {
 public:
  explicit Client(ClientConfig config) : config_(std::move(config)) {}

  /// Connects, handshakes and (for an SHM profile) attaches the session region. If attaching
  /// fails the session is closed, SHM bits are dropped from supported and preferred, and a
  /// new handshake follows at once; kNotSupported if no profile remains.
  TransportResult<std::unique_ptr<ClientSession>> connect();

  const ClientConfig& config() const noexcept { return config_; }
  /// Changes the request proposal and response hint of later connects (overflow recovery,
  /// SVC-GROWTH-001); the profile rules stay as they are.
  void set_proposals(std::uint32_t request_payload, std::uint32_t response_hint) noexcept {
    config_.max_request_payload_bytes = request_payload;
    config_.max_response_payload_bytes = response_hint;
  }
  std::uint32_t shm_attach_failures() const noexcept { return attach_failures_; }
  /// The error of the last failed attach (for reports); nullopt if none failed.
  const std::optional<TransportError>& last_attach_error() const noexcept { return attach_error_; }

 private:
  ClientConfig config_;
  std::uint32_t attach_failures_ = 0;
  std::optional<TransportError> attach_error_;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_CLIENT_H_
