// The peer's own view of a Windows shared-memory region (spec/transport-windows.md): a named
// file mapping with a 128-byte header and, in the hybrid profile, two auto-reset events. The
// peer reads every header field as raw bytes, publishes whatever the case says (any length
// word), sets close flags, and can create regions whose header is wrong in any field. The
// offsets are the peer's own, written from the spec's table, so the peer judges the
// reference's layout instead of sharing it.
#ifndef NIPC_PEER_WIN_REGION_H_
#define NIPC_PEER_WIN_REGION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "platform.h"
#include "shm_raw.h"
#include "wire.h"

namespace nipc::peer {

/// Byte offsets of the Windows region header (WIN-SHM-HDR-001).
namespace win_region_layout {
inline constexpr std::size_t kMagic = 0;
inline constexpr std::size_t kVersion = 4;
inline constexpr std::size_t kHeaderLen = 8;
inline constexpr std::size_t kProfile = 12;
inline constexpr std::size_t kRequestOffset = 16;
inline constexpr std::size_t kRequestCapacity = 20;
inline constexpr std::size_t kResponseOffset = 24;
inline constexpr std::size_t kResponseCapacity = 28;
inline constexpr std::size_t kSpinTries = 32;
inline constexpr std::size_t kRequestLen = 36;
inline constexpr std::size_t kResponseLen = 40;
inline constexpr std::size_t kRequestClientClosed = 44;
inline constexpr std::size_t kRequestServerWaiting = 48;
inline constexpr std::size_t kResponseServerClosed = 52;
inline constexpr std::size_t kResponseClientWaiting = 56;
inline constexpr std::size_t kPadding = 60;
inline constexpr std::size_t kRequestSeq = 64;
inline constexpr std::size_t kResponseSeq = 72;
inline constexpr std::size_t kReserved = 80;
inline constexpr std::size_t kReservedLen = 48;
inline constexpr std::size_t kSize = 128;

inline constexpr std::uint32_t kMagicValue = 0x4e535748;
inline constexpr std::uint32_t kVersionValue = 3;
inline constexpr std::uint32_t kDefaultSpinTries = 1024;
}  // namespace win_region_layout

/// The 128-byte Windows region header, every field as read (or as the peer will write it).
struct WinRegionHeader {
  std::uint32_t magic = win_region_layout::kMagicValue;
  std::uint32_t version = win_region_layout::kVersionValue;
  std::uint32_t header_len = 128;
  std::uint32_t profile = 2;
  std::uint32_t request_offset = 128;
  std::uint32_t request_capacity = 0;
  std::uint32_t response_offset = 0;
  std::uint32_t response_capacity = 0;
  std::uint32_t spin_tries = win_region_layout::kDefaultSpinTries;
  std::int32_t request_len = 0;
  std::int32_t response_len = 0;
  std::int32_t request_client_closed = 0;
  std::int32_t request_server_waiting = 0;
  std::int32_t response_server_closed = 0;
  std::int32_t response_client_waiting = 0;
  std::uint32_t padding = 0;
  std::int64_t request_seq = 0;
  std::int64_t response_seq = 0;
  bool reserved_zero = true;  // read: all 48 reserved bytes are 0 (written as 0 always)
};

/// The header's bytes labelled field by field.
Packet encode(const WinRegionHeader& h);

/// A correct header for a session with the agreed limits (WIN-SHM-LAYOUT-001).
WinRegionHeader win_region_for(std::uint32_t profile, std::uint32_t request_payload,
                               std::uint32_t response_payload);

#ifdef _WIN32
class WinRegion {
 public:
  enum class Wait { kGot, kTimeout, kHungUp, kBadLength };

  /// Opens the mapping `prefix`-mapping of an IUT server and, for the hybrid profile, both
  /// events. `as_client`: the peer plays the client (it publishes requests). nullptr with
  /// `why` when the mapping cannot be opened; missing events are reported by events_open().
  static std::unique_ptr<WinRegion> open(const std::string& prefix, std::uint32_t profile, bool as_client,
                                         std::string* why);
  /// Creates the mapping (size from the header unless `size` is given), zeroes it and writes
  /// `header`; for the hybrid profile (unless `events` is false) also creates both events as
  /// auto-reset, non-signalled events. The objects vanish when the peer closes them.
  static std::unique_ptr<WinRegion> create(const std::string& prefix, const WinRegionHeader& header,
                                           std::optional<std::size_t> size, bool events, bool as_client,
                                           std::string* why);
  ~WinRegion();
  WinRegion(const WinRegion&) = delete;
  WinRegion& operator=(const WinRegion&) = delete;

  WinRegionHeader header() const;
  std::size_t size() const { return size_; }
  bool events_open() const { return req_event_.valid() && resp_event_.valid(); }
  std::uint32_t profile() const { return profile_; }

  /// Copies `msg` to the start of `area`, exchanges its len word with `len` (default
  /// msg.size()), increments seq and, in the hybrid profile, signals the area's event when the
  /// receiver's waiting flag is set (WIN-SHM-PUB-001). Nothing is checked. False when the
  /// message does not fit the mapping.
  bool publish(Area area, ConstBytes msg, std::optional<std::uint32_t> len = std::nullopt);
  /// Waits until `area`'s seq passes the last one consumed, then copies the message out.
  /// Hybrid: spins, then sets the peer's waiting flag and waits on the area's event in short
  /// slices; busy-wait: polls. `hung_up` (the session's pipe) and the sender's closed flag end
  /// the wait as kHungUp.
  Wait consume(Area area, Bytes* out, Deadline deadline, const std::function<bool()>& hung_up);
  /// Waits up to `ms` for `area`'s event alone (no polling of seq): true when it was
  /// signalled. The caller sets the matching waiting flag first; a sender must signal the
  /// event when it finds the flag set (WIN-SHM-PUB-001).
  bool wait_signal(Area area, int ms);
  /// Sets the peer's own closed flag (client: req_client_closed, server: resp_server_closed)
  /// and, in the hybrid profile, signals the other side's event (WIN-SHM-CLOSE-001).
  void mark_closed();
  /// Reads / writes one 32-bit word of the header (e.g. spin_tries, a waiting flag).
  std::int32_t word(std::size_t offset) const;
  void set_word(std::size_t offset, std::int32_t value);
  std::int64_t seq(Area area) const;

 private:
  WinRegion() = default;
  UniqueHandle mapping_, req_event_, resp_event_;
  std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
  std::uint32_t profile_ = 2;
  bool as_client_ = true;
  std::int64_t consumed_[2] = {0, 0};
};

/// Tries to open an event by name; true when it exists.
bool win_event_exists(const std::string& name);
/// Tries to open a mapping by name; true when it exists.
bool win_mapping_exists(const std::string& name);
#endif  // _WIN32

}  // namespace nipc::peer

#endif  // NIPC_PEER_WIN_REGION_H_
