#include "nipc/transport/uds.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nipc/codec/constants.h"
#include "nipc/transport/paths.h"

namespace nipc {
namespace {

constexpr std::uint32_t kSendbufOverhead = 32;  // Linux refuses datagrams above SO_SNDBUF - 32
constexpr int kSliceMs = 100;                   // wake-up period when no eventfd can be polled

TransportError errno_error(int err) {
  switch (err) {
    case EPIPE:
    case ECONNRESET:
    case ENOTCONN:
      return TransportError::of(TransportErrorKind::kPeerClosed);
    default:
      return TransportError::system(err);
  }
}

bool fill_address(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof addr->sun_path) return false;
  std::memcpy(addr->sun_path, path.data(), path.size());
  return true;
}

int new_socket() {
  return sys::call([] { return ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0); });
}

// Connects `fd` to `addr`; 0 or an errno value. A retried connect() that reports EISCONN
// means the interrupted attempt completed.
int connect_fd(int fd, const sockaddr_un& addr) {
  int first = 1;
  int rc = sys::call([&] {
    int r = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
    if (r < 0 && errno == EISCONN && !first) r = 0;
    first = 0;
    return r;
  });
  return rc == 0 ? 0 : errno;
}

// Probes an entry found at the socket path (UDS-STALE-001): ok when the path is free (nothing
// there, or a stale entry removed), kAddressInUse when a live server answers or liveness
// cannot be decided.
TransportResult<void> recover_stale(const std::string& path, const sockaddr_un& addr,
                                    SpecRevision revision) {
  struct stat st;
  if (sys::call([&] { return ::lstat(path.c_str(), &st); }) < 0) {
    if (errno == ENOENT) return {};
    return TransportError::system(errno);
  }
  UniqueFd probe(new_socket());
  // Without a probe socket liveness cannot be decided: keep the entry.
  if (!probe.valid()) return TransportError{TransportErrorKind::kAddressInUse, std::nullopt, errno};
  int err = connect_fd(probe.get(), addr);
  if (err == 0) return TransportError::of(TransportErrorKind::kAddressInUse);  // UDS-LIVE-001
  if (err == ENOENT) return {};  // vanished meanwhile
  // At seed only a refusal proves that nobody listens; any other failure leaves liveness
  // undecided and the entry is kept (UDS-STALE-003).
  if (revision == SpecRevision::kSeed && err != ECONNREFUSED)
    return TransportError{TransportErrorKind::kAddressInUse, std::nullopt, err};
  // Refused, not a socket, permission denied, ...: no live owner answers; remove it.
  if (sys::call([&] { return ::unlink(path.c_str()); }) < 0 && errno != ENOENT)
    return TransportError{TransportErrorKind::kAddressInUse, std::nullopt, errno};
  return {};
}

}  // namespace

std::uint32_t uds_native_packet_size(int fd) noexcept {
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  if (sys::call([&] { return ::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len); }) < 0 ||
      sndbuf <= static_cast<int>(kSendbufOverhead + kMinPacketSizeExclusive))
    return kFallbackPacketSize;
  return static_cast<std::uint32_t>(sndbuf) - kSendbufOverhead;
}

TransportResult<void> wait_readable(int fd, Deadline deadline, const Canceller* cancel) {
  for (;;) {
    if (cancel && cancel->cancelled()) return TransportError::of(TransportErrorKind::kCancelled);
    pollfd fds[2] = {{fd, POLLIN, 0}, {-1, POLLIN, 0}};
    nfds_t n = 1;
    bool sliced = false;
    if (cancel) {
      if (cancel->handle() >= 0) {
        fds[1].fd = cancel->handle();
        n = 2;
      } else {
        sliced = true;
      }
    }
    int rc = sys::call([&] {
      return ::poll(fds, n, sliced ? deadline.poll_timeout_ms(kSliceMs) : deadline.poll_timeout_ms());
    });
    if (rc < 0) return TransportError::system(errno);
    if (n == 2 && fds[1].revents != 0) return TransportError::of(TransportErrorKind::kCancelled);
    if (fds[0].revents != 0) return {};
    if (deadline.expired()) return TransportError::of(TransportErrorKind::kTimeout);
  }
}

UdsChannel::UdsChannel(UniqueFd fd) noexcept
    : fd_(std::move(fd)), packet_size_(uds_native_packet_size(fd_.get())) {}

TransportResult<void> UdsChannel::send_packet(std::span<const ConstBytes> parts) {
  constexpr std::size_t kMaxParts = 4;
  if (parts.size() > kMaxParts) return TransportError::of(TransportErrorKind::kBadParameter);
  iovec iov[kMaxParts];
  std::size_t total = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    iov[i].iov_base = const_cast<std::uint8_t*>(parts[i].data());
    iov[i].iov_len = parts[i].size();
    total += parts[i].size();
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = parts.size();
  // One sendmsg per packet; MSG_NOSIGNAL turns a vanished peer into EPIPE, not SIGPIPE.
  ssize_t n = sys::call([&] { return ::sendmsg(fd_.get(), &msg, MSG_NOSIGNAL); });
  if (n < 0) return errno_error(errno);
  // A SEQPACKET send is all or nothing; anything else is an error, never resumed (UDS-SEND-001).
  if (static_cast<std::size_t>(n) != total) return TransportError::system(EIO);
  return {};
}

TransportResult<std::optional<std::size_t>> UdsChannel::recv_once(MutableBytes buffer, int flags) {
  iovec iov{buffer.data(), buffer.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ssize_t n = sys::call([&] { return ::recvmsg(fd_.get(), &msg, flags | MSG_CMSG_CLOEXEC); });
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::optional<std::size_t>{};
    return errno_error(errno);
  }
  if (n == 0) return TransportError::of(TransportErrorKind::kPeerClosed);
  // A datagram larger than the buffer is cut by the kernel; never use a truncated packet.
  if (msg.msg_flags & MSG_TRUNC) return TransportError::of(TransportErrorKind::kPacketTooLarge);
  return std::optional<std::size_t>(static_cast<std::size_t>(n));
}

TransportResult<std::optional<std::size_t>> UdsChannel::try_recv_packet(MutableBytes buffer) {
  return recv_once(buffer, MSG_DONTWAIT);
}

TransportResult<std::size_t> UdsChannel::recv_packet(MutableBytes buffer, Deadline deadline,
                                                     const Canceller* cancel) {
  return receive(buffer, deadline, cancel, true);
}

TransportResult<std::size_t> UdsChannel::wait_packet(MutableBytes buffer, Deadline deadline,
                                                     const Canceller* cancel) {
  return receive(buffer, deadline, cancel, false);
}

TransportResult<std::size_t> UdsChannel::receive(MutableBytes buffer, Deadline deadline,
                                                 const Canceller* cancel, bool try_first) {
  if (cancel == nullptr) {
    // Nothing to watch but the socket: one blocking recvmsg, bounded by SO_RCVTIMEO, instead
    // of poll() plus a second read.
    for (;;) {
      if (auto t = set_receive_timeout(deadline); !t) return t.error();
      auto got = recv_once(buffer, 0);
      if (!got) return got.error();
      if (got->has_value()) return **got;
      if (deadline.expired()) return TransportError::of(TransportErrorKind::kTimeout);
    }
  }
  // With a canceller: poll the socket and the canceller, then read without blocking. The
  // first read attempt is skipped when the caller has just seen the queue empty.
  for (bool attempt = try_first;; attempt = true) {
    if (attempt) {
      auto got = recv_once(buffer, MSG_DONTWAIT);
      if (!got) return got.error();
      if (got->has_value()) return **got;
    }
    auto ready = wait_readable(fd_.get(), deadline, cancel);
    if (!ready) return ready.error();
  }
}

TransportResult<void> UdsChannel::set_receive_timeout(Deadline deadline) {
  // Whole 10 ms steps, rounded up: the timeout is rarely changed, and a wait never ends
  // before its deadline (at most 10 ms after it).
  constexpr int kStepMs = 10;
  int ms = deadline.poll_timeout_ms();
  int step = ms < 0 ? 0 : (ms + kStepMs - 1) / kStepMs * kStepMs;
  if (ms >= 0 && step == 0) step = kStepMs;  // 0 would mean "no timeout"
  if (step == rcvtimeo_ms_) return {};
  timeval tv{step / 1000, (step % 1000) * 1000};
  if (sys::call([&] { return ::setsockopt(fd_.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); }) < 0)
    return TransportError::system(errno);
  rcvtimeo_ms_ = step;
  return {};
}

bool UdsChannel::peer_hung_up() {
  pollfd p{fd_.get(), POLLRDHUP, 0};
  int rc = sys::call([&] { return ::poll(&p, 1, 0); });
  return rc > 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR)) != 0;
}

TransportResult<std::unique_ptr<UdsChannel>> uds_connect(std::string_view run_dir,
                                                         std::string_view service) {
  auto path = socket_path(run_dir, service);
  if (!path) return path.error();
  sockaddr_un addr;
  if (!fill_address(*path, &addr)) return TransportError::of(TransportErrorKind::kPathTooLong);
  UniqueFd fd(new_socket());
  if (!fd.valid()) return TransportError::system(errno);
  int err = connect_fd(fd.get(), addr);
  if (err == ENOENT || err == ECONNREFUSED)
    return TransportError{TransportErrorKind::kNotFound, std::nullopt, err};
  if (err != 0) return TransportError::system(err);
  return std::make_unique<UdsChannel>(std::move(fd));
}

TransportResult<std::unique_ptr<UdsListener>> UdsListener::listen(std::string_view run_dir,
                                                                  std::string_view service,
                                                                  int backlog,
                                                                  SpecRevision revision) {
  auto path = socket_path(run_dir, service);
  if (!path) return path.error();
  sockaddr_un addr;
  if (!fill_address(*path, &addr)) return TransportError::of(TransportErrorKind::kPathTooLong);
  if (auto r = recover_stale(*path, addr, revision); !r) return r.error();

  UniqueFd fd(sys::call(
      [] { return ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); }));
  if (!fd.valid()) return TransportError::system(errno);
  if (sys::call([&] {
        return ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
      }) < 0) {
    // Another server won the race between the probe and bind.
    if (errno == EADDRINUSE) return TransportError::of(TransportErrorKind::kAddressInUse);
    return TransportError::system(errno);
  }
  struct stat st;
  // Owner-only before anyone can connect: connections are refused until listen().
  if (sys::call([&] { return ::chmod(path->c_str(), 0600); }) < 0 ||
      sys::call([&] { return ::stat(path->c_str(), &st); }) < 0) {
    int err = errno;
    (void)sys::call([&] { return ::unlink(path->c_str()); });
    return TransportError::system(err);
  }
  if (sys::call([&] { return ::listen(fd.get(), backlog > 0 ? backlog : kDefaultBacklog); }) < 0) {
    int err = errno;
    (void)sys::call([&] { return ::unlink(path->c_str()); });
    return TransportError::system(err);
  }
  return std::unique_ptr<UdsListener>(
      new UdsListener(std::move(fd), std::move(*path), st.st_dev, st.st_ino));
}

UdsListener::~UdsListener() {
  fd_.reset();
  // Remove the path only while it still names our socket, never a successor's.
  struct stat st;
  if (sys::call([&] { return ::lstat(path_.c_str(), &st); }) == 0 && st.st_dev == dev_ &&
      st.st_ino == ino_)
    (void)sys::call([&] { return ::unlink(path_.c_str()); });
}

TransportResult<std::unique_ptr<PacketChannel>> UdsListener::accept(Deadline deadline,
                                                                    const Canceller* cancel) {
  for (;;) {
    int c = sys::call([&] { return ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC); });
    if (c >= 0) return std::unique_ptr<PacketChannel>(new UdsChannel(UniqueFd(c)));
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED)
      return TransportError::system(errno);
    auto ready = wait_readable(fd_.get(), deadline, cancel);
    if (!ready) return ready.error();
  }
}

}  // namespace nipc
