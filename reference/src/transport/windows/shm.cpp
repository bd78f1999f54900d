// Windows shared-memory regions (spec/transport-windows.md, WIN-SHM-*).
//
// Every word two processes share is accessed through std::atomic_ref with sequentially
// consistent ordering: on x86-64 a seq_cst exchange or fetch_add is a locked instruction, the
// same full barrier the Win32 Interlocked* functions give, and a seq_cst load is a plain load
// ordered after every earlier seq_cst store of this thread. The orderings each handoff needs
// are spelled out where it happens.
#include "nipc/transport/win_shm.h"

#include <windows.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "nipc/codec/header.h"
#include "nipc/transport/session.h"
#include "nipc/transport/win_names.h"

namespace nipc {
namespace {

namespace L = win_shm_layout;

constexpr int kSliceMs = 100;  // hang-up and cancel checks while blocked (hybrid)

const wchar_t* wide_ptr(const std::u16string& s) {
  static_assert(sizeof(wchar_t) == sizeof(char16_t));
  return reinterpret_cast<const wchar_t*>(s.c_str());
}

std::atomic_ref<std::int32_t> i32_at(std::uint8_t* base, std::size_t off) noexcept {
  return std::atomic_ref<std::int32_t>(*reinterpret_cast<std::int32_t*>(base + off));
}

std::atomic_ref<std::int64_t> i64_at(std::uint8_t* base, std::size_t off) noexcept {
  return std::atomic_ref<std::int64_t>(*reinterpret_cast<std::int64_t*>(base + off));
}

// The header words of one direction.
struct Words {
  std::size_t len, seq, peer_waiting, own_waiting, peer_closed;
};

Words words(WinShmDirection dir) noexcept {
  // Requests: the client sends, the server waits (req_server_waiting) and watches
  // req_client_closed. Responses: the server sends, the client waits (resp_client_waiting)
  // and watches resp_server_closed.
  if (dir == WinShmDirection::kRequest)
    return {L::kRequestLen, L::kRequestSeq, L::kRequestServerWaiting, L::kRequestServerWaiting,
            L::kRequestClientClosed};
  return {L::kResponseLen, L::kResponseSeq, L::kResponseClientWaiting, L::kResponseClientWaiting,
          L::kResponseServerClosed};
}

TransportError win_shm_error(TransportErrorKind kind) noexcept {
  return TransportError{kind, std::nullopt, static_cast<int>(::GetLastError())};
}

}  // namespace

WinShmRegion::WinShmRegion(std::string name, bool server, WinShmGeometry g, UniqueHandle mapping,
                           std::uint8_t* base, std::size_t size) noexcept
    : name_(std::move(name)),
      server_(server),
      geometry_(g),
      mapping_(std::move(mapping)),
      base_(base),
      size_(size) {}

WinShmRegion::~WinShmRegion() {
  close_side();
  if (base_) (void)::UnmapViewOfFile(base_);
}

bool WinShmRegion::uses_events() const noexcept {
  return geometry_.profile == profile::kShmHybrid;
}

std::uint32_t WinShmRegion::capacity(WinShmDirection dir) const noexcept {
  return dir == WinShmDirection::kRequest ? geometry_.request_capacity
                                          : geometry_.response_capacity;
}

TransportResult<std::unique_ptr<WinShmRegion>> WinShmRegion::create(
    const platform::RegionKey& key, std::uint32_t request_capacity,
    std::uint32_t response_capacity) {
  auto names = win::shm_object_names(key.run_dir, key.service, key.auth_token, key.profile,
                                     key.session_id);
  if (!names) return names.error();
  auto g = win_shm_geometry(key.profile, request_capacity, response_capacity);
  if (!g) return g.error();
  const std::uint64_t size = g->region_size();
  std::u16string wide = win::widen(names->mapping);
  ::SetLastError(0);
  UniqueHandle mapping(::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE,
                                            static_cast<DWORD>(size >> 32),
                                            static_cast<DWORD>(size), wide_ptr(wide)));
  if (!mapping.valid()) return win_shm_error(TransportErrorKind::kWinShmCreate);
  // Someone else holds the name: never share (or reinitialise) another session's region.
  if (::GetLastError() == ERROR_ALREADY_EXISTS)
    return TransportError{TransportErrorKind::kWinShmCreate, std::nullopt, ERROR_ALREADY_EXISTS};
  auto* base = static_cast<std::uint8_t*>(
      ::MapViewOfFile(mapping.get(), FILE_MAP_ALL_ACCESS, 0, 0, static_cast<SIZE_T>(size)));
  if (!base) return win_shm_error(TransportErrorKind::kWinShmCreate);
  std::unique_ptr<WinShmRegion> r(new WinShmRegion(names->mapping, true, *g, std::move(mapping),
                                                   base, static_cast<std::size_t>(size)));
  std::memset(base, 0, r->size_);
  encode_win_shm_header(*g, r->bytes());
  // Full barrier: the zeroed region and the header are globally visible before the
  // HELLO_ACK that lets the client attach is sent (PROF-SHM-READY-001).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (r->uses_events()) {
    for (auto [name, slot] : {std::pair{&names->request_event, &r->request_event_},
                              std::pair{&names->response_event, &r->response_event_}}) {
      std::u16string w = win::widen(*name);
      ::SetLastError(0);
      // Auto-reset, non-signalled: one SetEvent wakes one wait and is then consumed.
      UniqueHandle ev(::CreateEventW(nullptr, FALSE, FALSE, wide_ptr(w)));
      if (!ev.valid()) return win_shm_error(TransportErrorKind::kWinShmCreate);
      if (::GetLastError() == ERROR_ALREADY_EXISTS)
        return TransportError{TransportErrorKind::kWinShmCreate, std::nullopt, ERROR_ALREADY_EXISTS};
      *slot = std::move(ev);
    }
  }
  r->spin_tries_ = g->spin_tries;
  return r;
}

TransportResult<std::unique_ptr<WinShmRegion>> WinShmRegion::attach(
    const platform::RegionKey& key) {
  auto names = win::shm_object_names(key.run_dir, key.service, key.auth_token, key.profile,
                                     key.session_id);
  if (!names) return names.error();
  std::u16string wide = win::widen(names->mapping);
  UniqueHandle mapping(::OpenFileMappingW(FILE_MAP_ALL_ACCESS, FALSE, wide_ptr(wide)));
  if (!mapping.valid()) return win_shm_error(TransportErrorKind::kWinShmOpen);
  auto* base = static_cast<std::uint8_t*>(::MapViewOfFile(mapping.get(), FILE_MAP_ALL_ACCESS, 0, 0, 0));
  if (!base) return win_shm_error(TransportErrorKind::kWinShmOpen);
  MEMORY_BASIC_INFORMATION info{};
  const std::uint64_t mapped = ::VirtualQuery(base, &info, sizeof info) ? info.RegionSize : 0;
  // Acquire: pairs with the server's full barrier after it wrote the header.
  std::atomic_thread_fence(std::memory_order_acquire);
  auto g = validate_win_shm_header(ConstBytes(base, mapped ? mapped : L::kSize), key.profile, mapped);
  if (!g) {
    (void)::UnmapViewOfFile(base);
    return g.error();
  }
  std::unique_ptr<WinShmRegion> r(new WinShmRegion(names->mapping, false, *g, std::move(mapping),
                                                   base, static_cast<std::size_t>(g->region_size())));
  if (r->uses_events()) {
    for (auto [name, slot] : {std::pair{&names->request_event, &r->request_event_},
                              std::pair{&names->response_event, &r->response_event_}}) {
      std::u16string w = win::widen(*name);
      UniqueHandle ev(::OpenEventW(EVENT_MODIFY_STATE | SYNCHRONIZE, FALSE, wide_ptr(w)));
      if (!ev.valid()) return win_shm_error(TransportErrorKind::kWinShmOpen);
      *slot = std::move(ev);
    }
  }
  // The server decides how long both sides spin (WIN-SHM-SPIN-001).
  r->spin_tries_ = g->spin_tries;
  // Seq_cst loads: start from whatever the server has published so far.
  r->local_seq_[0] = i64_at(base, L::kRequestSeq).load(std::memory_order_seq_cst);
  r->local_seq_[1] = i64_at(base, L::kResponseSeq).load(std::memory_order_seq_cst);
  return r;
}

TransportResult<void> WinShmRegion::send(WinShmDirection dir,
                                         std::span<const ConstBytes> parts) noexcept {
  std::uint64_t total = 0;
  for (const auto& p : parts) total += p.size();
  const std::uint32_t cap = capacity(dir);
  if (total == 0 || total > cap || total > L::kMaxMessageLen)
    return TransportError::of(TransportErrorKind::kWinShmMessageTooLarge);  // WIN-SHM-LEN-001
  std::uint8_t* area = base_ + (dir == WinShmDirection::kRequest ? geometry_.request_offset
                                                                   : geometry_.response_offset);
  for (const auto& p : parts) {
    if (!p.empty()) std::memcpy(area, p.data(), p.size());
    area += p.size();
  }
  const Words w = words(dir);
  // Seq_cst exchange of len, then seq_cst increment of seq: both are full barriers, so the
  // copy above and the new len are visible to any receiver that observes the new seq.
  (void)i32_at(base_, w.len).exchange(static_cast<std::int32_t>(total), std::memory_order_seq_cst);
  (void)i64_at(base_, w.seq).fetch_add(1, std::memory_order_seq_cst);
  // Seq_cst load of the peer's waiting flag, after the seq_cst increment: the receiver stores
  // its flag (seq_cst) before it re-checks seq, so either it sees the new seq or this load
  // sees its flag and the event is signalled; a wake-up cannot be lost.
  if (uses_events() &&
      i32_at(base_, w.peer_waiting).load(std::memory_order_seq_cst) != 0)
    (void)::SetEvent(dir == WinShmDirection::kRequest ? request_event_.get()
                                                      : response_event_.get());
  return {};
}

TransportResult<std::size_t> WinShmRegion::receive(WinShmDirection dir, MutableBytes out,
                                                   Deadline deadline, const Canceller* cancel,
                                                   PacketChannel* channel) noexcept {
  const Words w = words(dir);
  auto seq = i64_at(base_, w.seq);
  auto peer_closed = i32_at(base_, w.peer_closed);
  const std::int64_t expected = local_seq_[static_cast<int>(dir)] + 1;
  // Seq_cst loads of seq: seeing the sender's increment makes its copy and len visible.
  auto arrived = [&] { return seq.load(std::memory_order_seq_cst) >= expected; };
  bool got = false;
  for (std::uint32_t i = 0; i < spin_tries_ && !got; ++i) {
    got = arrived();
    if (!got) sys::cpu_relax();
  }
  if (!got && uses_events()) {
    HANDLE event = dir == WinShmDirection::kRequest ? request_event_.get() : response_event_.get();
    auto waiting = i32_at(base_, w.own_waiting);
    HANDLE handles[2] = {event, cancel && !sys::is_invalid(cancel->handle()) ? cancel->handle() : nullptr};
    const DWORD n = handles[1] ? 2 : 1;
    for (;;) {
      // Seq_cst exchange: the flag is visible before the re-check of seq below (the sender's
      // side of this handshake is in send()).
      (void)waiting.exchange(1, std::memory_order_seq_cst);
      if (arrived()) {
        waiting.store(0, std::memory_order_seq_cst);
        got = true;
        break;
      }
      if (deadline.expired()) {
        waiting.store(0, std::memory_order_seq_cst);
        return TransportError::of(TransportErrorKind::kTimeout);
      }
      // Sliced, so that cancellation without an event and a vanished peer are noticed.
      const int ms = deadline.poll_timeout_ms(kSliceMs);
      DWORD rc = ::WaitForMultipleObjects(n, handles, FALSE, static_cast<DWORD>(ms));
      waiting.store(0, std::memory_order_seq_cst);
      if (arrived()) {
        got = true;
        break;
      }
      if (peer_closed.load(std::memory_order_seq_cst) != 0)
        return TransportError::of(TransportErrorKind::kPeerClosed);  // WIN-SHM-CLOSE-001
      if (rc == WAIT_FAILED) return sys::last_error();
      if (rc == WAIT_OBJECT_0 + 1 || (cancel && cancel->cancelled()))
        return TransportError::of(TransportErrorKind::kCancelled);
      if (rc == WAIT_TIMEOUT && channel && channel->peer_hung_up())
        return TransportError::of(TransportErrorKind::kPeerClosed);
      // WAIT_TIMEOUT (deadline checked at the top) or a stale signal: go round again.
    }
  } else if (!got) {
    // Busy-wait (WIN-SHM-BUSYWAIT-001): seq, the deadline, the peer's closed flag and the
    // canceller on every pass; every 1024 passes the thread yields and the pipe is checked.
    for (std::uint32_t polls = 1;; ++polls) {
      if (arrived()) break;
      if (peer_closed.load(std::memory_order_seq_cst) != 0)
        return TransportError::of(TransportErrorKind::kPeerClosed);
      if (deadline.expired()) return TransportError::of(TransportErrorKind::kTimeout);
      if (cancel && cancel->cancelled()) return TransportError::of(TransportErrorKind::kCancelled);
      if (polls % L::kYieldEvery == 0) {
        if (channel && channel->peer_hung_up())
          return TransportError::of(TransportErrorKind::kPeerClosed);
        std::this_thread::yield();
      } else {
        sys::cpu_relax();
      }
    }
  }
  // The message is consumed whatever its length says (WIN-SHM-LEN-001).
  local_seq_[static_cast<int>(dir)] = expected;
  const std::int32_t len = i32_at(base_, w.len).load(std::memory_order_seq_cst);
  if (len <= 0) return TransportError::of(TransportErrorKind::kWinShmZeroLength);
  if (static_cast<std::uint64_t>(len) > out.size() || static_cast<std::uint32_t>(len) > capacity(dir))
    return TransportError::of(TransportErrorKind::kWinShmMessageTooLarge);
  const std::uint8_t* area = base_ + (dir == WinShmDirection::kRequest ? geometry_.request_offset
                                                                         : geometry_.response_offset);
  std::memcpy(out.data(), area, static_cast<std::size_t>(len));
  return static_cast<std::size_t>(len);
}

void WinShmRegion::close_side() noexcept {
  if (closed_ || !base_) return;
  closed_ = true;
  // Seq_cst store: the flag is visible before the peer's event is signalled, so a receiver
  // woken by it finds the flag set.
  i32_at(base_, server_ ? L::kResponseServerClosed : L::kRequestClientClosed)
      .store(1, std::memory_order_seq_cst);
  if (uses_events()) {
    HANDLE peer_event = server_? response_event_.get() : request_event_.get();
    if (peer_event) (void)::SetEvent(peer_event);
  }
}

std::unique_ptr<MessageLink> WinShmRegion::into_link(std::unique_ptr<PacketChannel> channel,
                                                     bool server_side, DirectionLimits inbound) {
  // Only the region knows itself: hand a fresh owner of this object's state to the link.
  std::unique_ptr<WinShmRegion> self(new WinShmRegion(std::move(name_), server_, geometry_,
                                                      std::move(mapping_), base_, size_));
  self->request_event_ = std::move(request_event_);
  self->response_event_ = std::move(response_event_);
  self->spin_tries_ = spin_tries_;
  self->local_seq_[0] = local_seq_[0];
  self->local_seq_[1] = local_seq_[1];
  base_ = nullptr;  // spent: the destructor neither flags nor unmaps
  return std::make_unique<WinShmLink>(std::move(channel), std::move(self), server_side, inbound);
}

// ---------------------------------------------------------------------------------------
// WinShmLink

WinShmLink::WinShmLink(std::unique_ptr<PacketChannel> channel, std::unique_ptr<WinShmRegion> region,
                       bool server_side, DirectionLimits inbound)
    : channel_(std::move(channel)),
      region_(std::move(region)),
      in_(server_side ? WinShmDirection::kRequest : WinShmDirection::kResponse),
      out_(server_side ? WinShmDirection::kResponse : WinShmDirection::kRequest),
      inbound_(inbound),
      buffer_(region_->capacity(in_)) {}

WinShmLink::~WinShmLink() {
  // Flag the close before the pipe goes, so the peer learns it from the region first.
  region_->close_side();
}

TransportResult<void> WinShmLink::send_message(const Header& header, ConstBytes payload) {
  auto head = encode_header(header);
  std::array<ConstBytes, 2> parts{ConstBytes(head), payload};
  return region_->send(out_, parts);
}

TransportResult<InboundMessage> WinShmLink::receive_message(Deadline deadline,
                                                            const Canceller* cancel) {
  auto n = region_->receive(in_, buffer_, deadline, cancel, channel_.get());
  if (!n) return n.error();
  return accept_region_message(ConstBytes(buffer_.data(), *n), inbound_, last_header_);
}

}  // namespace nipc
