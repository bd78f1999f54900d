// Server cases whose expectation differs between the two protocol revisions
// (spec/README.md#revisions): each cites the rule of its own revision, so the runner plays it
// only at that revision and marks it not applicable at the other.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "common.h"

namespace nipc::peer::cases {
namespace {

// ---------------------------------------------------------------------------------------
// The request cap of a server whose maximum is not configured (--max-request-payload 0):
// 1 MiB at seed (HS-REQ-003), 1024 at newest (HS-REQ-004).

struct CapRow {
  const char* id;
  const char* title;
  std::vector<std::string> reqs;
  std::uint32_t proposal;
  bool accepted;
};

const std::vector<CapRow>& cap_rows() {
  static const std::vector<CapRow> rows = {
      {"seed-unconfigured-accepts-1mib", "at seed an unconfigured server accepts a 1 MiB request proposal and echoes it",
       {"HS-REQ-003", "HS-REQ-002"}, 1048576u, true},
      {"seed-unconfigured-refuses-above-1mib", "at seed an unconfigured server refuses a proposal of 1 MiB + 1 with LIMIT_EXCEEDED",
       {"HS-REQ-003", "HS-REQ-001", "HS-REJECT-001"}, 1048577u, false},
      {"newest-unconfigured-accepts-1024", "at newest an unconfigured server accepts a 1024-byte request proposal and echoes it",
       {"HS-REQ-004", "HS-REQ-002"}, 1024u, true},
      {"newest-unconfigured-refuses-1025", "at newest an unconfigured server refuses a proposal of 1025 with LIMIT_EXCEEDED",
       {"HS-REQ-004", "HS-REQ-001", "HS-REJECT-001"}, 1025u, false},
      {"newest-unconfigured-refuses-1mib", "at newest 1 MiB is no handshake cap: an unconfigured server refuses a 1 MiB proposal",
       {"HS-REQ-004", "HS-REQ-001", "HS-REJECT-001"}, 1048576u, false},
  };
  return rows;
}

const struct RegisterCaps {
  RegisterCaps() {
    for (const CapRow& row : cap_rows()) {
      Registrar({.id = std::string("hs.srv.req-cap-") + row.id,
                 .title = row.title,
                 .role = Role::kServer,
                 .requirements = row.reqs,
                 // 0: the implementation's own default (spec/shim-contract.md).
                 .needs = {.max_request_payload = 0u},
                 .run = [&row](Ctx& c) {
                   RawHello h = c.hello();
                   h.max_request_payload = row.proposal;
                   c.note("revision " + c.cfg().spec_revision + ", unconfigured request maximum, proposal " +
                          std::to_string(row.proposal));
                   if (!row.accepted) {
                     c.connect()->reject(hello_packet(h), 5, row.reqs.front());
                     return;
                   }
                   auto s = c.connect();
                   auto ack = s->accepted(s->handshake(hello_packet(h)), h, row.reqs.front());
                   c.check(ack.a.request_payload == row.proposal, "HS-REQ-002",
                           "agreed_max_request_payload_bytes " + std::to_string(ack.a.request_payload) +
                               " is not the proposal " + std::to_string(row.proposal));
                 }});
    }
  }
} register_caps;

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

const Registrar stale_loop_seed({
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

const Registrar stale_loop_newest({
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

}  // namespace
}  // namespace nipc::peer::cases
