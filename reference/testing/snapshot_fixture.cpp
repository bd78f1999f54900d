#include "nipc/testing/snapshot_fixture.h"

namespace nipc {
namespace {

// SplitMix64: small, fully specified, and the same on every platform.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) noexcept : state_(state) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// A value in [lo, hi]; the tiny modulo bias does not matter for a fixture.
  std::size_t between(std::size_t lo, std::size_t hi) noexcept {
    return lo + static_cast<std::size_t>(next() % (hi - lo + 1));
  }

 private:
  std::uint64_t state_;
};

// Separate streams for the header and for each item, so items do not depend on k.
constexpr std::uint64_t kHeaderStream = 0x6e69706320686472ULL;
constexpr std::uint64_t kItemStream = 0x6e69706320697465ULL;

std::string random_bytes(SplitMix64& rng, std::size_t length) {
  std::string s(length, '\0');
  for (char& c : s) c = static_cast<char>(1 + rng.next() % 255);  // 0x01..0xFF, never NUL
  return s;
}

// Name lengths cycle through empty, one byte, short and long; paths use a different cycle
// so that every combination of empty and non-empty strings appears.
std::size_t name_length(SplitMix64& rng, std::size_t index) {
  switch (index % 7) {
    case 0: return 0;
    case 1: return 1;
    case 6: return rng.between(200, 1023);
    default: return rng.between(1, 48);
  }
}

std::size_t path_length(SplitMix64& rng, std::size_t index) {
  switch (index % 5) {
    case 0: return 0;
    case 4: return rng.between(256, 2047);
    default: return rng.between(1, 96);
  }
}

OwnedSnapshotItem make_item(std::uint64_t seed, std::size_t index) {
  SplitMix64 rng(SplitMix64(seed ^ kItemStream).next() + index);
  rng.next();  // decorrelate neighbouring indexes
  OwnedSnapshotItem item;
  item.hash = static_cast<std::uint32_t>(rng.next());
  item.options = static_cast<std::uint32_t>(rng.next());
  const std::uint64_t e = rng.next();
  // Mostly 0/1 as producers send, sometimes any u32: the field is opaque.
  item.enabled = (e % 8 == 0) ? static_cast<std::uint32_t>(e >> 32)
                              : static_cast<std::uint32_t>((e >> 3) & 1);
  if (index == 3) {
    for (int b = 1; b <= 255; ++b) item.name.push_back(static_cast<char>(b));
    item.path.assign(item.name.rbegin(), item.name.rend());
    return item;
  }
  item.name = random_bytes(rng, name_length(rng, index));
  item.path = random_bytes(rng, path_length(rng, index));
  return item;
}

}  // namespace

std::vector<SnapshotItem> GeneratedSnapshot::views() const {
  std::vector<SnapshotItem> out;
  out.reserve(items.size());
  for (const OwnedSnapshotItem& item : items) out.push_back(item.view());
  return out;
}

std::vector<OwnedSnapshotItem> generate_snapshot_items(std::uint64_t seed, std::size_t k) {
  std::vector<OwnedSnapshotItem> items;
  items.reserve(k);
  for (std::size_t i = 0; i < k; ++i) items.push_back(make_item(seed, i));
  return items;
}

GeneratedSnapshot generate_snapshot(std::uint64_t seed, std::size_t k) {
  SplitMix64 rng(seed ^ kHeaderStream);
  GeneratedSnapshot snapshot;
  snapshot.systemd_enabled = static_cast<std::uint32_t>(rng.next() & 1);
  snapshot.generation = rng.next();
  snapshot.items = generate_snapshot_items(seed, k);
  return snapshot;
}

}  // namespace nipc
