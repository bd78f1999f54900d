// Windows baseline transport: a duplex, message-mode named pipe (spec/transport-windows.md).
// Windows only.
#ifndef NIPC_TRANSPORT_PIPE_H_
#define NIPC_TRANSPORT_PIPE_H_

#if !defined(_WIN32)
#error "nipc/transport/pipe.h is the Windows transport"
#endif

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nipc/transport/error.h"
#include "nipc/transport/sys.h"
#include "nipc/transport/transport.h"

namespace nipc {

/// The packet size a pipe endpoint proposes without configuration (WIN-PKT-001).
inline constexpr std::uint32_t kPipePacketSize = 65536;

/// One end of a connected pipe instance, opened for overlapped I/O so that every wait can
/// observe a deadline and a canceller.
class PipeChannel final : public PacketChannel {
 public:
  /// Takes ownership of `pipe`. A server end flushes and disconnects its instance before it
  /// closes it; a client end only closes.
  PipeChannel(UniqueHandle pipe, bool server_side) noexcept;
  ~PipeChannel() override;

  /// One WriteFile of the concatenated parts (WIN-PIPE-MODE-001); kPeerClosed when the peer is
  /// gone (WIN-PIPE-EOF-001).
  TransportResult<void> send_packet(std::span<const ConstBytes> parts) override;
  /// One ReadFile: kPacketTooLarge when the message is larger than `buffer`
  /// (ERROR_MORE_DATA), kPeerClosed on a disconnect code or a 0-byte read.
  TransportResult<std::size_t> recv_packet(MutableBytes buffer, Deadline deadline,
                                           const Canceller* cancel) override;
  TransportResult<std::optional<std::size_t>> try_recv_packet(MutableBytes buffer) override;
  bool peer_hung_up() override;
  std::uint32_t native_packet_size() const override { return kPipePacketSize; }
  NativeHandle native_handle() const override { return pipe_.get(); }

 private:
  UniqueHandle pipe_;
  UniqueHandle read_event_;   // manual-reset, for the overlapped reads
  UniqueHandle write_event_;  // manual-reset, for the overlapped writes
  bool server_side_;
  std::vector<std::uint8_t> out_;  // one packet, concatenated for the single WriteFile
};

/// Connects to the pipe of `service` (WIN-PIPE-CONNECT-001): opens it for reading and writing
/// and switches it to message read mode. A missing or busy pipe is kNotFound (no waiting).
TransportResult<std::unique_ptr<PipeChannel>> pipe_connect(std::string_view run_dir,
                                                           std::string_view service);

/// A listening pipe: always one unconnected instance waiting for the next client.
class PipeListener final : public PacketListener {
 public:
  /// Creates the first instance with FILE_FLAG_FIRST_PIPE_INSTANCE (WIN-PIPE-FIRST-001):
  /// access-denied or pipe-busy means another server owns the name, kPipeInUse.
  /// `packet_size` 0 means 65536; the pipe buffers are max(packet_size, 65536).
  static TransportResult<std::unique_ptr<PipeListener>> listen(std::string_view run_dir,
                                                               std::string_view service,
                                                               std::uint32_t packet_size = 0);

  /// Waits for a client on the waiting instance, then creates the next instance before the
  /// connected one is handed out for its handshake (WIN-PIPE-ACCEPT-001).
  TransportResult<std::unique_ptr<PacketChannel>> accept(Deadline deadline,
                                                         const Canceller* cancel) override;
  NativeHandle native_handle() const override { return instance_.get(); }
  const std::string& name() const noexcept { return name_; }

 private:
  PipeListener(std::string name, std::u16string wide, std::uint32_t buffer_size,
               UniqueHandle first, UniqueHandle event) noexcept;
  TransportResult<UniqueHandle> create_instance(bool first);
  std::string name_;
  std::u16string wide_;
  std::uint32_t buffer_size_;
  UniqueHandle instance_;  // the instance the next client connects to (may be empty)
  UniqueHandle event_;     // manual-reset, for the overlapped ConnectNamedPipe
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_PIPE_H_
