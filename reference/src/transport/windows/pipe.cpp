// The named-pipe transport (spec/transport-windows.md, WIN-PIPE-*). Every pipe handle is
// opened for overlapped I/O: an operation is started, then waited for together with the
// canceller's event and the deadline, and cancelled (and its cancellation awaited) when the
// wait gives up, so an OVERLAPPED and its buffer are never reused while the kernel owns them.
#include "nipc/transport/pipe.h"

#include <windows.h>

#include <algorithm>
#include <cstring>

#include "nipc/transport/win_names.h"

namespace nipc {
namespace {

const wchar_t* wide_ptr(const std::u16string& s) {
  // mingw-w64's wchar_t is a 16-bit UTF-16 code unit, like char16_t.
  static_assert(sizeof(wchar_t) == sizeof(char16_t));
  return reinterpret_cast<const wchar_t*>(s.c_str());
}

UniqueHandle manual_reset_event() {
  return UniqueHandle(::CreateEventW(nullptr, TRUE, FALSE, nullptr));
}

// How an overlapped operation ended: bytes moved and its Win32 code (0 = success).
struct Io {
  DWORD bytes = 0;
  DWORD code = 0;
};

// Completes an overlapped operation on `h` whose start returned `started`. On timeout or
// cancellation the operation is cancelled; if it completed before the cancellation landed,
// its real outcome is returned so that no data is lost.
TransportResult<Io> complete(HANDLE h, OVERLAPPED& ov, BOOL started, const Deadline& deadline,
                             const Canceller* cancel) {
  Io io;
  if (!started) {
    DWORD code = ::GetLastError();
    if (code != ERROR_IO_PENDING) {
      io.code = code;
      return io;
    }
    auto waited = sys::wait_signalled(ov.hEvent, deadline, cancel);
    if (!waited) {
      (void)::CancelIoEx(h, &ov);
      if (::GetOverlappedResult(h, &ov, &io.bytes, TRUE)) return io;
      DWORD after = ::GetLastError();
      if (after == ERROR_OPERATION_ABORTED) return waited.error();
      io.code = after;
      return io;
    }
  }
  if (!::GetOverlappedResult(h, &ov, &io.bytes, FALSE)) io.code = ::GetLastError();
  return io;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// PipeChannel

PipeChannel::PipeChannel(UniqueHandle pipe, bool server_side) noexcept
    : pipe_(std::move(pipe)),
      read_event_(manual_reset_event()),
      write_event_(manual_reset_event()),
      server_side_(server_side) {}

PipeChannel::~PipeChannel() {
  if (server_side_ && pipe_.valid()) {
    // Let the client read what was written before the instance goes away.
    (void)::FlushFileBuffers(pipe_.get());
    (void)::DisconnectNamedPipe(pipe_.get());
  }
}

TransportResult<void> PipeChannel::send_packet(std::span<const ConstBytes> parts) {
  if (!write_event_.valid()) return sys::win_error(ERROR_INVALID_HANDLE);
  std::size_t total = 0;
  for (const auto& p : parts) total += p.size();
  if (total > 0xffffffffu) return TransportError::of(TransportErrorKind::kBadParameter);
  // One WriteFile per packet: the pipe keeps message boundaries only per write
  // (WIN-PIPE-MODE-001).
  out_.resize(total);
  std::size_t at = 0;
  for (const auto& p : parts) {
    if (!p.empty()) std::memcpy(out_.data() + at, p.data(), p.size());
    at += p.size();
  }
  OVERLAPPED ov{};
  ov.hEvent = write_event_.get();
  (void)::ResetEvent(ov.hEvent);
  BOOL started = ::WriteFile(pipe_.get(), out_.data(), static_cast<DWORD>(total), nullptr, &ov);
  auto io = complete(pipe_.get(), ov, started, Deadline::never(), nullptr);
  if (!io) return io.error();
  if (io->code != 0) return sys::win_error(io->code);
  if (io->bytes != total) return sys::win_error(ERROR_WRITE_FAULT);  // never partial
  return {};
}

TransportResult<std::size_t> PipeChannel::recv_packet(MutableBytes buffer, Deadline deadline,
                                                      const Canceller* cancel) {
  if (!read_event_.valid()) return sys::win_error(ERROR_INVALID_HANDLE);
  OVERLAPPED ov{};
  ov.hEvent = read_event_.get();
  (void)::ResetEvent(ov.hEvent);
  const DWORD want = static_cast<DWORD>(std::min<std::size_t>(buffer.size(), 0xffffffffu));
  BOOL started = ::ReadFile(pipe_.get(), buffer.data(), want, nullptr, &ov);
  auto io = complete(pipe_.get(), ov, started, deadline, cancel);
  if (!io) return io.error();
  // The message did not fit: its tail is still in the pipe, the session cannot go on.
  if (io->code == ERROR_MORE_DATA) return TransportError::of(TransportErrorKind::kPacketTooLarge);
  if (io->code != 0) return sys::win_error(io->code);
  // The reference never writes empty messages: a 0-byte read is the peer's close.
  if (io->bytes == 0) return TransportError::of(TransportErrorKind::kPeerClosed);
  return static_cast<std::size_t>(io->bytes);
}

TransportResult<std::optional<std::size_t>> PipeChannel::try_recv_packet(MutableBytes buffer) {
  DWORD available = 0;
  if (!::PeekNamedPipe(pipe_.get(), nullptr, 0, nullptr, &available, nullptr))
    return sys::last_error();
  if (available == 0) return std::optional<std::size_t>{};
  // A message is queued: this read completes at once.
  auto n = recv_packet(buffer, Deadline::never(), nullptr);
  if (!n) return n.error();
  return std::optional<std::size_t>(*n);
}

bool PipeChannel::peer_hung_up() {
  DWORD available = 0;
  if (::PeekNamedPipe(pipe_.get(), nullptr, 0, nullptr, &available, nullptr)) return false;
  return sys::last_error().kind == TransportErrorKind::kPeerClosed;
}

TransportResult<std::unique_ptr<PipeChannel>> pipe_connect(std::string_view run_dir,
                                                           std::string_view service) {
  auto name = win::pipe_name(run_dir, service);
  if (!name) return name.error();
  std::u16string wide = win::widen(*name);
  // No WaitNamedPipe: a busy pipe is reported at once, like an absent one.
  UniqueHandle h(::CreateFileW(wide_ptr(wide), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                               OPEN_EXISTING, FILE_FLAG_OVERLAPPED, nullptr));
  if (!h.valid()) {
    DWORD code = ::GetLastError();
    if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND || code == ERROR_PIPE_BUSY)
      return TransportError{TransportErrorKind::kNotFound, std::nullopt, static_cast<int>(code)};
    return sys::win_error(code);
  }
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (!::SetNamedPipeHandleState(h.get(), &mode, nullptr, nullptr)) return sys::last_error();
  return std::make_unique<PipeChannel>(std::move(h), false);
}

// ---------------------------------------------------------------------------------------
// PipeListener

PipeListener::PipeListener(std::string name, std::u16string wide, std::uint32_t buffer_size,
                           UniqueHandle first, UniqueHandle event) noexcept
    : name_(std::move(name)),
      wide_(std::move(wide)),
      buffer_size_(buffer_size),
      instance_(std::move(first)),
      event_(std::move(event)) {}

TransportResult<UniqueHandle> PipeListener::create_instance(bool first) {
  DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED;
  // The first instance claims the name: it fails if any instance of it exists already.
  if (first) {
    open_mode |= FILE_FLAG_FIRST_PIPE_INSTANCE;
    // Some Win32 implementations (wine) accept the flag without enforcing it, so the name is
    // probed first: any existing instance, free or busy, means another server owns it. The
    // flag stays the authority where it is enforced (it closes the probe's race).
    if (!::WaitNamedPipeW(wide_ptr(wide_), 1) ? ::GetLastError() != ERROR_FILE_NOT_FOUND : true)
      return TransportError{TransportErrorKind::kPipeInUse, std::nullopt, ERROR_PIPE_BUSY};
  }
  UniqueHandle h(::CreateNamedPipeW(wide_ptr(wide_), open_mode,
                                    PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                                    PIPE_UNLIMITED_INSTANCES, buffer_size_, buffer_size_, 0,
                                    nullptr));
  if (!h.valid()) {
    DWORD code = ::GetLastError();
    if (first && (code == ERROR_ACCESS_DENIED || code == ERROR_PIPE_BUSY))
      return TransportError{TransportErrorKind::kPipeInUse, std::nullopt,
                            static_cast<int>(code)};  // WIN-PIPE-FIRST-001
    return sys::win_error(code);
  }
  return h;
}

TransportResult<std::unique_ptr<PipeListener>> PipeListener::listen(std::string_view run_dir,
                                                                    std::string_view service,
                                                                    std::uint32_t packet_size) {
  auto name = win::pipe_name(run_dir, service);
  if (!name) return name.error();
  UniqueHandle event = manual_reset_event();
  if (!event.valid()) return sys::last_error();
  const std::uint32_t buffer = std::max<std::uint32_t>(packet_size ? packet_size : kPipePacketSize,
                                                       kPipePacketSize);
  std::unique_ptr<PipeListener> l(
      new PipeListener(*name, win::widen(*name), buffer, UniqueHandle(), std::move(event)));
  auto first = l->create_instance(true);
  if (!first) return first.error();
  l->instance_ = std::move(*first);
  return l;
}

TransportResult<std::unique_ptr<PacketChannel>> PipeListener::accept(Deadline deadline,
                                                                     const Canceller* cancel) {
  for (;;) {
    if (!instance_.valid()) {
      auto next = create_instance(false);
      if (!next) return next.error();
      instance_ = std::move(*next);
    }
    OVERLAPPED ov{};
    ov.hEvent = event_.get();
    (void)::ResetEvent(ov.hEvent);
    BOOL started = ::ConnectNamedPipe(instance_.get(), &ov);
    DWORD code = 0;
    if (!started && ::GetLastError() == ERROR_PIPE_CONNECTED) {
      code = 0;  // the client connected between creation and this call: success
    } else {
      auto io = complete(instance_.get(), ov, started, deadline, cancel);
      if (!io) return io.error();
      code = io->code;
    }
    if (code == ERROR_NO_DATA) {
      // The client came and went already: recycle the instance.
      (void)::DisconnectNamedPipe(instance_.get());
      continue;
    }
    if (code != 0 && code != ERROR_PIPE_CONNECTED) {
      instance_.reset();  // recreated by the next accept
      return sys::win_error(code);
    }
    UniqueHandle connected = std::move(instance_);
    // The next instance exists before this session's handshake starts, so a second client
    // can connect meanwhile (WIN-PIPE-ACCEPT-001). If it cannot be made now, the next accept
    // tries again.
    if (auto next = create_instance(false)) instance_ = std::move(*next);
    return std::unique_ptr<PacketChannel>(new PipeChannel(std::move(connected), true));
  }
}

}  // namespace nipc
