// Transport errors: what went wrong on a connection, endpoint or shared-memory region, as a
// value. Each kind names the transport rule it reports (spec/transport-uds.md,
// spec/transport-shm.md); a broken codec rule travels along as the codec Error.
#ifndef NIPC_TRANSPORT_ERROR_H_
#define NIPC_TRANSPORT_ERROR_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "nipc/codec/errors.h"

namespace nipc {

// The transport error kinds. Columns: enum name, requirement ID ("" when the kind reports a
// codec rule, which then names the requirement), and a one-line description.
#define NIPC_TRANSPORT_ERROR_TABLE(X)                                                          \
  X(BadParameter, "UDS-NAME-001", "invalid service name or configuration value")               \
  X(PathTooLong, "UDS-SUN-001", "derived endpoint or region path does not fit")                \
  X(NameTooLong, "WIN-NAME-LEN-001", "a derived pipe or kernel object name exceeds 255 bytes")  \
  X(NameInputTooLong, "WIN-SHM-NAME-002", "the object-name hash input exceeds 511 bytes")       \
  X(NameHashZero, "WIN-SHM-NAME-003", "the object-name hash is 0")                              \
  X(AddressInUse, "UDS-LIVE-001", "a live owner holds the endpoint or region")                 \
  X(PipeInUse, "WIN-PIPE-FIRST-001", "another server owns the pipe name")                       \
  X(NotFound, "UDS-CONNECT-001", "no server listens at the endpoint")                          \
  X(PeerClosed, "UDS-EOF-001", "the peer closed the connection")                               \
  X(Timeout, "UDS-TIMEOUT-001", "the deadline passed before the operation completed")          \
  X(Cancelled, "UDS-TIMEOUT-001", "the operation was cancelled by its owner")                  \
  X(Protocol, "", "the peer broke a protocol rule (the codec rule says which)")                \
  X(PacketTooLarge, "UDS-RECV-001", "a received packet is larger than the agreed packet size") \
  X(LimitExceeded, "", "a message is above a negotiated limit (the codec rule says which)")     \
  X(Rejected, "", "the server rejected the handshake (the codec rule says how)")               \
  X(HandshakeFailed, "", "the handshake could not complete (the codec rule says why)")         \
  X(InFlight, "SHM-ONEINFLIGHT-001", "no more requests may be in flight on this session")      \
  X(ShmOpen, "SHM-ATTACH-001", "the session's region file cannot be opened")                   \
  X(ShmNotReady, "SHM-ATTACH-001", "the session's region is not initialised yet")              \
  X(ShmBadMagic, "SHM-ATTACH-001", "the region header magic is not NSHM")                      \
  X(ShmBadVersion, "SHM-ATTACH-001", "the region header version is not 3")                     \
  X(ShmBadHeader, "SHM-ATTACH-001", "the region header length is not 64")                      \
  X(ShmBadSize, "SHM-ATTACH-001", "the region offsets, capacities or file size are invalid")  \
  X(ShmCreate, "SHM-CREATE-001", "the session's region could not be created")                  \
  X(ShmMessageTooLarge, "SHM-PUB-002", "a message does not fit the region area")               \
  X(ShmBadLength, "SHM-CONSUME-002", "a published length is 0 or disagrees with the header")   \
  X(WinShmCreate, "WIN-SHM-CREATE-001", "the session's mapping or events could not be created (or already existed)") \
  X(WinShmOpen, "WIN-SHM-ATTACH-001", "the session's mapping or events cannot be opened")       \
  X(WinShmBadMagic, "WIN-SHM-ATTACH-001", "the Windows region header magic is not NSWH")         \
  X(WinShmBadVersion, "WIN-SHM-ATTACH-001", "the Windows region header version is not 3")        \
  X(WinShmBadHeaderLen, "WIN-SHM-ATTACH-001", "the Windows region header length is not 128")     \
  X(WinShmBadProfile, "WIN-SHM-ATTACH-001", "the region header's profile is not the selected one") \
  X(WinShmBadLayout, "WIN-SHM-ATTACH-001", "the Windows region offsets or capacities are zero, unaligned, overlapping, overflowing or beyond the mapping") \
  X(WinShmMessageTooLarge, "WIN-SHM-LEN-001", "a message is empty, above its area's capacity or above 0x7fffffff") \
  X(WinShmZeroLength, "WIN-SHM-LEN-001", "a published Windows region length is 0 (or negative)") \
  X(NotSupported, "", "the operation is not supported on this platform or session")            \
  X(System, "", "a system call failed (errno says why)")

enum class TransportErrorKind : std::uint8_t {
#define NIPC_X_ENUM(name, req, desc) k##name,
  NIPC_TRANSPORT_ERROR_TABLE(NIPC_X_ENUM)
#undef NIPC_X_ENUM
};

/// One row of the transport error table.
struct TransportErrorInfo {
  TransportErrorKind kind;
  std::string_view name;         // e.g. "PeerClosed"
  std::string_view requirement;  // "" when the codec rule carries the requirement
  std::string_view description;
};

std::span<const TransportErrorInfo> transport_error_table() noexcept;
const TransportErrorInfo& transport_error_info(TransportErrorKind kind) noexcept;
inline std::string_view transport_error_name(TransportErrorKind kind) noexcept {
  return transport_error_info(kind).name;
}

/// A failed transport operation. `rule` is set when a codec rule was broken (by the peer, or
/// locally refused before sending); `sys_errno` when a system call failed (errno on POSIX,
/// the GetLastError() code on Windows).
struct TransportError {
  TransportErrorKind kind = TransportErrorKind::kSystem;
  std::optional<Error> rule;
  int sys_errno = 0;

  static TransportError of(TransportErrorKind k) noexcept { return {k, std::nullopt, 0}; }
  static TransportError protocol(Error e) noexcept {
    return {TransportErrorKind::kProtocol, e, 0};
  }
  static TransportError with_rule(TransportErrorKind k, Error e) noexcept { return {k, e, 0}; }
  static TransportError system(int err) noexcept {
    return {TransportErrorKind::kSystem, std::nullopt, err};
  }

  /// The requirement the error reports: the codec rule's ID, else the kind's ID.
  std::string_view requirement() const noexcept;
  /// "Kind", "Kind/CodecRule" or "Kind/errno-name" plus the requirement, for logs and JSON.
  std::string describe() const;
  friend bool operator==(const TransportError&, const TransportError&) = default;
};

/// Holds either a `T` or a TransportError, never both.
template <class T>
class [[nodiscard]] TransportResult {
 public:
  TransportResult(T value) noexcept(std::is_nothrow_move_constructible_v<T>)  // NOLINT
      : v_(std::in_place_index<0>, std::move(value)) {}
  TransportResult(TransportError error) noexcept  // NOLINT
      : v_(std::in_place_index<1>, error) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  const T& value() const& { return *std::get_if<0>(&v_); }
  T& value() & { return *std::get_if<0>(&v_); }
  T&& value() && { return std::move(*std::get_if<0>(&v_)); }
  const T& operator*() const& { return value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(value()); }
  const T* operator->() const { return &value(); }
  T* operator->() { return &value(); }
  const TransportError& error() const noexcept { return *std::get_if<1>(&v_); }

 private:
  std::variant<T, TransportError> v_;
};

template <>
class [[nodiscard]] TransportResult<void> {
 public:
  TransportResult() noexcept = default;
  TransportResult(TransportError error) noexcept : error_(error) {}  // NOLINT
  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const TransportError& error() const noexcept { return *error_; }

 private:
  std::optional<TransportError> error_;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_ERROR_H_
