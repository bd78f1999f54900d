#include "wire.h"

#include <cstdio>

#include "nipc/codec/batch.h"
#include "nipc/codec/chunk.h"
#include "nipc/codec/header.h"
#include "nipc/codec/hello.h"

namespace nipc::peer {
namespace {

std::string dec(std::uint64_t v) { return std::to_string(v); }

std::string profile_bits(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02x", v);
  return buf;
}

}  // namespace

std::string hex32(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hex(ConstBytes b, std::size_t max_bytes) {
  std::string out;
  std::size_t n = b.size() < max_bytes ? b.size() : max_bytes;
  out.reserve(n * 3);
  static const char* digits = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    if (i) out += ' ';
    out += digits[b[i] >> 4];
    out += digits[b[i] & 15];
  }
  if (n < b.size()) out += " ... (" + std::to_string(b.size() - n) + " more)";
  return out;
}

std::string status_name(std::uint16_t s) {
  switch (s) {
    case 0: return "OK";
    case 1: return "BAD_ENVELOPE";
    case 2: return "AUTH_FAILED";
    case 3: return "INCOMPATIBLE";
    case 4: return "UNSUPPORTED";
    case 5: return "LIMIT_EXCEEDED";
    case 6: return "INTERNAL_ERROR";
    default: return "undefined " + dec(s);
  }
}

std::string kind_name(std::uint16_t k) {
  switch (k) {
    case 1: return "REQUEST";
    case 2: return "RESPONSE";
    case 3: return "CONTROL";
    default: return "invalid " + dec(k);
  }
}

void Packet::u16(std::string name, std::uint16_t v, std::string value) {
  fields.push_back({bytes.size(), 2, std::move(name), value.empty() ? dec(v) : value});
  bytes.resize(bytes.size() + 2);
  store_u16le(bytes.data() + bytes.size() - 2, v);
}

void Packet::u32(std::string name, std::uint32_t v, std::string value) {
  fields.push_back({bytes.size(), 4, std::move(name), value.empty() ? dec(v) : value});
  bytes.resize(bytes.size() + 4);
  store_u32le(bytes.data() + bytes.size() - 4, v);
}

void Packet::u64(std::string name, std::uint64_t v, std::string value) {
  fields.push_back({bytes.size(), 8, std::move(name), value.empty() ? dec(v) : value});
  bytes.resize(bytes.size() + 8);
  store_u64le(bytes.data() + bytes.size() - 8, v);
}

void Packet::raw(std::string name, ConstBytes b, std::string value) {
  if (b.empty()) return;
  fields.push_back({bytes.size(), b.size(), std::move(name),
                    value.empty() ? dec(b.size()) + " bytes" : value});
  bytes.insert(bytes.end(), b.begin(), b.end());
}

void Packet::append(const Packet& other, const std::string& prefix) {
  std::size_t base = bytes.size();
  for (const Field& f : other.fields)
    fields.push_back({base + f.offset, f.size, prefix + f.name, f.value});
  bytes.insert(bytes.end(), other.bytes.begin(), other.bytes.end());
}

Packet Packet::prefix(std::size_t n) const {
  Packet out;
  out.what = what + " (first " + std::to_string(n) + " bytes)";
  out.bytes.assign(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n < size() ? n : size()));
  for (const Field& f : fields) {
    if (f.offset >= out.bytes.size()) break;
    Field g = f;
    if (g.offset + g.size > out.bytes.size()) {
      g.size = out.bytes.size() - g.offset;
      g.value = "(cut)";
    }
    out.fields.push_back(g);
  }
  return out;
}

Packet encode(const RawHeader& h) {
  Packet p;
  p.u32("magic", h.magic, hex32(h.magic));
  p.u16("version", h.version);
  p.u16("header_len", h.header_len);
  p.u16("kind", h.kind, kind_name(h.kind));
  p.u16("flags", h.flags, hex32(h.flags));
  p.u16("code", h.code);
  p.u16("transport_status", h.status, status_name(h.status));
  p.u32("payload_len", h.payload_len);
  p.u32("item_count", h.item_count);
  p.u64("message_id", h.message_id);
  return p;
}

Packet encode(const RawHello& h) {
  Packet p;
  p.u16("layout_version", h.layout_version);
  p.u16("flags", h.flags, hex32(h.flags));
  p.u32("supported_profiles", h.supported, profile_bits(h.supported));
  p.u32("preferred_profiles", h.preferred, profile_bits(h.preferred));
  p.u32("max_request_payload_bytes", h.max_request_payload);
  p.u32("max_request_batch_items", h.max_request_batch);
  p.u32("max_response_payload_bytes", h.max_response_payload);
  p.u32("max_response_batch_items", h.max_response_batch);
  p.u32("reserved", h.reserved, hex32(h.reserved));
  p.u64("auth_token", h.auth_token, hex32(h.auth_token));
  p.u32("packet_size", h.packet_size);
  return p;
}

Packet encode(const RawAck& a) {
  Packet p;
  p.u16("layout_version", a.layout_version);
  p.u16("flags", a.flags, hex32(a.flags));
  p.u32("server_supported_profiles", a.server_supported, profile_bits(a.server_supported));
  p.u32("intersection_profiles", a.intersection, profile_bits(a.intersection));
  p.u32("selected_profile", a.selected, profile_bits(a.selected));
  p.u32("agreed_max_request_payload_bytes", a.request_payload);
  p.u32("agreed_max_request_batch_items", a.request_batch);
  p.u32("agreed_max_response_payload_bytes", a.response_payload);
  p.u32("agreed_max_response_batch_items", a.response_batch);
  p.u32("agreed_packet_size", a.packet_size);
  p.u32("reserved", a.reserved, hex32(a.reserved));
  p.u64("session_id", a.session_id);
  return p;
}

Packet encode(const RawChunk& c) {
  Packet p;
  p.u32("chunk.magic", c.magic, hex32(c.magic));
  p.u16("chunk.version", c.version);
  p.u16("chunk.flags", c.flags, hex32(c.flags));
  p.u64("chunk.message_id", c.message_id);
  p.u32("chunk.total_message_len", c.total_message_len);
  p.u32("chunk.chunk_index", c.chunk_index);
  p.u32("chunk.chunk_count", c.chunk_count);
  p.u32("chunk.chunk_payload_len", c.chunk_payload_len);
  return p;
}

RawHeader hello_header() {
  RawHeader h;
  h.kind = static_cast<std::uint16_t>(Kind::kControl);
  h.code = static_cast<std::uint16_t>(ControlCode::kHello);
  h.payload_len = hello_layout::kSize;
  h.item_count = 1;
  h.message_id = 0;
  return h;
}

RawHeader ack_header(std::uint16_t status) {
  RawHeader h;
  h.kind = static_cast<std::uint16_t>(Kind::kControl);
  h.code = static_cast<std::uint16_t>(ControlCode::kHelloAck);
  h.status = status;
  h.payload_len = ack_layout::kSize;
  h.item_count = 1;
  return h;
}

Packet hello_packet(const RawHello& hello, const RawHeader& header) {
  Packet p;
  p.what = "HELLO";
  p.append(encode(header), "hdr.");
  p.append(encode(hello), "hello.");
  return p;
}

Packet ack_packet(const RawAck& ack, const RawHeader& header) {
  Packet p;
  p.what = "HELLO_ACK " + status_name(header.status);
  p.append(encode(header), "hdr.");
  p.append(encode(ack), "ack.");
  return p;
}

Packet message_packet(const RawHeader& h, ConstBytes payload, const std::string& payload_name) {
  Packet p;
  p.what = kind_name(h.kind) + " id=" + std::to_string(h.message_id);
  p.append(encode(h), "hdr.");
  p.raw(payload_name, payload);
  return p;
}

std::optional<RawHeader> parse_header(ConstBytes b) {
  if (b.size() < header_layout::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawHeader h;
  h.magic = load_u32le(p + header_layout::kMagic);
  h.version = load_u16le(p + header_layout::kVersion);
  h.header_len = load_u16le(p + header_layout::kHeaderLen);
  h.kind = load_u16le(p + header_layout::kKind);
  h.flags = load_u16le(p + header_layout::kFlags);
  h.code = load_u16le(p + header_layout::kCode);
  h.status = load_u16le(p + header_layout::kTransportStatus);
  h.payload_len = load_u32le(p + header_layout::kPayloadLen);
  h.item_count = load_u32le(p + header_layout::kItemCount);
  h.message_id = load_u64le(p + header_layout::kMessageId);
  return h;
}

std::optional<RawHello> parse_hello(ConstBytes b) {
  if (b.size() < hello_layout::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawHello h;
  h.layout_version = load_u16le(p + hello_layout::kLayoutVersion);
  h.flags = load_u16le(p + hello_layout::kFlags);
  h.supported = load_u32le(p + hello_layout::kSupportedProfiles);
  h.preferred = load_u32le(p + hello_layout::kPreferredProfiles);
  h.max_request_payload = load_u32le(p + hello_layout::kMaxRequestPayloadBytes);
  h.max_request_batch = load_u32le(p + hello_layout::kMaxRequestBatchItems);
  h.max_response_payload = load_u32le(p + hello_layout::kMaxResponsePayloadBytes);
  h.max_response_batch = load_u32le(p + hello_layout::kMaxResponseBatchItems);
  h.reserved = load_u32le(p + hello_layout::kReserved);
  h.auth_token = load_u64le(p + hello_layout::kAuthToken);
  h.packet_size = load_u32le(p + hello_layout::kPacketSize);
  return h;
}

std::optional<RawAck> parse_ack(ConstBytes b) {
  if (b.size() < ack_layout::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawAck a;
  a.layout_version = load_u16le(p + ack_layout::kLayoutVersion);
  a.flags = load_u16le(p + ack_layout::kFlags);
  a.server_supported = load_u32le(p + ack_layout::kServerSupportedProfiles);
  a.intersection = load_u32le(p + ack_layout::kIntersectionProfiles);
  a.selected = load_u32le(p + ack_layout::kSelectedProfile);
  a.request_payload = load_u32le(p + ack_layout::kAgreedMaxRequestPayloadBytes);
  a.request_batch = load_u32le(p + ack_layout::kAgreedMaxRequestBatchItems);
  a.response_payload = load_u32le(p + ack_layout::kAgreedMaxResponsePayloadBytes);
  a.response_batch = load_u32le(p + ack_layout::kAgreedMaxResponseBatchItems);
  a.packet_size = load_u32le(p + ack_layout::kAgreedPacketSize);
  a.reserved = load_u32le(p + ack_layout::kReserved);
  a.session_id = load_u64le(p + ack_layout::kSessionId);
  return a;
}

std::optional<RawChunk> parse_chunk(ConstBytes b) {
  if (b.size() < chunk_layout::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawChunk c;
  c.magic = load_u32le(p + chunk_layout::kMagic);
  c.version = load_u16le(p + chunk_layout::kVersion);
  c.flags = load_u16le(p + chunk_layout::kFlags);
  c.message_id = load_u64le(p + chunk_layout::kMessageId);
  c.total_message_len = load_u32le(p + chunk_layout::kTotalMessageLen);
  c.chunk_index = load_u32le(p + chunk_layout::kChunkIndex);
  c.chunk_count = load_u32le(p + chunk_layout::kChunkCount);
  c.chunk_payload_len = load_u32le(p + chunk_layout::kChunkPayloadLen);
  return c;
}

Packet annotate(ConstBytes bytes, Expect expect) {
  Packet out;
  if (expect == Expect::kChunk) {
    if (auto c = parse_chunk(bytes)) {
      out = encode(*c);
      out.what = "chunk " + std::to_string(c->chunk_index) + "/" + std::to_string(c->chunk_count);
      out.raw("chunk.payload", bytes.subspan(chunk_layout::kSize));
      return out;
    }
    out.what = "short packet";
    out.raw("bytes", bytes);
    return out;
  }
  auto h = expect == Expect::kRaw ? std::nullopt : parse_header(bytes);
  if (!h) {
    out.what = bytes.empty() ? "empty packet" : "raw";
    out.raw("bytes", bytes);
    return out;
  }
  out.append(encode(*h), "hdr.");
  ConstBytes rest = bytes.subspan(header_layout::kSize);
  if (expect == Expect::kHello && rest.size() >= hello_layout::kSize) {
    out.what = "HELLO";
    out.append(encode(*parse_hello(rest)), "hello.");
    out.raw("extra", rest.subspan(hello_layout::kSize));
  } else if (expect == Expect::kAck && rest.size() >= ack_layout::kSize) {
    out.what = "HELLO_ACK " + status_name(h->status);
    out.append(encode(*parse_ack(rest)), "ack.");
    out.raw("extra", rest.subspan(ack_layout::kSize));
  } else {
    out.what = kind_name(h->kind) + " id=" + std::to_string(h->message_id) +
               (h->status ? " " + status_name(h->status) : "");
    out.raw("payload", rest);
  }
  return out;
}

Packet batch_payload(const std::vector<Bytes>& items) {
  Packet p;
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    p.u32("dir[" + std::to_string(i) + "].offset", static_cast<std::uint32_t>(off));
    p.u32("dir[" + std::to_string(i) + "].length", static_cast<std::uint32_t>(items[i].size()));
    off = align8(off + items[i].size());
  }
  std::size_t area_start = p.bytes.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::size_t at = p.bytes.size() - area_start;
    std::size_t aligned = static_cast<std::size_t>(align8(at));
    if (aligned > at) {
      Bytes pad(aligned - at, 0);
      p.raw("pad", pad);
    }
    p.raw("item[" + std::to_string(i) + "]", items[i]);
  }
  std::size_t at = p.bytes.size() - area_start;
  if (align8(at) > at) {
    Bytes pad(static_cast<std::size_t>(align8(at)) - at, 0);
    p.raw("pad", pad);
  }
  return p;
}

Bytes increment_payload(std::uint64_t value) {
  Bytes b(8);
  store_u64le(b.data(), value);
  return b;
}

Bytes string_payload(const std::string& s) {
  Bytes b(8 + s.size() + 1, 0);
  store_u32le(b.data(), 8);
  store_u32le(b.data() + 4, static_cast<std::uint32_t>(s.size()));
  for (std::size_t i = 0; i < s.size(); ++i) b[8 + i] = static_cast<std::uint8_t>(s[i]);
  return b;
}

}  // namespace nipc::peer
