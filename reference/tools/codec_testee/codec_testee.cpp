#include "codec_testee/codec_testee.h"

#include <algorithm>
#include <array>
#include <iostream>
#include <istream>
#include <map>
#include <ostream>
#include <string>

#include "nipc/codec/batch.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "common/lookup_json.h"
#include "nipc/codec/increment.h"
#include "nipc/codec/lookup.h"
#include "nipc/codec/string_reverse.h"
#include "nipc/transport/win_names.h"

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#ifndef NIPC_VERSION
#define NIPC_VERSION "unknown"
#endif

namespace nipc::tools {
namespace {

constexpr std::array<std::string_view, 17> kFamilies = {
    "outer_header",       "chunk_header",       "hello",
    "hello_ack",          "batch",              "chunked_message",
    "increment",          "string_reverse",     "cgroups_snapshot_request",
    "cgroups_snapshot_response", "handshake_decide", "handshake_check_ack",
    "windows_names",      "cgroups_lookup_request", "cgroups_lookup_response",
    "apps_lookup_request", "apps_lookup_response"};

// A chunked message's payload is buffered whole; a larger declared payload is refused as a
// request this testee cannot serve rather than allocated.
constexpr std::uint32_t kMaxBufferedPayload = 256u << 20;

// Requests larger than this are skipped unread rather than buffered.
constexpr std::uint32_t kMaxRequestBytes = 64u << 20;

/// A request this testee cannot answer as asked (a tool-level problem, not a codec verdict).
class RequestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Json valid(Json fields) { return Json{{"result", "valid"}, {"fields", std::move(fields)}}; }
Json invalid(std::string_view error) { return Json{{"result", "invalid"}, {"error", error}}; }
Json invalid(Error e) { return invalid(error_name(e)); }
Json unsupported(std::string reason) {
  return Json{{"result", "unsupported"}, {"reason", std::move(reason)}};
}
Json encoded(std::span<const std::uint8_t> bytes) {
  return Json{{"result", "valid"}, {"hex", to_hex(bytes)}};
}

const Json& context_of(const Json& request) {
  static const Json kEmpty = Json::object();
  const auto it = request.find("context");
  return it == request.end() ? kEmpty : *it;
}

Bytes single_input(const Json& request) {
  if (request.contains("packets")) throw RequestError("this family takes \"hex\", not \"packets\"");
  return get_hex(request, "hex");
}

std::vector<Bytes> packet_input(const Json& request) {
  if (request.contains("hex")) throw RequestError("this family takes \"packets\", not \"hex\"");
  const Json& list = member(request, "packets");
  if (!list.is_array() || list.empty()) throw FieldError("\"packets\": expected a non-empty array");
  std::vector<Bytes> packets;
  for (const Json& p : list) {
    if (!p.is_string()) throw FieldError("\"packets\": expected hex strings");
    std::optional<Bytes> bytes = from_hex(p.get_ref<const std::string&>());
    if (!bytes) throw FieldError("\"packets\": expected an even number of hex digits");
    packets.push_back(std::move(*bytes));
  }
  return packets;
}

GeneratedSnapshot owned_snapshot(const SnapshotView& view) {
  GeneratedSnapshot s;
  s.systemd_enabled = view.systemd_enabled();
  s.generation = view.generation();
  for (std::uint32_t i = 0; i < view.size(); ++i) {
    const Result<SnapshotItem> item = view.item(i);
    if (!item) throw RequestError("item of a validated snapshot failed: " +
                                  std::string(error_name(item.error())));
    s.items.push_back({item->hash, item->options, item->enabled, std::string(item->name),
                       std::string(item->path)});
  }
  return s;
}

// ---- decode, one function per family --------------------------------------------------------

Json decode_outer_header(const Json& request) {
  const Bytes bytes = single_input(request);
  const std::optional<DirectionLimits> limits = header_context_from_json(context_of(request));
  const Result<Header> h = decode_header(bytes);
  if (!h) return invalid(h.error());
  if (limits) {
    if (const Result<void> r = check_inbound_limits(*h, *limits); !r) return invalid(r.error());
  }
  return valid(header_to_json(*h));
}

Json decode_chunk_header_family(const Json& request) {
  const Result<ChunkHeader> c = decode_chunk_header(single_input(request));
  return c ? valid(chunk_header_to_json(*c)) : invalid(c.error());
}

Json decode_hello_family(const Json& request) {
  const Result<Hello> h = decode_hello(single_input(request));
  return h ? valid(hello_to_json(*h)) : invalid(h.error());
}

Json decode_hello_ack_family(const Json& request) {
  const Result<HelloAck> a = decode_hello_ack(single_input(request));
  return a ? valid(hello_ack_to_json(*a)) : invalid(a.error());
}

Json decode_batch_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const std::uint32_t item_count = batch_context_from_json(context_of(request));
  const Result<BatchView> view = BatchView::parse(bytes, item_count);
  if (!view) return invalid(view.error());
  std::vector<Bytes> items;
  for (std::uint32_t i = 0; i < view->size(); ++i) {
    const Result<ConstBytes> item = view->item(i);
    if (!item) return invalid(item.error());
    items.emplace_back(item->begin(), item->end());
  }
  return valid(batch_to_json(items));
}

Json decode_chunked_message(const Json& request) {
  const std::vector<Bytes> packets = packet_input(request);
  const ChunkSession session = chunk_session_from_json(context_of(request));
  // The reassembler wants a buffer for the largest payload the limits allow; a buffer of
  // exactly the declared payload_len answers the same, since a payload_len above the limits
  // fails before the buffer is consulted.
  std::uint32_t buffered = 0;
  if (const Result<Header> h = decode_header(packets.front());
      h && h->payload_len <= session.limits.max_payload_bytes) {
    buffered = h->payload_len;
  }
  if (buffered > kMaxBufferedPayload)
    throw RequestError("payload_len " + std::to_string(buffered) + " is more than this testee buffers");
  Bytes buffer(buffered);
  Reassembler reassembler(session.packet_size, session.limits, buffer);

  Result<Reassembler::Progress> progress = reassembler.first(packets.front());
  if (!progress) return invalid(progress.error());
  for (std::size_t i = 1; i < packets.size(); ++i) {
    // Packets after the last one are offered too: the reassembler refuses them.
    progress = reassembler.next(packets[i]);
    if (!progress) return invalid(progress.error());
  }
  if (*progress != Reassembler::Progress::kComplete)
    throw RequestError("the packets end before the message is complete");
  const ConstBytes payload = reassembler.payload();
  return valid(message_to_json({reassembler.header(), Bytes(payload.begin(), payload.end())}));
}

Json decode_increment_family(const Json& request) {
  const Result<std::uint64_t> v = decode_increment(single_input(request));
  return v ? valid(increment_to_json(*v)) : invalid(v.error());
}

Json decode_string_reverse_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const Result<std::string_view> s = decode_string_reverse(bytes);
  return s ? valid(string_reverse_to_json(*s)) : invalid(s.error());
}

Json decode_snapshot_request_family(const Json& request) {
  const Result<void> r = decode_snapshot_request(single_input(request));
  return r ? valid(snapshot_request_to_json()) : invalid(r.error());
}

Json decode_snapshot_response_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const Result<SnapshotView> view = decode_snapshot(bytes);
  return view ? valid(snapshot_to_json(owned_snapshot(*view))) : invalid(view.error());
}

Json decode_cgroups_lookup_request_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const auto view = CgroupsLookupRequestView::parse(bytes);
  return view ? valid(cgroups_lookup_request_to_json(owned_paths(*view))) : invalid(view.error());
}

Json decode_apps_lookup_request_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const auto view = AppsLookupRequestView::parse(bytes);
  return view ? valid(apps_lookup_request_to_json(owned_pids(*view))) : invalid(view.error());
}

Json decode_cgroups_lookup_response_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const auto view = CgroupsLookupResponseView::parse(bytes);
  return view ? valid(cgroups_lookup_to_json(owned_cgroups_lookup(*view))) : invalid(view.error());
}

Json decode_apps_lookup_response_family(const Json& request) {
  const Bytes bytes = single_input(request);
  const auto view = AppsLookupResponseView::parse(bytes);
  return view ? valid(apps_lookup_to_json(owned_apps_lookup(*view))) : invalid(view.error());
}

// ---- encode, one function per family --------------------------------------------------------

using Encoder = Result<std::size_t> (*)(const Json& fields, const Json& context, Bytes* out);

Result<std::size_t> encode_outer_header(const Json& fields, const Json&, Bytes* out) {
  const auto bytes = encode_header(header_from_json(fields));
  out->assign(bytes.begin(), bytes.end());
  return out->size();
}

Result<std::size_t> encode_chunk_header_family(const Json& fields, const Json&, Bytes* out) {
  const auto bytes = encode_chunk_header(chunk_header_from_json(fields));
  out->assign(bytes.begin(), bytes.end());
  return out->size();
}

Result<std::size_t> encode_hello_family(const Json& fields, const Json&, Bytes* out) {
  const auto bytes = encode_hello(hello_from_json(fields));
  out->assign(bytes.begin(), bytes.end());
  return out->size();
}

Result<std::size_t> encode_hello_ack_family(const Json& fields, const Json&, Bytes* out) {
  const auto bytes = encode_hello_ack(hello_ack_from_json(fields));
  out->assign(bytes.begin(), bytes.end());
  return out->size();
}

Result<std::size_t> encode_batch_family(const Json& fields, const Json& context, Bytes* out) {
  const std::vector<Bytes> items = batch_from_json(fields);
  if (batch_context_from_json(context) != items.size())
    throw RequestError("context item_count differs from the number of items");
  const std::vector<ConstBytes> views(items.begin(), items.end());
  out->resize(static_cast<std::size_t>(batch_encoded_size(views)));
  return encode_batch(views, *out);
}

Result<std::size_t> encode_increment_family(const Json& fields, const Json&, Bytes* out) {
  out->resize(increment_encoded_size());
  return encode_increment(increment_from_json(fields), *out);
}

Result<std::size_t> encode_string_reverse_family(const Json& fields, const Json&, Bytes* out) {
  const std::string text = string_reverse_from_json(fields);
  out->resize(static_cast<std::size_t>(string_reverse_encoded_size(text.size())));
  return encode_string_reverse(text, *out);
}

Result<std::size_t> encode_snapshot_request_family(const Json& fields, const Json&, Bytes* out) {
  snapshot_request_from_json(fields);
  out->resize(snapshot_request_encoded_size());
  return encode_snapshot_request(*out);
}

Result<std::size_t> encode_snapshot_response_family(const Json& fields, const Json&,
                                                    Bytes* out) {
  const GeneratedSnapshot snapshot = snapshot_from_json(fields);
  const std::vector<SnapshotItem> views = snapshot.views();
  out->resize(static_cast<std::size_t>(snapshot_encoded_size(views)));
  return encode_snapshot(snapshot.systemd_enabled, snapshot.generation, views, *out);
}

Result<std::size_t> encode_cgroups_lookup_request_family(const Json& fields, const Json&,
                                                         Bytes* out) {
  return encode_owned(cgroups_lookup_request_from_json(fields), out);
}

Result<std::size_t> encode_apps_lookup_request_family(const Json& fields, const Json&, Bytes* out) {
  return encode_owned(apps_lookup_request_from_json(fields), out);
}

Result<std::size_t> encode_cgroups_lookup_response_family(const Json& fields, const Json&,
                                                          Bytes* out) {
  return encode_owned(cgroups_lookup_from_json(fields), out);
}

Result<std::size_t> encode_apps_lookup_response_family(const Json& fields, const Json&,
                                                       Bytes* out) {
  return encode_owned(apps_lookup_from_json(fields), out);
}

Json encode_chunked_message(const Json& request) {
  const Message message = message_from_json(member(request, "fields"));
  const ChunkSession session = chunk_session_from_json(context_of(request));
  const auto packets = split_message(message.header, message.payload, session.packet_size);
  if (!packets) return invalid(packets.error());
  Json list = Json::array();
  for (const auto& p : *packets) list.push_back(to_hex(p));
  return Json{{"result", "valid"}, {"packets", std::move(list)}};
}

// ---- decide and check_ack -------------------------------------------------------------------

Json decide_first_packet_family(const Json& request) {
  Bytes packet = single_input(request);
  const ServerPolicy policy = decide_context_from_json(context_of(request));
  if (const Result<void> r = validate_policy(policy); !r)
    throw RequestError("the policy is not a valid server configuration: " +
                       std::string(error_name(r.error())));
  // The server reads the first packet into a 128-byte buffer (HS-FLOW-001).
  if (packet.size() > kHandshakeReadSize) packet.resize(kHandshakeReadSize);
  const FirstPacketVerdict verdict = decide_first_packet(packet, policy);
  if (!verdict.reply) return invalid(kSilentClose);
  const AckPacket reply = encode_ack_packet(*verdict.reply);
  if (verdict.reply->status == TransportStatus::kOk) return valid(decide_reply_to_json(reply));
  Json answer = invalid(status_class(verdict.reply->status));
  answer["hex"] = to_hex(reply);
  return answer;
}

Json check_ack_family(const Json& request) {
  const Bytes packet = single_input(request);
  const Hello sent = check_ack_context_from_json(context_of(request));
  const Result<HelloAck> ack = check_ack_packet(sent, packet);
  return ack ? valid(hello_ack_to_json(*ack)) : invalid(ack.error());
}

// ---- windows_names: the names op ------------------------------------------------------------

std::string get_string(const Json& object, std::string_view key) {
  const Json& v = member(object, key);
  if (!v.is_string()) throw FieldError("\"" + std::string(key) + "\": expected a string");
  return v.get<std::string>();
}

// A hash given as its 16 lower-case hex digits (the form hex16 writes).
std::uint64_t get_hash16(const Json& object, std::string_view key) {
  const std::string text = get_string(object, key);
  std::uint64_t h = 0;
  for (char c : text) {
    const bool digit = c >= '0' && c <= '9';
    const bool lower = c >= 'a' && c <= 'f';
    if (!digit && !lower) throw FieldError("\"" + std::string(key) + "\": expected lower-case hex");
    h = (h << 4) | static_cast<std::uint64_t>(digit ? c - '0' : c - 'a' + 10);
  }
  if (text.size() != 16) throw FieldError("\"" + std::string(key) + "\": expected 16 hex digits");
  return h;
}

Json invalid(const TransportError& e) { return invalid(transport_error_name(e.kind)); }

// context.object says which name is derived: "pipe" (an endpoint's pipe), "shm" (a session's
// kernel objects, hashing run_dir, service and token) or "shm_from_hash" (the same from a
// hash given directly: the only way to reach the zero-hash rule).
Json names_answer(const Json& request) {
  if (request.contains("hex") || request.contains("packets"))
    throw RequestError("windows_names takes only \"context\"");
  const Json& context = context_of(request);
  const std::string object = get_string(context, "object");
  if (object == "pipe") {
    expect_keys(context, {"object", "run_dir", "service"}, "context");
    const std::string run_dir = get_string(context, "run_dir");
    const TransportResult<std::string> name = win::pipe_name(run_dir, get_string(context, "service"));
    if (!name) return invalid(name.error());
    return valid(Json{{"run_dir_hash", win::hex16(win::fnv1a64(run_dir))}, {"pipe_name", *name}});
  }
  if (object == "shm") {
    expect_keys(context, {"object", "run_dir", "service", "auth_token", "profile", "session_id"},
                "context");
    const std::string run_dir = get_string(context, "run_dir");
    const std::string service = get_string(context, "service");
    const std::uint64_t token = get_u64(context, "auth_token");
    const TransportResult<win::ShmObjectNames> names =
        win::shm_object_names(run_dir, service, token, get_u32(context, "profile"),
                              get_u64(context, "session_id"));
    if (!names) return invalid(names.error());
    const std::string input = win::shm_hash_input(run_dir, service, token);
    return valid(Json{{"hash_input", input},
                      {"hash", win::hex16(win::fnv1a64(input))},
                      {"mapping", names->mapping},
                      {"request_event", names->request_event},
                      {"response_event", names->response_event}});
  }
  if (object == "shm_from_hash") {
    expect_keys(context, {"object", "hash", "service", "profile", "session_id"}, "context");
    const TransportResult<std::string> prefix = win::shm_prefix_from_hash(
        get_hash16(context, "hash"), get_string(context, "service"), get_u32(context, "profile"),
        get_u64(context, "session_id"));
    if (!prefix) return invalid(prefix.error());
    return valid(Json{{"prefix", *prefix}});
  }
  throw FieldError("\"object\": expected pipe, shm or shm_from_hash");
}

// ---- dispatch -------------------------------------------------------------------------------

struct FamilyOps {
  Json (*decode)(const Json&) = nullptr;
  Encoder encode = nullptr;
};

const std::map<std::string_view, FamilyOps>& family_table() {
  static const std::map<std::string_view, FamilyOps> table = {
      {"outer_header", {decode_outer_header, encode_outer_header}},
      {"chunk_header", {decode_chunk_header_family, encode_chunk_header_family}},
      {"hello", {decode_hello_family, encode_hello_family}},
      {"hello_ack", {decode_hello_ack_family, encode_hello_ack_family}},
      {"batch", {decode_batch_family, encode_batch_family}},
      {"chunked_message", {decode_chunked_message, nullptr}},
      {"increment", {decode_increment_family, encode_increment_family}},
      {"string_reverse", {decode_string_reverse_family, encode_string_reverse_family}},
      {"cgroups_snapshot_request",
       {decode_snapshot_request_family, encode_snapshot_request_family}},
      {"cgroups_snapshot_response",
       {decode_snapshot_response_family, encode_snapshot_response_family}},
      {"handshake_decide", {nullptr, nullptr}},
      {"handshake_check_ack", {nullptr, nullptr}},
      {"windows_names", {nullptr, nullptr}},
      {"cgroups_lookup_request",
       {decode_cgroups_lookup_request_family, encode_cgroups_lookup_request_family}},
      {"cgroups_lookup_response",
       {decode_cgroups_lookup_response_family, encode_cgroups_lookup_response_family}},
      {"apps_lookup_request",
       {decode_apps_lookup_request_family, encode_apps_lookup_request_family}},
      {"apps_lookup_response",
       {decode_apps_lookup_response_family, encode_apps_lookup_response_family}},
  };
  return table;
}

Json hello_answer() {
  Json families = Json::array();
  for (std::string_view f : kFamilies) families.push_back(f);
  return Json{{"result", "valid"},
              {"implementation", std::string("netipc-cts reference ") + NIPC_VERSION},
              {"families", std::move(families)}};
}

Json answer(const Json& request) {
  if (!request.is_object()) throw RequestError("a request is a JSON object");
  const Json& op_json = member(request, "op");
  if (!op_json.is_string()) throw FieldError("\"op\": expected a string");
  const std::string& op = op_json.get_ref<const std::string&>();
  if (op == "hello") return hello_answer();
  if (op != "decode" && op != "encode" && op != "decide" && op != "check_ack" && op != "names")
    return unsupported("unknown op " + op);

  const Json& family_json = member(request, "family");
  if (!family_json.is_string()) throw FieldError("\"family\": expected a string");
  const std::string& family = family_json.get_ref<const std::string&>();
  const auto it = family_table().find(family);
  if (it == family_table().end()) return unsupported("unknown family " + family);
  const FamilyOps& ops = it->second;

  if (op == "decide") {
    if (family != "handshake_decide") return unsupported("decide is for handshake_decide");
    return decide_first_packet_family(request);
  }
  if (op == "names") {
    if (family != "windows_names") return unsupported("names is for windows_names");
    return names_answer(request);
  }
  if (family == "windows_names") return unsupported("windows_names is answered by names");
  if (op == "check_ack") {
    if (family != "handshake_check_ack") return unsupported("check_ack is for handshake_check_ack");
    return check_ack_family(request);
  }
  if (op == "decode") {
    if (ops.decode == nullptr) return unsupported(family + " is answered by decide or check_ack");
    return ops.decode(request);
  }
  if (op == "encode") {
    if (family == "chunked_message") return encode_chunked_message(request);
    if (ops.encode == nullptr) return unsupported(family + " has no encoding");
    Bytes out;
    const Result<std::size_t> n = ops.encode(member(request, "fields"), context_of(request), &out);
    if (!n) return invalid(n.error());
    out.resize(*n);
    return encoded(out);
  }
  return unsupported("unknown op " + op);  // not reached: the ops were checked above
}

bool read_exact(std::istream& in, char* data, std::size_t n) {
  in.read(data, static_cast<std::streamsize>(n));
  return static_cast<std::size_t>(in.gcount()) == n;
}

bool skip_exact(std::istream& in, std::uint64_t n) {
  std::array<char, 65536> sink;
  while (n > 0) {
    const std::size_t step = static_cast<std::size_t>(std::min<std::uint64_t>(n, sink.size()));
    if (!read_exact(in, sink.data(), step)) return false;
    n -= step;
  }
  return true;
}

bool write_message(std::ostream& out, const Json& message) {
  const std::string body = message.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::array<std::uint8_t, 4> length;
  store_u32le(length.data(), static_cast<std::uint32_t>(body.size()));
  out.write(reinterpret_cast<const char*>(length.data()), length.size());
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  out.flush();
  return static_cast<bool>(out);
}

Json error_answer(std::string message) {
  return Json{{"result", "error"}, {"message", std::move(message)}};
}

}  // namespace

std::span<const std::string_view> codec_testee_families() { return kFamilies; }

Json answer_codec_request(const Json& request) noexcept {
  try {
    return answer(request);
  } catch (const std::exception& e) {
    try {
      return error_answer(e.what());
    } catch (...) {
    }
  } catch (...) {
  }
  return Json();  // only when even the error answer could not be built (out of memory)
}

int run_codec_testee(std::istream& in, std::ostream& out) {
  for (;;) {
    std::array<std::uint8_t, 4> prefix;
    if (!read_exact(in, reinterpret_cast<char*>(prefix.data()), prefix.size())) return 0;
    const std::uint32_t length = load_u32le(prefix.data());
    Json response;
    if (length > kMaxRequestBytes) {
      if (!skip_exact(in, length)) return 0;
      response = error_answer("request of " + std::to_string(length) + " bytes is too large");
    } else {
      std::string body(length, '\0');
      if (!read_exact(in, body.data(), body.size())) return 0;
      Json request = Json::parse(body, nullptr, /*allow_exceptions=*/false);
      response = request.is_discarded() ? error_answer("the request is not valid JSON")
                                        : answer_codec_request(request);
      if (response.is_null()) response = error_answer("out of memory");
    }
    if (!write_message(out, response)) return 1;
  }
}

int run_codec_testee_on_stdio() {
#ifdef _WIN32
  _setmode(_fileno(stdin), _O_BINARY);
  _setmode(_fileno(stdout), _O_BINARY);
#endif
  // run_codec_testee flushes after each answer, so the streams need neither C stdio
  // synchronisation nor tying.
  std::ios::sync_with_stdio(false);
  std::cin.tie(nullptr);
  return run_codec_testee(std::cin, std::cout);
}

}  // namespace nipc::tools
