#include "nipc-vectors/vector_set.h"

#include <algorithm>
#include <set>

#include "codec_testee/codec_testee.h"
#include "nipc/codec/handshake.h"

namespace nipc::vectors {
namespace {

bool is_kebab(std::string_view s) {
  if (s.empty() || s.front() == '-' || s.back() == '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    (c == '-' && s[i - 1] != '-');
    if (!ok) return false;
  }
  return true;
}

bool is_pascal(std::string_view s) {
  if (s.empty() || s.front() < 'A' || s.front() > 'Z') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
  });
}

std::string_view op_for(std::string_view family) {
  if (family == "handshake_decide") return "decide";
  if (family == "handshake_check_ack") return "check_ack";
  if (family == "windows_names") return "names";
  return "decode";
}

bool has_encoder(std::string_view family) {
  return family != "handshake_decide" && family != "handshake_check_ack" &&
         family != "windows_names";
}

std::string_view result_name(Verdict v) {
  switch (v) {
    case Verdict::kValid: return "valid";
    case Verdict::kInvalid: return "invalid";
    case Verdict::kAcceptable: return "acceptable";
  }
  return "?";
}

Json hex_list(const std::vector<Bytes>& packets) {
  Json list = Json::array();
  for (const Bytes& p : packets) list.push_back(tools::to_hex(p));
  return list;
}

// The request replay makes for a case (runners/ctslib/vectors.py, _request).
Json decode_request(const Family& family, const Case& c) {
  Json request{{"op", op_for(family.name())}, {"family", family.name()}};
  if (c.hex) request["hex"] = tools::to_hex(*c.hex);
  else if (!c.packets.empty()) request["packets"] = hex_list(c.packets);
  request["context"] = c.context;
  return request;
}

// The HELLO_ACK a server sends with a rejection status (HS-REJECT-001), as its error class
// names it; nullopt for classes that are not rejections.
std::optional<std::string> rejection_hex(std::string_view error_class) {
  for (std::uint16_t s = 1; s <= 6; ++s) {
    const auto status = static_cast<TransportStatus>(s);
    if (tools::status_class(status) == error_class)
      return tools::to_hex(encode_ack_packet(HandshakeDecision{status, HelloAck{}}));
  }
  return std::nullopt;
}

std::string describe(const Json& answer) { return answer.dump(); }

// The edge an error class itself names, flagged on every case expecting it.
std::optional<std::string_view> edge_flag(Error e) {
  const std::string_view name = error_name(e);
  if (name.find("Truncated") != std::string_view::npos) return "Truncated";
  if (name.find("NonzeroFlags") != std::string_view::npos) return "NonzeroFlags";
  if (name.find("NonzeroReserved") != std::string_view::npos) return "NonzeroReserved";
  return std::nullopt;
}

void check_answer(const Family& family, const Case& c, const Json& answer,
                  std::vector<std::string>* problems) {
  const auto problem = [&](const std::string& what) {
    problems->push_back(family.name() + "/" + c.name + ": " + what);
  };
  const std::string result = answer.value("result", "");
  const bool want_fields = c.verdict == Verdict::kValid ||
                           (c.verdict == Verdict::kAcceptable && c.error.empty());
  if (want_fields) {
    if (result != "valid" || !answer.contains("fields")) {
      problem("the reference does not accept it: " + describe(answer));
    } else if (!tools::same_json(answer["fields"], c.fields)) {
      problem("the reference decodes " + answer["fields"].dump() + ", the case records " +
              c.fields.dump());
    }
    return;
  }
  if (result != "invalid" || answer.value("error", "") != c.error) {
    problem("expected the reference to reject it with " + c.error + ", got " + describe(answer));
    return;
  }
  if (const std::optional<std::string> hex = rejection_hex(c.error)) {
    if (answer.value("hex", "") != *hex)
      problem("rejection packet " + answer.value("hex", "(none)") + ", expected " + *hex);
  }
}

void check_canonical(const Family& family, const Case& c, std::vector<std::string>* problems) {
  const auto problem = [&](const std::string& what) {
    problems->push_back(family.name() + "/" + c.name + ": " + what);
  };
  if (!has_encoder(family.name()) || c.verdict != Verdict::kValid) {
    if (c.canonical) problem("flagged Canonical but it has no encoding to compare");
    return;
  }
  const Json request{{"op", "encode"}, {"family", family.name()}, {"fields", c.fields},
                     {"context", c.context}};
  const Json answer = tools::answer_codec_request(request);
  bool same = false;
  if (answer.value("result", "") == "valid") {
    same = c.hex ? answer.value("hex", "") == tools::to_hex(*c.hex)
                 : tools::same_json(answer.value("packets", Json()), hex_list(c.packets));
  }
  if (c.canonical && !same) problem("flagged Canonical but its fields encode to " + describe(answer));
  if (!c.canonical && same) problem("its bytes are the canonical encoding: flag it Canonical");
}

}  // namespace

CaseRef& CaseRef::req(std::string_view id) {
  if (std::find(c_.requirements.begin(), c_.requirements.end(), id) == c_.requirements.end())
    c_.requirements.emplace_back(id);
  return *this;
}

CaseRef& CaseRef::reqs(std::initializer_list<std::string_view> ids) {
  for (std::string_view id : ids) req(id);
  return *this;
}

CaseRef& CaseRef::flag(std::string_view f) {
  if (std::find(c_.flags.begin(), c_.flags.end(), f) == c_.flags.end()) c_.flags.emplace_back(f);
  return *this;
}

CaseRef& CaseRef::flags(std::initializer_list<std::string_view> fs) {
  for (std::string_view f : fs) flag(f);
  return *this;
}

CaseRef& CaseRef::canonical() {
  c_.canonical = true;
  return flag("Canonical");
}

CaseRef& CaseRef::context(Json context) {
  c_.context = std::move(context);
  return *this;
}

Family::Family(std::string_view name, std::string_view description)
    : name_(name), description_(description) {}

std::string_view Family::input() const {
  if (name_ == "chunked_message") return "packets";
  if (name_ == "windows_names") return "context";
  return "hex";
}

Case& Family::add(std::string_view name, std::string_view comment, Verdict verdict) {
  Case& c = cases_.emplace_back();
  c.name = name;
  c.comment = comment;
  c.verdict = verdict;
  c.revision = revision_;
  return c;
}

CaseRef Family::valid(std::string_view name, std::string_view comment, Bytes bytes, Json fields) {
  Case& c = add(name, comment, Verdict::kValid);
  c.hex = std::move(bytes);
  c.fields = std::move(fields);
  return CaseRef(c);
}

CaseRef Family::invalid(std::string_view name, std::string_view comment, Bytes bytes,
                        Error error) {
  CaseRef ref = invalid(name, comment, std::move(bytes), error_name(error));
  ref.req(error_info(error).requirement);
  if (const auto flag = edge_flag(error)) ref.flag(*flag);
  return ref;
}

CaseRef Family::invalid(std::string_view name, std::string_view comment, Bytes bytes,
                        std::string_view error_class) {
  Case& c = add(name, comment, Verdict::kInvalid);
  c.hex = std::move(bytes);
  c.error = error_class;
  return CaseRef(c);
}

CaseRef Family::acceptable(std::string_view name, std::string_view comment, Bytes bytes,
                           Error error) {
  Case& c = add(name, comment, Verdict::kAcceptable);
  c.hex = std::move(bytes);
  c.error = error_name(error);
  CaseRef ref = CaseRef(c).req(error_info(error).requirement);
  if (const auto flag = edge_flag(error)) ref.flag(*flag);
  return ref;
}

CaseRef Family::acceptable(std::string_view name, std::string_view comment, Bytes bytes,
                           Json fields) {
  Case& c = add(name, comment, Verdict::kAcceptable);
  c.hex = std::move(bytes);
  c.fields = std::move(fields);
  return CaseRef(c);
}

CaseRef Family::valid(std::string_view name, std::string_view comment,
                      std::vector<Bytes> packets, Json fields) {
  Case& c = add(name, comment, Verdict::kValid);
  c.packets = std::move(packets);
  c.fields = std::move(fields);
  return CaseRef(c);
}

CaseRef Family::invalid(std::string_view name, std::string_view comment,
                        std::vector<Bytes> packets, Error error) {
  Case& c = add(name, comment, Verdict::kInvalid);
  c.packets = std::move(packets);
  c.error = error_name(error);
  CaseRef ref = CaseRef(c).req(error_info(error).requirement);
  if (const auto flag = edge_flag(error)) ref.flag(*flag);
  return ref;
}

CaseRef Family::valid_context(std::string_view name, std::string_view comment, Json context,
                              Json fields) {
  Case& c = add(name, comment, Verdict::kValid);
  c.context = std::move(context);
  c.fields = std::move(fields);
  return CaseRef(c);
}

CaseRef Family::invalid_context(std::string_view name, std::string_view comment, Json context,
                                TransportErrorKind kind) {
  Case& c = add(name, comment, Verdict::kInvalid);
  c.context = std::move(context);
  c.error = transport_error_name(kind);
  return CaseRef(c).req(transport_error_info(kind).requirement);
}

std::vector<std::string> verify(const Family& family) {
  std::vector<std::string> problems;
  std::set<std::string> names;
  for (const Case& c : family.cases()) {
    const auto problem = [&](const std::string& what) {
      problems.push_back(family.name() + "/" + c.name + ": " + what);
    };
    if (!is_kebab(c.name)) problem("name is not kebab-case");
    if (!names.insert(c.name).second) problem("duplicate name");
    if (c.comment.empty()) problem("no comment");
    if (c.requirements.empty()) problem("names no requirement");
    for (const std::string& f : c.flags) {
      if (!is_pascal(f)) problem("flag " + f + " is not PascalCase");
    }
    if ((family.input() == "hex") != c.hex.has_value() ||
        (family.input() == "packets") == c.packets.empty() ||
        (family.input() == "context" && c.context.empty()))
      problem(std::string("the family's input is ") + std::string(family.input()));
    if (c.verdict == Verdict::kInvalid && c.error.empty()) problem("invalid without an error");
    if (!c.context.is_object()) problem("context is not an object");

    check_answer(family, c, tools::answer_codec_request(decode_request(family, c)), &problems);
    check_canonical(family, c, &problems);
  }
  return problems;
}

Json to_document(const Family& family) {
  Json cases = Json::array();
  int id = 0;
  for (const Case& c : family.cases()) {
    Json j{{"id", ++id},
           {"name", c.name},
           {"requirements", c.requirements},
           {"comment", c.comment},
           {"result", result_name(c.verdict)},
           {"flags", c.flags}};
    if (!c.revision.empty()) j["revision"] = c.revision;
    if (c.hex) j["hex"] = tools::to_hex(*c.hex);
    else if (!c.packets.empty()) j["packets"] = hex_list(c.packets);
    if (!c.context.empty()) j["context"] = c.context;
    if (c.error.empty()) j["fields"] = c.fields;
    else j["error"] = c.error;
    cases.push_back(std::move(j));
  }
  return Json{{"schema_version", 1},
              {"family", family.name()},
              {"spec_revision", kSpecRevision},
              {"description", family.description()},
              {"input", family.input()},
              {"cases", std::move(cases)}};
}

std::string render(const Family& family) { return to_document(family).dump(2) + "\n"; }

}  // namespace nipc::vectors
