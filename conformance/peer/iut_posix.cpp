#include "iut.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

namespace nipc::peer {
namespace {

/// Bytes [offset, offset + n) of the file behind `fd` (fewer at its end), without moving
/// its offset (the IUT writes through the same open file).
std::string read_at(int fd, off_t offset, std::size_t n) {
  std::string out(n, '\0');
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = sys::call(
        [&] { return ::pread(fd, out.data() + got, n - got, offset + static_cast<off_t>(got)); });
    if (r <= 0) break;
    got += static_cast<std::size_t>(r);
  }
  out.resize(got);
  return out;
}

off_t file_size(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 ? st.st_size : 0;
}

/// A capture file for one stream of the IUT: created and at once unlinked, so only the open
/// descriptor keeps it (the kernel frees it when the peer ends, however it ends).
int capture_file(const char* tag) {
  const char* dir = std::getenv("TMPDIR");
  std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/nipc-peer-" + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) return -1;
  ::unlink(buf.data());
  return fd;
}

ExitStatus from_wait(int status) {
  ExitStatus e;
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  else e.code = WEXITSTATUS(status);
  return e;
}

#ifdef __linux__
/// The contents of a small /proc file, at most `limit` bytes; empty when it cannot be read.
/// A process can exit between listing /proc and reading its files, and then read() fails
/// with ESRCH: that is an ordinary answer here, never an exception (std::ifstream would
/// throw from its buffer in that case).
std::string read_proc_file(const std::string& path, std::size_t limit = 4096) {
  int fd = sys::call([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return {};
  std::string out;
  char buf[1024];
  while (out.size() < limit) {
    ssize_t n = sys::call([&] { return ::read(fd, buf, sizeof buf); });
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (out.size() > limit) out.resize(limit);
  return out;
}

/// Live processes below `root` (its children, theirs, ...), from /proc.
std::vector<pid_t> descendants(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> parent;  // (pid, ppid)
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      char* end = nullptr;
      long pid = std::strtol(e->d_name, &end, 10);
      if (*end != '\0' || pid <= 0) continue;
      std::string stat = read_proc_file("/proc/" + std::string(e->d_name) + "/stat");
      std::size_t close = stat.rfind(')');
      if (close == std::string::npos || close + 4 >= stat.size()) continue;
      char state = stat[close + 2];
      long ppid = std::strtol(stat.c_str() + close + 4, nullptr, 10);
      if (state != 'Z') parent.emplace_back(static_cast<pid_t>(pid), static_cast<pid_t>(ppid));
    }
    ::closedir(d);
  }
  std::vector<pid_t> out, frontier{root};
  while (!frontier.empty()) {
    std::vector<pid_t> next;
    for (auto [pid, ppid] : parent)
      if (std::find(frontier.begin(), frontier.end(), ppid) != frontier.end()) next.push_back(pid);
    out.insert(out.end(), next.begin(), next.end());
    frontier = std::move(next);
  }
  return out;
}

/// Whether a listening Unix socket is bound to `path`, from /proc/net/unix (the Flags column
/// has __SO_ACCEPTCON, 0x10000, once listen() was called); nullopt when the table cannot be
/// read. The socket file appears at bind(), before listen(): a connect in between is refused.
std::optional<bool> unix_socket_listening(const std::string& path) {
  const std::string table = read_proc_file("/proc/net/unix", std::size_t{16} << 20);
  if (table.empty()) return std::nullopt;
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);  // the column headings
  while (std::getline(lines, line)) {
    const std::size_t at = line.size() > path.size() ? line.size() - path.size() : 0;
    if (at == 0 || line.compare(at, path.size(), path) != 0 || line[at - 1] != ' ') continue;
    std::istringstream fields(line);
    std::string num, refcount, protocol, flags;
    if (!(fields >> num >> refcount >> protocol >> flags)) continue;
    if (std::strtoul(flags.c_str(), nullptr, 16) & 0x10000UL) return true;
  }
  return false;
}

std::string command_of(pid_t pid) {
  std::string raw = read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw)
    if (c == '\0') c = ' ';
  return raw.substr(0, 200);
}
#endif

/// Makes the peer a child subreaper (Linux): whatever an IUT started and left behind is
/// re-parented to the peer instead of init, so stop() can find and end it.
void become_subreaper() {
#ifdef __linux__
  static const bool done = [] { return ::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0; }();
  (void)done;
#endif
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) return std::string("killed by signal ") + std::to_string(signal) + " (" +
                          ::strsignal(signal) + ")";
  return "exit code " + std::to_string(code);
}

std::unique_ptr<IutProcess> IutProcess::spawn(const std::vector<std::string>& argv,
                                              std::string* why) {
  if (argv.empty()) return *why = "empty IUT command", nullptr;
  become_subreaper();
  std::unique_ptr<IutProcess> p(new IutProcess());
  p->out_fd_ = capture_file("out");
  p->err_fd_ = capture_file("err");
  if (p->out_fd_ < 0 || p->err_fd_ < 0) return *why = "cannot create capture files", nullptr;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The child reports a failed exec as its errno through a close-on-exec pipe: EOF means the
  // program runs. Only then does the case know the IUT never ran; an exit code cannot tell
  // a missing program from a program that chose to exit 127.
  int exec_status[2];
  if (::pipe2(exec_status, O_CLOEXEC) != 0) return *why = std::string("pipe: ") + std::strerror(errno), nullptr;
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(exec_status[0]);
    ::close(exec_status[1]);
    return *why = std::string("fork: ") + std::strerror(errno), nullptr;
  }
  if (pid == 0) {
    ::close(exec_status[0]);
    auto report = [&](int err) {
      (void)sys::call([&] { return ::write(exec_status[1], &err, sizeof err); });
      ::_exit(127);
    };
    ::setpgid(0, 0);
    int in = ::open("/dev/null", O_RDONLY);
    if (in < 0) report(errno);
    ::dup2(in, 0);
    ::dup2(p->out_fd_, 1);
    ::dup2(p->err_fd_, 2);
    // Restore default signal handling: the peer ignores SIGPIPE, the IUT decides for itself.
    ::signal(SIGPIPE, SIG_DFL);
    // No core file of a crashing IUT lands in the operator's working directory.
    struct rlimit no_core {0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::execvp(args[0], args.data());
    report(errno);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before we signal it
  p->pid_ = pid;
  ::close(exec_status[1]);
  int err = 0;
  ssize_t got = sys::call([&] { return ::read(exec_status[0], &err, sizeof err); });
  ::close(exec_status[0]);
  if (got == static_cast<ssize_t>(sizeof err)) {
    p->wait_exit(Deadline::after(std::chrono::seconds(5)));  // reap the child that never ran
    p->pid_ = -1;
    return *why = "cannot execute " + argv[0] + ": " + std::strerror(err), nullptr;
  }
  return p;
}

IutProcess::~IutProcess() {
  if (pid_ > 0 && !exit_) stop(500);
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

IutProcess::Ready IutProcess::wait_ready_line(const std::string& pattern, Deadline deadline) {
  const std::regex re(pattern);
  for (;;) {
    // Only what arrived since the last look is read; a line is kept up to kKeepHead bytes.
    const off_t size = file_size(out_fd_);
    while (static_cast<off_t>(scanned_) < size) {
      std::string chunk = read_at(out_fd_, static_cast<off_t>(scanned_), 65536);
      if (chunk.empty()) break;
      scanned_ += chunk.size();
      for (char c : chunk) {
        if (c != '\n') {
          if (partial_.size() < kKeepHead) partial_.push_back(c);
          continue;
        }
        if (std::regex_search(partial_, re)) return Ready::kReady;
        partial_.clear();
      }
    }
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

IutProcess::Ready IutProcess::wait_ready_socket(const std::string& path, Deadline deadline) {
  for (;;) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
#ifdef __linux__
      // Ready means listening: the file alone may be seen between bind() and listen().
      if (unix_socket_listening(path).value_or(true)) return Ready::kReady;
#else
      return Ready::kReady;
#endif
    }
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

IutProcess::Ready IutProcess::wait_ready_connect(const std::string& path, Deadline deadline) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return Ready::kTimeout;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  for (;;) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (fd.valid() && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      return Ready::kReady;
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

IutProcess::Ready IutProcess::wait_ready_delay(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return poll_exit() ? Ready::kExited : Ready::kReady;
}

std::optional<ExitStatus> IutProcess::poll_exit() {
  if (exit_) return exit_;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) exit_ = from_wait(status);
  return exit_;
}

std::optional<ExitStatus> IutProcess::wait_exit(Deadline deadline) {
  for (;;) {
    if (auto e = poll_exit()) return e;
    if (deadline.expired()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

ExitStatus IutProcess::stop(int grace_ms) {
  if (!poll_exit()) {
    ::kill(-pid_, SIGTERM);
    if (!wait_exit(Deadline::after(std::chrono::milliseconds(grace_ms)))) {
      ::kill(-pid_, SIGKILL);
      int status = 0;
      (void)sys::call([&] { return ::waitpid(pid_, &status, 0); });
      exit_ = from_wait(status);
    }
  }
  // Whatever the IUT started and left running: its group, and (Linux) every process that
  // was re-parented to the peer. Recorded once, killed, and reaped.
  ::kill(-pid_, SIGKILL);
#ifdef __linux__
  for (int round = 0; round < 50; ++round) {
    std::vector<pid_t> left = descendants(::getpid());
    if (left.empty()) break;
    for (pid_t p : left) {
      if (strays_.size() < 20 && round < 5) strays_.push_back(std::to_string(p) + " " + command_of(p));
      ::kill(p, SIGKILL);
    }
    while (::waitpid(-1, nullptr, WNOHANG) > 0) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
#endif
  return *exit_;
}

std::string IutProcess::stdout_text() const {
  const off_t size = file_size(out_fd_);
  const std::size_t n = static_cast<std::size_t>(size);
  if (n <= kKeepHead + kKeepTail) return read_at(out_fd_, 0, n);
  return read_at(out_fd_, 0, kKeepHead) + "\n[... " + std::to_string(n - kKeepHead - kKeepTail) +
         " bytes omitted ...]\n" + read_at(out_fd_, size - static_cast<off_t>(kKeepTail), kKeepTail);
}

std::vector<std::string> IutProcess::stderr_tail(std::size_t lines) const {
  const off_t size = file_size(err_fd_);
  const off_t from = size > static_cast<off_t>(kKeepTail) ? size - static_cast<off_t>(kKeepTail) : 0;
  std::string err = read_at(err_fd_, from, static_cast<std::size_t>(size - from));
  std::vector<std::string> all;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(lines));
  return all;
}

}  // namespace nipc::peer
