// A deterministic CGROUPS_SNAPSHOT fixture: given the same seed and item count, a reference
// server and a reference client derive the same snapshot, so a client can check every field
// it receives. Test support, not a codec: it allocates and owns its strings.
#ifndef NIPC_TESTING_SNAPSHOT_FIXTURE_H_
#define NIPC_TESTING_SNAPSHOT_FIXTURE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "nipc/codec/cgroups_snapshot.h"

namespace nipc {

/// A snapshot item that owns its strings.
struct OwnedSnapshotItem {
  std::uint32_t hash = 0;
  std::uint32_t options = 0;
  std::uint32_t enabled = 0;
  std::string name;
  std::string path;

  /// A view for SnapshotBuilder; valid while this item lives and is not modified.
  SnapshotItem view() const noexcept { return {hash, options, enabled, name, path}; }
  friend bool operator==(const OwnedSnapshotItem&, const OwnedSnapshotItem&) = default;
};

/// A whole generated snapshot: header values and items.
struct GeneratedSnapshot {
  std::uint32_t systemd_enabled = 0;
  std::uint64_t generation = 0;
  std::vector<OwnedSnapshotItem> items;

  /// Views of `items`, in order, for encode_snapshot(); valid while `items` is unchanged.
  std::vector<SnapshotItem> views() const;
};

/// The `k` items for `seed`. Item i depends only on (seed, i), so the items for k are a
/// prefix of the items for any larger k. Strings hold bytes 0x01..0xFF (never NUL) with
/// lengths that include empty, one-byte, short and long (up to about 2 KiB) strings; item 0
/// has an empty name and path, and item 3 (when k > 3) holds every byte value 0x01..0xFF in
/// its name (ascending) and its path (descending). The values are fixed by this function's
/// implementation: changing it changes what clients expect from servers.
std::vector<OwnedSnapshotItem> generate_snapshot_items(std::uint64_t seed, std::size_t k);

/// The snapshot for `seed`: systemd_enabled (0 or 1) and generation derived from the seed,
/// and generate_snapshot_items(seed, k).
GeneratedSnapshot generate_snapshot(std::uint64_t seed, std::size_t k);

}  // namespace nipc

#endif  // NIPC_TESTING_SNAPSHOT_FIXTURE_H_
