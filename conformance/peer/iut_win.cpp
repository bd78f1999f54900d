// Windows: the IUT is started with CreateProcess, its stdout and stderr redirected to files,
// and stopped with a console break to its own process group, then terminated.
#include <windows.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "iut.h"

namespace nipc::peer {
namespace {

/// Bytes [offset, offset + n) of the file at `path` (fewer at its end).
std::string read_range(const std::string& path, std::uint64_t offset, std::size_t n) {
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(offset));
  std::string out(n, '\0');
  in.read(out.data(), static_cast<std::streamsize>(n));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::uint64_t file_size(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<std::uint64_t>(in.tellg()) : 0;
}

/// The file's bytes, bounded: whole up to head + tail bytes, else its head, the count of the
/// bytes left out, and its tail.
std::string read_bounded(const std::string& path, std::size_t head, std::size_t tail) {
  const std::uint64_t size = file_size(path);
  if (size <= head + tail) return read_range(path, 0, static_cast<std::size_t>(size));
  return read_range(path, 0, head) + "\n[... " + std::to_string(size - head - tail) + " bytes omitted ...]\n" +
         read_range(path, size - tail, tail);
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
  // The IUT starts suspended inside a job object, so everything it starts belongs to the job:
  // stop() lists what outlived it and ends the whole tree (and closing the job kills what is
  // left however the peer ends).
  p->job_.reset(::CreateJobObjectW(nullptr, nullptr));
  if (p->job_.valid()) {
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION limits{};
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    ::SetInformationJobObject(p->job_.get(), JobObjectExtendedLimitInformation, &limits, sizeof limits);
  }
  // ERROR_INTERNAL_ERROR is the system failing to create any process (seen under wine with
  // the machine loaded), not something the IUT did: it never ran, so trying again a few
  // times cannot change a verdict. Every other error is reported at once.
  bool created = false;
  for (int attempt = 0; attempt < 3 && !created; ++attempt) {
    if (attempt > 0) ::Sleep(200);
    created = ::CreateProcessW(nullptr, wline.data(), nullptr, nullptr, TRUE,
                               CREATE_NEW_PROCESS_GROUP | CREATE_SUSPENDED, nullptr, nullptr,
                               &si, &pi);
    if (!created && ::GetLastError() != ERROR_INTERNAL_ERROR) break;
  }
  if (!created) return *why = "CreateProcess " + line + ": " + last_error_text(), nullptr;
  if (p->job_.valid() && !::AssignProcessToJobObject(p->job_.get(), pi.hProcess)) p->job_.reset(nullptr);
  ::ResumeThread(pi.hThread);
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
  std::uint64_t scanned = 0;
  std::string partial;
  for (;;) {
    // Only what arrived since the last look is read; a line is kept up to kKeepHead bytes.
    for (std::string chunk; !(chunk = read_range(out_path_, scanned, 65536)).empty();) {
      scanned += chunk.size();
      for (char c : chunk) {
        if (c != '\n') {
          if (partial.size() < kKeepHead) partial.push_back(c);
          continue;
        }
        if (!partial.empty() && partial.back() == '\r') partial.pop_back();
        if (std::regex_search(partial, re)) return Ready::kReady;
        partial.clear();
      }
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
  if (auto e = poll_exit()) return end_tree(), *e;
  // A shim server may offer a named stop event; otherwise a console break to its own process
  // group (it reaches the IUT, not the peer). Both are asked for; the first that works wins.
  UniqueHandle stop_event(::OpenEventW(EVENT_MODIFY_STATE, FALSE,
                                       (L"Local\\netipc-shim-stop-" + std::to_wstring(pid_)).c_str()));
  if (stop_event.valid()) ::SetEvent(stop_event.get());
  ::GenerateConsoleCtrlEvent(CTRL_BREAK_EVENT, static_cast<DWORD>(pid_));
  if (auto e = wait_exit(Deadline::after(std::chrono::milliseconds(grace_ms)))) return end_tree(), *e;
  ::TerminateProcess(process_.get(), 137);
  ::WaitForSingleObject(process_.get(), INFINITE);
  DWORD code = 0;
  ::GetExitCodeProcess(process_.get(), &code);
  exit_ = ExitStatus{static_cast<int>(code), -1};
  end_tree();
  return *exit_;
}

void IutProcess::end_tree() {
  if (!job_.valid()) return;
  struct {
    JOBOBJECT_BASIC_PROCESS_ID_LIST list;
    ULONG_PTR more[63];
  } ids{};
  ids.list.NumberOfAssignedProcesses = 64;
  if (::QueryInformationJobObject(job_.get(), JobObjectBasicProcessIdList, &ids, sizeof ids, nullptr)) {
    for (DWORD i = 0; i < ids.list.NumberOfProcessIdsInList && strays_.size() < 20; ++i) {
      DWORD pid = static_cast<DWORD>(ids.list.ProcessIdList[i]);
      if (pid != static_cast<DWORD>(pid_)) strays_.push_back(std::to_string(pid));
    }
  }
  ::TerminateJobObject(job_.get(), 137);
}

std::string IutProcess::stdout_text() const {
  std::string s = read_bounded(out_path_, kKeepHead, kKeepTail);
  std::string out;
  out.reserve(s.size());
  for (char ch : s)
    if (ch != '\r') out.push_back(ch);
  return out;
}

std::vector<std::string> IutProcess::stderr_tail(std::size_t lines) const {
  const std::uint64_t size = file_size(err_path_);
  const std::uint64_t from = size > kKeepTail ? size - kKeepTail : 0;
  std::string err = read_range(err_path_, from, static_cast<std::size_t>(size - from));
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
