// Structure fields <-> JSON, exactly as vectors/README.md describes them. One pair of
// functions per vector family (and per context object), shared by the vector generator and
// the codec testee, so that the two cannot disagree on a key name or an encoding.
//
// Encoding rules: integers of up to 32 bits are JSON numbers; 64-bit integers are decimal
// strings; byte strings are lower-case hex under keys ending in `_hex`. Objects list their
// keys in wire order. Parsers are strict: a missing key, an unknown key, a wrong type or a
// value that does not fit its field is a FieldError naming the key.
#ifndef NIPC_TOOLS_COMMON_FIELDS_JSON_H_
#define NIPC_TOOLS_COMMON_FIELDS_JSON_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/hex.h"
#include "nipc/codec/chunk.h"
#include "nipc/codec/envelope.h"
#include "nipc/codec/handshake.h"
#include "nipc/codec/header.h"
#include "nipc/codec/hello.h"
#include "nipc/testing/snapshot_fixture.h"

namespace nipc::tools {

/// JSON that keeps keys in insertion order, so generated files read in wire order.
using Json = nlohmann::ordered_json;

/// A JSON value without the shape vectors/README.md gives it; the message names the key.
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// ---- scalars and helpers ------------------------------------------------------------------

/// A u64 as JSON: its decimal digits as a string.
Json u64_json(std::uint64_t value);

/// Member `key` of `object`; FieldError when `object` is not an object or lacks the key.
const Json& member(const Json& object, std::string_view key);
/// Member `key` as a u64 written as a decimal string (no sign, no leading zeros).
std::uint64_t get_u64(const Json& object, std::string_view key);
/// Member `key` as a JSON unsigned integer no larger than UINT32_MAX.
std::uint32_t get_u32(const Json& object, std::string_view key);
/// Member `key` as a JSON unsigned integer no larger than UINT16_MAX.
std::uint16_t get_u16(const Json& object, std::string_view key);
/// Member `key` as hex text (an even number of hex digits).
Bytes get_hex(const Json& object, std::string_view key);

/// FieldError unless `object` is an object whose keys are exactly `keys`.
void expect_keys(const Json& object, std::initializer_list<std::string_view> keys,
                 std::string_view what);

/// True when `a` and `b` are the same JSON value, ignoring the order of object keys.
bool same_json(const Json& a, const Json& b);

// ---- outer_header ---------------------------------------------------------------------------

/// {"kind", "flags", "code", "transport_status", "payload_len", "item_count", "message_id"}.
/// Magic, version and header_len are implied by a decoded header and are not fields.
Json header_to_json(const Header& header);
/// Also refuses a kind outside 1..3: such a header has no encoding.
Header header_from_json(const Json& fields);

/// {"max_payload_bytes", "max_batch_items"}: one direction's negotiated limits.
Json limits_to_json(const DirectionLimits& limits);
DirectionLimits limits_from_json(const Json& limits);

/// outer_header context: {} or {"limits": {...}} (the receiver's direction limits, checked
/// after the header decodes, ENV-LIMIT-001/002).
Json header_context_to_json(const std::optional<DirectionLimits>& limits);
std::optional<DirectionLimits> header_context_from_json(const Json& context);

// ---- chunk_header ---------------------------------------------------------------------------

/// {"message_id", "total_message_len", "chunk_index", "chunk_count", "chunk_payload_len"}.
Json chunk_header_to_json(const ChunkHeader& chunk);
ChunkHeader chunk_header_from_json(const Json& fields);

// ---- hello / hello_ack ----------------------------------------------------------------------

/// {"supported_profiles", "preferred_profiles", "max_request_payload_bytes",
///  "max_request_batch_items", "max_response_payload_bytes", "max_response_batch_items",
///  "auth_token", "packet_size"}. layout_version, flags and reserved are implied.
Json hello_to_json(const Hello& hello);
Hello hello_from_json(const Json& fields);

/// {"server_supported_profiles", "intersection_profiles", "selected_profile",
///  "agreed_max_request_payload_bytes", "agreed_max_request_batch_items",
///  "agreed_max_response_payload_bytes", "agreed_max_response_batch_items",
///  "agreed_packet_size", "session_id"}.
Json hello_ack_to_json(const HelloAck& ack);
HelloAck hello_ack_from_json(const Json& fields);

// ---- batch ----------------------------------------------------------------------------------

/// {"items_hex": ["..", ...]}: the items in directory order.
Json batch_to_json(std::span<const Bytes> items);
std::vector<Bytes> batch_from_json(const Json& fields);

/// batch context: {"item_count": N} (the outer header's item_count).
Json batch_context_to_json(std::uint32_t item_count);
std::uint32_t batch_context_from_json(const Json& context);

// ---- chunked_message ------------------------------------------------------------------------

/// A whole logical message: its outer header and its payload.
struct Message {
  Header header;
  Bytes payload;
  friend bool operator==(const Message&, const Message&) = default;
};

/// {"header": {outer_header fields}, "payload_hex": ".."}.
Json message_to_json(const Message& message);
Message message_from_json(const Json& fields);

/// What a receiver of a chunked message knows about its session: the agreed packet size and
/// its direction's limits.
struct ChunkSession {
  std::uint32_t packet_size = 0;
  DirectionLimits limits;
};

/// chunked_message context: {"packet_size": P, "limits": {...}}.
Json chunk_session_to_json(const ChunkSession& session);
ChunkSession chunk_session_from_json(const Json& context);

// ---- typed payloads -------------------------------------------------------------------------

/// increment: {"value": "<decimal u64>"}.
Json increment_to_json(std::uint64_t value);
std::uint64_t increment_from_json(const Json& fields);

/// string_reverse: {"string_hex": ".."} (the string bytes, NUL excluded).
Json string_reverse_to_json(std::string_view text);
std::string string_reverse_from_json(const Json& fields);

/// cgroups_snapshot_request: {} (the request carries no values).
Json snapshot_request_to_json();
void snapshot_request_from_json(const Json& fields);

/// cgroups_snapshot_response: {"systemd_enabled", "generation", "items": [{"hash",
/// "options", "enabled", "name_hex", "path_hex"}, ...]}.
Json snapshot_to_json(const GeneratedSnapshot& snapshot);
GeneratedSnapshot snapshot_from_json(const Json& fields);

// ---- handshake_decide / handshake_check_ack -------------------------------------------------

/// {"auth_token", "supported_profiles", "preferred_profiles", "max_request_payload_bytes",
///  "response_payload_bytes", "packet_size", "session_id"}.
Json policy_to_json(const ServerPolicy& policy);
ServerPolicy policy_from_json(const Json& policy);

/// handshake_decide context: {"policy": {...}}.
Json decide_context_to_json(const ServerPolicy& policy);
ServerPolicy decide_context_from_json(const Json& context);

/// handshake_decide fields of an accepted HELLO: {"reply_hex": "<HELLO_ACK packet>"}.
Json decide_reply_to_json(std::span<const std::uint8_t> reply_packet);

/// handshake_check_ack context: {"hello": {hello fields}}, the HELLO the client sent.
Json check_ack_context_to_json(const Hello& sent);
Hello check_ack_context_from_json(const Json& context);

/// The error class of a server's rejection: "Status" + the status in PascalCase, e.g.
/// "StatusAuthFailed" for AUTH_FAILED.
std::string status_class(TransportStatus status);

/// The error class of a first packet the server closes on without replying.
inline constexpr std::string_view kSilentClose = "SilentClose";

}  // namespace nipc::tools

#endif  // NIPC_TOOLS_COMMON_FIELDS_JSON_H_
