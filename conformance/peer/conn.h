// Raw packet connections of the test peer (SEQPACKET sockets on POSIX, message-mode named
// pipes on Windows) and the transcript of everything that crossed them. The peer does not use
// the reference transport here: it must send what the case says, byte for byte, and see
// exactly what came back, including a close.
#ifndef NIPC_PEER_CONN_H_
#define NIPC_PEER_CONN_H_

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "platform.h"
#include "wire.h"

namespace nipc::peer {

/// Everything the peer sent and received, in order, with times and field labels.
class Transcript {
 public:
  Transcript() : start_(std::chrono::steady_clock::now()) {}
  void sent(const std::string& who, const Packet& p);
  void received(const std::string& who, const Packet& p);
  void note(const std::string& who, const std::string& text);
  /// Annotated hex, one JSON object per event.
  nlohmann::json to_json(std::size_t max_events = 400) const;
  double now_ms() const;

 private:
  struct Event {
    double t_ms;
    std::string who, dir;
    Packet packet;
    std::string text;
  };
  std::chrono::steady_clock::time_point start_;
  std::vector<Event> events_;
};

enum class Got { kPacket, kClosed, kTimeout };

struct Recv {
  Got got = Got::kTimeout;
  Bytes bytes;
  bool truncated = false;  // the packet was larger than the peer's 4 MiB buffer
  bool packet() const { return got == Got::kPacket; }
};

#ifdef _WIN32
using OsConn = UniqueHandle;  // a pipe handle opened for overlapped I/O
#else
using OsConn = UniqueFd;      // a SOCK_SEQPACKET socket
#endif

/// One end of a connected packet channel, recording into a transcript.
class Conn {
 public:
  Conn(OsConn fd, Transcript* transcript, std::string name);

  /// Sends one packet; false when the peer is gone (recorded as a note).
  bool send(const Packet& p);
  /// Receives one packet, labelled as `expect`; a close (EOF or reset) is Got::kClosed.
  Recv recv(Deadline deadline, Expect expect);
  /// True when a packet or a hang-up is pending (without consuming it).
  bool readable();
  /// True when the other side has closed (without consuming data).
  bool hung_up();
  void close();
  const std::string& name() const { return name_; }
#ifndef _WIN32
  int fd() const { return fd_.get(); }
#endif

 private:
  OsConn fd_;
  Transcript* t_;
  std::string name_;
  Bytes buf_;
};

/// Connects to the endpoint at `path` (a UDS socket path; on Windows a pipe name); nullptr
/// on failure with `why` set. On Windows a pipe without a free instance (the server creates
/// the next one right after a client connects) is waited for until `busy_until`; the
/// default, an expired deadline, fails at once like the protocol's own clients.
std::unique_ptr<Conn> connect_endpoint(const std::string& path, Transcript* t, const std::string& name,
                                       std::string* why,
                                       Deadline busy_until = Deadline::after(std::chrono::milliseconds(0)));

/// Windows: whether this system refuses a second first instance of a pipe name
/// (FILE_FLAG_FIRST_PIPE_INSTANCE); wine does not. Always true on POSIX.
bool first_instance_enforced();

/// A listening endpoint owned by the peer (the peer plays the server): a UDS SEQPACKET socket,
/// or on Windows the instances of a message-mode named pipe.
class Listener {
 public:
  /// Binds `path` (removing nothing: the run directory is fresh); on Windows creates the first
  /// instance of the pipe `path`. nullptr on failure.
  static std::unique_ptr<Listener> listen(const std::string& path, std::string* why);
  ~Listener();
  /// Accepts one connection; nullptr at the deadline.
  std::unique_ptr<Conn> accept(Deadline deadline, Transcript* t, const std::string& name);
  const std::string& path() const { return path_; }
  /// Closes the socket but leaves its file in place (a stale endpoint); on Windows the pipe
  /// simply disappears.
  void abandon() { fd_.reset(); }

 private:
  Listener(OsConn fd, std::string path) : fd_(std::move(fd)), path_(std::move(path)) {}
  OsConn fd_;
  std::string path_;
};

}  // namespace nipc::peer

#endif  // NIPC_PEER_CONN_H_
