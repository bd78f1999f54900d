// Windows: the peer's connections are message-mode named pipes opened for overlapped I/O, so
// every step can give up at its deadline (a hung IUT never hangs the peer).
#include <windows.h>

#include "conn.h"

namespace nipc::peer {
namespace {

constexpr std::size_t kRecvBuffer = 4u << 20;
// In and out buffer of the peer's pipe instances: what an endpoint without a configured
// packet size uses (WIN-PKT-001); larger messages still pass, the writer just waits longer.
constexpr DWORD kPipeBuffer = 65536;
constexpr int kSendTimeoutMs = 10000;

/// One overlapped operation: the OVERLAPPED and its manual-reset event.
struct Pending {
  OVERLAPPED ov{};
  UniqueHandle event;
  Pending() : event(::CreateEventW(nullptr, TRUE, FALSE, nullptr)) { ov.hEvent = event.get(); }
};

enum class Io { kDone, kFailed, kTimeout };

/// Finishes an operation that was started on `h`: waits until `deadline`, then cancels it.
/// `started` and `start_err` are what the starting call returned and GetLastError() right
/// after it. A completion that races the cancel still counts. `err` is the failure's code.
Io finish(HANDLE h, Pending& p, BOOL started, DWORD start_err, Deadline deadline, DWORD* bytes, DWORD* err) {
  *err = 0;
  if (!started) {
    *err = start_err;
    if (*err != ERROR_IO_PENDING) return Io::kFailed;
    int ms = deadline.poll_timeout_ms();
    DWORD w = ::WaitForSingleObject(p.event.get(), ms < 0 ? INFINITE : static_cast<DWORD>(ms));
    if (w != WAIT_OBJECT_0) {
      ::CancelIoEx(h, &p.ov);
      if (::GetOverlappedResult(h, &p.ov, bytes, TRUE)) return Io::kDone;
      *err = ::GetLastError();
      return *err == ERROR_OPERATION_ABORTED ? Io::kTimeout : Io::kFailed;
    }
  }
  if (::GetOverlappedResult(h, &p.ov, bytes, TRUE)) return Io::kDone;
  *err = ::GetLastError();
  return Io::kFailed;
}

bool is_disconnect(DWORD err) {
  // WIN-PIPE-EOF-001: these mean the other side has closed the session.
  return err == ERROR_BROKEN_PIPE || err == ERROR_NO_DATA || err == ERROR_PIPE_NOT_CONNECTED;
}

HANDLE new_instance(const std::string& name, bool first) {
  DWORD open = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  return ::CreateNamedPipeW(widen_bytes(name).c_str(), open, PIPE_TYPE_MESSAGE | PIPE_READMODE_MESSAGE | PIPE_WAIT,
                            PIPE_UNLIMITED_INSTANCES, kPipeBuffer, kPipeBuffer, 0, nullptr);
}

}  // namespace

Conn::Conn(OsConn fd, Transcript* transcript, std::string name)
    : fd_(std::move(fd)), t_(transcript), name_(std::move(name)) {}

bool Conn::send(const Packet& p) {
  if (!fd_.valid()) return false;
  Pending op;
  DWORD n = 0, err = 0;
  BOOL ok = ::WriteFile(fd_.get(), p.bytes.data(), static_cast<DWORD>(p.bytes.size()), nullptr, &op.ov);
  Io io = finish(fd_.get(), op, ok, ok ? 0 : ::GetLastError(), Deadline::after(std::chrono::milliseconds(kSendTimeoutMs)), &n, &err);
  if (io != Io::kDone || n != p.bytes.size()) {
    t_->note(name_, "send of " + p.what + " failed: " +
                        (io == Io::kTimeout ? std::string("the IUT read nothing for 10 s") : error_text(err)));
    return false;
  }
  t_->sent(name_, p);
  return true;
}

Recv Conn::recv(Deadline deadline, Expect expect) {
  Recv r;
  if (!fd_.valid()) {
    r.got = Got::kClosed;
    return r;
  }
  if (buf_.size() < kRecvBuffer) buf_.resize(kRecvBuffer);
  Pending op;
  DWORD n = 0, err = 0;
  BOOL ok = ::ReadFile(fd_.get(), buf_.data(), static_cast<DWORD>(buf_.size()), nullptr, &op.ov);
  Io io = finish(fd_.get(), op, ok, ok ? 0 : ::GetLastError(), deadline, &n, &err);
  if (io == Io::kTimeout) {
    r.got = Got::kTimeout;
    return r;
  }
  if (io == Io::kFailed && err == ERROR_MORE_DATA) {
    // A message larger than the peer's buffer: keep the first part, drain the rest.
    r.truncated = true;
    n = static_cast<DWORD>(buf_.size());
    std::vector<std::uint8_t> rest(kRecvBuffer);
    for (DWORD more = 0, e = ERROR_MORE_DATA; e == ERROR_MORE_DATA;) {
      Pending drain;
      BOOL k = ::ReadFile(fd_.get(), rest.data(), static_cast<DWORD>(rest.size()), nullptr, &drain.ov);
      if (finish(fd_.get(), drain, k, k ? 0 : ::GetLastError(), deadline, &more, &e) == Io::kDone) break;
    }
  } else if (io == Io::kFailed || n == 0) {
    // A disconnect error or a zero-length read: the IUT closed (WIN-PIPE-EOF-001).
    r.got = Got::kClosed;
    t_->note(name_, n == 0 && io == Io::kDone ? "closed by the IUT (zero-length read)"
                                              : std::string("closed by the IUT (") + error_text(err) +
                                                    (is_disconnect(err) ? ")" : ", not a disconnect error)"));
    return r;
  }
  r.got = Got::kPacket;
  r.bytes.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n));
  t_->received(name_, annotate(r.bytes, expect));
  return r;
}

bool Conn::readable() {
  if (!fd_.valid()) return false;
  DWORD avail = 0;
  if (!::PeekNamedPipe(fd_.get(), nullptr, 0, nullptr, &avail, nullptr)) return true;  // a close is pending
  return avail > 0;
}

bool Conn::hung_up() {
  if (!fd_.valid()) return true;
  DWORD avail = 0;
  if (::PeekNamedPipe(fd_.get(), nullptr, 0, nullptr, &avail, nullptr)) return false;
  return is_disconnect(::GetLastError());
}

void Conn::close() {
  if (fd_.valid()) t_->note(name_, "peer closes the connection");
  fd_.reset();
}

bool first_instance_enforced() {
  std::string name = "\\\\.\\pipe\\nipc-peer-first-probe-" + std::to_string(::GetCurrentProcessId()) + "-" +
                     std::to_string(::GetTickCount64());
  UniqueHandle a(new_instance(name, true));
  UniqueHandle b(new_instance(name, true));
  return a.valid() && !b.valid();
}

std::unique_ptr<Conn> connect_endpoint(const std::string& path, Transcript* t, const std::string& name,
                                       std::string* why, Deadline busy_until) {
  std::wstring wide = widen_bytes(path);
  UniqueHandle h;
  for (;;) {
    h.reset(::CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                          FILE_FLAG_OVERLAPPED, nullptr));
    if (h.valid()) break;
    DWORD err = ::GetLastError();
    int ms = busy_until.poll_timeout_ms();
    if (err != ERROR_PIPE_BUSY || ms == 0) return *why = error_text(err), nullptr;
    ::WaitNamedPipeW(wide.c_str(), static_cast<DWORD>(ms < 0 ? 1000 : std::min(ms, 1000)));
  }
  DWORD mode = PIPE_READMODE_MESSAGE;
  if (!::SetNamedPipeHandleState(h.get(), &mode, nullptr, nullptr))
    return *why = "cannot switch to message read mode: " + last_error_text(), nullptr;
  t->note(name, "connected to " + path);
  return std::make_unique<Conn>(std::move(h), t, name);
}

std::unique_ptr<Listener> Listener::listen(const std::string& path, std::string* why) {
  UniqueHandle h(new_instance(path, true));
  if (!h.valid()) return *why = "CreateNamedPipe " + path + ": " + last_error_text(), nullptr;
  return std::unique_ptr<Listener>(new Listener(std::move(h), path));
}

Listener::~Listener() = default;

std::unique_ptr<Conn> Listener::accept(Deadline deadline, Transcript* t, const std::string& name) {
  if (!fd_.valid()) return nullptr;
  Pending op;
  DWORD n = 0, err = 0;
  BOOL ok = ::ConnectNamedPipe(fd_.get(), &op.ov);
  DWORD start_err = ok ? 0 : ::GetLastError();
  // A client that connected between CreateNamedPipe and ConnectNamedPipe is already there.
  bool connected = ok || start_err == ERROR_PIPE_CONNECTED ||
                   finish(fd_.get(), op, FALSE, start_err, deadline, &n, &err) == Io::kDone;
  if (!connected) return nullptr;
  // The connected instance becomes the session; a fresh instance waits for the next client.
  UniqueHandle session = std::move(fd_);
  fd_.reset(new_instance(path_, false));
  t->note(name, "accepted a connection from the IUT");
  return std::make_unique<Conn>(std::move(session), t, name);
}

}  // namespace nipc::peer
