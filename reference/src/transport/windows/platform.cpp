// The platform seam on Windows: named pipes and file-mapping regions.
#include "nipc/transport/platform.h"

#include "nipc/transport/pipe.h"
#include "nipc/transport/win_names.h"
#include "nipc/transport/win_shm.h"

namespace nipc::platform {

TransportResult<std::string> endpoint_name(std::string_view run_dir, std::string_view service) {
  return win::pipe_name(run_dir, service);
}

TransportResult<std::unique_ptr<PacketListener>> listen(std::string_view run_dir,
                                                        std::string_view service, int /*backlog*/,
                                                        std::uint32_t packet_size,
                                                        SpecRevision /*revision: pipes have no stale entries*/) {
  auto l = PipeListener::listen(run_dir, service, packet_size);
  if (!l) return l.error();
  return std::unique_ptr<PacketListener>(std::move(*l));
}

TransportResult<std::unique_ptr<PacketChannel>> connect(std::string_view run_dir,
                                                        std::string_view service) {
  auto c = pipe_connect(run_dir, service);
  if (!c) return c.error();
  return std::unique_ptr<PacketChannel>(std::move(*c));
}

std::uint32_t native_packet_size() noexcept { return kPipePacketSize; }

std::size_t remove_stale_regions(std::string_view, std::string_view) noexcept {
  return 0;  // kernel objects vanish with their last handle: nothing can be stale
}

TransportResult<std::unique_ptr<SessionRegion>> create_region(const RegionKey& key,
                                                              std::uint32_t request_capacity,
                                                              std::uint32_t response_capacity) {
  auto r = WinShmRegion::create(key, request_capacity, response_capacity);
  if (!r) return r.error();
  return std::unique_ptr<SessionRegion>(std::move(*r));
}

TransportResult<std::unique_ptr<SessionRegion>> attach_region(const RegionKey& key) {
  auto r = WinShmRegion::attach(key);
  if (!r) return r.error();
  return std::unique_ptr<SessionRegion>(std::move(*r));
}

bool attach_retryable(const TransportError& e) noexcept {
  // The server may still be creating the objects (WIN-SHM-ATTACH-001).
  return e.kind == TransportErrorKind::kWinShmOpen || e.kind == TransportErrorKind::kWinShmBadMagic;
}

}  // namespace nipc::platform
