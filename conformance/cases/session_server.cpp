// Session cases with the IUT as server (spec/session.md): message_id correlation and
// pipelined requests.
#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"
#include "server_exchange.h"

namespace nipc::peer::cases {
namespace {

// ---------------------------------------------------------------------------------------
// Correlation (SESS-MSGID-003).

void msgid_echo(Catalogue& table) {
  table.add({
    .id = "sess.srv.message-id-echo",
    .title = "responses echo message_id 0, 1, 2^63 and 2^64-1 and the request's code",
    .requirements = {"SESS-MSGID-003", "ENV-ITEMS-001"},
    .run = [](Ctx& c) {
      auto s = c.open();
      for (std::uint64_t id : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1} << 63, ~std::uint64_t{0}}) {
        auto [payload, answer] = c.sample_request(id & 0xFFFF);
        RawHeader h = request(c, id, payload.size());
        s->send_message(h, payload);
        s->expect_answer(h, answer, "SESS-MSGID-003");
      }
    }});
}

void pipelined(Catalogue& table) {
  table.add({
    .id = "sess.srv.pipelined",
    .title = "eight requests in flight are each answered once with their own message_id",
    .requirements = {"SESS-MSGID-003", "SESS-PIPELINE-001"},
    .on = kOnUds,
    .run = [](Ctx& c) {
      auto s = c.open();
      std::map<std::uint64_t, Bytes> want;
      for (std::uint64_t id = 100; id < 108; ++id) {
        auto [payload, answer] = c.sample_request(id);
        s->send_message(request(c, id, payload.size()), payload);
        want[id] = answer;
      }
      while (!want.empty()) {
        Message m = s->expect_message("SESS-MSGID-003", "the remaining pipelined responses");
        auto it = want.find(m.h.message_id);
        if (it == want.end()) c.fail("SESS-MSGID-003", "response with message_id " + std::to_string(m.h.message_id) +
                                                           " that is not in flight (or answered twice)");
        c.check(m.h.status == kStatusOk && m.payload == it->second, "SESS-MSGID-003",
                "response to message_id " + std::to_string(m.h.message_id) + " is not its answer");
        want.erase(it);
      }
    }});
}

}  // namespace

/// Every case of this file, in the order they are written.
void add_session_server_cases(Catalogue& table) {
  msgid_echo(table);
  pipelined(table);
}

}  // namespace nipc::peer::cases
