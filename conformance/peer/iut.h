// The implementation under test as a child process: started from its manifest's command
// line, watched for its READY line, its exit and its output, and stopped at the end.
#ifndef NIPC_PEER_IUT_H_
#define NIPC_PEER_IUT_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "platform.h"

namespace nipc::peer {

/// How a process ended: an exit code, or the signal that killed it. On Windows a process the
/// peer had to terminate has signal -1 (its code is the one TerminateProcess gave it).
struct ExitStatus {
  int code = 0;    // valid when signal == 0
  int signal = 0;  // non-zero: killed by this signal (Windows: -1, terminated)
  bool ok() const { return signal == 0 && code == 0; }
  /// Ended with a failure code of the shim contract (SHIM-EXIT-001: 1 failure, 2 usage,
  /// 3 environment): the program ran and said no.
  bool refused() const { return signal == 0 && code >= 1 && code <= 3; }
  std::string describe() const;
};

class IutProcess {
 public:
  /// Starts `argv` in its own process group with stdout and stderr captured to files (so a
  /// chatty IUT never blocks on a full pipe). The environment is inherited (NIPC_MUTANT
  /// selects a mutant of the reference). On Windows the process gets a new process group
  /// (CREATE_NEW_PROCESS_GROUP) and an argv[0] given as an absolute Unix path (a build tree
  /// seen through wine) is opened through drive Z:. nullptr with `why` set when it cannot
  /// start.
  static std::unique_ptr<IutProcess> spawn(const std::vector<std::string>& argv, std::string* why);
  ~IutProcess();
  IutProcess(const IutProcess&) = delete;
  IutProcess& operator=(const IutProcess&) = delete;

  enum class Ready { kReady, kExited, kTimeout };
  /// Waits for a stdout line matching `pattern` (SHIM-READY-001: "^READY").
  Ready wait_ready_line(const std::string& pattern, Deadline deadline);
  /// Waits until the endpoint `socket_path` exists (POSIX: a socket file; Windows: a pipe
  /// instance of that name), without connecting: a server that serves one session keeps it.
  Ready wait_ready_socket(const std::string& socket_path, Deadline deadline);
  /// Waits until the endpoint accepts a connection (the probe connection is closed at once;
  /// it costs the server a session).
  Ready wait_ready_connect(const std::string& socket_path, Deadline deadline);
  /// Waits `ms` milliseconds, then reports ready unless the process ended.
  Ready wait_ready_delay(int ms);
  /// The exit status if the process has ended, without waiting.
  std::optional<ExitStatus> poll_exit();
  /// Waits for the process to end; nullopt at the deadline.
  std::optional<ExitStatus> wait_exit(Deadline deadline);
  /// Stops the process: SIGTERM to its group, then SIGKILL after `grace_ms`. On Windows:
  /// CTRL_BREAK_EVENT to its process group (SHIM-STOP-002), then TerminateProcess.
  ExitStatus stop(int grace_ms);

  pid_t pid() const { return pid_; }
  /// The IUT's stdout, bounded: whole up to kKeepHead + kKeepTail bytes, else its head, a
  /// line "[... N bytes omitted ...]" and its tail. Bytes as printed (not necessarily text).
  std::string stdout_text() const;
  /// The last `lines` lines of stderr (at most kKeepTail bytes read).
  std::vector<std::string> stderr_tail(std::size_t lines) const;
  /// Processes the IUT started that outlived it (a daemon, a setsid child, a grandchild in
  /// its group), as "pid command"; stop() finds and kills them (POSIX: the peer is a child
  /// subreaper, so they are re-parented to it). Empty until stop().
  const std::vector<std::string>& strays() const { return strays_; }

  static constexpr std::size_t kKeepHead = 64 * 1024;
  static constexpr std::size_t kKeepTail = 64 * 1024;

 private:
  IutProcess() = default;
  pid_t pid_ = -1;
#ifdef _WIN32
  UniqueHandle process_;
  UniqueHandle job_;  // holds the IUT and everything it starts
  /// Records what is left in the job (strays_) and terminates it.
  void end_tree();
#endif
  std::optional<ExitStatus> exit_;
  std::string out_path_, err_path_;
  std::vector<std::string> strays_;
#ifndef _WIN32
  // The capture files, already unlinked: nothing is left in /tmp however the peer ends.
  int out_fd_ = -1, err_fd_ = -1;
  // How far wait_ready_line has scanned stdout, and the unfinished line it holds (bounded).
  std::size_t scanned_ = 0;
  std::string partial_;
#endif
};

}  // namespace nipc::peer

#endif  // NIPC_PEER_IUT_H_
