// The platform seam on POSIX: UDS SEQPACKET endpoints and region files.
#include "nipc/transport/platform.h"

#include <sys/socket.h>
#include <unistd.h>

#include "nipc/transport/paths.h"
#include "nipc/transport/shm.h"
#include "nipc/transport/uds.h"

namespace nipc::platform {
namespace {

class PosixRegion final : public SessionRegion {
 public:
  explicit PosixRegion(std::unique_ptr<ShmRegion> region) : region_(std::move(region)) {}
  const std::string& name() const override { return region_->path(); }
  std::span<std::uint8_t> bytes() override { return region_->bytes(); }
  std::unique_ptr<MessageLink> into_link(std::unique_ptr<PacketChannel> channel, bool server_side,
                                         DirectionLimits inbound) override {
    return std::make_unique<ShmLink>(std::move(channel), std::move(region_), server_side, inbound);
  }

 private:
  std::unique_ptr<ShmRegion> region_;
};

}  // namespace

TransportResult<std::string> endpoint_name(std::string_view run_dir, std::string_view service) {
  return socket_path(run_dir, service);
}

TransportResult<std::unique_ptr<PacketListener>> listen(std::string_view run_dir,
                                                        std::string_view service, int backlog,
                                                        std::uint32_t /*packet_size*/,
                                                        SpecRevision revision) {
  auto l = UdsListener::listen(run_dir, service, backlog, revision);
  if (!l) return l.error();
  return std::unique_ptr<PacketListener>(std::move(*l));
}

TransportResult<std::unique_ptr<PacketChannel>> connect(std::string_view run_dir,
                                                        std::string_view service) {
  auto c = uds_connect(run_dir, service);
  if (!c) return c.error();
  return std::unique_ptr<PacketChannel>(std::move(*c));
}

std::uint32_t native_packet_size() noexcept {
  // What a connected SEQPACKET socket would propose: probe a socket pair.
  int sv[2];
  if (sys::call([&] { return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv); }) != 0)
    return kFallbackPacketSize;
  std::uint32_t p = uds_native_packet_size(sv[0]);
  sys::close_fd(sv[0]);
  sys::close_fd(sv[1]);
  return p;
}

std::size_t remove_stale_regions(std::string_view run_dir, std::string_view service) noexcept {
  return nipc::remove_stale_regions(std::string(run_dir), service);
}

TransportResult<std::unique_ptr<SessionRegion>> create_region(const RegionKey& key,
                                                              std::uint32_t request_capacity,
                                                              std::uint32_t response_capacity) {
  auto path = region_path(key.run_dir, key.service, key.session_id);
  if (!path) return path.error();
  auto r = ShmRegion::create(*path, request_capacity, response_capacity);
  if (!r) return r.error();
  return std::unique_ptr<SessionRegion>(new PosixRegion(std::move(*r)));
}

TransportResult<std::unique_ptr<SessionRegion>> attach_region(const RegionKey& key) {
  auto path = region_path(key.run_dir, key.service, key.session_id);
  if (!path) return path.error();
  auto r = ShmRegion::attach(*path);
  if (!r) return r.error();
  return std::unique_ptr<SessionRegion>(new PosixRegion(std::move(*r)));
}

bool attach_retryable(const TransportError& e) noexcept {
  // The region may not be fully there yet.
  return e.kind == TransportErrorKind::kShmOpen || e.kind == TransportErrorKind::kShmNotReady ||
         e.kind == TransportErrorKind::kShmBadMagic;
}

}  // namespace nipc::platform
