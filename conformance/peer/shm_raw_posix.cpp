#include "shm_raw.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "wire_layout.h"

namespace nipc::peer {
namespace {

namespace L = layout::posix_region;

std::size_t seq_off(Area a) { return a == Area::kRequest ? L::kRequestSeq : L::kResponseSeq; }
std::size_t len_off(Area a) { return a == Area::kRequest ? L::kRequestLen : L::kResponseLen; }
std::size_t sig_off(Area a) { return a == Area::kRequest ? L::kRequestSignal : L::kResponseSignal; }

template <class T>
std::atomic_ref<T> at(std::uint8_t* base, std::size_t off) {
  return std::atomic_ref<T>(*reinterpret_cast<T*>(base + off));
}

void futex_wake(std::uint32_t* word) {
  // Shared (not process-private) futex: the word lives in a mapping of another process.
  ::syscall(SYS_futex, word, FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

void futex_wait(std::uint32_t* word, std::uint32_t seen, int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  ::syscall(SYS_futex, word, FUTEX_WAIT, seen, &ts, nullptr, 0);
}

}  // namespace

std::string region_file(const std::string& run_dir, const std::string& service, std::uint64_t sid) {
  char hexid[17];
  std::snprintf(hexid, sizeof hexid, "%016llx", static_cast<unsigned long long>(sid));
  return run_dir + "/" + service + "-" + hexid + ".ipcshm";
}

Packet encode(const RegionHeader& h) {
  Packet p;
  p.what = "SHM region header";
  // Each field is appended where the layout table puts it; a mismatch is a peer bug.
  auto next = [&p](std::size_t offset) -> Packet& {
    if (p.bytes.size() != offset) {
      std::fprintf(stderr, "nipc-peer: region encoder out of step with its layout at %zu\n",
                   offset);
      std::abort();
    }
    return p;
  };
  next(L::kMagic).u32("magic", h.magic, hex32(h.magic));
  next(L::kVersion).u16("version", h.version);
  next(L::kHeaderLen).u16("header_len", h.header_len);
  next(L::kOwnerPid).u32("owner_pid", static_cast<std::uint32_t>(h.owner_pid));
  next(L::kOwnerGeneration).u32("owner_generation", h.owner_generation, hex32(h.owner_generation));
  next(L::kRequestOffset).u32("request_offset", h.request_offset);
  next(L::kRequestCapacity).u32("request_capacity", h.request_capacity);
  next(L::kResponseOffset).u32("response_offset", h.response_offset);
  next(L::kResponseCapacity).u32("response_capacity", h.response_capacity);
  next(L::kRequestSeq).u64("req_seq", h.request_seq);
  next(L::kResponseSeq).u64("resp_seq", h.response_seq);
  next(L::kRequestLen).u32("req_len", h.request_len);
  next(L::kResponseLen).u32("resp_len", h.response_len);
  next(L::kRequestSignal).u32("req_signal", h.request_signal);
  next(L::kResponseSignal).u32("resp_signal", h.response_signal);
  next(L::kSize);
  return p;
}

std::unique_ptr<RawRegion> RawRegion::open(const std::string& path, std::string* why) {
  std::unique_ptr<RawRegion> r(new RawRegion());
  r->path_ = path;
  r->fd_.reset(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW));
  if (!r->fd_.valid()) return *why = "open " + path + ": " + std::strerror(errno), nullptr;
  struct stat st;
  if (::fstat(r->fd_.get(), &st) != 0) return *why = std::strerror(errno), nullptr;
  if (!S_ISREG(st.st_mode)) return *why = path + " is not a regular file", nullptr;
  if (st.st_size < static_cast<off_t>(L::kSize))
    return *why = path + " is " + std::to_string(st.st_size) + " bytes, shorter than the header", nullptr;
  r->size_ = static_cast<std::size_t>(st.st_size);
  r->mode_ = st.st_mode & 07777;
  void* m = ::mmap(nullptr, r->size_, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd_.get(), 0);
  if (m == MAP_FAILED) return *why = std::string("mmap: ") + std::strerror(errno), nullptr;
  r->base_ = static_cast<std::uint8_t*>(m);
  std::atomic_thread_fence(std::memory_order_acquire);
  r->consumed_[0] = r->seq(Area::kRequest);
  r->consumed_[1] = r->seq(Area::kResponse);
  return r;
}

std::unique_ptr<RawRegion> RawRegion::create(const std::string& path, const RegionHeader& h,
                                             std::optional<std::size_t> file_size, std::string* why) {
  std::unique_ptr<RawRegion> r(new RawRegion());
  r->path_ = path;
  std::uint64_t end_req = std::uint64_t{h.request_offset} + h.request_capacity;
  std::uint64_t end_resp = std::uint64_t{h.response_offset} + h.response_capacity;
  std::size_t size = file_size.value_or(static_cast<std::size_t>(end_req > end_resp ? end_req : end_resp));
  if (size < L::kSize) size = L::kSize;
  r->fd_.reset(::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!r->fd_.valid()) return *why = "create " + path + ": " + std::strerror(errno), nullptr;
  r->owner_ = true;
  if (::ftruncate(r->fd_.get(), static_cast<off_t>(size)) != 0)
    return *why = std::string("ftruncate: ") + std::strerror(errno), nullptr;
  r->size_ = size;
  r->mode_ = 0600;
  void* m = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd_.get(), 0);
  if (m == MAP_FAILED) return *why = std::string("mmap: ") + std::strerror(errno), nullptr;
  r->base_ = static_cast<std::uint8_t*>(m);
  Packet hp = encode(h);
  std::memcpy(r->base_, hp.bytes.data(), L::kSize);
  std::atomic_thread_fence(std::memory_order_release);
  r->consumed_[0] = h.request_seq;
  r->consumed_[1] = h.response_seq;
  return r;
}

RawRegion::~RawRegion() {
  if (base_) ::munmap(base_, size_);
  if (owner_) ::unlink(path_.c_str());
}

bool RawRegion::intact() const {
  struct stat st;
  return ::fstat(fd_.get(), &st) == 0 && st.st_size >= static_cast<off_t>(size_);
}

RegionHeader RawRegion::header() const {
  std::atomic_thread_fence(std::memory_order_acquire);
  const std::uint8_t* p = base_;
  RegionHeader h;
  h.magic = layout::load32(p + L::kMagic);
  h.version = layout::load16(p + L::kVersion);
  h.header_len = layout::load16(p + L::kHeaderLen);
  h.owner_pid = static_cast<std::int32_t>(layout::load32(p + L::kOwnerPid));
  h.owner_generation = layout::load32(p + L::kOwnerGeneration);
  h.request_offset = layout::load32(p + L::kRequestOffset);
  h.request_capacity = layout::load32(p + L::kRequestCapacity);
  h.response_offset = layout::load32(p + L::kResponseOffset);
  h.response_capacity = layout::load32(p + L::kResponseCapacity);
  h.request_seq = seq(Area::kRequest);
  h.response_seq = seq(Area::kResponse);
  h.request_len = at<std::uint32_t>(base_, L::kRequestLen).load(std::memory_order_acquire);
  h.response_len = at<std::uint32_t>(base_, L::kResponseLen).load(std::memory_order_acquire);
  h.request_signal = at<std::uint32_t>(base_, L::kRequestSignal).load(std::memory_order_acquire);
  h.response_signal = at<std::uint32_t>(base_, L::kResponseSignal).load(std::memory_order_acquire);
  return h;
}

std::uint64_t RawRegion::seq(Area a) const {
  return at<std::uint64_t>(base_, seq_off(a)).load(std::memory_order_acquire);
}

bool RawRegion::publish(Area a, ConstBytes msg, std::optional<std::uint32_t> len) {
  RegionHeader h = header();
  std::uint64_t off = a == Area::kRequest ? h.request_offset : h.response_offset;
  if (off + msg.size() > size_) return false;
  if (!msg.empty()) std::memcpy(base_ + off, msg.data(), msg.size());
  at<std::uint32_t>(base_, len_off(a))
      .store(len.value_or(static_cast<std::uint32_t>(msg.size())), std::memory_order_release);
  at<std::uint64_t>(base_, seq_off(a)).fetch_add(1, std::memory_order_release);
  at<std::uint32_t>(base_, sig_off(a)).fetch_add(1, std::memory_order_release);
  futex_wake(reinterpret_cast<std::uint32_t*>(base_ + sig_off(a)));
  ++consumed_[a == Area::kRequest ? 0 : 1];  // our own publication is not ours to consume
  return true;
}

RawRegion::Wait RawRegion::consume(Area a, Bytes* out, Deadline deadline,
                                   const std::function<bool()>& hung_up) {
  std::uint64_t& done = consumed_[a == Area::kRequest ? 0 : 1];
  auto sig = at<std::uint32_t>(base_, sig_off(a));
  for (int spin = 0;; ++spin) {
    std::uint32_t seen_signal = sig.load(std::memory_order_acquire);
    if (seq(a) > done) break;
    if (spin > 64) {
      if (!intact()) return Wait::kBadLength;
      // The IUT publishes (release) before it closes its socket: a message published just
      // before the hang-up is seen by the acquire load of seq after it, and is taken first.
      if (hung_up && hung_up()) {
        if (seq(a) > done) break;
        return Wait::kHungUp;
      }
      if (deadline.expired()) return Wait::kTimeout;
      futex_wait(reinterpret_cast<std::uint32_t*>(base_ + sig_off(a)), seen_signal, 10);
    }
  }
  ++done;
  RegionHeader h = header();
  std::uint32_t len = a == Area::kRequest ? h.request_len : h.response_len;
  std::uint64_t off = a == Area::kRequest ? h.request_offset : h.response_offset;
  std::uint64_t cap = a == Area::kRequest ? h.request_capacity : h.response_capacity;
  if (len == 0 || len > cap || off + len > size_) return Wait::kBadLength;
  out->assign(base_ + off, base_ + off + len);
  return Wait::kGot;
}

}  // namespace nipc::peer
