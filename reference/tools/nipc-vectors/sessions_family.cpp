// sessions: conversations with a live implementation (vectors/README.md, "Session vectors").
// Each case re-expresses a catalogue case (conformance/cases) as data: the packets the test
// peer sends, field by field, and the reaction the spec demands. Reactions are spelled out
// here from the spec's rules (value + 1, the status a rule names, a close); the reference's
// transports are never asked what they would do.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "codec_testee/codec_testee.h"
#include "nipc-vectors/sessions.h"
#include "nipc-vectors/vector_set.h"

namespace nipc::vectors {
namespace {

using tools::Json;

constexpr std::uint32_t kMagic = 0x4e495043;
constexpr std::uint32_t kWrongMagic = 0x4e495044;  // "DPIN": one bit away from the magic
// Written where the run's auth token goes; the replay overwrites it (run_values).
constexpr std::uint64_t kTokenPlaceholder = 0x5eed5eed5eed5eedull;
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

// Little-endian stores of our own: the expected bytes must not come from the reference's
// encoders.
void put_le(Bytes& b, std::uint64_t v, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

Bytes le64(std::uint64_t v) {
  Bytes b;
  put_le(b, v, 8);
  return b;
}

// A packet built field by field: every byte belongs to exactly one labelled field, in order.
class Labelled {
 public:
  explicit Labelled(std::string what) : what_(std::move(what)) {}

  Labelled& u16(const std::string& name, std::uint16_t v) { return put(name, v, 2, Json(v)); }
  Labelled& u32(const std::string& name, std::uint32_t v) { return put(name, v, 4, Json(v)); }
  Labelled& u64(const std::string& name, std::uint64_t v) {
    return put(name, v, 8, Json(std::to_string(v)));
  }
  /// Opaque bytes (payload areas, padding); labelled without a value.
  Labelled& raw(const std::string& name, const Bytes& b) {
    fields_.push_back(Json{{"name", name}, {"at", bytes_.size()}, {"size", b.size()}});
    bytes_.insert(bytes_.end(), b.begin(), b.end());
    return *this;
  }
  /// The replay writes the run's value of this field over the bytes given here.
  Labelled& from_run(const std::string& name) {
    run_values_.push_back(name);
    return *this;
  }
  /// What a codec makes of the packet ("packet") or of the bytes after its 32-byte header
  /// ("payload"): the fields of a valid decode, checked against the reference codec.
  Labelled& decodes(const std::string& family, const std::string& part, Json context, Json fields) {
    decode_.push_back(Json{{"family", family}, {"bytes", part}, {"context", std::move(context)},
                           {"result", "valid"}, {"fields", std::move(fields)}});
    return *this;
  }
  /// The error class a codec rejects the packet (or its payload) with.
  Labelled& rejected(const std::string& family, const std::string& part, Json context,
                     const std::string& error) {
    decode_.push_back(Json{{"family", family}, {"bytes", part}, {"context", std::move(context)},
                           {"result", "invalid"}, {"error", error}});
    return *this;
  }

  const Bytes& bytes() const { return bytes_; }
  const Json& decode() const { return decode_; }

  Json to_json() const {
    Json j{{"what", what_}, {"hex", tools::to_hex(bytes_)}, {"fields", fields_}};
    if (!run_values_.empty()) j["run_values"] = run_values_;
    if (!decode_.empty()) j["decode"] = decode_;
    return j;
  }

 private:
  Labelled& put(const std::string& name, std::uint64_t v, std::size_t n, Json value) {
    fields_.push_back(Json{{"name", name}, {"at", bytes_.size()}, {"size", n}, {"value", value}});
    put_le(bytes_, v, n);
    return *this;
  }

  std::string what_;
  Bytes bytes_;
  Json fields_ = Json::array();
  std::vector<std::string> run_values_;
  Json decode_ = Json::array();
};

// ---- the structures, field by field (spec/envelope.md, spec/handshake.md) ------------------

struct Hdr {
  std::uint32_t magic = kMagic;
  std::uint16_t version = 1, header_len = 32, kind = 1, flags = 0, code = 1, status = 0;
  std::uint32_t payload_len = 0, item_count = 1;
  std::uint64_t message_id = 0;
};

void put_header(Labelled& p, const Hdr& h) {
  p.u32("header.magic", h.magic)
      .u16("header.version", h.version)
      .u16("header.header_len", h.header_len)
      .u16("header.kind", h.kind)
      .u16("header.flags", h.flags)
      .u16("header.code", h.code)
      .u16("header.transport_status", h.status)
      .u32("header.payload_len", h.payload_len)
      .u32("header.item_count", h.item_count)
      .u64("header.message_id", h.message_id);
}

// The outer_header vector fields of a header that decodes.
Json header_fields(const Hdr& h) {
  return Json{{"kind", h.kind},       {"flags", h.flags},
              {"code", h.code},       {"transport_status", h.status},
              {"payload_len", h.payload_len}, {"item_count", h.item_count},
              {"message_id", std::to_string(h.message_id)}};
}

struct HelloF {
  std::uint16_t layout_version = 1, flags = 0;
  std::uint32_t supported = 1, preferred = 0;
  std::uint32_t max_request_payload = 4096, max_request_batch = 16;
  std::uint32_t max_response_payload = 65536, max_response_batch = 16;
  std::uint32_t reserved = 0;
  std::uint64_t auth_token = kTokenPlaceholder;
  std::uint32_t packet_size = 65536;
};

Hdr hello_header() {
  Hdr h;
  h.kind = 3;
  h.code = 1;
  h.payload_len = 44;
  return h;
}

// A HELLO packet. The profiles always come from the run (the run's profile bits and its
// preference); the token too unless `own_token` (a case about the token itself).
Labelled hello_packet(const std::string& what, const Hdr& hh, const HelloF& f, bool own_token = false) {
  Labelled p(what);
  put_header(p, hh);
  p.u16("hello.layout_version", f.layout_version)
      .u16("hello.flags", f.flags)
      .u32("hello.supported_profiles", f.supported)
      .u32("hello.preferred_profiles", f.preferred)
      .u32("hello.max_request_payload_bytes", f.max_request_payload)
      .u32("hello.max_request_batch_items", f.max_request_batch)
      .u32("hello.max_response_payload_bytes", f.max_response_payload)
      .u32("hello.max_response_batch_items", f.max_response_batch)
      .u32("hello.reserved", f.reserved)
      .u64("hello.auth_token", f.auth_token)
      .u32("hello.packet_size", f.packet_size);
  p.from_run("hello.supported_profiles").from_run("hello.preferred_profiles");
  if (!own_token) p.from_run("hello.auth_token");
  return p;
}

Json hello_fields(const HelloF& f) {
  return Json{{"supported_profiles", f.supported},
              {"preferred_profiles", f.preferred},
              {"max_request_payload_bytes", f.max_request_payload},
              {"max_request_batch_items", f.max_request_batch},
              {"max_response_payload_bytes", f.max_response_payload},
              {"max_response_batch_items", f.max_response_batch},
              {"auth_token", std::to_string(f.auth_token)},
              {"packet_size", f.packet_size}};
}

// A valid HELLO with the given proposals, annotated with its decodes.
Labelled valid_hello(const HelloF& f) {
  Labelled p = hello_packet("HELLO", hello_header(), f);
  p.decodes("outer_header", "packet", Json::object(), header_fields(hello_header()))
      .decodes("hello", "payload", Json::object(), hello_fields(f));
  return p;
}

Hdr request_header(std::uint64_t id, std::uint32_t payload_len) {
  Hdr h;
  h.payload_len = payload_len;
  h.message_id = id;
  return h;
}

// An INCREMENT request: the value, then `extra` zero bytes (CODEC-INC-001 ignores them).
Labelled increment_request(std::uint64_t id, std::uint64_t value, std::size_t extra = 0) {
  const Hdr h = request_header(id, static_cast<std::uint32_t>(8 + extra));
  Labelled p("REQUEST INCREMENT " + std::to_string(value) + " id=" + std::to_string(id));
  put_header(p, h);
  p.u64("payload.value", value);
  if (extra) p.raw("payload.trailing", Bytes(extra, 0));
  p.decodes("outer_header", "packet", Json::object(), header_fields(h))
      .decodes("increment", "payload", Json::object(), Json{{"value", std::to_string(value)}});
  return p;
}

// ---- steps ---------------------------------------------------------------------------------

Json send(const Labelled& p) { return Json{{"send", p.to_json()}}; }
Json send_on(const Labelled& p, std::initializer_list<const char*> on) {
  Json j = send(p);
  j["on"] = Json::array();
  for (const char* o : on) j["on"].push_back(o);
  return j;
}
Json receive_hello() { return Json{{"receive", "hello"}}; }
Json expect(Json reaction) { return Json{{"expect", std::move(reaction)}}; }

Json close(const std::string& req, const std::string& why) {
  return expect(Json{{"reaction", "close"}, {"requirement", req}, {"why", why}});
}
Json accept(const std::string& req, Json ack) {
  return expect(Json{{"reaction", "accept"}, {"requirement", req}, {"ack", std::move(ack)}});
}
Json reject(const std::string& status, const std::string& req) {
  return expect(Json{{"reaction", "reject"}, {"status", status}, {"requirement", req}});
}
Json error(const std::string& status, const std::string& req) {
  return expect(Json{{"reaction", "error"}, {"status", status}, {"requirement", req}});
}
// A successful response to the request just sent: the header fields listed, then exactly
// `payload`.
Json reply(const std::string& req, std::uint64_t id, const Bytes& payload) {
  return expect(Json{{"reaction", "reply"},
                     {"requirement", req},
                     {"header", Json{{"kind", 2},
                                     {"code", 1},
                                     {"transport_status", 0},
                                     {"payload_len", payload.size()},
                                     {"message_id", std::to_string(id)}}},
                     {"payload_hex", tools::to_hex(payload)}});
}
Json client_fails(const std::string& req, const std::string& rule) {
  return expect(Json{{"reaction", "client-fails"}, {"requirement", req}, {"rule", rule}});
}

// The ACK fields a server must agree to for `f` (HS-REQ-002, HS-BATCH-001/002).
Json agreed(const HelloF& f) {
  return Json{{"agreed_max_request_payload_bytes", f.max_request_payload},
              {"agreed_max_request_batch_items", f.max_request_batch},
              {"agreed_max_response_batch_items", f.max_request_batch}};
}

struct SessionCase {
  std::string name, comment, peer = "client", equivalent;
  std::vector<std::string> requirements;
  std::vector<std::string> on = {"baseline", "shm"};
  Json iut = Json::object();
  Json steps = Json::array();
};

// ---- the cases -----------------------------------------------------------------------------

std::vector<SessionCase> cases() {
  std::vector<SessionCase> out;

  {  // hs.srv.bad-magic
    SessionCase c{.name = "hello-bad-magic-closes",
                  .comment = "a HELLO whose magic is one bit off is not a HELLO: the server closes without replying",
                  .equivalent = "hs.srv.bad-magic",
                  .requirements = {"HS-NOTHELLO-001", "ENV-MAGIC-001"}};
    Hdr hh = hello_header();
    hh.magic = kWrongMagic;
    Labelled p = hello_packet("HELLO with magic 0x4e495044", hh, HelloF{});
    p.rejected("outer_header", "packet", Json::object(), "HeaderBadMagic");
    c.steps.push_back(send(p));
    c.steps.push_back(close("HS-NOTHELLO-001", "the first packet is not an acceptable HELLO: close without reply"));
    out.push_back(std::move(c));
  }
  {  // hs.srv.auth-zero
    SessionCase c{.name = "hello-auth-zero-rejected",
                  .comment = "a HELLO carrying auth token 0 is answered AUTH_FAILED in the rejection form, then closed",
                  .equivalent = "hs.srv.auth-zero",
                  .requirements = {"HS-AUTH-001", "HS-REJECT-001"}};
    HelloF f;
    f.auth_token = 0;
    Labelled p = hello_packet("HELLO with auth_token 0", hello_header(), f, /*own_token=*/true);
    p.decodes("outer_header", "packet", Json::object(), header_fields(hello_header()))
        .decodes("hello", "payload", Json::object(), hello_fields(f));
    c.steps.push_back(send(p));
    c.steps.push_back(reject("AUTH_FAILED", "HS-AUTH-001"));
    out.push_back(std::move(c));
  }
  {  // codec.srv.increment
    SessionCase c{.name = "increment-answers-value-plus-one",
                  .comment = "INCREMENT answers value + 1 for 0, 41, 2^32-1 and 2^64-1 (wrapping to 0), and ignores bytes after the 8",
                  .equivalent = "codec.srv.increment",
                  .requirements = {"CODEC-INC-002", "CODEC-INC-001", "SVC-BUSINESS-001"},
                  .iut = Json{{"service_kind", "increment"}}};
    const HelloF f;
    c.steps.push_back(send(valid_hello(f)));
    c.steps.push_back(accept("HS-FLOW-001", agreed(f)));
    std::uint64_t id = 70;
    for (std::uint64_t v : {std::uint64_t{0}, std::uint64_t{41}, std::uint64_t{0xFFFFFFFF}, kU64Max}) {
      c.steps.push_back(send(increment_request(id, v)));
      c.steps.push_back(reply("CODEC-INC-002", id, le64(v + 1)));  // unsigned: 2^64-1 wraps to 0
      ++id;
    }
    c.steps.push_back(send(increment_request(id, 5, 16)));
    c.steps.push_back(reply("CODEC-INC-001", id, le64(6)));
    out.push_back(std::move(c));
  }
  {  // env.srv.payload-over-limit
    SessionCase c{.name = "request-over-payload-limit",
                  .comment = "a request one byte over the agreed 64-byte payload limit gets LIMIT_EXCEEDED, then the session closes",
                  .equivalent = "env.srv.payload-over-limit",
                  .requirements = {"ENV-LIMIT-001", "SVC-REQLIMIT-001", "SVC-ERRRESP-001", "SESS-DEAD-001"},
                  .iut = Json{{"service_kind", "increment"}}};
    HelloF f;
    f.max_request_payload = 64;
    f.max_request_batch = f.max_response_batch = 4;
    c.steps.push_back(send(valid_hello(f)));
    c.steps.push_back(accept("HS-FLOW-001", agreed(f)));
    const Hdr h = request_header(11, 65);
    Labelled p("REQUEST INCREMENT 1 padded to 65 bytes, id=11");
    put_header(p, h);
    p.u64("payload.value", 1).raw("payload.trailing", Bytes(57, 0));
    p.rejected("outer_header", "packet",
               Json{{"limits", Json{{"max_payload_bytes", 64u}, {"max_batch_items", 4u}}}},
               "PayloadOverLimit");
    c.steps.push_back(send(p));
    c.steps.push_back(error("LIMIT_EXCEEDED", "ENV-LIMIT-001"));
    c.steps.push_back(close("SVC-REQLIMIT-001", "the server closes after an over-limit request"));
    out.push_back(std::move(c));
  }
  {  // batch.srv.out-of-bounds
    SessionCase c{.name = "batch-item-out-of-bounds",
                  .comment = "a 2-item batch whose entry 1 reaches past the packed area gets BAD_ENVELOPE (flags 0, item_count 1), then the session closes",
                  .equivalent = "batch.srv.out-of-bounds",
                  .requirements = {"BATCH-BOUNDS-001", "BATCH-ERR-001", "SVC-DECODE-001"},
                  .iut = Json{{"service_kind", "increment"}}};
    const HelloF f;
    c.steps.push_back(send(valid_hello(f)));
    c.steps.push_back(accept("HS-FLOW-001", agreed(f)));
    Hdr h = request_header(300, 32);
    h.flags = 1;  // BATCH
    h.item_count = 2;
    Labelled p("REQUEST batch of 2, entry 1 at 8 length 15 in a 16-byte area, id=300");
    put_header(p, h);
    Bytes area(16, 0);
    area[0] = 1;
    area[8] = 2;
    p.u32("dir[0].offset", 0).u32("dir[0].length", 8).u32("dir[1].offset", 8).u32("dir[1].length", 15);
    p.raw("area", area);
    p.decodes("outer_header", "packet", Json::object(), header_fields(h))
        .rejected("batch", "payload", Json{{"item_count", 2u}}, "BatchItemOutOfBounds");
    c.steps.push_back(send(p));
    c.steps.push_back(error("BAD_ENVELOPE", "BATCH-BOUNDS-001"));
    c.steps.push_back(close("SVC-DECODE-001", "the server closes after BAD_ENVELOPE"));
    out.push_back(std::move(c));
  }
  {  // env.srv.bad-magic
    SessionCase c{.name = "request-bad-magic-ends-session",
                  .comment = "a request with a wrong magic ends the session without a reply; on the baseline a valid request right behind it is not answered either",
                  .equivalent = "env.srv.bad-magic",
                  .requirements = {"SESS-DEAD-001", "ENV-MAGIC-001"}};
    const HelloF f;
    c.steps.push_back(send(valid_hello(f)));
    c.steps.push_back(accept("HS-FLOW-001", agreed(f)));
    Hdr h = request_header(3, 8);
    h.magic = kWrongMagic;
    Labelled p("REQUEST with magic 0x4e495044, id=3");
    put_header(p, h);
    p.u64("payload.value", 3);
    p.rejected("outer_header", "packet", Json::object(), "HeaderBadMagic");
    c.steps.push_back(send(p));
    // One message is in flight on shared memory: a second would overwrite the first.
    c.steps.push_back(send_on(increment_request(9, 9), {"baseline"}));
    c.steps.push_back(close("SESS-DEAD-001", "a receive-side protocol error ends the session without a reply"));
    out.push_back(std::move(c));
  }
  {  // hs.cli.reply-bad-magic
    SessionCase c{.name = "ack-bad-magic-refused",
                  .comment = "a HELLO_ACK whose magic is one bit off is refused: the client sends nothing more, closes and fails with HeaderBadMagic",
                  .peer = "server",
                  .equivalent = "hs.cli.reply-bad-magic",
                  .requirements = {"HS-CLI-ABORT-001", "ENV-MAGIC-001"}};
    c.steps.push_back(receive_hello());
    Hdr hh = hello_header();
    hh.magic = kWrongMagic;
    hh.code = 2;
    hh.payload_len = 48;
    Labelled p("HELLO_ACK with magic 0x4e495044");
    put_header(p, hh);
    // The agreed values answer the client's HELLO (they come from the run); the ones here
    // answer a HELLO of the spec's example.
    p.u16("ack.layout_version", 1)
        .u16("ack.flags", 0)
        .u32("ack.server_supported_profiles", 1)
        .u32("ack.intersection_profiles", 1)
        .u32("ack.selected_profile", 1)
        .u32("ack.agreed_max_request_payload_bytes", 4096)
        .u32("ack.agreed_max_request_batch_items", 1)
        .u32("ack.agreed_max_response_payload_bytes", 65536)
        .u32("ack.agreed_max_response_batch_items", 1)
        .u32("ack.agreed_packet_size", 65536)
        .u32("ack.reserved", 0)
        .u64("ack.session_id", 1);
    for (const char* f : {"ack.server_supported_profiles", "ack.intersection_profiles", "ack.selected_profile",
                          "ack.agreed_max_request_payload_bytes", "ack.agreed_max_request_batch_items",
                          "ack.agreed_max_response_payload_bytes", "ack.agreed_max_response_batch_items",
                          "ack.agreed_packet_size", "ack.session_id"})
      p.from_run(f);
    p.rejected("outer_header", "packet", Json::object(), "HeaderBadMagic")
        .decodes("hello_ack", "payload", Json::object(),
                 Json{{"server_supported_profiles", 1}, {"intersection_profiles", 1}, {"selected_profile", 1},
                      {"agreed_max_request_payload_bytes", 4096}, {"agreed_max_request_batch_items", 1},
                      {"agreed_max_response_payload_bytes", 65536}, {"agreed_max_response_batch_items", 1},
                      {"agreed_packet_size", 65536}, {"session_id", "1"}});
    c.steps.push_back(send(p));
    c.steps.push_back(close("HS-CLI-ABORT-001", "after a refused HELLO_ACK the client sends nothing and closes"));
    c.steps.push_back(client_fails("HS-CLI-ABORT-001", "HeaderBadMagic"));
    out.push_back(std::move(c));
  }
  return out;
}

// Checks every decode annotation of every sent packet against the reference codec.
void verify_decodes(const std::string& where, const Json& packet, std::vector<std::string>* problems) {
  const Bytes bytes = *tools::from_hex(packet["hex"].get<std::string>());
  for (const Json& d : packet.value("decode", Json::array())) {
    const bool payload = d["bytes"] == "payload";
    if (payload && bytes.size() < 32) {
      problems->push_back(where + ": a payload decode of a packet shorter than 32 bytes");
      continue;
    }
    const Bytes part = payload ? Bytes(bytes.begin() + 32, bytes.end()) : bytes;
    const Json request{{"op", "decode"}, {"family", d["family"]}, {"hex", tools::to_hex(part)},
                       {"context", d["context"]}};
    const Json answer = tools::answer_codec_request(request);
    const std::string what = where + " decode " + d["family"].get<std::string>() + ": ";
    if (d["result"] == "valid") {
      if (answer.value("result", "") != "valid" || !tools::same_json(answer["fields"], d["fields"]))
        problems->push_back(what + "the reference answers " + answer.dump() + ", the case records " +
                            d["fields"].dump());
    } else if (answer.value("result", "") != "invalid" || answer.value("error", "") != d["error"]) {
      problems->push_back(what + "the reference answers " + answer.dump() + ", the case records " +
                          d["error"].get<std::string>());
    }
  }
}

}  // namespace

Json sessions_document(std::vector<std::string>* problems) {
  Json list = Json::array();
  int id = 0;
  for (const SessionCase& c : cases()) {
    const std::string where = "sessions/" + c.name;
    int step = 0;
    for (const Json& s : c.steps) {
      ++step;
      if (s.contains("send")) verify_decodes(where + " step " + std::to_string(step), s["send"], problems);
    }
    if (c.requirements.empty()) problems->push_back(where + ": names no requirement");
    list.push_back(Json{{"id", ++id},
                        {"name", c.name},
                        {"requirements", c.requirements},
                        {"comment", c.comment},
                        {"peer", c.peer},
                        {"on", c.on},
                        {"iut", c.iut},
                        {"equivalent", c.equivalent},
                        {"steps", c.steps}});
  }
  return Json{{"schema_version", 1},
              {"family", "sessions"},
              {"spec_revision", kSpecRevision},
              {"description",
               "Conversations with a live implementation (vectors/README.md, \"Session vectors\"): the packets "
               "the test peer sends, labelled field by field, and the reaction the spec demands of the "
               "implementation under test (a reply, an error status, a rejection, a close, the client's failure). "
               "nipc-peer replays them as the catalogue's vec.* cases; each packet's decode list is what a codec "
               "makes of its bytes."},
              {"input", "steps"},
              {"cases", std::move(list)}};
}

std::string render_sessions(const Json& document) { return document.dump(2) + "\n"; }

}  // namespace nipc::vectors
