// The peer's own view of a POSIX shared-memory region (the region itself exists only in the
// POSIX build; the header structure is plain data everywhere) (spec/transport-shm.md): it reads the
// header as raw bytes to judge what the IUT wrote, publishes whatever the case says (a length
// that disagrees with the header, a zero length) and can create regions that are subtly
// wrong. The layout is the peer's own (wire_layout.h, from the spec's table): nothing of the
// reference's region code is shared.
#ifndef NIPC_PEER_SHM_RAW_H_
#define NIPC_PEER_SHM_RAW_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "platform.h"
#include "wire.h"

namespace nipc::peer {

/// The 64-byte region header, every field as read.
struct RegionHeader {
  std::uint32_t magic = layout::posix_region::kMagicValue;
  std::uint16_t version = layout::posix_region::kVersionValue;
  std::uint16_t header_len = layout::posix_region::kSize;
  std::int32_t owner_pid = 0;
  std::uint32_t owner_generation = 1;
  std::uint32_t request_offset = layout::posix_region::kSize;
  std::uint32_t request_capacity = 0;
  std::uint32_t response_offset = 0;
  std::uint32_t response_capacity = 0;
  std::uint64_t request_seq = 0;
  std::uint64_t response_seq = 0;
  std::uint32_t request_len = 0;
  std::uint32_t response_len = 0;
  std::uint32_t request_signal = 0;
  std::uint32_t response_signal = 0;
};

Packet encode(const RegionHeader& h);

enum class Area { kRequest, kResponse };

#ifndef _WIN32
class RawRegion {
 public:
  /// Opens and maps an existing region file read-write; nullptr with `why` when it cannot.
  static std::unique_ptr<RawRegion> open(const std::string& path, std::string* why);
  /// Creates a region file (O_EXCL, mode 0600) with the given header, zero-filled; the
  /// file size follows the header's offsets and capacities unless `file_size` is given.
  /// The peer removes it when the object is destroyed.
  static std::unique_ptr<RawRegion> create(const std::string& path, const RegionHeader& header,
                                           std::optional<std::size_t> file_size, std::string* why);
  ~RawRegion();
  RawRegion(const RawRegion&) = delete;
  RawRegion& operator=(const RawRegion&) = delete;

  RegionHeader header() const;
  std::size_t file_size() const { return size_; }
  std::uint32_t file_mode() const { return mode_; }

  /// Copies `msg` to the start of `area`, stores `len` (default msg.size()), increments the
  /// area's seq and signal words and wakes a waiter (SHM-PUB-001). Nothing is checked: the
  /// case decides what is wrong. False when the message does not fit the mapping.
  bool publish(Area area, ConstBytes msg, std::optional<std::uint32_t> len = std::nullopt);

  enum class Wait { kGot, kTimeout, kHungUp, kBadLength };
  /// Waits until `area`'s seq passes the last one consumed, then copies the message out
  /// (SHM-CONSUME-001). `hung_up` is polled between waits (the session's socket).
  Wait consume(Area area, Bytes* out, Deadline deadline, const std::function<bool()>& hung_up);
  std::uint64_t seq(Area area) const;
  void drop_ownership() { owner_ = false; }
  /// False when the file is now shorter than the peer's mapping (the IUT truncated it):
  /// touching the missing pages would raise SIGBUS, so callers check before every access.
  bool intact() const;

 private:
  RawRegion() = default;
  std::string path_;
  UniqueFd fd_;
  std::uint8_t* base_ = nullptr;
  std::size_t size_ = 0;
  std::uint32_t mode_ = 0;
  bool owner_ = false;
  std::uint64_t consumed_[2] = {0, 0};
};

#endif  // _WIN32

/// run_dir/service-<16 hex digits>.ipcshm (SHM-PATH-001), built by the peer itself.
std::string region_file(const std::string& run_dir, const std::string& service, std::uint64_t sid);

}  // namespace nipc::peer

#endif  // NIPC_PEER_SHM_RAW_H_
