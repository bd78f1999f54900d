#include "iut.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

namespace nipc::peer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_file(const char* tag) {
  std::string tmpl = std::string("/tmp/nipc-peer-") + tag + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0) return {};
  ::close(fd);
  return buf.data();
}

ExitStatus from_wait(int status) {
  ExitStatus e;
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  else e.code = WEXITSTATUS(status);
  return e;
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
  std::unique_ptr<IutProcess> p(new IutProcess());
  p->out_path_ = temp_file("out");
  p->err_path_ = temp_file("err");
  if (p->out_path_.empty() || p->err_path_.empty()) return *why = "cannot create temp files", nullptr;
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return *why = std::string("fork: ") + std::strerror(errno), nullptr;
  if (pid == 0) {
    ::setpgid(0, 0);
    int out = ::open(p->out_path_.c_str(), O_WRONLY | O_TRUNC);
    int err = ::open(p->err_path_.c_str(), O_WRONLY | O_TRUNC);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || err < 0 || in < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    // Restore default signal handling: the peer ignores SIGPIPE, the IUT decides for itself.
    ::signal(SIGPIPE, SIG_DFL);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent, so the group exists before we signal it
  p->pid_ = pid;
  return p;
}

IutProcess::~IutProcess() {
  if (pid_ > 0 && !exit_) stop(500);
  if (!out_path_.empty()) ::unlink(out_path_.c_str());
  if (!err_path_.empty()) ::unlink(err_path_.c_str());
}

IutProcess::Ready IutProcess::wait_ready_line(const std::string& pattern, Deadline deadline) {
  const std::regex re(pattern);
  for (;;) {
    std::string out = read_file(out_path_);
    std::size_t pos = 0;
    while (pos < out.size()) {
      std::size_t nl = out.find('\n', pos);
      if (nl == std::string::npos) break;
      if (std::regex_search(out.substr(pos, nl - pos), re)) return Ready::kReady;
      pos = nl + 1;
    }
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

IutProcess::Ready IutProcess::wait_ready_socket(const std::string& path, Deadline deadline) {
  for (;;) {
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) return Ready::kReady;
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
  if (auto e = poll_exit()) return *e;
  ::kill(-pid_, SIGTERM);
  if (auto e = wait_exit(Deadline::after(std::chrono::milliseconds(grace_ms)))) return *e;
  ::kill(-pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  exit_ = from_wait(status);
  return *exit_;
}

std::string IutProcess::stdout_text() const { return read_file(out_path_); }

std::vector<std::string> IutProcess::stderr_tail(std::size_t lines) const {
  std::string err = read_file(err_path_);
  std::vector<std::string> all;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) all.push_back(line);
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(lines));
  return all;
}

}  // namespace nipc::peer
