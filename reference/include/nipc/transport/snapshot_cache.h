// The client-side cgroups snapshot cache (spec/service.md, "Snapshot cache"): a full copy of
// the last good CGROUPS_SNAPSHOT, looked up by hash and name, replaced only by a snapshot
// that decodes and fits the memory bound.
#ifndef NIPC_TRANSPORT_SNAPSHOT_CACHE_H_
#define NIPC_TRANSPORT_SNAPSHOT_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "nipc/transport/error.h"

namespace nipc {

/// One cached cgroup: owned copies of the snapshot item's fields.
struct CachedCgroup {
  std::uint32_t hash = 0;
  std::uint32_t options = 0;
  std::uint32_t enabled = 0;
  std::string name;  // bytes as sent, interior NULs kept, terminator excluded
  std::string path;
};

/// Fetches one snapshot: a CGROUPS_SNAPSHOT call through a typed client, with that client's
/// reconnect and retry rules. On success returns the response payload (status OK); on failure
/// the error. The cache never looks at sessions; the fetcher owns them.
using SnapshotFetch = std::function<TransportResult<std::vector<std::uint8_t>>()>;

/// Bounds on what one cached snapshot may hold (SVC-CACHE-005). A snapshot over either bound
/// is refused as a whole and the previous one is kept.
struct SnapshotCacheLimits {
  std::size_t max_items = 1u << 20;
  /// Bytes of item records, names, paths and the index together (cache_bytes()).
  std::size_t max_bytes = std::size_t{256} << 20;
};

/// What one refresh() did.
enum class RefreshResult : std::uint8_t {
  kOk,          // the cache now holds the fetched snapshot
  kFetchFailed, // the call failed (transport, status, handshake); previous snapshot kept
  kBadSnapshot, // the payload did not decode as a snapshot; previous snapshot kept
  kTooLarge,    // the snapshot exceeds SnapshotCacheLimits; previous snapshot kept
};
std::string_view refresh_result_name(RefreshResult r) noexcept;

/// The cache. Not thread-safe: one owner refreshes and looks up (as a collector's loop does).
class SnapshotCache {
 public:
  explicit SnapshotCache(SnapshotFetch fetch, SnapshotCacheLimits limits = {});

  /// Fetches one snapshot and, only if it decodes completely and fits the limits, replaces
  /// the whole cache with a deep copy of it, whatever its generation (SVC-CACHE-001,
  /// SVC-CACHE-003). On any failure the previous snapshot stays untouched (SVC-CACHE-002).
  /// Counts the outcome in success_count() or failure_count().
  RefreshResult refresh();

  /// True once a refresh has succeeded, whatever happened since (SVC-CACHE-004).
  bool ready() const noexcept { return ready_; }

  /// The cached cgroup whose hash equals `hash` and whose name equals `name` byte for byte,
  /// or nullptr (also before the first successful refresh). The pointer is valid until the
  /// next successful refresh(). When a snapshot holds the same (hash, name) twice, the first
  /// in snapshot order is found.
  const CachedCgroup* lookup(std::uint32_t hash, std::string_view name) const noexcept;

  /// Items of the cached snapshot, in snapshot order.
  const std::vector<CachedCgroup>& items() const noexcept { return items_; }
  std::uint64_t generation() const noexcept { return generation_; }
  std::uint32_t systemd_enabled() const noexcept { return systemd_enabled_; }
  std::uint64_t success_count() const noexcept { return successes_; }
  std::uint64_t failure_count() const noexcept { return failures_; }
  /// Monotonic milliseconds of the last successful refresh (0 before one).
  std::uint64_t refreshed_at_ms() const noexcept { return refreshed_at_ms_; }
  /// Memory the cached snapshot accounts for against SnapshotCacheLimits::max_bytes.
  std::size_t cache_bytes() const noexcept { return bytes_; }

 private:
  SnapshotFetch fetch_;
  SnapshotCacheLimits limits_;
  std::vector<CachedCgroup> items_;
  std::vector<std::uint32_t> index_;  // item indexes sorted by (hash, name, position)
  std::uint64_t generation_ = 0;
  std::uint32_t systemd_enabled_ = 0;
  std::uint64_t successes_ = 0, failures_ = 0, refreshed_at_ms_ = 0;
  std::size_t bytes_ = 0;
  bool ready_ = false;
};

}  // namespace nipc

#endif  // NIPC_TRANSPORT_SNAPSHOT_CACHE_H_
