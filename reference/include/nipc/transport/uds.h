// POSIX baseline transport: AF_UNIX SOCK_SEQPACKET (spec/transport-uds.md).
#ifndef NIPC_TRANSPORT_UDS_H_
#define NIPC_TRANSPORT_UDS_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "nipc/codec/revision.h"
#include "nipc/transport/error.h"
#include "nipc/transport/sys.h"
#include "nipc/transport/transport.h"

namespace nipc {

/// Packet size used when SO_SNDBUF cannot be read (UDS-PKT-001).
inline constexpr std::uint32_t kFallbackPacketSize = 65536;

/// The packet size the reference proposes on a connected SEQPACKET socket (UDS-PKT-001,
/// HS-CLI-PKT-003): SO_SNDBUF − 32, the largest datagram Linux accepts; 65536 when SO_SNDBUF
/// cannot be read or is too small.
std::uint32_t uds_native_packet_size(int fd) noexcept;

/// One end of a connected SEQPACKET socket.
class UdsChannel final : public PacketChannel {
 public:
  /// Takes ownership of a connected socket.
  explicit UdsChannel(UniqueFd fd) noexcept;

  TransportResult<void> send_packet(std::span<const ConstBytes> parts) override;
  TransportResult<std::size_t> recv_packet(MutableBytes buffer, Deadline deadline,
                                           const Canceller* cancel) override;
  TransportResult<std::optional<std::size_t>> try_recv_packet(MutableBytes buffer) override;
  TransportResult<std::size_t> wait_packet(MutableBytes buffer, Deadline deadline,
                                           const Canceller* cancel) override;
  bool peer_hung_up() override;
  std::uint32_t native_packet_size() const override { return packet_size_; }
  NativeHandle native_handle() const override { return fd_.get(); }

 private:
  TransportResult<std::optional<std::size_t>> recv_once(MutableBytes buffer, int flags);
  TransportResult<void> set_receive_timeout(Deadline deadline);
  TransportResult<std::size_t> receive(MutableBytes buffer, Deadline deadline,
                                       const Canceller* cancel, bool try_first);
  UniqueFd fd_;
  std::uint32_t packet_size_;
  int rcvtimeo_ms_ = 0;  // SO_RCVTIMEO currently set (0: none)
};

/// Connects to run_dir/service.sock (UDS-PATH-001). kNotFound when nothing listens there
/// (no file, or connection refused); kBadParameter / kPathTooLong for bad names.
TransportResult<std::unique_ptr<UdsChannel>> uds_connect(std::string_view run_dir,
                                                         std::string_view service);

/// A listening SEQPACKET endpoint. Destroying it closes the socket and removes its path, if
/// the path still names the socket this listener bound (UDS-CLOSE-001).
class UdsListener final : public PacketListener {
 public:
  /// Listens on run_dir/service.sock. An entry already at the path is probed (UDS-STALE-001):
  /// if a server accepts the probe connection the listen fails with kAddressInUse
  /// (UDS-LIVE-001); if nothing is there, it proceeds; a refused probe means a stale entry,
  /// which is removed. Any other probe failure: at newest no live owner answered, so the
  /// entry is removed too (UDS-STALE-002); at seed liveness is undecided and the listen fails
  /// with kAddressInUse, the entry kept (UDS-STALE-003). A removal that fails is
  /// kAddressInUse. The socket file gets mode 0600 before the listener starts accepting.
  /// backlog <= 0 means 16.
  static TransportResult<std::unique_ptr<UdsListener>> listen(std::string_view run_dir,
                                                              std::string_view service,
                                                              int backlog = kDefaultBacklog,
                                                              SpecRevision revision = kDefaultSpecRevision);
  ~UdsListener() override;

  TransportResult<std::unique_ptr<PacketChannel>> accept(Deadline deadline,
                                                         const Canceller* cancel) override;
  NativeHandle native_handle() const override { return fd_.get(); }
  const std::string& path() const noexcept { return path_; }

 private:
  UdsListener(UniqueFd fd, std::string path, dev_t dev, ino_t ino) noexcept
      : fd_(std::move(fd)), path_(std::move(path)), dev_(dev), ino_(ino) {}
  UniqueFd fd_;
  std::string path_;
  dev_t dev_;
  ino_t ino_;
};

/// Waits until `fd` is readable (or hung up), `cancel` fires or the deadline passes.
/// Returns ok when readable; kTimeout / kCancelled otherwise.
TransportResult<void> wait_readable(int fd, Deadline deadline, const Canceller* cancel);

}  // namespace nipc

#endif  // NIPC_TRANSPORT_UDS_H_
