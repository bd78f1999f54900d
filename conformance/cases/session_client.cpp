// Session cases with the IUT as client (spec/session.md): responses that break correlation
// or kind, duplicates, and pipelined calls answered out of order.
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

void duplicate_response(Catalogue& table) {
  table.add({
    .id = "sess.cli.duplicate-response",
    .title = "a second response to an answered request is not in flight any more: the client fails",
    .role = Role::kClient,
    .requirements = {"SESS-MSGID-002", "SESS-DEAD-001"},
    .needs = {.count = 3u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      Message first = st.s->expect_message("HS-CLI-USE-001", "the client's first request");
      Bytes p = increment_answer(first);
      st.s->send_message(response_to(first, p.size()), p);
      // The duplicate goes out once the next request shows the first answer was consumed.
      Message second = st.s->expect_message("HS-CLI-USE-001", "the client's second request");
      st.s->send_message(response_to(first, p.size()), p);
      st.s->expect_closed("SESS-DEAD-001", "after a duplicate response the client ends the session");
      c.expect_client_failed("SESS-MSGID-002", std::string("UnknownMessageId"));
      (void)second;
    }});
}

// ---------------------------------------------------------------------------------------
// What the client sends.

void pipeline_reverse(Catalogue& table) {
  table.add({
    .id = "sess.cli.pipelined-answered-in-reverse",
    .title = "responses to pipelined requests may come in any order; in-flight message_ids are unique",
    .role = Role::kClient,
    .requirements = {"SESS-PIPELINE-001", "SESS-MSGID-001", "SESS-MSGID-002", "ENV-ITEMS-001"},
    .on = kOnUds,
    .needs = {.scenario = std::string("pipeline"), .count = 12u},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      std::set<std::uint64_t> in_flight;
      std::size_t answered = 0;
      while (answered < 12) {
        std::vector<Message> batch;
        Session::Incoming in = st.s->receive(c.step(2));
        if (in.got != Got::kPacket) c.fail("HS-CLI-USE-001", "the client stopped before its 12 requests were answered");
        batch.push_back(in.msg);
        // Collect whatever else is in flight (a pipelining client sends more without waiting).
        for (;;) {
          Session::Incoming more = st.s->receive(Deadline::after(std::chrono::milliseconds(40)));
          if (more.got != Got::kPacket) break;
          batch.push_back(more.msg);
        }
        for (const Message& m : batch) {
          c.check(in_flight.insert(m.h.message_id).second, "SESS-MSGID-001",
                  "message_id " + std::to_string(m.h.message_id) + " sent while already in flight");
        }
        std::reverse(batch.begin(), batch.end());
        for (const Message& m : batch) {
          Bytes p = increment_answer(m);
          st.s->send_message(response_to(m, p.size()), p);
          in_flight.erase(m.h.message_id);
          ++answered;
        }
      }
      st.s->serve();
      c.expect_client_ok("SESS-PIPELINE-001");
    }});
}

void register_bad(Catalogue& table) { register_bad_rows(table, "sess.cli."); }

}  // namespace

/// Every case of this file, in the order they are written.
void add_session_client_cases(Catalogue& table) {
  duplicate_response(table);
  pipeline_reverse(table);
  register_bad(table);
}

}  // namespace nipc::peer::cases
