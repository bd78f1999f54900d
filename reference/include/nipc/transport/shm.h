// Linux shared-memory transport (profiles 0x02 and 0x04, spec/transport-shm.md): one region
// file per session with a 64-byte header, a request area and a response area; publication
// by sequence counters and shared futexes; and ShmLink, the session's messages over it.
#ifndef NIPC_TRANSPORT_SHM_H_
#define NIPC_TRANSPORT_SHM_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "nipc/codec/bytes.h"
#include "nipc/transport/error.h"
#include "nipc/transport/session.h"
#include "nipc/transport/shm_layout.h"
#include "nipc/transport/spin.h"
#include "nipc/transport/sys.h"
#include "nipc/transport/transport.h"

namespace nipc {


/// Spin iterations upstream uses before blocking; consume() spins this many when it is given
/// no SpinPolicy (with one, the policy's adaptive budget decides).
inline constexpr std::uint32_t kShmDefaultSpin = 128;

/// Which area a call works on: requests flow client → server, responses server → client.
enum class ShmDirection : std::uint8_t { kRequest, kResponse };

/// Hooks a blocked shared-memory wait calls at least every 100 ms.
class ShmWaitHooks {
 public:
  virtual ~ShmWaitHooks() = default;
  /// Return an error to stop waiting (cancellation, peer hang-up).
  virtual TransportResult<void> check() = 0;
};

/// A mapped region. The creator (server) owns the file and removes it on destruction; an
/// attacher (client) only unmaps and closes (SHM-CLEAN-001).
class ShmRegion {
 public:
  ~ShmRegion();
  ShmRegion(const ShmRegion&) = delete;
  ShmRegion& operator=(const ShmRegion&) = delete;

  /// Creates the region file at `path` (O_EXCL, mode 0600) sized for the requested capacities
  /// (each rounded up to 64), maps it and writes the header; every atomic starts at 0. If the
  /// file exists it is checked for staleness (SHM-STALE-001) and creation retried once: a live
  /// owner gives kAddressInUse. The header is complete, with a release fence, before this
  /// returns (PROF-SHM-READY-001). kShmCreate for other failures (file removed again).
  static TransportResult<std::unique_ptr<ShmRegion>> create(const std::string& path,
                                                            std::uint32_t request_capacity,
                                                            std::uint32_t response_capacity);

  /// Opens and maps an existing region and checks it (SHM-ATTACH-001): kShmOpen, kShmNotReady,
  /// kShmBadMagic, kShmBadVersion, kShmBadHeader, kShmBadSize. Local sequence counters start
  /// at the region's current values.
  static TransportResult<std::unique_ptr<ShmRegion>> attach(const std::string& path);

  /// Copies the message parts (outer header, then payload) to the start of `dir`'s area and
  /// publishes it (SHM-PUB-001): length store (release), sequence increment (release), signal
  /// increment (release), FUTEX_WAKE on the shared signal word. kShmMessageTooLarge when the
  /// message does not fit; nothing is written then.
  TransportResult<void> publish(ShmDirection dir, std::span<const ConstBytes> parts) noexcept;

  /// Waits for the next message in `dir` (SHM-CONSUME-001) and copies it into `out`,
  /// returning its length. kTimeout at the deadline; kShmMessageTooLarge when the published
  /// length exceeds `out` or the area, kShmBadLength when it is 0 (both count the message as
  /// consumed); errors from `hooks` end the wait.
  TransportResult<std::size_t> consume(ShmDirection dir, MutableBytes out, Deadline deadline,
                                       SpinPolicy* spin, ShmWaitHooks* hooks) noexcept;

  std::uint32_t capacity(ShmDirection dir) const noexcept;
  const std::string& path() const noexcept { return path_; }
  std::size_t size() const noexcept { return size_; }
  /// The mapped bytes (tests inspect the header through it).
  std::span<std::uint8_t> bytes() noexcept { return {base_, size_}; }

 private:
  ShmRegion(std::string path, UniqueFd fd, std::uint8_t* base, std::size_t size,
            bool owner) noexcept;
  std::string path_;
  UniqueFd fd_;
  std::uint8_t* base_;
  std::size_t size_;
  bool owner_;
  std::uint64_t local_seq_[2] = {0, 0};  // indexed by ShmDirection
};

/// Logical messages over a session's POSIX region (SHM-*): one message in flight per
/// direction, never chunked. The packet channel stays open for the session's life; while a
/// receive blocks it is polled for hang-up (SHM-SOCKET-001).
class ShmLink final : public MessageLink {
 public:
  /// `server_side` chooses the directions: a server receives requests and sends responses.
  ShmLink(std::unique_ptr<PacketChannel> channel, std::unique_ptr<ShmRegion> region,
          bool server_side, DirectionLimits inbound, SpinPolicy spin = SpinPolicy());

  TransportResult<void> send_message(const Header& header, ConstBytes payload) override;
  TransportResult<InboundMessage> receive_message(Deadline deadline,
                                                  const Canceller* cancel) override;
  std::optional<Header> last_header() const override { return last_header_; }
  std::uint32_t max_in_flight() const override { return 1; }
  bool chunks() const override { return false; }
  NativeHandle native_handle() const override { return channel_->native_handle(); }
  ShmRegion& region() noexcept { return *region_; }

 private:
  std::unique_ptr<PacketChannel> channel_;
  std::unique_ptr<ShmRegion> region_;
  ShmDirection in_, out_;
  DirectionLimits inbound_;
  SpinPolicy spin_;
  std::vector<std::uint8_t> buffer_;
  std::optional<Header> last_header_;
};

/// What the stale check concluded about an existing region file.
enum class RegionState : std::uint8_t {
  kAbsent,   // nothing at the path
  kRemoved,  // stale (dead owner, bad header, junk) and removed
  kLive,     // a live owner: left alone
  kKept,     // could not be judged (descriptor exhaustion): left alone
};

/// Checks the region file at `path` and removes it unless a live process owns it
/// (SHM-STALE-001): owner alive means owner_pid > 0, kill(pid, 0) succeeds or fails with
/// EPERM, and owner_generation != 0.
RegionState check_stale_region(const std::string& path) noexcept;

/// Startup scan (SHM-STALE-002): runs check_stale_region on every region file of `service`
/// in `run_dir`. Returns how many files were removed.
std::size_t remove_stale_regions(const std::string& run_dir, std::string_view service) noexcept;

/// The owner generation written at creation: (u32)(mono_sec XOR (mono_nsec >> 10)) of
/// CLOCK_MONOTONIC, 1 if that is 0 (SHM-HDR-001).
std::uint32_t shm_owner_generation() noexcept;

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SHM_H_
