// SHM region: create/attach checks, publication and consumption across threads and processes,
// stale recovery, cleanup and mapping hygiene.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <fstream>
#include <thread>

#include "nipc/transport/paths.h"
#include "nipc/transport/shm.h"
#include "transport/transport_support.h"

namespace nipc {
namespace {

using testing::RunDir;
using testing::mapping_count;
using testing::open_fd_count;
using K = TransportErrorKind;

std::string region(const RunDir& dir, std::uint64_t sid = 1) {
  return *region_path(dir.path(), "svc", sid);
}

TEST(ShmCreate, WritesTheHeaderAndSizesTheFile) {
  REQUIREMENT("SHM-HDR-001");
  RunDir dir;
  auto r = ShmRegion::create(region(dir), 1048576 + 32, 65536 + 32);
  ASSERT_TRUE(r.ok()) << r.error();
  auto b = (*r)->bytes();
  EXPECT_EQ(load_u32le(&b[0]), 0x4e53484du);
  EXPECT_EQ(load_u16le(&b[4]), 3);
  EXPECT_EQ(load_u16le(&b[6]), 64);
  EXPECT_EQ(static_cast<pid_t>(load_u32le(&b[8])), ::getpid());
  EXPECT_NE(load_u32le(&b[12]), 0u);
  EXPECT_EQ(load_u32le(&b[16]), 64u);
  EXPECT_EQ(load_u32le(&b[20]), 1048640u);
  EXPECT_EQ(load_u32le(&b[24]), 1048704u);
  EXPECT_EQ(load_u32le(&b[28]), 65600u);
  for (std::size_t off = 32; off < 64; ++off) EXPECT_EQ(b[off], 0) << off;
  struct stat st;
  ASSERT_EQ(::stat(region(dir).c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 1114304);  // the upstream C example size
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(ShmCreate, LayoutRoundsCapacitiesTo64) {
  REQUIREMENT("SHM-LAYOUT-001");
  RunDir dir;
  auto r = ShmRegion::create(region(dir), 100, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->capacity(ShmDirection::kRequest), 128u);
  EXPECT_EQ((*r)->capacity(ShmDirection::kResponse), 64u);
  auto b = (*r)->bytes();
  EXPECT_EQ(load_u32le(&b[24]), 192u);
  EXPECT_EQ((*r)->size(), 256u);
}

TEST(ShmCreate, OwnerRemovesTheFileAttacherDoesNot) {
  REQUIREMENT("SHM-CLEAN-001");
  RunDir dir;
  int fds = open_fd_count();
  {
    auto s = ShmRegion::create(region(dir), 64, 64);
    ASSERT_TRUE(s.ok());
    {
      auto c = ShmRegion::attach(region(dir));
      ASSERT_TRUE(c.ok()) << c.error();
      EXPECT_EQ(mapping_count(".ipcshm"), 2);
    }
    EXPECT_EQ(dir.entries().size(), 1u);
    EXPECT_EQ(mapping_count(".ipcshm"), 1);
  }
  EXPECT_TRUE(dir.entries().empty());
  EXPECT_EQ(mapping_count(".ipcshm"), 0);
  EXPECT_EQ(open_fd_count(), fds);
}

TEST(ShmCreate, FailureLeavesNothingBehind) {
  REQUIREMENT("SHM-CREATE-001");
  RunDir dir;
  auto missing = ShmRegion::create(dir.file("no/such/dir.ipcshm"), 64, 64);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, K::kShmCreate);
  EXPECT_EQ(missing.error().sys_errno, ENOENT);
  // Capacities whose file would not fit 32-bit offsets are refused before any file exists.
  auto huge = ShmRegion::create(region(dir), 0xffffff00u, 0xffffff00u);
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().kind, K::kBadParameter);
  // A symbolic link at the path is never followed: it is removed as junk, then created.
  std::ofstream(dir.file("target")) << "keep me";
  ASSERT_EQ(::symlink(dir.file("target").c_str(), region(dir).c_str()), 0);
  auto r = ShmRegion::create(region(dir), 64, 64);
  ASSERT_TRUE(r.ok()) << r.error();
  std::ifstream target(dir.file("target"));
  std::string content;
  std::getline(target, content);
  EXPECT_EQ(content, "keep me");
  EXPECT_EQ(mapping_count("target"), 0);
}

TEST(ShmCreate, LiveOwnerKeepsItsRegion) {
  REQUIREMENT("SHM-STALE-001");
  RunDir dir;
  auto first = ShmRegion::create(region(dir), 64, 64);
  ASSERT_TRUE(first.ok());
  auto second = ShmRegion::create(region(dir), 64, 64);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, K::kAddressInUse);
  EXPECT_EQ(check_stale_region(region(dir)), RegionState::kLive);
}

// Writes a region header as a process `pid` would have, then leaves the file behind.
void write_fake_region(const std::string& path, std::int32_t pid, std::uint32_t generation,
                       std::uint32_t magic = 0x4e53484d) {
  std::array<std::uint8_t, 256> b{};
  store_u32le(&b[0], magic);
  store_u16le(&b[4], 3);
  store_u16le(&b[6], 64);
  store_u32le(&b[8], static_cast<std::uint32_t>(pid));
  store_u32le(&b[12], generation);
  store_u32le(&b[16], 64);
  store_u32le(&b[20], 64);
  store_u32le(&b[24], 128);
  store_u32le(&b[28], 128);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<char*>(b.data()), b.size());
}

pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

TEST(ShmStale, DeadOwnerRegionIsReplacedOnCreate) {
  REQUIREMENT("SHM-STALE-001");
  RunDir dir;
  write_fake_region(region(dir), dead_pid(), 7);
  auto r = ShmRegion::create(region(dir), 64, 64);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(static_cast<pid_t>(load_u32le(&(*r)->bytes()[8])), ::getpid());
}

TEST(ShmStale, CheckClassifiesEveryCase) {
  REQUIREMENT("SHM-STALE-001");
  RunDir dir;
  EXPECT_EQ(check_stale_region(dir.file("none.ipcshm")), RegionState::kAbsent);
  write_fake_region(dir.file("a"), ::getpid(), 7);
  EXPECT_EQ(check_stale_region(dir.file("a")), RegionState::kLive);
  write_fake_region(dir.file("b"), ::getpid(), 0);  // generation 0: never live
  EXPECT_EQ(check_stale_region(dir.file("b")), RegionState::kRemoved);
  write_fake_region(dir.file("c"), dead_pid(), 7);
  EXPECT_EQ(check_stale_region(dir.file("c")), RegionState::kRemoved);
  write_fake_region(dir.file("d"), ::getpid(), 7, 0x12345678);  // bad magic
  EXPECT_EQ(check_stale_region(dir.file("d")), RegionState::kRemoved);
  std::ofstream(dir.file("e")) << "short";
  EXPECT_EQ(check_stale_region(dir.file("e")), RegionState::kRemoved);
  ASSERT_EQ(::symlink(dir.file("a").c_str(), dir.file("f").c_str()), 0);
  EXPECT_EQ(check_stale_region(dir.file("f")), RegionState::kRemoved);
  write_fake_region(dir.file("g"), 0, 7);  // no owner pid
  EXPECT_EQ(check_stale_region(dir.file("g")), RegionState::kRemoved);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"a"});
}

TEST(ShmStale, StartupScanRemovesOnlyStaleRegionsOfTheService) {
  REQUIREMENT("SHM-STALE-002");
  RunDir dir;
  write_fake_region(dir.file("svc-0000000000000001.ipcshm"), dead_pid(), 7);
  write_fake_region(dir.file("svc-0000000000000002.ipcshm"), ::getpid(), 7);
  write_fake_region(dir.file("other-0000000000000001.ipcshm"), dead_pid(), 7);
  std::ofstream(dir.file("svc.sock")) << "x";
  EXPECT_EQ(remove_stale_regions(dir.path(), "svc"), 1u);
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"other-0000000000000001.ipcshm",
                                                     "svc-0000000000000002.ipcshm", "svc.sock"}));
}

// Corrupts one header field of the region at `path`.
void poke(const std::string& path, std::size_t off, const std::vector<std::uint8_t>& bytes) {
  int fd = ::open(path.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(off)),
            static_cast<ssize_t>(bytes.size()));
  ::close(fd);
}

struct AttachCase {
  std::size_t off;
  std::vector<std::uint8_t> bytes;
  TransportErrorKind want;
};

TEST(ShmAttach, ChecksEveryHeaderRule) {
  REQUIREMENT("SHM-ATTACH-001");
  RunDir dir;
  const std::vector<AttachCase> cases = {
      {0, {0, 0, 0, 0}, K::kShmBadMagic},
      {4, {2, 0}, K::kShmBadVersion},
      {6, {32, 0}, K::kShmBadHeader},
      {16, {0, 0, 0, 0}, K::kShmNotReady},      // request_offset 0
      {20, {0, 0, 0, 0}, K::kShmNotReady},      // request_capacity 0
      {24, {0, 0, 0, 0}, K::kShmNotReady},      // response_offset 0
      {28, {0, 0, 0, 0}, K::kShmNotReady},      // response_capacity 0
      {20, {0x60, 0, 0, 0}, K::kShmBadSize},    // capacity not a multiple of 64
      {24, {0x40, 0, 0, 0}, K::kShmBadSize},    // response area inside the request area
      {28, {0, 0, 1, 0}, K::kShmBadSize},       // response end beyond the file
      {16, {0xc0, 0xff, 0xff, 0xff}, K::kShmBadSize},  // offset + capacity overflows u32
  };
  for (const AttachCase& c : cases) {
    auto s = ShmRegion::create(region(dir), 64, 64);
    ASSERT_TRUE(s.ok());
    poke(region(dir), c.off, c.bytes);
    auto a = ShmRegion::attach(region(dir));
    ASSERT_FALSE(a.ok()) << c.off;
    EXPECT_EQ(a.error().kind, c.want) << "offset " << c.off;
  }
  auto missing = ShmRegion::attach(region(dir, 99));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, K::kShmOpen);
  std::ofstream(region(dir, 98)) << "tiny";
  auto tiny = ShmRegion::attach(region(dir, 98));
  ASSERT_FALSE(tiny.ok());
  EXPECT_EQ(tiny.error().kind, K::kShmNotReady);
  EXPECT_EQ(mapping_count(".ipcshm"), 0);
}

TEST(ShmPublish, RoundTripsBothDirections) {
  REQUIREMENT("SHM-PUB-001");
  RunDir dir;
  auto s = ShmRegion::create(region(dir), 256, 256);
  ASSERT_TRUE(s.ok());
  auto c = ShmRegion::attach(region(dir));
  ASSERT_TRUE(c.ok());
  std::array<std::uint8_t, 40> req{};
  for (std::size_t i = 0; i < req.size(); ++i) req[i] = static_cast<std::uint8_t>(i);
  std::array<ConstBytes, 2> parts{ConstBytes(req).first(32), ConstBytes(req).subspan(32)};
  ASSERT_TRUE((*c)->publish(ShmDirection::kRequest, parts).ok());
  auto b = (*s)->bytes();
  EXPECT_EQ(load_u64le(&b[32]), 1u);  // req_seq
  EXPECT_EQ(load_u32le(&b[48]), 40u);  // req_len
  EXPECT_EQ(load_u32le(&b[56]), 1u);  // req_signal
  std::array<std::uint8_t, 256> in{};
  auto got = (*s)->consume(ShmDirection::kRequest, in, Deadline::after_ms(1000), nullptr, nullptr);
  ASSERT_TRUE(got.ok()) << got.error();
  EXPECT_EQ(*got, 40u);
  EXPECT_EQ(in[39], 39);
  std::array<ConstBytes, 1> resp{ConstBytes(req).first(33)};
  ASSERT_TRUE((*s)->publish(ShmDirection::kResponse, resp).ok());
  auto back = (*c)->consume(ShmDirection::kResponse, in, Deadline::after_ms(1000), nullptr, nullptr);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, 33u);
}

TEST(ShmPublish, RefusesMessagesLargerThanTheArea) {
  REQUIREMENT("SHM-PUB-002");
  RunDir dir;
  auto s = ShmRegion::create(region(dir), 64, 64);
  ASSERT_TRUE(s.ok());
  std::array<std::uint8_t, 65> big{};
  std::array<ConstBytes, 1> parts{ConstBytes(big)};
  auto r = (*s)->publish(ShmDirection::kResponse, parts);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kShmMessageTooLarge);
  EXPECT_EQ(load_u64le(&(*s)->bytes()[40]), 0u);  // nothing published
}

TEST(ShmConsume, TimesOutAndRejectsBadLengths) {
  REQUIREMENT("SHM-CONSUME-002");
  RunDir dir;
  auto s = ShmRegion::create(region(dir), 64, 64);
  auto c = ShmRegion::attach(region(dir));
  ASSERT_TRUE(s.ok() && c.ok());
  std::array<std::uint8_t, 64> in{};
  auto t = (*s)->consume(ShmDirection::kRequest, in, Deadline::after_ms(30), nullptr, nullptr);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().kind, K::kTimeout);
  // A peer that publishes a length larger than the receiver's buffer.
  std::array<std::uint8_t, 64> msg{};
  std::array<ConstBytes, 1> parts{ConstBytes(msg)};
  ASSERT_TRUE((*c)->publish(ShmDirection::kRequest, parts).ok());
  std::array<std::uint8_t, 32> small{};
  auto big = (*s)->consume(ShmDirection::kRequest, small, Deadline::after_ms(100), nullptr, nullptr);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, K::kShmMessageTooLarge);
  // A zero length published behind the protocol's back (sequence advanced, len 0).
  auto b = (*c)->bytes();
  std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(&b[48])).store(0);
  std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(&b[32])).fetch_add(1);
  auto zero = (*s)->consume(ShmDirection::kRequest, in, Deadline::after_ms(100), nullptr, nullptr);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().kind, K::kShmBadLength);
}

class StopAfter : public ShmWaitHooks {
 public:
  std::atomic<bool> stop{false};
  int calls = 0;
  TransportResult<void> check() override {
    ++calls;
    if (stop.load()) return TransportError::of(TransportErrorKind::kCancelled);
    return {};
  }
};

TEST(ShmConsume, BlockedWaitChecksItsHooksEverySlice) {
  REQUIREMENT("SHM-CONSUME-001");
  RunDir dir;
  auto s = ShmRegion::create(region(dir), 64, 64);
  ASSERT_TRUE(s.ok());
  StopAfter hooks;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    hooks.stop = true;
  });
  std::array<std::uint8_t, 64> in{};
  auto r = (*s)->consume(ShmDirection::kRequest, in, Deadline::never(), nullptr, &hooks);
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kCancelled);
  EXPECT_GE(hooks.calls, 2);
}

TEST(ShmConsume, PingPongAcrossProcessesWakesBlockedWaiters) {
  REQUIREMENT("SHM-FUTEX-001");
  RunDir dir;
  auto s = ShmRegion::create(region(dir), 64, 64);
  ASSERT_TRUE(s.ok());
  constexpr int kRounds = 200;
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Client: no spinning budget, so most waits block on the futex.
    auto c = ShmRegion::attach(region(dir));
    if (!c.ok()) ::_exit(2);
    std::array<std::uint8_t, 64> buf{};
    for (int i = 0; i < kRounds; ++i) {
      store_u32le(buf.data(), static_cast<std::uint32_t>(i));
      std::array<ConstBytes, 1> p{ConstBytes(buf).first(8)};
      if (!(*c)->publish(ShmDirection::kRequest, p).ok()) ::_exit(3);
      auto r = (*c)->consume(ShmDirection::kResponse, buf, Deadline::after_ms(5000), nullptr, nullptr);
      if (!r.ok() || load_u32le(buf.data()) != static_cast<std::uint32_t>(i) + 1) ::_exit(4);
      if (i % 50 == 0) ::usleep(2000);  // let the server block
    }
    ::_exit(0);
  }
  std::array<std::uint8_t, 64> buf{};
  SpinPolicy spin;
  for (int i = 0; i < kRounds; ++i) {
    auto r = (*s)->consume(ShmDirection::kRequest, buf, Deadline::after_ms(5000), &spin, nullptr);
    ASSERT_TRUE(r.ok()) << r.error();
    store_u32le(buf.data(), load_u32le(buf.data()) + 1);
    std::array<ConstBytes, 1> p{ConstBytes(buf).first(8)};
    ASSERT_TRUE((*s)->publish(ShmDirection::kResponse, p).ok());
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
}

TEST(SpinPolicy, FollowsSuccessDropsToBlockingAndProbesNowAndThen) {
  REQUIREMENT("SHM-SPIN-001");
  SpinPolicy p(1000, 64000);
  const std::uint32_t start = p.budget_ns();
  p.on_spin_hit(start / 4);  // caught early: unchanged
  EXPECT_EQ(p.budget_ns(), start);
  p.on_spin_hit(start * 3 / 4);  // caught late: grow
  EXPECT_EQ(p.budget_ns(), start * 2);
  p.on_blocked();  // one miss is not a trend
  EXPECT_EQ(p.budget_ns(), start * 2);
  p.on_blocked();
  EXPECT_EQ(p.budget_ns(), start);
  for (int i = 0; i < 40; ++i) p.on_blocked();
  EXPECT_EQ(p.budget_ns(), 0u);  // below the minimum: block at once
  // Every 64th wait probes with the full budget while nothing says spinning never pays.
  int probes = 0;
  for (int i = 0; i < 128; ++i) probes += p.next_budget_ns() == 64000u;
  EXPECT_EQ(probes, 2);
  EXPECT_EQ(p.budget_ns(), 0u);  // waits outside a probe still block at once
  p.on_spin_hit(40000);          // a probe caught a slow answer
  EXPECT_EQ(p.budget_ns(), 64000u);
  p.disable();
  EXPECT_EQ(p.next_budget_ns(), 0u);
}

TEST(SpinPolicy, ProbesLessOftenWhileProbesFailAndAgainOftenAfterAHit) {
  REQUIREMENT("SHM-SPIN-001");
  SpinPolicy p(1000, 50000);
  // Drive the policy as a link does: every wait blocks, probes included.
  auto wait_blocked = [&p] {
    bool probe = p.next_budget_ns() == 50000u && p.budget_ns() != 50000u;
    p.on_blocked();
    return probe;
  };
  for (int i = 0; i < 16; ++i) (void)wait_blocked();
  ASSERT_EQ(p.budget_ns(), 0u);
  std::uint32_t gap = p.probe_gap();
  EXPECT_EQ(gap, SpinPolicy::kProbeGapMin);
  int probes = 0;
  for (int i = 0; i < 20000; ++i) probes += wait_blocked();
  EXPECT_EQ(p.probe_gap(), SpinPolicy::kProbeGapMax);  // backed off to the longest gap
  // 64 + 128 + 256 + 512 waits to reach the longest gap, then one probe per 1024 waits.
  EXPECT_LE(probes, 4 + 20000 / 1024 + 1);
  // A probe that is answered while spinning brings the short gap (and a budget) back.
  while (p.next_budget_ns() != 50000u) p.on_blocked();
  p.on_spin_hit(3000);
  EXPECT_EQ(p.probe_gap(), SpinPolicy::kProbeGapMin);
  EXPECT_GE(p.budget_ns(), 6000u);
}

}  // namespace
}  // namespace nipc
