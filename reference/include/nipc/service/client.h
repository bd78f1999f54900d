// The typed service client (spec/service.md, "Client: state, calls and recovery"): one
// service at one endpoint, a connection state machine, typed calls for every method of the
// revision, at-least-once retry of ordinary failures on a new session (SVC-RETRY-001) and
// overflow recovery with grown limits (SVC-OVERFLOW-001, SVC-GROWTH-001). Built on the
// transport Client, which keeps the shared-memory attach rule (PROF-ATTACH-FAIL-001).
#ifndef NIPC_SERVICE_CLIENT_H_
#define NIPC_SERVICE_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/transport/client.h"
#include "nipc/transport/session.h"

namespace nipc::service {

/// The client's connection state (SVC-STATE-001). Values are those of the existing typed
/// clients so logs compare.
enum class ClientState : std::uint8_t {
  kDisconnected = 0,
  kConnecting = 1,
  kReady = 2,
  kNotFound = 3,
  kAuthFailed = 4,    // sticky until the client is re-created
  kIncompatible = 5,  // sticky until the client is re-created
  kBroken = 6,
};
std::string_view state_name(ClientState s) noexcept;

/// The state a failed connect leaves (SVC-STATE-001): nothing listening → kNotFound; an
/// AUTH_FAILED rejection → kAuthFailed; UNSUPPORTED / INCOMPATIBLE rejections and a HELLO_ACK
/// of another layout → kIncompatible; everything else (a LIMIT_EXCEEDED rejection, I/O errors,
/// no profile left after an attach failure) → kDisconnected.
ClientState state_after_connect_failure(const TransportError& e) noexcept;

/// next_pow2 of SVC-GROWTH-001: 16 below 16, else the smallest power of two not below `n`
/// (saturating at 2^31 for larger values; callers cap at kGrowthCeiling first anyway).
std::uint32_t next_pow2(std::uint64_t n) noexcept;
/// Client-side growth stops here (SVC-GROWTH-001).
inline constexpr std::uint32_t kGrowthCeiling = 1048576;
/// Attempts of one call under overflow recovery, the first included (SVC-OVERFLOW-001).
inline constexpr std::uint32_t kMaxOverflowAttempts = 8;

/// Why a call failed.
enum class CallFailure : std::uint8_t {
  kNotReady,   // the state was not READY: nothing was sent (SVC-STATE-002)
  kOverflow,   // overflow recovery gave up (SVC-OVERFLOW-001)
  kStatus,     // the response's transport_status was not OK; the payload was not read
  kTransport,  // sending, receiving or reconnecting failed (`transport` says how)
  kDecode,     // the OK payload did not decode under the method's codec (`rule`)
};
std::string_view call_failure_name(CallFailure f) noexcept;

struct CallError {
  CallFailure failure = CallFailure::kTransport;
  std::optional<TransportError> transport;  // kTransport, and kOverflow when a reconnect failed
  std::uint16_t status = 0;                 // kStatus: the status received
  std::optional<Error> rule;                // kDecode: the codec rule
  std::string describe() const;
};

/// Either a value or a CallError.
template <class T>
using CallResult = std::variant<T, CallError>;
template <class T>
bool ok(const CallResult<T>& r) noexcept { return r.index() == 0; }

/// How the client gets sessions: the transport Client in production; tests script it.
class SessionSource {
 public:
  virtual ~SessionSource() = default;
  /// One connect + handshake (+ attach) proposing `request_payload` request bytes and
  /// `response_hint` response bytes. The source owns the profile rules (attach failure).
  virtual TransportResult<std::unique_ptr<ClientSession>> open(std::uint32_t request_payload,
                                                               std::uint32_t response_hint) = 0;
};

/// The transport Client as a SessionSource. Its context lives as long as this object, so an
/// SHM attach failure removes the SHM profiles for the rest of the service client's life.
class TransportSource final : public SessionSource {
 public:
  explicit TransportSource(ClientConfig config) : client_(std::move(config)) {}
  TransportResult<std::unique_ptr<ClientSession>> open(std::uint32_t request_payload,
                                                       std::uint32_t response_hint) override;
  const Client& transport() const noexcept { return client_; }

 private:
  Client client_;
};

struct ServiceClientConfig {
  ClientConfig transport;  // endpoint, token, profiles, initial proposals
  /// Per-response wait: 0 = none on packet transports; on shared memory 0 means 30 s.
  std::uint32_t response_timeout_ms = 0;
};

/// Counters of SVC-STATE-001: successful calls, failed calls, first connects, reconnects.
struct ClientCounters {
  std::uint64_t calls = 0, errors = 0, connects = 0, reconnects = 0;
  std::uint64_t overflow_reconnects = 0, retries = 0;
};

/// A typed client for one service. Not thread-safe: one caller at a time. Construction never
/// connects; refresh() does. Views returned by calls point into the session's receive buffer
/// and stay valid until the next call or refresh().
class ServiceClient {
 public:
  explicit ServiceClient(ServiceClientConfig config);
  /// For tests: sessions come from `source`; `initial_request` and `initial_hint` are the
  /// first proposals.
  ServiceClient(std::unique_ptr<SessionSource> source, std::uint32_t initial_request,
                std::uint32_t initial_hint, std::uint32_t response_timeout_ms = 0);
  ~ServiceClient();

  /// Connects when DISCONNECTED or NOT_FOUND (connects++ on success), tears down and
  /// reconnects when BROKEN (reconnects++ on success); does nothing in READY, CONNECTING,
  /// AUTH_FAILED and INCOMPATIBLE. Returns true when the state changed.
  bool refresh();
  /// State is READY; no I/O.
  bool ready() const noexcept { return state_ == ClientState::kReady; }
  ClientState state() const noexcept { return state_; }
  const ClientCounters& counters() const noexcept { return counters_; }
  /// The current proposals (grown by overflow recovery, never lowered).
  std::uint32_t request_proposal() const noexcept { return request_proposal_; }
  std::uint32_t response_hint() const noexcept { return response_hint_; }
  /// The current session, null unless READY.
  const ClientSession* session() const noexcept { return session_.get(); }
  /// The last error that moved the state (for reports).
  const std::optional<TransportError>& last_error() const noexcept { return last_error_; }

  /// INCREMENT (method 1): the server's answer for `value`.
  CallResult<std::uint64_t> increment(std::uint64_t value);
  /// STRING_REVERSE (method 3): the server's answer, copied.
  CallResult<std::string> string_reverse(std::string_view text);
  /// CGROUPS_SNAPSHOT (method 2): a view of the snapshot, valid until the next call.
  CallResult<SnapshotView> cgroups_snapshot();

  /// Any method: sends `payload` as one request of `method` and gives `decode` the OK
  /// payload (a view valid until the next call). `decode` returns the codec rule on failure.
  using Decoder = std::function<std::optional<Error>(ConstBytes payload)>;
  CallResult<std::monostate> call(std::uint16_t method, ConstBytes payload, const Decoder& decode);

 private:
  enum class Attempt : std::uint8_t { kOk, kOverflow, kFailed };
  struct AttemptResult {
    Attempt kind = Attempt::kFailed;
    CallError error;
  };
  AttemptResult attempt(std::uint16_t method, ConstBytes payload, const Decoder& decode);
  AttemptResult attempt_with_overflow(std::uint16_t method, ConstBytes payload,
                                      const Decoder& decode);
  void teardown();
  bool connect();
  CallError fail_call(CallError e);

  std::unique_ptr<SessionSource> source_;
  std::unique_ptr<ClientSession> session_;
  ClientState state_ = ClientState::kDisconnected;
  ClientCounters counters_;
  std::uint32_t request_proposal_;
  std::uint32_t response_hint_;
  std::uint32_t response_timeout_ms_;
  std::optional<TransportError> last_error_;
  std::vector<std::uint8_t> request_buffer_;
};

}  // namespace nipc::service

#endif  // NIPC_SERVICE_CLIENT_H_
