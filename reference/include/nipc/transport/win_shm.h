// Windows shared-memory transport (spec/transport-windows.md, WIN-SHM-*): a named file
// mapping with the 128-byte header of win_shm_layout.h, a request and a response area, and for
// the hybrid profile (0x02) two auto-reset events; the busy-wait profile (0x04) only spins.
// Windows only.
#ifndef NIPC_TRANSPORT_WIN_SHM_H_
#define NIPC_TRANSPORT_WIN_SHM_H_

#if !defined(_WIN32)
#error "nipc/transport/win_shm.h is the Windows transport"
#endif

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nipc/transport/platform.h"
#include "nipc/transport/sys.h"
#include "nipc/transport/transport.h"
#include "nipc/transport/win_shm_layout.h"

namespace nipc {

/// Which area a call works on: requests flow client → server, responses server → client.
enum class WinShmDirection : std::uint8_t { kRequest, kResponse };

/// A mapped Windows region in one role. Both roles only close their handles on destruction;
/// the kernel objects vanish with the last handle.
class WinShmRegion final : public platform::SessionRegion {
 public:
  ~WinShmRegion() override;

  /// Server side (WIN-SHM-CREATE-001): creates the mapping (and, hybrid, both events as
  /// auto-reset, non-signalled), zeroes the region, writes the header and issues a full
  /// barrier. kWinShmCreate when an object already exists or cannot be made; kBadParameter /
  /// name errors from the object names.
  static TransportResult<std::unique_ptr<WinShmRegion>> create(const platform::RegionKey& key,
                                                               std::uint32_t request_capacity,
                                                               std::uint32_t response_capacity);

  /// Client side (WIN-SHM-ATTACH-001): opens and maps the mapping, validates the header
  /// (validate_win_shm_header), opens both events (hybrid), adopts spin_tries and starts the
  /// counters at the current sequence numbers. kWinShmOpen when an object cannot be opened.
  static TransportResult<std::unique_ptr<WinShmRegion>> attach(const platform::RegionKey& key);

  /// Publishes a message in `dir` (WIN-SHM-PUB-001): kWinShmMessageTooLarge for an empty
  /// message or one above the area or 0x7fffffff (nothing written, WIN-SHM-LEN-001).
  TransportResult<void> send(WinShmDirection dir, std::span<const ConstBytes> parts) noexcept;

  /// Waits for the next message in `dir` and copies it into `out`, returning its length.
  /// kTimeout at the deadline, kCancelled, kPeerClosed when the peer's closed flag is set (or
  /// `channel`, if given, reports hang-up); kWinShmZeroLength / kWinShmMessageTooLarge for a
  /// bad published length (the message counts as consumed).
  TransportResult<std::size_t> receive(WinShmDirection dir, MutableBytes out, Deadline deadline,
                                       const Canceller* cancel, PacketChannel* channel) noexcept;

  /// Sets this side's closed flag (and signals the peer's event, hybrid): WIN-SHM-CLOSE-001.
  /// Idempotent; the destructor calls it too.
  void close_side() noexcept;

  std::uint32_t capacity(WinShmDirection dir) const noexcept;
  std::uint32_t spin_tries() const noexcept { return spin_tries_; }
  std::uint32_t profile() const noexcept { return geometry_.profile; }
  bool server_side() const noexcept { return server_; }

  const std::string& name() const override { return name_; }
  std::span<std::uint8_t> bytes() override { return {base_, size_}; }
  std::unique_ptr<MessageLink> into_link(std::unique_ptr<PacketChannel> channel, bool server_side,
                                         DirectionLimits inbound) override;

 private:
  WinShmRegion(std::string name, bool server, WinShmGeometry g, UniqueHandle mapping,
               std::uint8_t* base, std::size_t size) noexcept;
  bool uses_events() const noexcept;
  std::string name_;
  bool server_;
  bool closed_ = false;
  WinShmGeometry geometry_;
  UniqueHandle mapping_;
  std::uint8_t* base_;
  std::size_t size_;
  UniqueHandle request_event_;
  UniqueHandle response_event_;
  std::uint32_t spin_tries_ = win_shm_layout::kDefaultSpinTries;
  std::int64_t local_seq_[2] = {0, 0};  // indexed by WinShmDirection
};

/// Logical messages over a Windows region: one in flight per direction, never chunked; the
/// pipe stays open for the session (SHM-SOCKET-001) and is watched for hang-up.
class WinShmLink final : public MessageLink {
 public:
  WinShmLink(std::unique_ptr<PacketChannel> channel, std::unique_ptr<WinShmRegion> region,
             bool server_side, DirectionLimits inbound);
  ~WinShmLink() override;

  TransportResult<void> send_message(const Header& header, ConstBytes payload) override;
  TransportResult<InboundMessage> receive_message(Deadline deadline,
                                                  const Canceller* cancel) override;
  std::optional<Header> last_header() const override { return last_header_; }
  std::uint32_t max_in_flight() const override { return 1; }
  bool chunks() const override { return false; }
  NativeHandle native_handle() const override { return channel_->native_handle(); }
  WinShmRegion& region() noexcept { return *region_; }

 private:
  std::unique_ptr<PacketChannel> channel_;
  std::unique_ptr<WinShmRegion> region_;
  WinShmDirection in_, out_;
  DirectionLimits inbound_;
  std::vector<std::uint8_t> buffer_;
  std::optional<Header> last_header_;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_WIN_SHM_H_
