// Envelope cases with the IUT as client (spec/envelope.md): responses that break the header
// or the agreed limits, and the limits of what the client sends.
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

// Serves whole client lifetimes: sessions until the client exits (a client may reconnect
// with grown limits after refusing its own request, SVC-OVERFLOW-001).
// Serves every session the client opens until it exits; `sessions` counts the handshakes.
std::vector<Message> serve_until_exit(Ctx& c, int* sessions) {
  std::vector<Message> seen;
  Deadline give_up = c.step(4);
  for (;;) {
    if (c.iut()->poll_exit()) return seen;
    if (give_up.expired()) c.timed_out("HS-CLI-USE-001", "the client neither finished nor connected");
    auto s = c.try_accept_client(5);
    if (!s) continue;
    RawHello h = s->read_hello();
    s->send_ack(s->ack_for(h));
    ++*sessions;
    for (const Message& m : s->serve()) seen.push_back(m);
    give_up = c.step(4);
  }
}

void outbound_limit(Catalogue& table) {
  table.add({
    .id = "env.cli.never-above-request-limit",
    .title = "a client asked to send more than the agreed request limit never puts it on the wire",
    .role = Role::kClient,
    .requirements = {"ENV-LIMIT-003", "HS-CLI-USE-001"},
    .on = kOnUds,
    .needs = {.service_kind = std::string("string-reverse"), .max_request_payload = 1024u, .packet_size = 1024u,
              .scenario = std::string("large")},
    .run = [](Ctx& c) {
      int sessions = 0;
      serve_until_exit(c, &sessions);  // every request is checked against its session's agreed limit
      // A client that never connected shows nothing about the limit: no pass without evidence.
      c.check(sessions > 0, "HS-CLI-USE-001", "the client exited without ever connecting");
      c.client_exit();
    }});
}

void batch_limit(Catalogue& table) {
  table.add({
    .id = "env.cli.never-above-batch-limit",
    .title = "a client asked to batch more items than agreed never sends such a batch",
    .role = Role::kClient,
    .requirements = {"ENV-LIMIT-004", "HS-CLI-USE-001"},
    .needs = {.max_request_batch = 2u, .scenario = std::string("batch"), .items = 4u},
    .run = [](Ctx& c) {
      int sessions = 0;
      serve_until_exit(c, &sessions);
      c.check(sessions > 0, "HS-CLI-USE-001", "the client exited without ever connecting");
      c.client_exit();
    }});
}

void register_bad(Catalogue& table) { register_bad_rows(table, "env.cli."); }

}  // namespace

/// Every case of this file, in the order they are written.
void add_envelope_client_cases(Catalogue& table) {
  outbound_limit(table);
  batch_limit(table);
  register_bad(table);
}

}  // namespace nipc::peer::cases
