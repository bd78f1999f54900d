// UDS endpoint cases with the IUT as client (spec/transport-uds.md): names it must refuse,
// a server that closes or is not there, and a path longer than sun_path.
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "common.h"
#include "client_exchange.h"

namespace nipc::peer::cases {
namespace {

// ---------------------------------------------------------------------------------------
// Endpoint names.

void cli_bad_name(Catalogue& table) {
  table.add({
    .id = "uds.cli.bad-service-name",
    .title = "a client refuses the service name '..' and connects nowhere",
    .role = Role::kClient,
    .requirements = {"UDS-NAME-001"},
    .on = kOnUds,
    .needs = {.service = std::string("..")},
    .client_connects = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.expect_client_failed("UDS-NAME-001");
      c.check(!c.client_connected(), "UDS-NAME-001", "the client connected to " + c.socket_path());
    })});
}

void cli_server_closes(Catalogue& table) {
  table.add({
    .id = "uds.cli.server-closes",
    .title = "when the server closes the connection with a request in flight, the client's call fails",
    .role = Role::kClient,
    .requirements = {"UDS-EOF-001", "SESS-DEAD-001"},
    .on = kOnUds,
    .needs = count2(),
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      st.s->expect_message("HS-CLI-USE-001", "the client's request");
      st.s->conn().close();
      c.expect_client_failed("UDS-EOF-001", std::string("PeerClosed"));
    })});
}

void cli_no_server(Catalogue& table) {
  table.add({
    .id = "uds.cli.no-server",
    .title = "a client finding a stale socket file reports 'no server' and leaves the file alone",
    .role = Role::kClient,
    .requirements = {"UDS-CONNECT-001", "SHIM-EXIT-001"},
    .on = kOnUds,
    .start = false,
    .client_connects = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.listen();
      c.close_listener();  // the socket file stays, nobody listens
      c.start_iut();
      auto r = c.client_exit(false);
      c.check(!r.exit.ok() && r.exit.signal == 0, "UDS-CONNECT-001", "the client ended with " + r.exit.describe());
      if (c.shim()) {
        c.check(r.exit.code == 3, "SHIM-EXIT-001", "'no server' ended with " + r.exit.describe() + ", not 3");
        std::string kind = r.result.is_object() && r.result.contains("error") && r.result["error"].is_object()
                               ? r.result["error"].value("kind", "") : "";
        c.check(kind == "NotFound", "UDS-CONNECT-001", "the client reported '" + kind + "', not NotFound");
      }
      c.check(exists(c.socket_path()), "UDS-CONNECT-001", "the client removed the socket file at " + c.socket_path());
    })});
}

void cli_long_path(Catalogue& table) {
  table.add({
    .id = "uds.cli.path-too-long",
    .title = "a client refuses a socket path longer than 107 bytes instead of truncating it",
    .role = Role::kClient,
    .requirements = {"UDS-SUN-001", "UDS-PATH-001"},
    .on = kOnUds,
    .needs = {.long_run_dir = true},
    .start = false,
    .client_connects = false,
    .run = NIPC_POSIX_BODY([](Ctx& c) {
      c.listen_at(c.socket_path().substr(0, 107));
      c.start_iut();
      c.expect_client_failed("UDS-SUN-001");
      c.check(!c.client_connected(), "UDS-SUN-001", "the client connected to the truncated path");
    })});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_transport_uds_client_cases(Catalogue& table) {
  cli_bad_name(table);
  cli_server_closes(table);
  cli_no_server(table);
  cli_long_path(table);
}

}  // namespace nipc::peer::cases
