// The strict loader of session vectors (session_vectors.h). It trusts nothing of the file: a
// label's offset is checked against the peer's own layouts (wire_layout.h), its value against
// the bytes, and the steps against the order a conversation can take.
#include "session_vectors.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

namespace nipc::peer {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw SessionVectorError(where + ": " + what);
}

void exact_keys(const json& j, const std::set<std::string>& required, const std::set<std::string>& optional,
                const std::string& where) {
  if (!j.is_object()) bad(where, "is not a JSON object");
  for (const auto& [k, v] : j.items()) {
    if (!required.count(k) && !optional.count(k)) bad(where, "unknown key \"" + k + "\"");
  }
  for (const std::string& k : required)
    if (!j.contains(k)) bad(where, "missing key \"" + k + "\"");
}

std::string str(const json& j, const char* key, const std::string& where) {
  if (!j.at(key).is_string()) bad(where, std::string("\"") + key + "\" is not a string");
  return j.at(key).get<std::string>();
}

std::uint64_t uint_of(const json& v, std::uint64_t max, const std::string& where) {
  if (!v.is_number_unsigned()) bad(where, "is not an unsigned integer");
  std::uint64_t n = v.get<std::uint64_t>();
  if (n > max) bad(where, "does not fit its field");
  return n;
}

// A 64-bit value: a decimal string (vectors/README.md), no sign, no leading zeros.
std::uint64_t u64_of(const json& v, const std::string& where) {
  if (!v.is_string()) bad(where, "a 64-bit value must be a decimal string");
  const std::string s = v.get<std::string>();
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0') ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    bad(where, "\"" + s + "\" is not a decimal u64");
  std::uint64_t n = 0;
  for (char c : s) {
    std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (n > (UINT64_MAX - d) / 10) bad(where, "\"" + s + "\" exceeds 2^64-1");
    n = n * 10 + d;
  }
  return n;
}

Bytes hex_of(const json& v, const std::string& where) {
  if (!v.is_string()) bad(where, "hex is not a string");
  const std::string s = v.get<std::string>();
  if (s.size() % 2) bad(where, "hex has an odd number of digits");
  Bytes out;
  auto nib = [&](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    bad(where, "hex has a character other than 0-9 a-f");
  };
  for (std::size_t i = 0; i < s.size(); i += 2) out.push_back(static_cast<std::uint8_t>(nib(s[i]) * 16 + nib(s[i + 1])));
  return out;
}

std::uint64_t load_le(const Bytes& b, std::size_t at, std::size_t n) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < n; ++i) v |= std::uint64_t{b[at + i]} << (8 * i);
  return v;
}

bool kebab(const std::string& s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && s[i - 1] != '-'))) return false;
  }
  return true;
}

bool requirement_id(const std::string& s) {
  // "ABC-DEF-001": upper-case words and digits joined by '-', ending in three digits.
  if (s.size() < 5 || s[s.size() - 4] != '-') return false;
  for (std::size_t i = s.size() - 3; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; });
}

// Where the peer's own layouts put each named field (spec/envelope.md, spec/handshake.md);
// HELLO and HELLO_ACK payloads follow a 32-byte header.
const std::map<std::string, std::pair<std::size_t, std::size_t>>& known_offsets() {
  namespace h = layout::header;
  namespace he = layout::hello;
  namespace a = layout::ack;
  constexpr std::size_t p = h::kSize;
  static const std::map<std::string, std::pair<std::size_t, std::size_t>> m = {
      {"header.magic", {h::kMagic, 4}}, {"header.version", {h::kVersion, 2}},
      {"header.header_len", {h::kHeaderLen, 2}}, {"header.kind", {h::kKind, 2}},
      {"header.flags", {h::kFlags, 2}}, {"header.code", {h::kCode, 2}},
      {"header.transport_status", {h::kTransportStatus, 2}}, {"header.payload_len", {h::kPayloadLen, 4}},
      {"header.item_count", {h::kItemCount, 4}}, {"header.message_id", {h::kMessageId, 8}},
      {"hello.layout_version", {p + he::kLayoutVersion, 2}}, {"hello.flags", {p + he::kFlags, 2}},
      {"hello.supported_profiles", {p + he::kSupportedProfiles, 4}},
      {"hello.preferred_profiles", {p + he::kPreferredProfiles, 4}},
      {"hello.max_request_payload_bytes", {p + he::kMaxRequestPayloadBytes, 4}},
      {"hello.max_request_batch_items", {p + he::kMaxRequestBatchItems, 4}},
      {"hello.max_response_payload_bytes", {p + he::kMaxResponsePayloadBytes, 4}},
      {"hello.max_response_batch_items", {p + he::kMaxResponseBatchItems, 4}},
      {"hello.reserved", {p + he::kReserved, 4}}, {"hello.auth_token", {p + he::kAuthToken, 8}},
      {"hello.packet_size", {p + he::kPacketSize, 4}},
      {"ack.layout_version", {p + a::kLayoutVersion, 2}}, {"ack.flags", {p + a::kFlags, 2}},
      {"ack.server_supported_profiles", {p + a::kServerSupportedProfiles, 4}},
      {"ack.intersection_profiles", {p + a::kIntersectionProfiles, 4}},
      {"ack.selected_profile", {p + a::kSelectedProfile, 4}},
      {"ack.agreed_max_request_payload_bytes", {p + a::kAgreedMaxRequestPayloadBytes, 4}},
      {"ack.agreed_max_request_batch_items", {p + a::kAgreedMaxRequestBatchItems, 4}},
      {"ack.agreed_max_response_payload_bytes", {p + a::kAgreedMaxResponsePayloadBytes, 4}},
      {"ack.agreed_max_response_batch_items", {p + a::kAgreedMaxResponseBatchItems, 4}},
      {"ack.agreed_packet_size", {p + a::kAgreedPacketSize, 4}}, {"ack.reserved", {p + a::kReserved, 4}},
      {"ack.session_id", {p + a::kSessionId, 8}},
  };
  return m;
}

// The fields whose run value the replay knows, per IUT role. (Function-local: the catalogue
// loads the vectors during static initialisation, before namespace-scope sets would exist.)
const std::set<std::string>& run_values_for(Role iut_role) {
  static const std::set<std::string> server = {"hello.auth_token", "hello.supported_profiles",
                                               "hello.preferred_profiles"};
  static const std::set<std::string> client = {
      "ack.server_supported_profiles",       "ack.intersection_profiles",
      "ack.selected_profile",                "ack.agreed_max_request_payload_bytes",
      "ack.agreed_max_request_batch_items",  "ack.agreed_max_response_payload_bytes",
      "ack.agreed_max_response_batch_items", "ack.agreed_packet_size",
      "ack.session_id"};
  return iut_role == Role::kServer ? server : client;
}

const std::map<std::string, std::uint16_t>& statuses() {
  static const std::map<std::string, std::uint16_t> m = {
      {"OK", 0}, {"BAD_ENVELOPE", 1}, {"AUTH_FAILED", 2}, {"INCOMPATIBLE", 3},
      {"UNSUPPORTED", 4}, {"LIMIT_EXCEEDED", 5}, {"INTERNAL_ERROR", 6}};
  return m;
}

unsigned profiles_of(const json& on, const std::string& where) {
  if (!on.is_array() || on.empty()) bad(where, "\"on\" must be a non-empty array");
  unsigned bits = 0;
  for (const json& o : on) {
    if (o == "baseline") bits |= kOnUds;
    else if (o == "shm") bits |= kOnShm;
    else bad(where, "\"on\" lists " + o.dump() + "; expected \"baseline\" or \"shm\"");
  }
  return bits;
}

VectorPacket packet_of(const json& j, Role role, const std::string& where) {
  exact_keys(j, {"what", "hex", "fields"}, {"run_values", "decode"}, where);
  VectorPacket p;
  p.what = str(j, "what", where);
  p.bytes = hex_of(j.at("hex"), where + " hex");
  if (!j.at("fields").is_array() || j.at("fields").empty()) bad(where, "\"fields\" must be a non-empty array");
  std::size_t next = 0;
  std::set<std::string> names;
  for (const json& f : j.at("fields")) {
    const std::string fw = where + " field " + std::to_string(p.fields.size());
    exact_keys(f, {"name", "at", "size"}, {"value"}, fw);
    VectorField vf;
    vf.name = str(f, "name", fw);
    vf.at = uint_of(f.at("at"), UINT32_MAX, fw + " at");
    vf.size = uint_of(f.at("size"), UINT32_MAX, fw + " size");
    if (!names.insert(vf.name).second) bad(fw, "duplicate field name " + vf.name);
    if (vf.at != next) bad(fw, vf.name + " starts at " + std::to_string(vf.at) + ", the previous field ends at " + std::to_string(next) + " (fields must tile the packet)");
    if (vf.size == 0 || vf.at + vf.size > p.bytes.size()) bad(fw, vf.name + " has no bytes or runs past the packet");
    next = vf.at + vf.size;
    if (f.contains("value")) {
      if (vf.size != 1 && vf.size != 2 && vf.size != 4 && vf.size != 8) bad(fw, vf.name + ": a value needs 1, 2, 4 or 8 bytes");
      vf.value = vf.size == 8 ? u64_of(f.at("value"), fw + " value")
                              : uint_of(f.at("value"), (std::uint64_t{1} << (8 * vf.size)) - 1, fw + " value");
      if (*vf.value != load_le(p.bytes, vf.at, vf.size))
        bad(fw, vf.name + " says " + std::to_string(*vf.value) + " but its bytes hold " +
                    std::to_string(load_le(p.bytes, vf.at, vf.size)));
    }
    auto known = known_offsets().find(vf.name);
    if (known != known_offsets().end() && (known->second.first != vf.at || known->second.second != vf.size))
      bad(fw, vf.name + " at " + std::to_string(vf.at) + " size " + std::to_string(vf.size) + "; the spec's layout puts it at " +
                  std::to_string(known->second.first) + " size " + std::to_string(known->second.second));
    p.fields.push_back(vf);
  }
  if (next != p.bytes.size()) bad(where, "the fields end at " + std::to_string(next) + " of " + std::to_string(p.bytes.size()) + " bytes");
  if (j.contains("run_values")) {
    const std::set<std::string>& allowed = run_values_for(role);
    for (const json& r : j.at("run_values")) {
      if (!r.is_string()) bad(where, "run_values holds a non-string");
      std::string name = r.get<std::string>();
      if (!allowed.count(name)) bad(where, "run value " + name + " is not one the replay knows for this role");
      auto f = std::find_if(p.fields.begin(), p.fields.end(), [&](const VectorField& x) { return x.name == name; });
      if (f == p.fields.end() || !f->value) bad(where, "run value " + name + " names no integer field of the packet");
      p.run_values.push_back(name);
    }
  }
  if (j.contains("decode")) {
    if (!j.at("decode").is_array()) bad(where, "\"decode\" is not an array");
    for (const json& d : j.at("decode")) {
      const std::string dw = where + " decode";
      exact_keys(d, {"family", "bytes", "context", "result"}, {"fields", "error"}, dw);
      if (d.at("bytes") != "packet" && d.at("bytes") != "payload") bad(dw, "\"bytes\" is \"packet\" or \"payload\"");
      if (d.at("result") == "valid" ? (!d.contains("fields") || d.contains("error"))
                                    : (d.at("result") != "invalid" || !d.contains("error") || d.contains("fields")))
        bad(dw, "a valid decode has fields, an invalid one an error");
    }
  }
  return p;
}

std::vector<std::pair<std::string, std::uint64_t>> field_pattern(const json& j, const std::set<std::string>& names,
                                                                 const std::set<std::string>& u64s, const std::string& where) {
  if (!j.is_object()) bad(where, "is not an object");
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (const auto& [k, v] : j.items()) {
    if (!names.count(k)) bad(where, "unknown field \"" + k + "\"");
    out.emplace_back(k, u64s.count(k) ? u64_of(v, where + " " + k) : uint_of(v, UINT32_MAX, where + " " + k));
  }
  return out;
}

VectorExpect expect_of(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("reaction") || !j.at("reaction").is_string()) bad(where, "an expectation names its reaction");
  VectorExpect e;
  e.reaction = j.at("reaction").get<std::string>();
  auto status = [&]() {
    auto it = statuses().find(str(j, "status", where));
    if (it == statuses().end() || it->second == 0) bad(where, "status " + j.at("status").dump() + " is not a failure status name");
    return it->second;
  };
  if (e.reaction == "accept") {
    exact_keys(j, {"reaction", "requirement"}, {"ack"}, where);
    if (j.contains("ack"))
      e.ack = field_pattern(j.at("ack"),
                            {"server_supported_profiles", "intersection_profiles", "selected_profile",
                             "agreed_max_request_payload_bytes", "agreed_max_request_batch_items",
                             "agreed_max_response_payload_bytes", "agreed_max_response_batch_items",
                             "agreed_packet_size", "session_id"},
                            {"session_id"}, where + " ack");
  } else if (e.reaction == "reject" || e.reaction == "error") {
    exact_keys(j, {"reaction", "requirement", "status"}, {}, where);
    e.status = status();
  } else if (e.reaction == "close") {
    exact_keys(j, {"reaction", "requirement", "why"}, {}, where);
    e.why = str(j, "why", where);
  } else if (e.reaction == "reply") {
    exact_keys(j, {"reaction", "requirement", "payload_hex"}, {"header"}, where);
    e.payload = hex_of(j.at("payload_hex"), where + " payload_hex");
    if (j.contains("header"))
      e.header = field_pattern(j.at("header"),
                               {"kind", "flags", "code", "transport_status", "payload_len", "item_count", "message_id"},
                               {"message_id"}, where + " header");
  } else if (e.reaction == "silence") {
    exact_keys(j, {"reaction", "requirement", "ms"}, {}, where);
    e.ms = static_cast<int>(uint_of(j.at("ms"), 60000, where + " ms"));
  } else if (e.reaction == "client-fails") {
    exact_keys(j, {"reaction", "requirement"}, {"rule"}, where);
    if (j.contains("rule")) e.rule = str(j, "rule", where);
  } else {
    bad(where, "unknown reaction \"" + e.reaction + "\"");
  }
  e.requirement = str(j, "requirement", where);
  if (!requirement_id(e.requirement)) bad(where, "requirement \"" + e.requirement + "\" is not a requirement ID");
  return e;
}

Needs needs_of(const json& j, const std::string& where) {
  exact_keys(j, {}, {"service_kind", "max_request_payload", "max_request_batch", "max_response_payload",
                     "packet_size", "scenario", "count", "items"}, where);
  Needs n;
  if (j.contains("service_kind")) n.service_kind = str(j, "service_kind", where);
  if (j.contains("scenario")) n.scenario = str(j, "scenario", where);
  auto u32 = [&](const char* k, std::optional<std::uint32_t>* out) {
    if (j.contains(k)) *out = static_cast<std::uint32_t>(uint_of(j.at(k), UINT32_MAX, where + " " + k));
  };
  u32("max_request_payload", &n.max_request_payload);
  u32("max_request_batch", &n.max_request_batch);
  u32("max_response_payload", &n.max_response_payload);
  u32("packet_size", &n.packet_size);
  u32("items", &n.items);
  if (j.contains("count")) n.count = uint_of(j.at("count"), UINT64_MAX, where + " count");
  return n;
}

// The order a conversation can take. IUT server: the first packet, then accept / reject /
// close; requests only in an established session, error and reply only after a request;
// nothing after the connection ended. IUT client: its HELLO first, then the peer's packets,
// a close, and the client's failure last.
void check_order(const SessionVector& v, const std::string& where) {
  bool established = false, request = false, ended = false, hello = false;
  for (std::size_t i = 0; i < v.steps.size(); ++i) {
    const VectorStep& s = v.steps[i];
    const std::string sw = where + " step " + std::to_string(i + 1);
    if (ended) bad(sw, "follows the end of the conversation");
    if (v.role == Role::kClient) {
      if (i == 0 && s.kind != VectorStep::Kind::kReceiveHello) bad(sw, "a client case starts by receiving the client's HELLO");
      if (i > 0 && s.kind == VectorStep::Kind::kReceiveHello) bad(sw, "the HELLO is received once, first");
      if (s.kind == VectorStep::Kind::kExpect) {
        const std::string& r = s.expect.reaction;
        if (r != "close" && r != "client-fails" && r != "silence") bad(sw, "a client case expects close, silence or client-fails, not " + r);
        if (r == "client-fails") ended = true;
      }
      continue;
    }
    if (s.kind == VectorStep::Kind::kReceiveHello) bad(sw, "only a client case receives a HELLO");
    if (s.kind == VectorStep::Kind::kSend) {
      if ((s.on & v.on) != s.on) bad(sw, "runs on profiles its case does not");
      request = established;
      hello = !established;
      continue;
    }
    const std::string& r = s.expect.reaction;
    if (r == "client-fails") bad(sw, "client-fails belongs to a client case");
    if ((r == "accept" || r == "reject") && (!hello || established)) bad(sw, r + " must follow the first packet");
    if ((r == "error" || r == "reply") && !request) bad(sw, r + " must follow a request in an established session");
    if (r == "accept") established = true;
    if (r == "reject" || r == "close") ended = true;
    if (r == "error" || r == "reply") request = false;
    hello = false;
  }
  if (v.steps.empty()) bad(where, "has no steps");
}

}  // namespace

std::vector<SessionVector> load_session_vectors(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) bad("sessions.json", "not JSON");
  exact_keys(doc, {"schema_version", "family", "spec_revision", "description", "input", "cases"}, {}, "sessions.json");
  if (doc.at("schema_version") != 1) bad("sessions.json", "schema_version " + doc.at("schema_version").dump() + " unsupported");
  if (doc.at("family") != "sessions" || doc.at("input") != "steps")
    bad("sessions.json", "family must be \"sessions\" and input \"steps\"");
  if (!doc.at("cases").is_array() || doc.at("cases").empty()) bad("sessions.json", "\"cases\" must be a non-empty array");
  std::vector<SessionVector> out;
  std::set<std::string> seen;
  for (const json& c : doc.at("cases")) {
    std::string where = "sessions.json case " + std::to_string(out.size() + 1);
    exact_keys(c, {"id", "name", "requirements", "comment", "peer", "on", "iut", "steps"}, {"equivalent"}, where);
    SessionVector v;
    v.id = static_cast<int>(uint_of(c.at("id"), 1u << 20, where + " id"));
    if (v.id != static_cast<int>(out.size()) + 1) bad(where, "id " + std::to_string(v.id) + " (ids count up from 1)");
    v.name = str(c, "name", where);
    if (!kebab(v.name)) bad(where, "name \"" + v.name + "\" is not kebab-case");
    if (!seen.insert(v.name).second) bad(where, "duplicate name " + v.name);
    where += " " + v.name;
    v.comment = str(c, "comment", where);
    if (c.contains("equivalent")) v.equivalent = str(c, "equivalent", where);
    if (!c.at("requirements").is_array() || c.at("requirements").empty()) bad(where, "names no requirement");
    for (const json& r : c.at("requirements")) {
      if (!r.is_string() || !requirement_id(r.get<std::string>())) bad(where, "requirement " + r.dump() + " is not a requirement ID");
      v.requirements.push_back(r.get<std::string>());
    }
    const std::string peer = str(c, "peer", where);
    if (peer != "client" && peer != "server") bad(where, "\"peer\" is \"client\" or \"server\"");
    v.role = peer == "client" ? Role::kServer : Role::kClient;
    v.on = profiles_of(c.at("on"), where);
    v.needs = needs_of(c.at("iut"), where + " iut");
    if (!c.at("steps").is_array()) bad(where, "\"steps\" is not an array");
    for (const json& s : c.at("steps")) {
      const std::string sw = where + " step " + std::to_string(v.steps.size() + 1);
      VectorStep step;
      if (s.is_object() && s.contains("send")) {
        exact_keys(s, {"send"}, {"on"}, sw);
        step.kind = VectorStep::Kind::kSend;
        step.packet = packet_of(s.at("send"), v.role, sw);
        step.on = s.contains("on") ? profiles_of(s.at("on"), sw) : v.on;
      } else if (s.is_object() && s.contains("receive")) {
        exact_keys(s, {"receive"}, {}, sw);
        if (s.at("receive") != "hello") bad(sw, "only \"receive\": \"hello\" exists");
        step.kind = VectorStep::Kind::kReceiveHello;
      } else if (s.is_object() && s.contains("expect")) {
        exact_keys(s, {"expect"}, {}, sw);
        step.kind = VectorStep::Kind::kExpect;
        step.expect = expect_of(s.at("expect"), sw);
      } else {
        bad(sw, "a step is {\"send\": ...}, {\"receive\": \"hello\"} or {\"expect\": ...}");
      }
      v.steps.push_back(std::move(step));
    }
    check_order(v, where);
    out.push_back(std::move(v));
  }
  return out;
}

std::string session_vector_case_id(const SessionVector& v) {
  return std::string(v.role == Role::kServer ? "vec.srv." : "vec.cli.") + v.name;
}

}  // namespace nipc::peer
