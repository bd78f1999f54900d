// Helpers for the transport tests: a private run directory and descriptor/mapping counts.
#ifndef NIPC_TESTS_TRANSPORT_TRANSPORT_SUPPORT_H_
#define NIPC_TESTS_TRANSPORT_TRANSPORT_SUPPORT_H_

#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "nipc/transport/error.h"
#include "nipc/transport/server.h"
#include "support/test_support.h"

namespace nipc::testing {

/// A server of `ServiceT` running its accept loop on a thread for the test's duration; the
/// constructor throws when the server cannot start; stop() or the destructor stops and joins it.
template <typename ServiceT>
class BasicRunningServer {
 public:
  explicit BasicRunningServer(ServerConfig cfg) {
    auto s = Server::start(std::move(cfg), std::make_shared<ServiceT>());
    if (!s) throw std::runtime_error("server start failed: " + s.error().describe());
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->run(); });
  }
  ~BasicRunningServer() { stop(); }
  /// Stops the server and joins its thread; later calls do nothing.
  void stop() {
    if (!server_) return;
    server_->stop();
    thread_.join();
    server_.reset();
  }
  Server& operator*() { return *server_; }
  Server* operator->() { return server_.get(); }

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

/// A fresh directory under /tmp (short, so socket paths fit), removed with its contents.
class RunDir {
 public:
  RunDir() {
    char tmpl[] = "/tmp/nipc-t-XXXXXX";
    char* p = ::mkdtemp(tmpl);
    if (!p) throw std::runtime_error("mkdtemp failed");
    path_ = p;
  }
  ~RunDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// Names of the entries in the directory, sorted.
  std::vector<std::string> entries() const {
    std::vector<std::string> out;
    for (auto& e : std::filesystem::directory_iterator(path_)) out.push_back(e.path().filename());
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  std::string path_;
};

/// Open descriptors of this process.
inline int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n - 1;  // the iterator's own descriptor
}

/// Mappings of this process whose path contains `needle` (e.g. ".ipcshm").
inline int mapping_count(const std::string& needle) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(maps, line))
    if (line.find(needle) != std::string::npos) ++n;
  return n;
}

}  // namespace nipc::testing

namespace nipc {
inline void PrintTo(TransportErrorKind k, std::ostream* os) { *os << transport_error_name(k); }
inline std::ostream& operator<<(std::ostream& os, const TransportError& e) {
  return os << e.describe();
}
}  // namespace nipc

#endif  // NIPC_TESTS_TRANSPORT_TRANSPORT_SUPPORT_H_
