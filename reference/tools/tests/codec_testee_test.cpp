// The codec testee: its answers, and that no request — however malformed — stops it.
#include "codec_testee/codec_testee.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace nipc::tools {
namespace {

std::string frame(std::string_view body) {
  std::string out(4, '\0');
  const auto n = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(n >> (8 * i));
  return out + std::string(body);
}

/// Runs the testee over `input` and returns the answers it wrote, in order.
std::vector<Json> serve(const std::string& input) {
  std::istringstream in(input);
  std::ostringstream out;
  EXPECT_EQ(run_codec_testee(in, out), 0);
  const std::string written = out.str();
  std::vector<Json> answers;
  std::size_t at = 0;
  while (at + 4 <= written.size()) {
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(written[at + i])) << (8 * i);
    answers.push_back(Json::parse(written.substr(at + 4, n)));
    at += 4 + n;
  }
  EXPECT_EQ(at, written.size());
  return answers;
}

std::string result_of(const Json& answer) { return answer.value("result", "(none)"); }

TEST(CodecTestee, ListsAllSeventeenFamilies) {
  const Json hello = answer_codec_request(Json{{"op", "hello"}});
  EXPECT_EQ(result_of(hello), "valid");
  EXPECT_EQ(hello["families"].size(), 17u);
  EXPECT_EQ(codec_testee_families().size(), 17u);
}

TEST(CodecTestee, DecodesAndEncodesThroughTheReference) {
  const Json decoded = answer_codec_request(
      Json{{"op", "decode"}, {"family", "increment"}, {"hex", "2900000000000000"}, {"context", Json::object()}});
  EXPECT_EQ(decoded, (Json{{"result", "valid"}, {"fields", {{"value", "41"}}}}));
  const Json rejected = answer_codec_request(
      Json{{"op", "decode"}, {"family", "increment"}, {"hex", "29"}, {"context", Json::object()}});
  EXPECT_EQ(rejected, (Json{{"result", "invalid"}, {"error", "IncrementTruncated"}}));
  const Json encoded = answer_codec_request(Json{{"op", "encode"},
                                                 {"family", "string_reverse"},
                                                 {"fields", {{"string_hex", "616263"}}},
                                                 {"context", Json::object()}});
  EXPECT_EQ(encoded, (Json{{"result", "valid"}, {"hex", "080000000300000061626300"}}));
}

TEST(CodecTestee, DerivesWindowsNamesThroughTheNamesOp) {
  const Json pipe = answer_codec_request(
      Json{{"op", "names"},
           {"family", "windows_names"},
           {"context", {{"object", "pipe"}, {"run_dir", "/run/netdata"}, {"service", "cgroups-snapshot"}}}});
  EXPECT_EQ(pipe, (Json{{"result", "valid"},
                        {"fields",
                         {{"run_dir_hash", "efc07ed598ac339b"},
                          {"pipe_name", R"(\\.\pipe\netipc-efc07ed598ac339b-cgroups-snapshot)"}}}}));
  const Json zero = answer_codec_request(
      Json{{"op", "names"},
           {"family", "windows_names"},
           {"context", {{"object", "shm_from_hash"}, {"hash", "0000000000000000"}, {"service", "s"},
                        {"profile", 2u}, {"session_id", "1"}}}});
  EXPECT_EQ(zero, (Json{{"result", "invalid"}, {"error", "NameHashZero"}}));
  const Json too_long = answer_codec_request(
      Json{{"op", "names"},
           {"family", "windows_names"},
           {"context", {{"object", "shm"}, {"run_dir", std::string(508, 'r')}, {"service", "s"},
                        {"auth_token", "0"}, {"profile", 2u}, {"session_id", "1"}}}});
  EXPECT_EQ(too_long, (Json{{"result", "invalid"}, {"error", "NameInputTooLong"}}));
}

TEST(CodecTestee, AnswersTheNamesOpOnlyForWindowsNames) {
  EXPECT_EQ(result_of(answer_codec_request(
                Json{{"op", "names"}, {"family", "increment"}, {"context", Json::object()}})),
            "unsupported");
  EXPECT_EQ(result_of(answer_codec_request(
                Json{{"op", "decode"}, {"family", "windows_names"}, {"hex", ""}})),
            "unsupported");
  for (const Json& context : {Json::object(), Json{{"object", "mailslot"}},
                              Json{{"object", "pipe"}, {"run_dir", "/r"}},
                              Json{{"object", "shm_from_hash"}, {"hash", "00"}, {"service", "s"},
                                   {"profile", 2u}, {"session_id", "1"}}}) {
    const Json answer = answer_codec_request(
        Json{{"op", "names"}, {"family", "windows_names"}, {"context", context}});
    EXPECT_EQ(result_of(answer), "error") << context.dump() << " -> " << answer.dump();
  }
}

TEST(CodecTestee, AnswersUnsupportedForUnknownOpsAndFamilies) {
  EXPECT_EQ(result_of(answer_codec_request(Json{{"op", "transmogrify"}})), "unsupported");
  EXPECT_EQ(result_of(answer_codec_request(Json{{"op", "decode"}, {"family", "lookup"}, {"hex", ""}})),
            "unsupported");
  EXPECT_EQ(result_of(answer_codec_request(
                Json{{"op", "decode"}, {"family", "handshake_decide"}, {"hex", ""}})),
            "unsupported");
  EXPECT_EQ(result_of(answer_codec_request(
                Json{{"op", "encode"}, {"family", "handshake_check_ack"}, {"fields", Json::object()}})),
            "unsupported");
}

TEST(CodecTestee, AnswersErrorForRequestsItCannotRead) {
  const std::vector<Json> bad = {
      Json::array(),
      Json("decode"),
      Json::object(),
      Json{{"op", 7}},
      Json{{"op", "decode"}},
      Json{{"op", "decode"}, {"family", "increment"}},
      Json{{"op", "decode"}, {"family", "increment"}, {"hex", "zz"}},
      Json{{"op", "decode"}, {"family", "increment"}, {"hex", 12}},
      Json{{"op", "decode"}, {"family", "increment"}, {"packets", {"00"}}},
      Json{{"op", "decode"}, {"family", "chunked_message"}, {"packets", Json::array()}},
      Json{{"op", "decode"}, {"family", "batch"}, {"hex", ""}, {"context", Json::object()}},
      Json{{"op", "decode"}, {"family", "batch"}, {"hex", ""}, {"context", {{"item_count", -1}}}},
      Json{{"op", "encode"}, {"family", "increment"}, {"fields", {{"value", 41}}}},
      Json{{"op", "encode"}, {"family", "outer_header"}, {"fields", Json::object()}},
      Json{{"op", "decide"}, {"family", "handshake_decide"}, {"hex", ""}, {"context", Json::object()}},
      Json{{"op", "check_ack"}, {"family", "handshake_check_ack"}, {"hex", ""},
           {"context", {{"hello", Json::object()}}}},
  };
  for (const Json& request : bad) {
    const Json answer = answer_codec_request(request);
    EXPECT_EQ(result_of(answer), "error") << request.dump() << " -> " << answer.dump();
    EXPECT_TRUE(answer.contains("message")) << request.dump();
  }
}

TEST(CodecTestee, RefusesAPolicyNoServerMayRun) {
  ServerPolicy policy;
  policy.session_id = 0;  // HS-SID-001: never 0
  const Json answer = answer_codec_request(Json{{"op", "decide"},
                                                {"family", "handshake_decide"},
                                                {"hex", ""},
                                                {"context", decide_context_to_json(policy)}});
  EXPECT_EQ(result_of(answer), "error");
}

TEST(CodecTestee, RefusesPacketsThatEndBeforeTheMessage) {
  // A first packet announcing 100 payload bytes, carrying 32 of them, with P = 64.
  Header h;
  h.payload_len = 100;
  const auto header = encode_header(h);
  Bytes first(header.begin(), header.end());
  first.resize(64, 0);
  const Json answer = answer_codec_request(
      Json{{"op", "decode"},
           {"family", "chunked_message"},
           {"packets", {to_hex(first)}},
           {"context", chunk_session_to_json({64, DirectionLimits{4096, 1}})}});
  EXPECT_EQ(result_of(answer), "error") << answer.dump();
}

TEST(CodecTestee, KeepsServingAfterMalformedMessages) {
  const std::string input = frame("{not json") + frame("[1,2]") + frame("\xff\xfe") +
                            frame(R"({"op":"hello"})");
  const std::vector<Json> answers = serve(input);
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(result_of(answers[0]), "error");
  EXPECT_EQ(result_of(answers[1]), "error");
  EXPECT_EQ(result_of(answers[2]), "error");
  EXPECT_EQ(result_of(answers[3]), "valid");
}

TEST(CodecTestee, SkipsARequestTooLargeToBufferAndGoesOn) {
  std::string huge(4, '\0');
  const std::uint32_t n = (64u << 20) + 1;
  for (int i = 0; i < 4; ++i) huge[i] = static_cast<char>(n >> (8 * i));
  huge += std::string(n, ' ');
  const std::vector<Json> answers = serve(huge + frame(R"({"op":"hello"})"));
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(result_of(answers[0]), "error");
  EXPECT_EQ(result_of(answers[1]), "valid");
}

TEST(CodecTestee, StopsQuietlyWhenTheStreamEndsMidMessage) {
  EXPECT_TRUE(serve("").empty());
  EXPECT_TRUE(serve(std::string("\x05\x00", 2)).empty());
  const std::vector<Json> answers = serve(frame(R"({"op":"hello"})") + frame("{\"op\"").substr(0, 7));
  EXPECT_EQ(answers.size(), 1u);
}

// Every key of a well-formed request of each family, replaced by values of every JSON type,
// or removed: the testee answers each variant with a well-formed answer and never throws.
TEST(CodecTestee, SurvivesEveryKeyReplacedOrRemoved) {
  const Hello hello{1, 0, 1024, 1, 1024, 1, 7, 65536};
  ServerPolicy policy;
  policy.auth_token = 7;
  const std::vector<Json> requests = {
      Json{{"op", "decode"}, {"family", "outer_header"}, {"hex", std::string(64, '0')},
           {"context", header_context_to_json(DirectionLimits{1, 1})}},
      Json{{"op", "decode"}, {"family", "batch"}, {"hex", "0000000001000000aa00000000000000"},
           {"context", batch_context_to_json(1)}},
      Json{{"op", "decode"}, {"family", "chunked_message"}, {"packets", {std::string(80, '0')}},
           {"context", chunk_session_to_json({64, DirectionLimits{4096, 1}})}},
      Json{{"op", "encode"}, {"family", "cgroups_snapshot_response"},
           {"fields", snapshot_to_json(generate_snapshot(1, 3))}, {"context", Json::object()}},
      Json{{"op", "encode"}, {"family", "chunked_message"},
           {"fields", message_to_json({Header{}, Bytes(100, 1)})},
           {"context", chunk_session_to_json({40, DirectionLimits{4096, 1}})}},
      Json{{"op", "decide"}, {"family", "handshake_decide"},
           {"hex", to_hex(encode_hello_packet(hello))}, {"context", decide_context_to_json(policy)}},
      Json{{"op", "check_ack"}, {"family", "handshake_check_ack"}, {"hex", std::string(160, '0')},
           {"context", check_ack_context_to_json(hello)}},
  };
  const std::vector<Json> replacements = {
      Json(), Json(true), Json(-1), Json(1.5), Json(4294967296u), Json("x"), Json("ff"),
      Json::array(), Json::array({1}), Json::object(), Json{{"k", 1}}};
  const std::set<std::string> results = {"valid", "invalid", "unsupported", "error"};

  std::size_t variants = 0;
  const auto check = [&](const Json& request) {
    ++variants;
    const Json answer = answer_codec_request(request);
    EXPECT_TRUE(answer.is_object() && results.count(result_of(answer)) == 1)
        << request.dump() << " -> " << answer.dump();
  };
  // Walks every object member at any depth, replacing or removing it.
  std::function<void(Json&, const Json&)> walk = [&](Json& node, const Json& root) {
    if (!node.is_object()) return;
    std::vector<std::string> keys;
    for (const auto& [key, value] : node.items()) keys.push_back(key);
    for (const std::string& key : keys) {
      const Json saved = node[key];
      for (const Json& r : replacements) {
        node[key] = r;
        check(root);
      }
      node.erase(key);
      check(root);
      node[key] = saved;
      walk(node[key], root);
    }
  };
  for (Json request : requests) {
    check(request);
    walk(request, request);
  }
  EXPECT_GT(variants, 500u);
}

}  // namespace
}  // namespace nipc::tools
