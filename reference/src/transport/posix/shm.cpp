#include "nipc/transport/shm.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <climits>
#include <cstring>

#include "nipc/transport/paths.h"

namespace nipc {

static_assert(std::endian::native == std::endian::little,
              "the region's atomics are shared with peers as little-endian words");

namespace {

using namespace shm_layout;

constexpr int kSliceMs = 100;  // blocked waits re-check cancellation and the peer this often

struct Fields {  // where the atomics of one direction live
  std::size_t seq, len, signal, offset, capacity;
};
constexpr Fields kFields[2] = {
    {kRequestSeq, kRequestLen, kRequestSignal, kRequestOffset, kRequestCapacity},
    {kResponseSeq, kResponseLen, kResponseSignal, kResponseOffset, kResponseCapacity},
};

template <class T>
std::atomic_ref<T> atom(std::uint8_t* base, std::size_t off) noexcept {
  return std::atomic_ref<T>(*reinterpret_cast<T*>(base + off));
}

// Shared (not FUTEX_PRIVATE_FLAG) futex operations: the word lives in a mapping that two
// processes share. WAIT uses the bitset form so the absolute CLOCK_MONOTONIC deadline survives
// EINTR retries unchanged; peers waiting with plain FUTEX_WAIT are woken by FUTEX_WAKE alike.
long futex_wait_until(std::uint32_t* word, std::uint32_t expected, const timespec* abs) {
  return sys::call([&] {
    return ::syscall(SYS_futex, word, FUTEX_WAIT_BITSET, expected, abs, nullptr,
                     FUTEX_BITSET_MATCH_ANY);
  });
}

void futex_wake_one(std::uint32_t* word) {
  (void)sys::call([&] { return ::syscall(SYS_futex, word, FUTEX_WAKE, 1, nullptr, nullptr, 0); });
}

timespec to_timespec(Deadline::Clock::time_point t) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  timespec ts;
  ts.tv_sec = static_cast<time_t>(ns / 1000000000);
  ts.tv_nsec = static_cast<long>(ns % 1000000000);
  return ts;
}

std::uint64_t elapsed_ns(Deadline::Clock::time_point since) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Deadline::Clock::now() - since)
          .count());
}

bool owner_alive(std::int32_t pid, std::uint32_t generation) {
  if (pid <= 0 || generation == 0) return false;
  if (sys::call([&] { return ::kill(pid, 0); }) == 0) return true;
  return errno == EPERM;  // exists, owned by someone else
}

// Removes `path` only if it still names the file we examined (dev/ino of `fd`).
void unlink_if_same(const std::string& path, int fd) {
  struct stat a, b;
  if (fd >= 0 && sys::call([&] { return ::fstat(fd, &a); }) == 0) {
    if (sys::call([&] { return ::lstat(path.c_str(), &b); }) < 0) return;
    if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) return;
  }
  (void)sys::call([&] { return ::unlink(path.c_str()); });
}

}  // namespace

std::uint32_t shm_owner_generation() noexcept {
  timespec ts{};
  (void)sys::call([&] { return ::clock_gettime(CLOCK_MONOTONIC, &ts); });
  auto g = static_cast<std::uint32_t>(static_cast<std::uint64_t>(ts.tv_sec) ^
                                      (static_cast<std::uint64_t>(ts.tv_nsec) >> 10));
  return g == 0 ? 1 : g;
}

ShmRegion::ShmRegion(std::string path, UniqueFd fd, std::uint8_t* base, std::size_t size,
                     bool owner) noexcept
    : path_(std::move(path)), fd_(std::move(fd)), base_(base), size_(size), owner_(owner) {}

ShmRegion::~ShmRegion() {
  if (base_) (void)sys::call([&] { return ::munmap(base_, size_); });
  // The creator removes the file (SHM-CLEAN-001); an attacher never does.
  if (owner_) unlink_if_same(path_, fd_.get());
}

TransportResult<std::unique_ptr<ShmRegion>> ShmRegion::create(const std::string& path,
                                                              std::uint32_t request_capacity,
                                                              std::uint32_t response_capacity) {
  auto geometry = shm_geometry(request_capacity, response_capacity);
  if (!geometry) return geometry.error();
  const std::uint64_t total = geometry->region_size();

  auto open_excl = [&] {
    return sys::call([&] {
      return ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    });
  };
  UniqueFd fd(open_excl());
  if (!fd.valid() && errno == EEXIST) {
    // Someone left a file at our session's path: a live owner keeps it, else it goes.
    RegionState st = check_stale_region(path);
    if (st == RegionState::kLive || st == RegionState::kKept)
      return TransportError::of(TransportErrorKind::kAddressInUse);
    fd.reset(open_excl());
  }
  if (!fd.valid()) return TransportError{TransportErrorKind::kShmCreate, std::nullopt, errno};

  auto fail = [&](int err) -> TransportError {
    unlink_if_same(path, fd.get());
    return TransportError{TransportErrorKind::kShmCreate, std::nullopt, err};
  };
  // Reserve the blocks now so a full filesystem fails here, not as SIGBUS on first touch.
  if (sys::call([&] { return ::fallocate(fd.get(), 0, 0, static_cast<off_t>(total)); }) < 0) {
    if (errno != EOPNOTSUPP) return fail(errno);
    if (sys::call([&] { return ::ftruncate(fd.get(), static_cast<off_t>(total)); }) < 0)
      return fail(errno);
  }
  void* map = sys::call(
      [&] { return ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0); });
  if (map == MAP_FAILED) return fail(errno);
  auto* base = static_cast<std::uint8_t*>(map);
  // A new file reads as zeros, so every atomic and both areas already start at 0.
  encode_shm_header(*geometry,
                    {static_cast<std::int32_t>(sys::call([] { return ::getpid(); })),
                     shm_owner_generation()},
                    {base, static_cast<std::size_t>(total)});
  // The magic goes last, with release: whoever acquires the magic sees the whole header. The
  // HELLO_ACK that tells the client about the region is sent after this (PROF-SHM-READY-001).
  atom<std::uint32_t>(base, kMagic).store(kMagicValue, std::memory_order_release);
  return std::unique_ptr<ShmRegion>(
      new ShmRegion(path, std::move(fd), base, static_cast<std::size_t>(total), true));
}

TransportResult<std::unique_ptr<ShmRegion>> ShmRegion::attach(const std::string& path) {
  UniqueFd fd(sys::call([&] { return ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC); }));
  if (!fd.valid()) return TransportError{TransportErrorKind::kShmOpen, std::nullopt, errno};
  struct stat st;
  if (sys::call([&] { return ::fstat(fd.get(), &st); }) < 0)
    return TransportError{TransportErrorKind::kShmOpen, std::nullopt, errno};
  if (!S_ISREG(st.st_mode)) return TransportError::of(TransportErrorKind::kShmOpen);
  if (st.st_size < static_cast<off_t>(kSize)) return TransportError::of(TransportErrorKind::kShmNotReady);
  auto size = static_cast<std::size_t>(st.st_size);
  void* map = sys::call(
      [&] { return ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0); });
  if (map == MAP_FAILED) return TransportError{TransportErrorKind::kShmOpen, std::nullopt, errno};
  std::unique_ptr<ShmRegion> region(
      new ShmRegion(path, std::move(fd), static_cast<std::uint8_t*>(map), size, false));
  // Acquire: pairs with the creator's release store of the magic, written after the rest.
  if (atom<std::uint32_t>(region->base_, kMagic).load(std::memory_order_acquire) != kMagicValue)
    return TransportError::of(TransportErrorKind::kShmBadMagic);
  auto geometry = validate_shm_header({region->base_, size}, size);
  if (!geometry) return geometry.error();
  // Acquire: counting starts after whatever was already published (SHM-ATTACH-001).
  for (int d = 0; d < 2; ++d)
    region->local_seq_[d] =
        atom<std::uint64_t>(region->base_, kFields[d].seq).load(std::memory_order_acquire);
  return region;
}

std::uint32_t ShmRegion::capacity(ShmDirection dir) const noexcept {
  return load_u32le(base_ + kFields[static_cast<int>(dir)].capacity);
}

TransportResult<void> ShmRegion::publish(ShmDirection dir,
                                         std::span<const ConstBytes> parts) noexcept {
  const Fields& f = kFields[static_cast<int>(dir)];
  std::uint64_t total = 0;
  for (ConstBytes p : parts) total += p.size();
  std::uint32_t offset = load_u32le(base_ + f.offset);
  if (total == 0) return TransportError::of(TransportErrorKind::kShmBadLength);
  if (total > capacity(dir)) return TransportError::of(TransportErrorKind::kShmMessageTooLarge);
  std::uint8_t* area = base_ + offset;
  for (ConstBytes p : parts) {
    if (!p.empty()) std::memcpy(area, p.data(), p.size());
    area += p.size();
  }
  // SHM-PUB-001, in this order:
  // 1. length, release: the copied bytes are visible before the length.
  atom<std::uint32_t>(base_, f.len).store(static_cast<std::uint32_t>(total),
                                          std::memory_order_release);
  // 2. sequence, release: a reader that acquires the new sequence sees the bytes and length.
  atom<std::uint64_t>(base_, f.seq).fetch_add(1, std::memory_order_release);
  // 3. signal, release, then wake: a waiter that sampled the old signal value either fails its
  //    FUTEX_WAIT comparison or is woken here.
  atom<std::uint32_t>(base_, f.signal).fetch_add(1, std::memory_order_release);
  futex_wake_one(reinterpret_cast<std::uint32_t*>(base_ + f.signal));
  return {};
}

TransportResult<std::size_t> ShmRegion::consume(ShmDirection dir, MutableBytes out,
                                                Deadline deadline, SpinPolicy* spin,
                                                ShmWaitHooks* hooks) noexcept {
  const int d = static_cast<int>(dir);
  const Fields& f = kFields[d];
  const std::uint64_t expected = local_seq_[d] + 1;
  auto seq = atom<std::uint64_t>(base_, f.seq);
  auto signal = atom<std::uint32_t>(base_, f.signal);
  // Acquire on the sequence pairs with the writer's release increment (SHM-CONSUME-001).
  auto arrived = [&] { return seq.load(std::memory_order_acquire) >= expected; };

  auto start = Deadline::Clock::now();
  bool observed = false;
  // Spin phase: without a policy the upstream 128 iterations; with one, as long as its
  // adaptive budget, which is 0 (one look, then block) when spinning has stopped paying:
  // on a loaded machine the peer often needs this very core, and every spin delays it.
  const std::uint64_t budget = spin ? spin->next_budget_ns() : 0;
  for (std::uint32_t i = 1;; ++i) {
    if (arrived()) {
      observed = true;
      if (spin && budget != 0) spin->on_spin_hit(elapsed_ns(start));
      break;
    }
    if (spin == nullptr ? i >= kShmDefaultSpin
                        : budget == 0 || ((i & 31) == 0 && elapsed_ns(start) >= budget))
      break;
    sys::cpu_relax();
  }
  // Wait phase: block on the shared futex in slices, re-checking the peer between slices.
  while (!observed) {
    // Sample the signal word before re-checking the sequence: a publication after the check
    // changes the word, so the FUTEX_WAIT below returns at once instead of sleeping.
    std::uint32_t sig = signal.load(std::memory_order_acquire);
    if (arrived()) {
      observed = true;
      if (spin) spin->on_blocked();
      break;
    }
    if (deadline.expired()) return TransportError::of(TransportErrorKind::kTimeout);
    Deadline slice = deadline.min(Deadline::after(std::chrono::milliseconds(kSliceMs)));
    timespec abs = to_timespec(*slice.time());
    long rc = futex_wait_until(reinterpret_cast<std::uint32_t*>(base_ + f.signal), sig, &abs);
    if (rc < 0 && errno == ETIMEDOUT && hooks) {
      if (auto r = hooks->check(); !r) return r.error();
    }
  }
  // Acquire: pairs with the writer's release store of the length.
  std::uint32_t len = atom<std::uint32_t>(base_, f.len).load(std::memory_order_acquire);
  local_seq_[d] = expected;  // counted as consumed whatever its length says
  std::size_t max_copy = out.size() < capacity(dir) ? out.size() : capacity(dir);
  if (len == 0) return TransportError::of(TransportErrorKind::kShmBadLength);
  if (len > max_copy) return TransportError::of(TransportErrorKind::kShmMessageTooLarge);
  // Copy at once: the writer may reuse the area as soon as this round trip completes.
  std::memcpy(out.data(), base_ + load_u32le(base_ + f.offset), len);
  return static_cast<std::size_t>(len);
}

RegionState check_stale_region(const std::string& path) noexcept {
  UniqueFd fd(sys::call([&] { return ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC); }));
  if (!fd.valid()) {
    if (errno == ENOENT) return RegionState::kAbsent;
    if (errno == EMFILE || errno == ENFILE) return RegionState::kKept;
    // A symlink, an unreadable or foreign file: not a region anyone can use; remove it.
    (void)sys::call([&] { return ::unlink(path.c_str()); });
    return RegionState::kRemoved;
  }
  struct stat st;
  std::uint8_t hdr[kSize];
  std::optional<ShmOwner> owner;
  if (sys::call([&] { return ::fstat(fd.get(), &st); }) == 0 && S_ISREG(st.st_mode) &&
      st.st_size >= static_cast<off_t>(kSize) &&
      sys::call([&] { return ::pread(fd.get(), hdr, kSize, 0); }) == static_cast<ssize_t>(kSize))
    owner = shm_header_owner(hdr);  // nullopt: junk (wrong magic)
  if (owner && owner_alive(owner->pid, owner->generation)) return RegionState::kLive;
  unlink_if_same(path, fd.get());
  return RegionState::kRemoved;
}

std::size_t remove_stale_regions(const std::string& run_dir, std::string_view service) noexcept {
  DIR* dir = sys::call([&] { return ::opendir(run_dir.c_str()); });
  if (!dir) return 0;
  std::size_t removed = 0;
  // readdir returns null at the end as well as on error: either way the scan is over.
  while (dirent* e = ::readdir(dir)) {
    std::string_view name(e->d_name);
    if (!is_region_file_name(name, service)) continue;
    if (check_stale_region(run_dir + "/" + std::string(name)) == RegionState::kRemoved) ++removed;
  }
  (void)sys::call([&] { return ::closedir(dir); });
  return removed;
}

}  // namespace nipc
