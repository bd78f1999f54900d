#include "nipc/transport/snapshot_cache.h"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "nipc/codec/cgroups_snapshot.h"

namespace nipc {
namespace {

std::uint64_t monotonic_ms() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count());
}

// What one item costs against the memory bound: its record, its strings and its index slot.
std::size_t item_bytes(std::size_t name, std::size_t path) {
  return sizeof(CachedCgroup) + sizeof(std::uint32_t) + name + path;
}

}  // namespace

std::string_view refresh_result_name(RefreshResult r) noexcept {
  switch (r) {
    case RefreshResult::kOk: return "ok";
    case RefreshResult::kFetchFailed: return "fetch-failed";
    case RefreshResult::kBadSnapshot: return "bad-snapshot";
    case RefreshResult::kTooLarge: return "too-large";
  }
  return "unknown";
}

SnapshotCache::SnapshotCache(SnapshotFetch fetch, SnapshotCacheLimits limits)
    : fetch_(std::move(fetch)), limits_(limits) {}

RefreshResult SnapshotCache::refresh() {
  auto fail = [this](RefreshResult r) {
    ++failures_;
    return r;
  };
  auto payload = fetch_ ? fetch_() : TransportResult<std::vector<std::uint8_t>>(
                                         TransportError::of(TransportErrorKind::kBadParameter));
  if (!payload) return fail(RefreshResult::kFetchFailed);
  auto view = SnapshotView::parse(ConstBytes(*payload));
  if (!view) return fail(RefreshResult::kBadSnapshot);

  // Check the bound before copying anything, so a huge snapshot costs no allocation.
  if (view->size() > limits_.max_items) return fail(RefreshResult::kTooLarge);
  std::size_t bytes = 0;
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    auto it = view->item(i);
    if (!it) return fail(RefreshResult::kBadSnapshot);
    bytes += item_bytes(it->name.size(), it->path.size());
    if (bytes > limits_.max_bytes) return fail(RefreshResult::kTooLarge);
  }

  // Build the new cache aside; the old one is replaced only when the copy is complete.
  std::vector<CachedCgroup> items;
  items.reserve(view->size());
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    auto it = view->item(i);
    items.push_back(CachedCgroup{it->hash, it->options, it->enabled, std::string(it->name),
                                 std::string(it->path)});
  }
  std::vector<std::uint32_t> index(items.size());
  for (std::uint32_t i = 0; i < index.size(); ++i) index[i] = i;
  std::sort(index.begin(), index.end(), [&items](std::uint32_t a, std::uint32_t b) {
    return std::tie(items[a].hash, items[a].name, a) < std::tie(items[b].hash, items[b].name, b);
  });

  items_ = std::move(items);
  index_ = std::move(index);
  // Every good snapshot replaces the cache, whatever its generation: the number is the
  // producer's and restarts with it (SVC-CACHE-003).
  generation_ = view->generation();
  systemd_enabled_ = view->systemd_enabled();
  bytes_ = bytes;
  refreshed_at_ms_ = monotonic_ms();
  ready_ = true;
  ++successes_;
  return RefreshResult::kOk;
}

const CachedCgroup* SnapshotCache::lookup(std::uint32_t hash, std::string_view name) const noexcept {
  auto it = std::lower_bound(index_.begin(), index_.end(), 0u,
                             [&](std::uint32_t i, unsigned) {
                               const CachedCgroup& c = items_[i];
                               return c.hash < hash || (c.hash == hash && std::string_view(c.name) < name);
                             });
  if (it == index_.end()) return nullptr;
  const CachedCgroup& c = items_[*it];
  return c.hash == hash && c.name == name ? &c : nullptr;
}

}  // namespace nipc
