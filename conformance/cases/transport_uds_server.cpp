// UDS endpoint cases with the IUT as server (spec/transport-uds.md): stale and live socket
// files, service names and long paths.
#ifndef _WIN32
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common.h"
#include "transport_files.h"

namespace nipc::peer::cases {
namespace {

// ---------------------------------------------------------------------------------------
// The UDS endpoint.

#ifndef _WIN32
// Binds a socket at `path` and closes it: the file stays, nobody listens.
bool leave_stale_socket(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
  bool ok = fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  if (fd >= 0) ::close(fd);
  return ok;
}
#endif

void uds_stale(Catalogue& table) {
  table.add({
    .id = "uds.srv.stale-socket-replaced",
    .title = "a stale socket file at the endpoint is removed and the server listens",
    .requirements = {"UDS-STALE-001", "UDS-PATH-001"},
    .on = kOnUds,
    .start = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      if (!leave_stale_socket(c.socket_path())) c.error("cannot leave a stale socket file");
      c.note("stale socket file left at " + c.socket_path());
      if (c.launch_iut() != IutProcess::Ready::kReady)
        c.fail("UDS-STALE-001", "the server did not start over a stale socket file");
      auto s = c.open();
      round_trip(c, *s, 1, "UDS-STALE-001");
    })});
}

void uds_live(Catalogue& table) {
  table.add({
    .id = "uds.srv.live-owner-kept",
    .title = "a second server on a live endpoint fails to start and leaves the live socket alone",
    .requirements = {"UDS-LIVE-001"},
    .on = kOnUds,
    .start = false,
    .probe = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.listen();
      c.note("the peer listens at " + c.socket_path());
      auto ready = c.launch_iut();
      std::string why;
      if (ready == IutProcess::Ready::kReady)
        c.check(false, "UDS-LIVE-001", "the server started on an endpoint with a live owner");
      else
        c.expect_refusal(ready, "UDS-LIVE-001", "");
      auto probe = connect_endpoint(c.socket_path(), &c.transcript(), "live-check", &why);
      c.check(probe != nullptr && c.client_connected(), "UDS-LIVE-001", "the live endpoint was taken over or removed");
    })});
}

struct NameRow {
  const char* id;
  const char* name;
};

void register_names(Catalogue& table) {
  static const NameRow rows[] = {{"dot", "."}, {"dotdot", ".."}, {"slash", "a/b"}, {"space", "a b"},
                                 {"semicolon", "a;b"}, {"non-ascii", "caf\xc3\xa9"}};
  for (const NameRow& row : rows) {
    Needs n;
    n.service = row.name;
    table.add({.id = std::string("uds.srv.bad-service-name-") + row.id,
               .title = std::string("a server refuses the service name '") + row.name + "'",
               .requirements = {"UDS-NAME-001"},
               .on = kOnUds,
               .needs = n,
               .start = false,
               .probe = false,
               .run = NIPC_POSIX_BODY([](Ctx& c) {
                 c.expect_refusal(c.launch_iut(), "UDS-NAME-001", "the server started with an invalid service name");
               })});
  }
}

void uds_long(Catalogue& table) {
  table.add({
    .id = "uds.srv.path-too-long",
    .title = "a server whose socket path exceeds 107 bytes refuses to start",
    .requirements = {"UDS-SUN-001"},
    .on = kOnUds,
    .needs = {.long_run_dir = true},
    .start = false,
    .probe = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      auto ready = c.launch_iut();
      std::string cut = c.socket_path().substr(0, 107);
      c.check(!file_exists(cut), "UDS-SUN-001", "the server bound a truncated path " + cut);
      c.expect_refusal(ready, "UDS-SUN-001",
                       "the server started with a socket path of " + std::to_string(c.socket_path().size()) + " bytes");
    })});
}

// ---------------------------------------------------------------------------------------
// Stale-socket recovery when the probe fails with something other than "refused": a symbolic
// link to itself at the socket path makes connect() fail with ELOOP. At seed liveness is then
// undecided and the entry stays (UDS-STALE-003); at newest nobody answered, so it is removed
// and the server listens (UDS-STALE-002).

#ifndef _WIN32
bool leave_symlink_loop(const std::string& path) {
  return ::symlink(path.c_str(), path.c_str()) == 0;
}

bool is_symlink(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISLNK(st.st_mode);
}
#endif

void stale_loop_seed(Catalogue& table) {
  table.add({
      .id = "uds.srv.stale-undecided-kept-seed",
      .title = "at seed a socket path whose probe fails with a symlink loop is kept and the server does not start",
      .requirements = {"UDS-STALE-003"},
      .on = kOnUds,
      .start = false,
      .probe = false,
      .run = NIPC_POSIX_BODY([](Ctx& c) {
        if (!leave_symlink_loop(c.socket_path())) c.error("cannot make a symbolic-link loop at the socket path");
        c.note("symbolic link to itself left at " + c.socket_path());
        auto ready = c.launch_iut();
        if (ready == IutProcess::Ready::kReady)
          c.check(false, "UDS-STALE-003", "the server removed an entry whose liveness was undecided and started");
        else
          c.expect_refusal(ready, "UDS-STALE-003", "");
        c.check(is_symlink(c.socket_path()), "UDS-STALE-003", "the entry at the socket path was removed");
      })});
}

void stale_loop_newest(Catalogue& table) {
  table.add({
      .id = "uds.srv.stale-unanswered-removed-newest",
      .title = "at newest a socket path whose probe fails with a symlink loop is removed and the server listens",
      .requirements = {"UDS-STALE-002", "UDS-STALE-001", "SHIM-EXIT-001"},
      .on = kOnUds,
      .start = false,
      .run = NIPC_POSIX_BODY([](Ctx& c) {
        if (!leave_symlink_loop(c.socket_path())) c.error("cannot make a symbolic-link loop at the socket path");
        c.note("symbolic link to itself left at " + c.socket_path());
        auto ready = c.launch_iut();
        if (ready != IutProcess::Ready::kReady) {
          // Keeping the entry breaks a SHOULD only, so the refusal must at least be a refusal:
          // a program that crashed or never ran refused nothing (SHIM-EXIT-001, a MUST).
          c.expect_refusal(ready, "SHIM-EXIT-001", "");
          c.fail("UDS-STALE-002", "the server did not start over an entry no live owner answered for");
        }
        c.check(!is_symlink(c.socket_path()), "UDS-STALE-002", "the symbolic link is still at the socket path");
        auto s = c.open();
        round_trip(c, *s, 1, "UDS-STALE-002");
      })});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_transport_uds_server_cases(Catalogue& table) {
  uds_stale(table);
  uds_live(table);
  register_names(table);
  uds_long(table);
  stale_loop_seed(table);
  stale_loop_newest(table);
}

}  // namespace nipc::peer::cases
