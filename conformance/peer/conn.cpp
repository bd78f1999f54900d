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

double Transcript::now_ms() const {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
}

void Transcript::sent(const std::string& who, const Packet& p) {
  events_.push_back({now_ms(), who, "peer->iut", p, {}});
}

void Transcript::received(const std::string& who, const Packet& p) {
  events_.push_back({now_ms(), who, "iut->peer", p, {}});
}

void Transcript::note(const std::string& who, const std::string& text) {
  events_.push_back({now_ms(), who, "note", Packet{}, text});
}

nlohmann::json Transcript::to_json(std::size_t max_events) const {
  nlohmann::json out = nlohmann::json::array();
  std::size_t skip = events_.size() > max_events ? events_.size() - max_events : 0;
  if (skip) out.push_back({{"note", std::to_string(skip) + " earlier events omitted"}});
  for (std::size_t i = skip; i < events_.size(); ++i) {
    const Event& e = events_[i];
    char t[32];
    std::snprintf(t, sizeof t, "%.1f", e.t_ms);
    nlohmann::json j = {{"t_ms", t}, {"conn", e.who}, {"dir", e.dir}};
    if (e.dir == "note") {
      j["note"] = e.text;
    } else {
      j["what"] = e.packet.what;
      j["len"] = e.packet.size();
      nlohmann::json fields = nlohmann::json::array();
      std::size_t shown = 0;
      for (const Field& f : e.packet.fields) {
        if (++shown > 64) {
          fields.push_back("... " + std::to_string(e.packet.fields.size() - 64) + " more fields");
          break;
        }
        char line[160];
        std::string bytes = hex(ConstBytes(e.packet.bytes).subspan(f.offset, f.size), 16);
        std::snprintf(line, sizeof line, "%4zu  %-34s %s", f.offset, f.name.c_str(), bytes.c_str());
        fields.push_back(std::string(line) + "  = " + f.value);
      }
      j["fields"] = fields;
    }
    out.push_back(j);
  }
  return out;
}

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

std::unique_ptr<Conn> connect_uds(const std::string& path, Transcript* t, const std::string& name) {
  sockaddr_un addr;
  if (!fill_addr(path, &addr)) return errno = ENAMETOOLONG, nullptr;
  UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return nullptr;
  if (sys::call([&] { return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr); }) != 0)
    return nullptr;
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
