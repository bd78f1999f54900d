#include "common/fields_json.h"

#include <limits>
#include <set>

namespace nipc::tools {
namespace {

[[noreturn]] void fail(std::string_view key, std::string_view problem) {
  throw FieldError("\"" + std::string(key) + "\": " + std::string(problem));
}

std::uint64_t get_unsigned(const Json& object, std::string_view key, std::uint64_t max) {
  const Json& v = member(object, key);
  if (!v.is_number_unsigned()) fail(key, "expected a non-negative integer");
  const std::uint64_t n = v.get<std::uint64_t>();
  if (n > max) fail(key, "value " + std::to_string(n) + " does not fit the field");
  return n;
}

std::string bytes_as_string(const Bytes& bytes) { return std::string(bytes.begin(), bytes.end()); }

Json hex_json(std::span<const std::uint8_t> bytes) { return to_hex(bytes); }

Json hex_json(std::string_view text) {
  return to_hex(std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

}  // namespace

// ---- scalars and helpers ------------------------------------------------------------------

Json u64_json(std::uint64_t value) { return std::to_string(value); }

const Json& member(const Json& object, std::string_view key) {
  if (!object.is_object()) fail(key, "the enclosing value is not an object");
  const auto it = object.find(std::string(key));
  if (it == object.end()) fail(key, "missing");
  return *it;
}

std::uint64_t get_u64(const Json& object, std::string_view key) {
  const Json& v = member(object, key);
  if (!v.is_string()) fail(key, "expected a decimal string (64-bit values are strings)");
  const std::string& s = v.get_ref<const std::string&>();
  if (s.empty() || s.size() > 20 || (s.size() > 1 && s[0] == '0'))
    fail(key, "expected decimal digits without sign or leading zeros");
  std::uint64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') fail(key, "expected decimal digits without sign or leading zeros");
    const std::uint64_t digit = static_cast<std::uint64_t>(c - '0');
    if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
      fail(key, "value does not fit 64 bits");
    n = n * 10 + digit;
  }
  return n;
}

std::uint32_t get_u32(const Json& object, std::string_view key) {
  return static_cast<std::uint32_t>(
      get_unsigned(object, key, std::numeric_limits<std::uint32_t>::max()));
}

std::uint16_t get_u16(const Json& object, std::string_view key) {
  return static_cast<std::uint16_t>(
      get_unsigned(object, key, std::numeric_limits<std::uint16_t>::max()));
}

Bytes get_hex(const Json& object, std::string_view key) {
  const Json& v = member(object, key);
  if (!v.is_string()) fail(key, "expected hex text");
  std::optional<Bytes> bytes = from_hex(v.get_ref<const std::string&>());
  if (!bytes) fail(key, "expected an even number of hex digits");
  return std::move(*bytes);
}

void expect_keys(const Json& object, std::initializer_list<std::string_view> keys,
                 std::string_view what) {
  if (!object.is_object()) throw FieldError(std::string(what) + ": expected an object");
  const std::set<std::string_view> wanted(keys.begin(), keys.end());
  for (const auto& [key, value] : object.items()) {
    if (wanted.count(key) == 0) throw FieldError(std::string(what) + ": unknown key \"" + key + "\"");
  }
  for (std::string_view key : keys) (void)member(object, key);  // throws when missing
}

bool same_json(const Json& a, const Json& b) {
  // nlohmann::json sorts object keys; ordered_json compares them in insertion order.
  return nlohmann::json::parse(a.dump()) == nlohmann::json::parse(b.dump());
}

// ---- outer_header ---------------------------------------------------------------------------

Json header_to_json(const Header& h) {
  return Json{{"kind", static_cast<std::uint16_t>(h.kind)},
              {"flags", h.flags},
              {"code", h.code},
              {"transport_status", h.transport_status},
              {"payload_len", h.payload_len},
              {"item_count", h.item_count},
              {"message_id", u64_json(h.message_id)}};
}

Header header_from_json(const Json& f) {
  expect_keys(f, {"kind", "flags", "code", "transport_status", "payload_len", "item_count",
                  "message_id"},
              "outer header fields");
  Header h;
  const std::uint16_t kind = get_u16(f, "kind");
  if (kind < static_cast<std::uint16_t>(Kind::kRequest) ||
      kind > static_cast<std::uint16_t>(Kind::kControl))
    fail("kind", "must be 1, 2 or 3");
  h.kind = static_cast<Kind>(kind);
  h.flags = get_u16(f, "flags");
  h.code = get_u16(f, "code");
  h.transport_status = get_u16(f, "transport_status");
  h.payload_len = get_u32(f, "payload_len");
  h.item_count = get_u32(f, "item_count");
  h.message_id = get_u64(f, "message_id");
  return h;
}

Json limits_to_json(const DirectionLimits& l) {
  return Json{{"max_payload_bytes", l.max_payload_bytes}, {"max_batch_items", l.max_batch_items}};
}

DirectionLimits limits_from_json(const Json& j) {
  expect_keys(j, {"max_payload_bytes", "max_batch_items"}, "limits");
  return {get_u32(j, "max_payload_bytes"), get_u32(j, "max_batch_items")};
}

Json header_context_to_json(const std::optional<DirectionLimits>& limits) {
  Json context = Json::object();
  if (limits) context["limits"] = limits_to_json(*limits);
  return context;
}

std::optional<DirectionLimits> header_context_from_json(const Json& context) {
  if (context.is_object() && context.empty()) return std::nullopt;
  expect_keys(context, {"limits"}, "outer_header context");
  return limits_from_json(context["limits"]);
}

// ---- chunk_header ---------------------------------------------------------------------------

Json chunk_header_to_json(const ChunkHeader& c) {
  return Json{{"message_id", u64_json(c.message_id)},
              {"total_message_len", c.total_message_len},
              {"chunk_index", c.chunk_index},
              {"chunk_count", c.chunk_count},
              {"chunk_payload_len", c.chunk_payload_len}};
}

ChunkHeader chunk_header_from_json(const Json& f) {
  expect_keys(f, {"message_id", "total_message_len", "chunk_index", "chunk_count",
                  "chunk_payload_len"},
              "chunk header fields");
  ChunkHeader c;
  c.message_id = get_u64(f, "message_id");
  c.total_message_len = get_u32(f, "total_message_len");
  c.chunk_index = get_u32(f, "chunk_index");
  c.chunk_count = get_u32(f, "chunk_count");
  c.chunk_payload_len = get_u32(f, "chunk_payload_len");
  return c;
}

// ---- hello / hello_ack ----------------------------------------------------------------------

Json hello_to_json(const Hello& h) {
  return Json{{"supported_profiles", h.supported_profiles},
              {"preferred_profiles", h.preferred_profiles},
              {"max_request_payload_bytes", h.max_request_payload_bytes},
              {"max_request_batch_items", h.max_request_batch_items},
              {"max_response_payload_bytes", h.max_response_payload_bytes},
              {"max_response_batch_items", h.max_response_batch_items},
              {"auth_token", u64_json(h.auth_token)},
              {"packet_size", h.packet_size}};
}

Hello hello_from_json(const Json& f) {
  expect_keys(f, {"supported_profiles", "preferred_profiles", "max_request_payload_bytes",
                  "max_request_batch_items", "max_response_payload_bytes",
                  "max_response_batch_items", "auth_token", "packet_size"},
              "HELLO fields");
  Hello h;
  h.supported_profiles = get_u32(f, "supported_profiles");
  h.preferred_profiles = get_u32(f, "preferred_profiles");
  h.max_request_payload_bytes = get_u32(f, "max_request_payload_bytes");
  h.max_request_batch_items = get_u32(f, "max_request_batch_items");
  h.max_response_payload_bytes = get_u32(f, "max_response_payload_bytes");
  h.max_response_batch_items = get_u32(f, "max_response_batch_items");
  h.auth_token = get_u64(f, "auth_token");
  h.packet_size = get_u32(f, "packet_size");
  return h;
}

Json hello_ack_to_json(const HelloAck& a) {
  return Json{{"server_supported_profiles", a.server_supported_profiles},
              {"intersection_profiles", a.intersection_profiles},
              {"selected_profile", a.selected_profile},
              {"agreed_max_request_payload_bytes", a.agreed_max_request_payload_bytes},
              {"agreed_max_request_batch_items", a.agreed_max_request_batch_items},
              {"agreed_max_response_payload_bytes", a.agreed_max_response_payload_bytes},
              {"agreed_max_response_batch_items", a.agreed_max_response_batch_items},
              {"agreed_packet_size", a.agreed_packet_size},
              {"session_id", u64_json(a.session_id)}};
}

HelloAck hello_ack_from_json(const Json& f) {
  expect_keys(f, {"server_supported_profiles", "intersection_profiles", "selected_profile",
                  "agreed_max_request_payload_bytes", "agreed_max_request_batch_items",
                  "agreed_max_response_payload_bytes", "agreed_max_response_batch_items",
                  "agreed_packet_size", "session_id"},
              "HELLO_ACK fields");
  HelloAck a;
  a.server_supported_profiles = get_u32(f, "server_supported_profiles");
  a.intersection_profiles = get_u32(f, "intersection_profiles");
  a.selected_profile = get_u32(f, "selected_profile");
  a.agreed_max_request_payload_bytes = get_u32(f, "agreed_max_request_payload_bytes");
  a.agreed_max_request_batch_items = get_u32(f, "agreed_max_request_batch_items");
  a.agreed_max_response_payload_bytes = get_u32(f, "agreed_max_response_payload_bytes");
  a.agreed_max_response_batch_items = get_u32(f, "agreed_max_response_batch_items");
  a.agreed_packet_size = get_u32(f, "agreed_packet_size");
  a.session_id = get_u64(f, "session_id");
  return a;
}

// ---- batch ----------------------------------------------------------------------------------

Json batch_to_json(std::span<const Bytes> items) {
  Json list = Json::array();
  for (const Bytes& item : items) list.push_back(hex_json(item));
  return Json{{"items_hex", std::move(list)}};
}

std::vector<Bytes> batch_from_json(const Json& f) {
  expect_keys(f, {"items_hex"}, "batch fields");
  const Json& list = f["items_hex"];
  if (!list.is_array()) fail("items_hex", "expected an array of hex strings");
  std::vector<Bytes> items;
  items.reserve(list.size());
  for (const Json& item : list) {
    if (!item.is_string()) fail("items_hex", "expected an array of hex strings");
    std::optional<Bytes> bytes = from_hex(item.get_ref<const std::string&>());
    if (!bytes) fail("items_hex", "expected an even number of hex digits");
    items.push_back(std::move(*bytes));
  }
  return items;
}

Json batch_context_to_json(std::uint32_t item_count) { return Json{{"item_count", item_count}}; }

std::uint32_t batch_context_from_json(const Json& context) {
  expect_keys(context, {"item_count"}, "batch context");
  return get_u32(context, "item_count");
}

// ---- chunked_message ------------------------------------------------------------------------

Json message_to_json(const Message& m) {
  return Json{{"header", header_to_json(m.header)}, {"payload_hex", hex_json(m.payload)}};
}

Message message_from_json(const Json& f) {
  expect_keys(f, {"header", "payload_hex"}, "message fields");
  return {header_from_json(f["header"]), get_hex(f, "payload_hex")};
}

Json chunk_session_to_json(const ChunkSession& s) {
  return Json{{"packet_size", s.packet_size}, {"limits", limits_to_json(s.limits)}};
}

ChunkSession chunk_session_from_json(const Json& context) {
  expect_keys(context, {"packet_size", "limits"}, "chunked_message context");
  return {get_u32(context, "packet_size"), limits_from_json(context["limits"])};
}

// ---- typed payloads -------------------------------------------------------------------------

Json increment_to_json(std::uint64_t value) { return Json{{"value", u64_json(value)}}; }

std::uint64_t increment_from_json(const Json& f) {
  expect_keys(f, {"value"}, "increment fields");
  return get_u64(f, "value");
}

Json string_reverse_to_json(std::string_view text) {
  return Json{{"string_hex", hex_json(text)}};
}

std::string string_reverse_from_json(const Json& f) {
  expect_keys(f, {"string_hex"}, "string_reverse fields");
  return bytes_as_string(get_hex(f, "string_hex"));
}

Json snapshot_request_to_json() { return Json::object(); }

void snapshot_request_from_json(const Json& f) {
  expect_keys(f, {}, "cgroups_snapshot_request fields");
}

Json snapshot_to_json(const GeneratedSnapshot& s) {
  Json items = Json::array();
  for (const OwnedSnapshotItem& item : s.items) {
    items.push_back(Json{{"hash", item.hash},
                         {"options", item.options},
                         {"enabled", item.enabled},
                         {"name_hex", hex_json(item.name)},
                         {"path_hex", hex_json(item.path)}});
  }
  return Json{{"systemd_enabled", s.systemd_enabled},
              {"generation", u64_json(s.generation)},
              {"items", std::move(items)}};
}

GeneratedSnapshot snapshot_from_json(const Json& f) {
  expect_keys(f, {"systemd_enabled", "generation", "items"}, "snapshot fields");
  GeneratedSnapshot s;
  s.systemd_enabled = get_u32(f, "systemd_enabled");
  s.generation = get_u64(f, "generation");
  const Json& items = f["items"];
  if (!items.is_array()) fail("items", "expected an array of items");
  for (const Json& j : items) {
    expect_keys(j, {"hash", "options", "enabled", "name_hex", "path_hex"}, "snapshot item");
    OwnedSnapshotItem item;
    item.hash = get_u32(j, "hash");
    item.options = get_u32(j, "options");
    item.enabled = get_u32(j, "enabled");
    item.name = bytes_as_string(get_hex(j, "name_hex"));
    item.path = bytes_as_string(get_hex(j, "path_hex"));
    s.items.push_back(std::move(item));
  }
  return s;
}

// ---- handshake ------------------------------------------------------------------------------

Json policy_to_json(const ServerPolicy& p) {
  return Json{{"auth_token", u64_json(p.auth_token)},
              {"supported_profiles", p.supported_profiles},
              {"preferred_profiles", p.preferred_profiles},
              {"max_request_payload_bytes", p.max_request_payload_bytes},
              {"response_payload_bytes", p.response_payload_bytes},
              {"packet_size", p.packet_size},
              {"session_id", u64_json(p.session_id)}};
}

ServerPolicy policy_from_json(const Json& j) {
  expect_keys(j, {"auth_token", "supported_profiles", "preferred_profiles",
                  "max_request_payload_bytes", "response_payload_bytes", "packet_size",
                  "session_id"},
              "server policy");
  ServerPolicy p;
  p.auth_token = get_u64(j, "auth_token");
  p.supported_profiles = get_u32(j, "supported_profiles");
  p.preferred_profiles = get_u32(j, "preferred_profiles");
  p.max_request_payload_bytes = get_u32(j, "max_request_payload_bytes");
  p.response_payload_bytes = get_u32(j, "response_payload_bytes");
  p.packet_size = get_u32(j, "packet_size");
  p.session_id = get_u64(j, "session_id");
  return p;
}

Json decide_context_to_json(const ServerPolicy& policy) {
  return Json{{"policy", policy_to_json(policy)}};
}

ServerPolicy decide_context_from_json(const Json& context) {
  expect_keys(context, {"policy"}, "handshake_decide context");
  return policy_from_json(context["policy"]);
}

Json decide_reply_to_json(std::span<const std::uint8_t> reply_packet) {
  return Json{{"reply_hex", hex_json(reply_packet)}};
}

Json check_ack_context_to_json(const Hello& sent) { return Json{{"hello", hello_to_json(sent)}}; }

Hello check_ack_context_from_json(const Json& context) {
  expect_keys(context, {"hello"}, "handshake_check_ack context");
  return hello_from_json(context["hello"]);
}

std::string status_class(TransportStatus status) {
  switch (status) {
    case TransportStatus::kOk: return "StatusOk";
    case TransportStatus::kBadEnvelope: return "StatusBadEnvelope";
    case TransportStatus::kAuthFailed: return "StatusAuthFailed";
    case TransportStatus::kIncompatible: return "StatusIncompatible";
    case TransportStatus::kUnsupported: return "StatusUnsupported";
    case TransportStatus::kLimitExceeded: return "StatusLimitExceeded";
    case TransportStatus::kInternalError: return "StatusInternalError";
  }
  return "Status" + std::to_string(static_cast<std::uint16_t>(status));
}

}  // namespace nipc::tools
