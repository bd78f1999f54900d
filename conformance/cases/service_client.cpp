// Service cases with the IUT as client (spec/service.md): error statuses in responses and
// the recovery from LIMIT_EXCEEDED.
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

void overflow_recovery(Catalogue& table) {
  table.add({
    .id = "svc.cli.overflow-recovery",
    .title = "on LIMIT_EXCEEDED the client reconnects with a grown response hint and repeats the call",
    .role = Role::kClient,
    .requirements = {"SVC-OVERFLOW-001", "SVC-GROWTH-001", "SVC-STATUS-001"},
    .needs = {.max_response_payload = 16u, .scenario = std::string("overflow")},
    .run = [](Ctx& c) {
      c.server_response_limit = 16;
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      Message first = st.s->expect_message("HS-CLI-USE-001", "the client's request");
      RawHeader limit = response_to(first, 0);
      limit.status = kStatusLimitExceeded;
      st.s->send_message(limit, {});
      st.s->expect_closed("SVC-OVERFLOW-001", "after LIMIT_EXCEEDED the client closes the session");
      c.server_response_limit = 65536;
      auto again = c.accept_client();
      RawHello h2 = again->read_hello();
      c.check(h2.max_response_payload >= 32, "SVC-GROWTH-001",
              "response hint after LIMIT_EXCEEDED on a 16-byte limit is " + std::to_string(h2.max_response_payload) +
                  ", below next_pow2(2 x 16) = 32");
      again->send_ack(again->ack_for(h2));
      auto seen = again->serve();
      c.check(!seen.empty() && seen.front().payload == first.payload, "SVC-OVERFLOW-001", "the call was not repeated");
      c.expect_client_ok("SVC-OVERFLOW-001");
    }});
}

void register_bad(Catalogue& table) { register_bad_rows(table, "svc.cli."); }

}  // namespace

/// Every case of this file, in the order they are written.
void add_service_client_cases(Catalogue& table) {
  overflow_recovery(table);
  register_bad(table);
}

}  // namespace nipc::peer::cases
