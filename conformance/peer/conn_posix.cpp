#include "conn.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace nipc::peer {
namespace {

constexpr std::size_t kRecvBuffer = 4u << 20;

bool fill_addr(const std::string& path, sockaddr_un* addr) {
  std::memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (path.size() >= sizeof addr->sun_path) return false;
  std::memcpy(addr->sun_path, path.c_str(), path.size() + 1);
  return true;
}

}  // namespace

Conn::Conn(UniqueFd fd, Transcript* transcript, std::string name)
    : fd_(std::move(fd)), t_(transcript), name_(std::move(name)) {}

bool Conn::send(const Packet& p) {
  if (!fd_.valid()) return false;
  ssize_t n = sys::call([&] { return ::send(fd_.get(), p.bytes.data(), p.bytes.size(), MSG_NOSIGNAL); });
  if (n < 0) {
    t_->note(name_, std::string("send of ") + p.what + " failed: " + std::strerror(errno));
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
  pollfd pfd{fd_.get(), POLLIN, 0};
  int rc = sys::call([&] { return ::poll(&pfd, 1, deadline.poll_timeout_ms()); });
  if (rc == 0) {
    r.got = Got::kTimeout;
    return r;
  }
  if (buf_.size() < kRecvBuffer) buf_.resize(kRecvBuffer);
  ssize_t n = sys::call([&] { return ::recv(fd_.get(), buf_.data(), buf_.size(), MSG_TRUNC); });
  if (n <= 0) {
    // EOF, or a reset: either way the IUT closed the connection.
    r.got = Got::kClosed;
    t_->note(name_, n == 0 ? "closed by the IUT" : std::string("closed by the IUT (") + std::strerror(errno) + ")");
    return r;
  }
  r.got = Got::kPacket;
  std::size_t len = static_cast<std::size_t>(n);
  if (len > buf_.size()) {
    r.truncated = true;
    len = buf_.size();
  }
  r.bytes.assign(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(len));
  t_->received(name_, annotate(r.bytes, expect));
  return r;
}

bool Conn::readable() {
  if (!fd_.valid()) return false;
  pollfd pfd{fd_.get(), POLLIN, 0};
  return sys::call([&] { return ::poll(&pfd, 1, 0); }) > 0;
}

bool Conn::hung_up() {
  if (!fd_.valid()) return true;
  pollfd pfd{fd_.get(), POLLIN | POLLRDHUP, 0};
  if (sys::call([&] { return ::poll(&pfd, 1, 0); }) <= 0) return false;
  if (pfd.revents & (POLLHUP | POLLRDHUP | POLLERR)) return true;
  // Readable: a queued packet, or EOF. Peek to tell them apart without consuming.
  char c;
  ssize_t n = ::recv(fd_.get(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

void Conn::close() {
  if (fd_.valid()) t_->note(name_, "peer closes the connection");
  fd_.reset();
}

bool first_instance_enforced() { return true; }

std::unique_ptr<Conn> connect_endpoint(const std::string& path, Transcript* t, const std::string& name,
                                       std::string* why, Deadline) {
  sockaddr_un addr;
  if (!fill_addr(path, &addr)) return *why = std::strerror(ENAMETOOLONG), nullptr;
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return *why = std::strerror(errno), nullptr;
  if (sys::call([&] { return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr); }) != 0)
    return *why = std::strerror(errno), nullptr;
  t->note(name, "connected to " + path);
  return std::make_unique<Conn>(std::move(fd), t, name);
}

std::unique_ptr<Listener> Listener::listen(const std::string& path, std::string* why) {
  sockaddr_un addr;
  if (!fill_addr(path, &addr)) return *why = "socket path too long", nullptr;
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return *why = std::strerror(errno), nullptr;
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd.get(), 16) != 0)
    return *why = std::string("bind/listen ") + path + ": " + std::strerror(errno), nullptr;
  return std::unique_ptr<Listener>(new Listener(std::move(fd), path));
}

Listener::~Listener() {
  if (fd_.valid()) ::unlink(path_.c_str());
}

std::unique_ptr<Conn> Listener::accept(Deadline deadline, Transcript* t, const std::string& name) {
  pollfd pfd{fd_.get(), POLLIN, 0};
  if (sys::call([&] { return ::poll(&pfd, 1, deadline.poll_timeout_ms()); }) <= 0) return nullptr;
  UniqueFd c(sys::call([&] { return ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC); }));
  if (!c.valid()) return nullptr;
  t->note(name, "accepted a connection from the IUT");
  return std::make_unique<Conn>(std::move(c), t, name);
}

}  // namespace nipc::peer
