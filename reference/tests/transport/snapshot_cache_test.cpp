// The snapshot cache with a scripted fetcher: refresh success and each kind of failure, the
// last good snapshot kept, lookups by hash and exact name, generation changes, the memory
// bound.
#include <deque>
#include <string>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/transport/snapshot_cache.h"
#include "support/test_support.h"

namespace nipc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Fetched = TransportResult<Bytes>;

Bytes encode(std::uint64_t generation, const std::vector<SnapshotItem>& items,
             std::uint32_t systemd = 1) {
  Bytes out(snapshot_encoded_size(items));
  auto n = encode_snapshot(systemd, generation, items, MutableBytes(out));
  EXPECT_TRUE(n.ok());
  out.resize(n.ok() ? *n : 0);
  return out;
}

const std::vector<SnapshotItem> kFirst = {
    {10, 1, 1, "system.slice", "/sys/fs/cgroup/system.slice"},
    {20, 2, 0, "user.slice", "/sys/fs/cgroup/user.slice"},
    {10, 3, 1, "other-with-hash-10", "/x"},
    {30, 0, 1, std::string_view("nul\0inside", 10), ""},
};
const std::vector<SnapshotItem> kSecond = {
    {20, 9, 1, "user.slice", "/moved/user.slice"},
    {40, 0, 0, "new.scope", "/n"},
};

/// Hands out scripted results one refresh at a time.
struct Script {
  std::deque<Fetched> next;
  SnapshotFetch fetch() {
    return [this]() -> Fetched {
      Fetched r = std::move(next.front());
      next.pop_front();
      return r;
    };
  }
};

Fetched failed() { return TransportError::of(TransportErrorKind::kPeerClosed); }

TEST(SnapshotCache, IsNotReadyAndFindsNothingBeforeTheFirstGoodRefresh) {
  REQUIREMENT("SVC-CACHE-004");
  Script s;
  s.next = {failed()};
  SnapshotCache cache(s.fetch());
  EXPECT_FALSE(cache.ready());
  EXPECT_EQ(cache.lookup(10, "system.slice"), nullptr);
  EXPECT_EQ(cache.refresh(), RefreshResult::kFetchFailed);
  EXPECT_FALSE(cache.ready());
  EXPECT_EQ(cache.failure_count(), 1u);
  EXPECT_EQ(cache.lookup(10, "system.slice"), nullptr);
}

TEST(SnapshotCache, LookupNeedsTheHashAndTheExactNameBytes) {
  REQUIREMENT("SVC-CACHE-001");
  Script s;
  s.next = {encode(7, kFirst, 5)};
  SnapshotCache cache(s.fetch());
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  EXPECT_TRUE(cache.ready());
  EXPECT_EQ(cache.generation(), 7u);
  EXPECT_EQ(cache.systemd_enabled(), 5u);
  EXPECT_EQ(cache.items().size(), 4u);
  const CachedCgroup* c = cache.lookup(10, "system.slice");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->path, "/sys/fs/cgroup/system.slice");
  EXPECT_EQ(c->options, 1u);
  ASSERT_NE(cache.lookup(10, "other-with-hash-10"), nullptr);
  EXPECT_EQ(cache.lookup(10, "other-with-hash-10")->options, 3u);
  EXPECT_EQ(cache.lookup(11, "system.slice"), nullptr);   // right name, wrong hash
  EXPECT_EQ(cache.lookup(20, "system.slice"), nullptr);   // hash of another item
  EXPECT_EQ(cache.lookup(10, "system.slic"), nullptr);    // prefix
  EXPECT_EQ(cache.lookup(10, std::string_view("system.slice\0", 13)), nullptr);  // extra byte
  EXPECT_EQ(cache.lookup(30, "nul"), nullptr);            // stops at the interior NUL
  EXPECT_NE(cache.lookup(30, std::string_view("nul\0inside", 10)), nullptr);
}

TEST(SnapshotCache, EveryKindOfRefreshFailureKeepsTheLastGoodSnapshot) {
  REQUIREMENT("SVC-CACHE-002");
  Bytes bad = encode(8, kSecond);
  bad[0] = 2;  // layout_version 2: not a snapshot this revision decodes
  Script s;
  s.next = {encode(7, kFirst), failed(), bad, encode(9, kSecond)};
  SnapshotCache cache(s.fetch());
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  EXPECT_EQ(cache.refresh(), RefreshResult::kFetchFailed);
  EXPECT_EQ(cache.refresh(), RefreshResult::kBadSnapshot);
  EXPECT_EQ(cache.generation(), 7u);
  EXPECT_NE(cache.lookup(10, "system.slice"), nullptr);
  EXPECT_EQ(cache.success_count(), 1u);
  EXPECT_EQ(cache.failure_count(), 2u);
  EXPECT_TRUE(cache.ready());
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  EXPECT_EQ(cache.generation(), 9u);
}

TEST(SnapshotCache, ASnapshotOverTheMemoryBoundIsRefusedWhole) {
  REQUIREMENT("SVC-CACHE-005");
  Script s;
  s.next = {encode(1, kSecond), encode(2, kFirst), encode(3, kFirst)};
  SnapshotCache small(s.fetch(), SnapshotCacheLimits{.max_items = 3});
  ASSERT_EQ(small.refresh(), RefreshResult::kOk);
  EXPECT_EQ(small.refresh(), RefreshResult::kTooLarge);
  EXPECT_EQ(small.generation(), 1u);
  EXPECT_EQ(small.items().size(), 2u);
  std::size_t held = small.cache_bytes();
  EXPECT_GT(held, 0u);
  Script t;
  t.next = {encode(1, kSecond), encode(2, kFirst)};
  SnapshotCache tight(t.fetch(), SnapshotCacheLimits{.max_bytes = held});
  ASSERT_EQ(tight.refresh(), RefreshResult::kOk);
  EXPECT_EQ(tight.refresh(), RefreshResult::kTooLarge);  // kFirst needs more bytes
  EXPECT_EQ(tight.cache_bytes(), held);
}

TEST(SnapshotCache, ANewGenerationReplacesEveryItemAndAnOlderOneToo) {
  REQUIREMENT("SVC-CACHE-003");
  Script s;
  s.next = {encode(7, kFirst), encode(8, kSecond), encode(3, kFirst), encode(3, {})};
  SnapshotCache cache(s.fetch());
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  EXPECT_EQ(cache.generation(), 8u);
  EXPECT_EQ(cache.lookup(10, "system.slice"), nullptr);  // gone from generation 8
  ASSERT_NE(cache.lookup(20, "user.slice"), nullptr);
  EXPECT_EQ(cache.lookup(20, "user.slice")->path, "/moved/user.slice");
  EXPECT_NE(cache.lookup(40, "new.scope"), nullptr);
  // A lower generation (a restarted producer) is still the newest snapshot.
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  EXPECT_EQ(cache.generation(), 3u);
  EXPECT_NE(cache.lookup(10, "system.slice"), nullptr);
  // An empty snapshot is a successful refresh with nothing in it.
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  EXPECT_TRUE(cache.items().empty());
  EXPECT_EQ(cache.lookup(20, "user.slice"), nullptr);
  EXPECT_EQ(cache.success_count(), 4u);
  EXPECT_GT(cache.refreshed_at_ms(), 0u);
}

TEST(SnapshotCache, DuplicateKeysFindTheFirstInSnapshotOrder) {
  REQUIREMENT("SVC-CACHE-001");
  Script s;
  s.next = {encode(1, {{5, 1, 0, "dup", "/a"}, {5, 2, 0, "dup", "/b"}})};
  SnapshotCache cache(s.fetch());
  ASSERT_EQ(cache.refresh(), RefreshResult::kOk);
  ASSERT_NE(cache.lookup(5, "dup"), nullptr);
  EXPECT_EQ(cache.lookup(5, "dup")->path, "/a");
}

}  // namespace
}  // namespace nipc
