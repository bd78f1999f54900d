// Windows: the IUT is started with CreateProcess, its stdout and stderr redirected to files,
// and stopped with a console break to its own process group, then terminated.
#include <windows.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "iut.h"

namespace nipc::peer {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string temp_file(const char* tag) {
  char dir[MAX_PATH + 1], file[MAX_PATH + 1];
  if (::GetTempPathA(sizeof dir, dir) == 0) return {};
  if (::GetTempFileNameA(dir, tag, 0, file) == 0) return {};
  return file;
}

/// One argument quoted so that the C runtime's command-line parser gives it back unchanged.
std::string quote(const std::string& arg) {
  if (!arg.empty() && arg.find_first_of(" \t\n\v\"") == std::string::npos) return arg;
  std::string out = "\"";
  std::size_t slashes = 0;
  for (char ch : arg) {
    if (ch == '\\') {
      ++slashes;
      continue;
    }
    if (ch == '"') out.append(slashes * 2 + 1, '\\');
    else out.append(slashes, '\\');
    slashes = 0;
    out.push_back(ch);
  }
  out.append(slashes * 2, '\\');
  out.push_back('"');
  return out;
}

/// "/abs/path" (a build tree on the host) -> "Z:\abs\path", wine's view of the host's root.
std::string program_path(const std::string& arg0) {
  if (arg0.empty() || arg0[0] != '/') return arg0;
  std::string out = "Z:" + arg0;
  for (char& ch : out)
    if (ch == '/') ch = '\\';
  return out;
}

HANDLE inheritable_file(const std::string& path, bool write) {
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  return ::CreateFileA(path.c_str(), write ? GENERIC_WRITE : GENERIC_READ,
                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, &sa,
                       write ? CREATE_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) return "terminated by the peer (exit code " + std::to_string(code) + ")";
  return "exit code " + std::to_string(code);
}

std::unique_ptr<IutProcess> IutProcess::spawn(const std::vector<std::string>& argv, std::string* why) {
  if (argv.empty()) return *why = "empty IUT command", nullptr;
  std::unique_ptr<IutProcess> p(new IutProcess());
  p->out_path_ = temp_file("out");
  p->err_path_ = temp_file("err");
  if (p->out_path_.empty() || p->err_path_.empty()) return *why = "cannot create temp files", nullptr;
  UniqueHandle out(inheritable_file(p->out_path_, true));
  UniqueHandle err(inheritable_file(p->err_path_, true));
  UniqueHandle in(inheritable_file("NUL", false));
  if (!out.valid() || !err.valid()) return *why = "cannot open the output files: " + last_error_text(), nullptr;
  std::string line = quote(program_path(argv[0]));
  for (std::size_t i = 1; i < argv.size(); ++i) line += " " + quote(argv[i]);
  std::wstring wline = widen_bytes(line);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdInput = in.get();
  si.hStdOutput = out.get();
  si.hStdError = err.get();
  PROCESS_INFORMATION pi{};
  if (!::CreateProcessW(nullptr, wline.data(), nullptr, nullptr, TRUE, CREATE_NEW_PROCESS_GROUP, nullptr,
                        nullptr, &si, &pi))
    return *why = "CreateProcess " + line + ": " + last_error_text(), nullptr;
  ::CloseHandle(pi.hThread);
  p->process_.reset(pi.hProcess);
  p->pid_ = static_cast<pid_t>(pi.dwProcessId);
  return p;
}

IutProcess::~IutProcess() {
  if (process_.valid() && !exit_) stop(500);
  if (!out_path_.empty()) ::DeleteFileA(out_path_.c_str());
  if (!err_path_.empty()) ::DeleteFileA(err_path_.c_str());
}

IutProcess::Ready IutProcess::wait_ready_line(const std::string& pattern, Deadline deadline) {
  const std::regex re(pattern);
  for (;;) {
    std::string out = read_file(out_path_);
    std::size_t pos = 0;
    while (pos < out.size()) {
      std::size_t nl = out.find('\n', pos);
      if (nl == std::string::npos) break;
      std::string line = out.substr(pos, nl - pos);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (std::regex_search(line, re)) return Ready::kReady;
      pos = nl + 1;
    }
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

IutProcess::Ready IutProcess::wait_ready_socket(const std::string& path, Deadline deadline) {
  // WaitNamedPipe tells whether an instance of the name exists without connecting to it.
  for (;;) {
    if (::WaitNamedPipeW(widen_bytes(path).c_str(), 1)) return Ready::kReady;
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

IutProcess::Ready IutProcess::wait_ready_connect(const std::string& path, Deadline deadline) {
  for (;;) {
    UniqueHandle h(::CreateFileW(widen_bytes(path).c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr,
                                 OPEN_EXISTING, 0, nullptr));
    if (h.valid()) return Ready::kReady;
    if (poll_exit()) return Ready::kExited;
    if (deadline.expired()) return Ready::kTimeout;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

IutProcess::Ready IutProcess::wait_ready_delay(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return poll_exit() ? Ready::kExited : Ready::kReady;
}

std::optional<ExitStatus> IutProcess::poll_exit() {
  if (exit_) return exit_;
  if (::WaitForSingleObject(process_.get(), 0) != WAIT_OBJECT_0) return std::nullopt;
  DWORD code = 0;
  ::GetExitCodeProcess(process_.get(), &code);
  exit_ = ExitStatus{static_cast<int>(code), 0};
  return exit_;
}

std::optional<ExitStatus> IutProcess::wait_exit(Deadline deadline) {
  int ms = deadline.poll_timeout_ms();
  ::WaitForSingleObject(process_.get(), ms < 0 ? INFINITE : static_cast<DWORD>(ms));
  return poll_exit();
}

ExitStatus IutProcess::stop(int grace_ms) {
  if (auto e = poll_exit()) return *e;
  // A shim server may offer a named stop event; otherwise a console break to its own process
  // group (it reaches the IUT, not the peer). Both are asked for; the first that works wins.
  UniqueHandle stop_event(::OpenEventW(EVENT_MODIFY_STATE, FALSE,
                                       (L"Local\\netipc-shim-stop-" + std::to_wstring(pid_)).c_str()));
  if (stop_event.valid()) ::SetEvent(stop_event.get());
  ::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, static_cast<DWORD>(pid_));
  if (auto e = wait_exit(Deadline::after(std::chrono::milliseconds(grace_ms)))) return *e;
  ::TerminateProcess(process_.get(), 137);
  ::WaitForSingleObject(process_.get(), INFINITE);
  DWORD code = 0;
  ::GetExitCodeProcess(process_.get(), &code);
  exit_ = ExitStatus{static_cast<int>(code), -1};
  return *exit_;
}

std::string IutProcess::stdout_text() const {
  std::string s = read_file(out_path_);
  std::string out;
  out.reserve(s.size());
  for (char ch : s)
    if (ch != '\r') out.push_back(ch);
  return out;
}

std::vector<std::string> IutProcess::stderr_tail(std::size_t lines) const {
  std::string err = read_file(err_path_);
  std::vector<std::string> all;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    all.push_back(line);
  }
  if (all.size() > lines) all.erase(all.begin(), all.end() - static_cast<std::ptrdiff_t>(lines));
  return all;
}

}  // namespace nipc::peer
