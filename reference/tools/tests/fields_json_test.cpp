// fields <-> JSON: exact encodings and strict parsing (vectors/README.md, "Field encoding").
#include "common/fields_json.h"

#include <gtest/gtest.h>

#include <limits>

namespace nipc::tools {
namespace {

Json parse(std::string_view text) { return Json::parse(text); }

TEST(FieldsJson, WritesU64AsDecimalString) {
  EXPECT_EQ(u64_json(0), Json("0"));
  EXPECT_EQ(u64_json(std::numeric_limits<std::uint64_t>::max()), Json("18446744073709551615"));
}

TEST(FieldsJson, ReadsU64FromDecimalStringsOnly) {
  EXPECT_EQ(get_u64(parse(R"({"v":"18446744073709551615"})"), "v"),
            std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(get_u64(parse(R"({"v":"0"})"), "v"), 0u);
  for (const char* bad : {R"({"v":"18446744073709551616"})", R"({"v":"-1"})", R"({"v":"01"})",
                          R"({"v":""})", R"({"v":"1e3"})", R"({"v":" 1"})", R"({"v":5})",
                          R"({"v":null})", R"({})", R"([])"}) {
    EXPECT_THROW(get_u64(parse(bad), "v"), FieldError) << bad;
  }
}

TEST(FieldsJson, ReadsU32AndU16OnlyWhenTheValueFits) {
  EXPECT_EQ(get_u32(parse(R"({"v":4294967295})"), "v"), 4294967295u);
  EXPECT_EQ(get_u16(parse(R"({"v":65535})"), "v"), 65535u);
  for (const char* bad : {R"({"v":4294967296})", R"({"v":-1})", R"({"v":1.5})", R"({"v":"1"})",
                          R"({"v":true})"}) {
    EXPECT_THROW(get_u32(parse(bad), "v"), FieldError) << bad;
  }
  EXPECT_THROW(get_u16(parse(R"({"v":65536})"), "v"), FieldError);
}

TEST(FieldsJson, ReadsHexWithAnEvenNumberOfDigits) {
  EXPECT_EQ(get_hex(parse(R"({"h":"00ff"})"), "h"), (Bytes{0x00, 0xff}));
  EXPECT_TRUE(get_hex(parse(R"({"h":""})"), "h").empty());
  for (const char* bad : {R"({"h":"abc"})", R"({"h":"zz"})", R"({"h":12})"}) {
    EXPECT_THROW(get_hex(parse(bad), "h"), FieldError) << bad;
  }
}

TEST(FieldsJson, RefusesUnknownAndMissingKeys) {
  Json fields = header_to_json(Header{});
  EXPECT_NO_THROW(header_from_json(fields));
  Json extra = fields;
  extra["colour"] = "red";
  EXPECT_THROW(header_from_json(extra), FieldError);
  Json missing = fields;
  missing.erase("message_id");
  EXPECT_THROW(header_from_json(missing), FieldError);
}

TEST(FieldsJson, RefusesAHeaderKindWithoutEncoding) {
  Json fields = header_to_json(Header{});
  fields["kind"] = 4;
  EXPECT_THROW(header_from_json(fields), FieldError);
}

TEST(FieldsJson, ListsHeaderFieldsInWireOrder) {
  Header h;
  h.kind = Kind::kResponse;
  h.flags = 1;
  h.code = 2;
  h.transport_status = 3;
  h.payload_len = 4;
  h.item_count = 5;
  h.message_id = 6;
  EXPECT_EQ(header_to_json(h).dump(),
            R"({"kind":2,"flags":1,"code":2,"transport_status":3,"payload_len":4,)"
            R"("item_count":5,"message_id":"6"})");
  EXPECT_EQ(header_from_json(header_to_json(h)), h);
}

TEST(FieldsJson, RoundTripsEveryFamilysFields) {
  const Hello hello{1, 2, 3, 4, 5, 6, std::numeric_limits<std::uint64_t>::max(), 7};
  EXPECT_EQ(hello_from_json(hello_to_json(hello)), hello);
  const HelloAck ack{1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_EQ(hello_ack_from_json(hello_ack_to_json(ack)), ack);
  const ChunkHeader chunk{1, 2, 3, 4, 5};
  EXPECT_EQ(chunk_header_from_json(chunk_header_to_json(chunk)), chunk);
  const std::vector<Bytes> items = {{}, {1, 2, 3}};
  EXPECT_EQ(batch_from_json(batch_to_json(items)), items);
  EXPECT_EQ(increment_from_json(increment_to_json(41)), 41u);
  EXPECT_EQ(string_reverse_from_json(string_reverse_to_json(std::string_view("a\0b", 3))),
            std::string("a\0b", 3));
  const GeneratedSnapshot snapshot = generate_snapshot(3, 5);
  EXPECT_EQ(snapshot_from_json(snapshot_to_json(snapshot)).items, snapshot.items);
  ServerPolicy policy;
  policy.auth_token = 99;
  policy.session_id = 7;
  const ServerPolicy back = policy_from_json(policy_to_json(policy));
  EXPECT_EQ(back.auth_token, 99u);
  EXPECT_EQ(back.session_id, 7u);
  const Message message{Header{}, Bytes{9, 8}};
  EXPECT_EQ(message_from_json(message_to_json(message)), message);
}

TEST(FieldsJson, ComparesObjectsWhateverTheKeyOrder) {
  EXPECT_TRUE(same_json(parse(R"({"a":1,"b":[1,2]})"), parse(R"({"b":[1,2],"a":1})")));
  EXPECT_FALSE(same_json(parse(R"({"a":1})"), parse(R"({"a":2})")));
  EXPECT_FALSE(same_json(parse(R"({"a":[1,2]})"), parse(R"({"a":[2,1]})")));
}

TEST(FieldsJson, NamesRejectionStatusesAsClasses) {
  EXPECT_EQ(status_class(TransportStatus::kAuthFailed), "StatusAuthFailed");
  EXPECT_EQ(status_class(TransportStatus::kLimitExceeded), "StatusLimitExceeded");
  EXPECT_EQ(status_class(TransportStatus::kBadEnvelope), "StatusBadEnvelope");
}

}  // namespace
}  // namespace nipc::tools
