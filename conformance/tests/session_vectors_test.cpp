// The peer's loader of session vectors (conformance/peer/session_vectors.h) on the checked-in
// vectors/sessions.json and on broken copies of it: every way a file can be wrong is refused
// with a message naming the case and what is wrong, never half-loaded.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "session_vectors.h"

namespace nipc::peer {
namespace {

using nlohmann::json;

std::string checked_in_text() {
  std::ifstream in(NIPC_SESSIONS_JSON, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

json checked_in() { return json::parse(checked_in_text()); }

json& case_named(json& doc, const std::string& name) {
  for (json& c : doc["cases"])
    if (c["name"] == name) return c;
  throw std::runtime_error("no case " + name);
}

json& field_named(json& packet, const std::string& name) {
  for (json& f : packet["fields"])
    if (f["name"] == name) return f;
  throw std::runtime_error("no field " + name);
}

// Loading `doc` after `edit` fails with a message containing `expected`.
void expect_refused(const std::function<void(json&)>& edit, const std::string& expected) {
  json doc = checked_in();
  edit(doc);
  try {
    load_session_vectors(doc.dump());
    FAIL() << "loaded; expected a refusal mentioning: " << expected;
  } catch (const SessionVectorError& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
  }
}

TEST(SessionVectorLoader, TheCheckedInFileLoadsAndEveryCaseBecomesAVecCase) {
  const std::vector<SessionVector> v = load_session_vectors(checked_in_text());
  ASSERT_GE(v.size(), 4u);
  for (const SessionVector& s : v) {
    EXPECT_EQ(session_vector_case_id(s).rfind("vec.", 0), 0u);
    EXPECT_FALSE(s.requirements.empty());
    EXPECT_FALSE(s.equivalent.empty()) << s.name << " re-expresses no catalogue case";
  }
}

TEST(SessionVectorLoader, TextThatIsNotJsonIsRefused) {
  EXPECT_THROW(load_session_vectors("{\"schema_version\": 1,"), SessionVectorError);
}

TEST(SessionVectorLoader, AnUnknownKeyInACaseIsRefusedByName) {
  expect_refused([](json& d) { d["cases"][0]["colour"] = "red"; }, "unknown key \"colour\"");
}

TEST(SessionVectorLoader, AnUnknownKeyInAnExpectationIsRefused) {
  expect_refused([](json& d) { case_named(d, "hello-bad-magic-closes")["steps"][1]["expect"]["soon"] = true; },
                 "unknown key \"soon\"");
}

TEST(SessionVectorLoader, AnUnknownReactionIsRefused) {
  expect_refused([](json& d) { case_named(d, "hello-bad-magic-closes")["steps"][1]["expect"]["reaction"] = "shrug"; },
                 "unknown reaction");
}

TEST(SessionVectorLoader, ALabelWhereTheSpecLayoutHasAnotherFieldIsRefused) {
  // header.version and header.header_len swap names: the bytes still tile, the layout does not.
  expect_refused([](json& d) {
    json& p = case_named(d, "hello-bad-magic-closes")["steps"][0]["send"];
    field_named(p, "header.version")["name"] = "tmp";
    field_named(p, "header.header_len")["name"] = "header.version";
    field_named(p, "tmp")["name"] = "header.header_len";
  }, "the spec's layout puts it at");
}

TEST(SessionVectorLoader, AValueThatDisagreesWithItsBytesIsRefused) {
  expect_refused([](json& d) { field_named(case_named(d, "hello-bad-magic-closes")["steps"][0]["send"], "header.magic")["value"] = 1313427523; },
                 "but its bytes hold");
}

TEST(SessionVectorLoader, BytesNoFieldLabelsAreRefused) {
  expect_refused([](json& d) {
    json& hex = case_named(d, "hello-bad-magic-closes")["steps"][0]["send"]["hex"];
    hex = hex.get<std::string>() + "00";
  }, "the fields end at 76 of 77 bytes");
}

TEST(SessionVectorLoader, ASixtyFourBitValueWrittenAsANumberIsRefused) {
  expect_refused([](json& d) { field_named(case_named(d, "hello-bad-magic-closes")["steps"][0]["send"], "header.message_id")["value"] = 0; },
                 "decimal string");
}

TEST(SessionVectorLoader, ARunValueTheReplayDoesNotKnowIsRefused) {
  expect_refused([](json& d) { case_named(d, "hello-bad-magic-closes")["steps"][0]["send"]["run_values"].push_back("hello.packet_size"); },
                 "run value hello.packet_size");
}

TEST(SessionVectorLoader, AReplyBeforeAnyRequestIsRefused) {
  expect_refused([](json& d) {
    json& steps = case_named(d, "increment-answers-value-plus-one")["steps"];
    steps.erase(steps.begin() + 2);  // the first request; its reply now follows the accept
  }, "must follow a request");
}

TEST(SessionVectorLoader, AClientCaseThatDoesNotStartWithTheHelloIsRefused) {
  expect_refused([](json& d) {
    json& steps = case_named(d, "ack-bad-magic-refused")["steps"];
    steps.erase(steps.begin());
  }, "starts by receiving the client's HELLO");
}

TEST(SessionVectorLoader, IdsThatDoNotCountUpFromOneAreRefused) {
  expect_refused([](json& d) { d["cases"][1]["id"] = 7; }, "ids count up from 1");
}

}  // namespace
}  // namespace nipc::peer
