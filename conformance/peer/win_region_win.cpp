// Windows: the region is a page-file backed named mapping; waits use the session's events in
// the hybrid profile and plain polling in the busy-wait profile.
#include <windows.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "win_region.h"

namespace nipc::peer {
namespace {

namespace L = win_region_layout;

// Every shared word is accessed through atomic_ref with sequentially consistent ordering: on
// x86 these are the interlocked operations the protocol names, and a load of seq that sees a
// publication also sees the message and len stored before it.
template <class T>
std::atomic_ref<T> at(std::uint8_t* base, std::size_t off) {
  return std::atomic_ref<T>(*reinterpret_cast<T*>(base + off));
}

std::size_t seq_off(Area a) { return a == Area::kRequest ? L::kRequestSeq : L::kResponseSeq; }
std::size_t len_off(Area a) { return a == Area::kRequest ? L::kRequestLen : L::kResponseLen; }
/// The receiver's waiting flag of an area: the server waits for requests, the client for
/// responses.
std::size_t waiting_off(Area a) { return a == Area::kRequest ? L::kRequestServerWaiting : L::kResponseClientWaiting; }
/// The sender's closed flag of an area.
std::size_t closed_off(Area a) { return a == Area::kRequest ? L::kRequestClientClosed : L::kResponseServerClosed; }

HANDLE open_event(const std::string& name) {
  return ::OpenEventW(EVENT_MODIFY_STATE | SYNCHRONIZE, FALSE, widen_bytes(name).c_str());
}

}  // namespace

bool win_event_exists(const std::string& name) {
  UniqueHandle h(open_event(name));
  return h.valid();
}

bool win_mapping_exists(const std::string& name) {
  UniqueHandle h(::OpenFileMappingW(FILE_MAP_READ, FALSE, widen_bytes(name).c_str()));
  return h.valid();
}

std::unique_ptr<WinRegion> WinRegion::open(const std::string& prefix, std::uint32_t profile, bool as_client,
                                           std::string* why) {
  std::unique_ptr<WinRegion> r(new WinRegion());
  r->profile_ = profile;
  r->as_client_ = as_client;
  r->mapping_.reset(::OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, widen_bytes(prefix + "-mapping").c_str()));
  if (!r->mapping_.valid()) return *why = "OpenFileMapping " + prefix + "-mapping: " + last_error_text(), nullptr;
  void* m = ::MapViewOfFile(r->mapping_.get(), FILE_MAP_ALL_ACCESS, 0, 0, 0);
  if (!m) return *why = "MapViewOfFile: " + last_error_text(), nullptr;
  r->base_ = static_cast<std::uint8_t*>(m);
  MEMORY_BASIC_INFORMATION info{};
  ::VirtualQuery(m, &info, sizeof info);
  r->size_ = info.RegionSize;
  if (r->size_ < L::kSize) return *why = "the mapping is smaller than the 128-byte header", nullptr;
  if (profile == 2) {
    r->req_event_.reset(open_event(prefix + "-req_event"));
    r->resp_event_.reset(open_event(prefix + "-resp_event"));
  }
  r->consumed_[0] = r->seq(Area::kRequest);
  r->consumed_[1] = r->seq(Area::kResponse);
  return r;
}

std::unique_ptr<WinRegion> WinRegion::create(const std::string& prefix, const WinRegionHeader& h,
                                             std::optional<std::size_t> size, bool events, bool as_client,
                                             std::string* why) {
  std::unique_ptr<WinRegion> r(new WinRegion());
  r->profile_ = h.profile;
  r->as_client_ = as_client;
  std::uint64_t end_req = std::uint64_t{h.request_offset} + h.request_capacity;
  std::uint64_t end_resp = std::uint64_t{h.response_offset} + h.response_capacity;
  std::size_t bytes = size.value_or(static_cast<std::size_t>(end_req > end_resp ? end_req : end_resp));
  if (bytes < L::kSize) bytes = L::kSize;
  ::SetLastError(0);
  r->mapping_.reset(::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE,
                                         static_cast<DWORD>(std::uint64_t{bytes} >> 32),
                                         static_cast<DWORD>(bytes), widen_bytes(prefix + "-mapping").c_str()));
  if (!r->mapping_.valid() || ::GetLastError() == ERROR_ALREADY_EXISTS)
    return *why = "CreateFileMapping " + prefix + "-mapping: " + last_error_text(), nullptr;
  void* m = ::MapViewOfFile(r->mapping_.get(), FILE_MAP_ALL_ACCESS, 0, 0, bytes);
  if (!m) return *why = "MapViewOfFile: " + last_error_text(), nullptr;
  r->base_ = static_cast<std::uint8_t*>(m);
  r->size_ = bytes;
  std::memset(r->base_, 0, bytes);
  Packet hp = encode(h);
  std::memcpy(r->base_, hp.bytes.data(), L::kSize);
  // The header is complete before the HELLO_ACK goes out: a full fence orders it before any
  // later store the client could observe.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (events && h.profile == 2) {
    ::SetLastError(0);
    r->req_event_.reset(::CreateEventW(nullptr, FALSE, FALSE, widen_bytes(prefix + "-req_event").c_str()));
    r->resp_event_.reset(::CreateEventW(nullptr, FALSE, FALSE, widen_bytes(prefix + "-resp_event").c_str()));
    if (!r->events_open() || ::GetLastError() == ERROR_ALREADY_EXISTS)
      return *why = "CreateEvent " + prefix + ": " + last_error_text(), nullptr;
  }
  r->consumed_[0] = h.request_seq;
  r->consumed_[1] = h.response_seq;
  return r;
}

WinRegion::~WinRegion() {
  if (base_) ::UnmapViewOfFile(base_);
}

std::int32_t WinRegion::word(std::size_t offset) const {
  return at<std::int32_t>(base_, offset).load();
}

void WinRegion::set_word(std::size_t offset, std::int32_t value) { at<std::int32_t>(base_, offset).store(value); }

std::int64_t WinRegion::seq(Area a) const { return at<std::int64_t>(base_, seq_off(a)).load(); }

WinRegionHeader WinRegion::header() const {
  const std::uint8_t* p = base_;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  WinRegionHeader h;
  h.magic = load_u32le(p + L::kMagic);
  h.version = load_u32le(p + L::kVersion);
  h.header_len = load_u32le(p + L::kHeaderLen);
  h.profile = load_u32le(p + L::kProfile);
  h.request_offset = load_u32le(p + L::kRequestOffset);
  h.request_capacity = load_u32le(p + L::kRequestCapacity);
  h.response_offset = load_u32le(p + L::kResponseOffset);
  h.response_capacity = load_u32le(p + L::kResponseCapacity);
  h.spin_tries = load_u32le(p + L::kSpinTries);
  h.request_len = word(L::kRequestLen);
  h.response_len = word(L::kResponseLen);
  h.request_client_closed = word(L::kRequestClientClosed);
  h.request_server_waiting = word(L::kRequestServerWaiting);
  h.response_server_closed = word(L::kResponseServerClosed);
  h.response_client_waiting = word(L::kResponseClientWaiting);
  h.padding = load_u32le(p + L::kPadding);
  h.request_seq = seq(Area::kRequest);
  h.response_seq = seq(Area::kResponse);
  h.reserved_zero = true;
  for (std::size_t i = 0; i < L::kReservedLen; ++i) h.reserved_zero = h.reserved_zero && p[L::kReserved + i] == 0;
  return h;
}

bool WinRegion::publish(Area a, ConstBytes msg, std::optional<std::uint32_t> len) {
  WinRegionHeader h = header();
  std::uint64_t off = a == Area::kRequest ? h.request_offset : h.response_offset;
  if (off + msg.size() > size_) return false;
  if (!msg.empty()) std::memcpy(base_ + off, msg.data(), msg.size());
  // Exchange len, then increment seq (both sequentially consistent): a receiver that sees the
  // new seq sees the message and its len.
  at<std::int32_t>(base_, len_off(a)).exchange(static_cast<std::int32_t>(len.value_or(static_cast<std::uint32_t>(msg.size()))));
  at<std::int64_t>(base_, seq_off(a)).fetch_add(1);
  HANDLE ev = a == Area::kRequest ? req_event_.get() : resp_event_.get();
  if (profile_ == 2 && ev && word(waiting_off(a)) != 0) ::SetEvent(ev);
  ++consumed_[a == Area::kRequest ? 0 : 1];  // our own publication is not ours to consume
  return true;
}

WinRegion::Wait WinRegion::consume(Area a, Bytes* out, Deadline deadline, const std::function<bool()>& hung_up) {
  std::int64_t& done = consumed_[a == Area::kRequest ? 0 : 1];
  HANDLE ev = a == Area::kRequest ? req_event_.get() : resp_event_.get();
  auto arrived = [&] { return seq(a) > done; };
  for (int spin = 0; !arrived(); ++spin) {
    if (spin < 1024) continue;
    if (word(closed_off(a)) != 0 || (hung_up && hung_up())) {
      if (arrived()) break;
      return Wait::kHungUp;
    }
    if (deadline.expired()) return Wait::kTimeout;
    if (profile_ == 2 && ev) {
      set_word(waiting_off(a), 1);
      if (!arrived()) ::WaitForSingleObject(ev, static_cast<DWORD>(deadline.poll_timeout_ms(10)));
      set_word(waiting_off(a), 0);
    } else {
      std::this_thread::yield();
    }
  }
  ++done;
  WinRegionHeader h = header();
  std::int32_t len = a == Area::kRequest ? h.request_len : h.response_len;
  std::uint64_t off = a == Area::kRequest ? h.request_offset : h.response_offset;
  std::uint64_t cap = a == Area::kRequest ? h.request_capacity : h.response_capacity;
  if (len <= 0 || static_cast<std::uint64_t>(len) > cap || off + static_cast<std::uint64_t>(len) > size_)
    return Wait::kBadLength;
  out->assign(base_ + off, base_ + off + len);
  return Wait::kGot;
}

bool WinRegion::wait_signal(Area a, int ms) {
  HANDLE ev = a == Area::kRequest ? req_event_.get() : resp_event_.get();
  return ev && ::WaitForSingleObject(ev, static_cast<DWORD>(ms)) == WAIT_OBJECT_0;
}

void WinRegion::mark_closed() {
  std::size_t flag = as_client_ ? L::kRequestClientClosed : L::kResponseServerClosed;
  set_word(flag, 1);
  HANDLE ev = as_client_ ? req_event_.get() : resp_event_.get();
  if (profile_ == 2 && ev) ::SetEvent(ev);
}

}  // namespace nipc::peer
