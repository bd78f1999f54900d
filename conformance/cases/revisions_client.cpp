// Client cases of rules that exist at one protocol revision only (spec/README.md#revisions):
// the runner plays them at that revision and marks them not applicable at the other.
#include <chrono>
#include <string>

#include "common.h"

namespace nipc::peer::cases {
namespace {

// A call whose response never comes: at newest every call is bounded (SVC-TIMEOUT-001), so
// the client gives up, closes the session, reports a failure and does not repeat the call on
// a new connection. The bound is the client's configured per-call timeout (the shim
// contract's --timeout-ms, 10000 ms unless set) and never more than the 30000 ms default;
// the peer waits for 30000 ms plus a margin of three steps.
const Registrar call_timeout({
    .id = "svc.cli.call-timeout-newest",
    .title = "at newest a call whose response never comes times out: the client closes, fails and does not retry",
    .role = Role::kClient,
    .requirements = {"SVC-TIMEOUT-001"},
    .run = [](Ctx& c) {
      ClientStart st = client_hello(c);
      st.s->send_ack(st.ack);
      Message req = st.s->expect_message("SVC-TIMEOUT-001", "the client's first request");
      c.note("request " + std::to_string(req.h.message_id) + " left unanswered");
      const auto started = std::chrono::steady_clock::now();
      const int budget_ms = 30000 + c.step_ms(3);
      Session::Incoming in = st.s->receive(Deadline::after(std::chrono::milliseconds(budget_ms)));
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - started).count();
      if (in.got == Got::kTimeout)
        c.timed_out("SVC-TIMEOUT-001", "the session was still open " + std::to_string(budget_ms) +
                                           " ms after the unanswered request: the call is not bounded");
      c.check(in.got == Got::kClosed, "SVC-TIMEOUT-001",
              "the client sent " + kind_name(in.msg.h.kind) + " while its call was pending; it must time out and close");
      c.note("the client closed the session " + std::to_string(waited) + " ms after the request");
      c.expect_client_failed("SVC-TIMEOUT-001");
      // A retry would have connected before the client exited: its connection is queued.
      auto again = c.try_accept_client(c.step_ms());
      c.check(again == nullptr, "SVC-TIMEOUT-001", "the client repeated the timed-out call on a new connection");
    }});

}  // namespace
}  // namespace nipc::peer::cases
