#include "wire.h"

#include <cstdio>
#include <cstdlib>

namespace nipc::peer {
namespace {

namespace H = layout::header;
namespace HL = layout::hello;
namespace A = layout::ack;
namespace C = layout::chunk;
namespace E = layout::batch_entry;

std::string dec(std::uint64_t v) { return std::to_string(v); }

/// Encoders append field after field; each names the offset its field must land on, so the
/// order of the appends is checked against the layout table (a mismatch is a peer bug).
Packet& at(Packet& p, std::size_t offset) {
  if (p.bytes.size() != offset) {
    std::fprintf(stderr, "nipc-peer: encoder out of step with its layout: at %zu, field at %zu\n",
                 p.bytes.size(), offset);
    std::abort();
  }
  return p;
}

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
  layout::store16(bytes.data() + bytes.size() - 2, v);
}

void Packet::u32(std::string name, std::uint32_t v, std::string value) {
  fields.push_back({bytes.size(), 4, std::move(name), value.empty() ? dec(v) : value});
  bytes.resize(bytes.size() + 4);
  layout::store32(bytes.data() + bytes.size() - 4, v);
}

void Packet::u64(std::string name, std::uint64_t v, std::string value) {
  fields.push_back({bytes.size(), 8, std::move(name), value.empty() ? dec(v) : value});
  bytes.resize(bytes.size() + 8);
  layout::store64(bytes.data() + bytes.size() - 8, v);
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
  at(p, H::kMagic).u32("magic", h.magic, hex32(h.magic));
  at(p, H::kVersion).u16("version", h.version);
  at(p, H::kHeaderLen).u16("header_len", h.header_len);
  at(p, H::kKind).u16("kind", h.kind, kind_name(h.kind));
  at(p, H::kFlags).u16("flags", h.flags, hex32(h.flags));
  at(p, H::kCode).u16("code", h.code);
  at(p, H::kTransportStatus).u16("transport_status", h.status, status_name(h.status));
  at(p, H::kPayloadLen).u32("payload_len", h.payload_len);
  at(p, H::kItemCount).u32("item_count", h.item_count);
  at(p, H::kMessageId).u64("message_id", h.message_id);
  at(p, H::kSize);
  return p;
}

Packet encode(const RawHello& h) {
  Packet p;
  at(p, HL::kLayoutVersion).u16("layout_version", h.layout_version);
  at(p, HL::kFlags).u16("flags", h.flags, hex32(h.flags));
  at(p, HL::kSupportedProfiles).u32("supported_profiles", h.supported, profile_bits(h.supported));
  at(p, HL::kPreferredProfiles).u32("preferred_profiles", h.preferred, profile_bits(h.preferred));
  at(p, HL::kMaxRequestPayloadBytes).u32("max_request_payload_bytes", h.max_request_payload);
  at(p, HL::kMaxRequestBatchItems).u32("max_request_batch_items", h.max_request_batch);
  at(p, HL::kMaxResponsePayloadBytes).u32("max_response_payload_bytes", h.max_response_payload);
  at(p, HL::kMaxResponseBatchItems).u32("max_response_batch_items", h.max_response_batch);
  at(p, HL::kReserved).u32("reserved", h.reserved, hex32(h.reserved));
  at(p, HL::kAuthToken).u64("auth_token", h.auth_token, hex32(h.auth_token));
  at(p, HL::kPacketSize).u32("packet_size", h.packet_size);
  at(p, HL::kSize);
  return p;
}

Packet encode(const RawAck& a) {
  Packet p;
  at(p, A::kLayoutVersion).u16("layout_version", a.layout_version);
  at(p, A::kFlags).u16("flags", a.flags, hex32(a.flags));
  at(p, A::kServerSupportedProfiles)
      .u32("server_supported_profiles", a.server_supported, profile_bits(a.server_supported));
  at(p, A::kIntersectionProfiles)
      .u32("intersection_profiles", a.intersection, profile_bits(a.intersection));
  at(p, A::kSelectedProfile).u32("selected_profile", a.selected, profile_bits(a.selected));
  at(p, A::kAgreedMaxRequestPayloadBytes).u32("agreed_max_request_payload_bytes", a.request_payload);
  at(p, A::kAgreedMaxRequestBatchItems).u32("agreed_max_request_batch_items", a.request_batch);
  at(p, A::kAgreedMaxResponsePayloadBytes)
      .u32("agreed_max_response_payload_bytes", a.response_payload);
  at(p, A::kAgreedMaxResponseBatchItems).u32("agreed_max_response_batch_items", a.response_batch);
  at(p, A::kAgreedPacketSize).u32("agreed_packet_size", a.packet_size);
  at(p, A::kReserved).u32("reserved", a.reserved, hex32(a.reserved));
  at(p, A::kSessionId).u64("session_id", a.session_id);
  at(p, A::kSize);
  return p;
}

Packet encode(const RawChunk& c) {
  Packet p;
  at(p, C::kMagic).u32("chunk.magic", c.magic, hex32(c.magic));
  at(p, C::kVersion).u16("chunk.version", c.version);
  at(p, C::kFlags).u16("chunk.flags", c.flags, hex32(c.flags));
  at(p, C::kMessageId).u64("chunk.message_id", c.message_id);
  at(p, C::kTotalMessageLen).u32("chunk.total_message_len", c.total_message_len);
  at(p, C::kChunkIndex).u32("chunk.chunk_index", c.chunk_index);
  at(p, C::kChunkCount).u32("chunk.chunk_count", c.chunk_count);
  at(p, C::kChunkPayloadLen).u32("chunk.chunk_payload_len", c.chunk_payload_len);
  at(p, C::kSize);
  return p;
}

RawHeader hello_header() {
  RawHeader h;
  h.kind = static_cast<std::uint16_t>(Kind::kControl);
  h.code = static_cast<std::uint16_t>(ControlCode::kHello);
  h.payload_len = HL::kSize;
  h.item_count = 1;
  h.message_id = 0;
  return h;
}

RawHeader ack_header(std::uint16_t status) {
  RawHeader h;
  h.kind = static_cast<std::uint16_t>(Kind::kControl);
  h.code = static_cast<std::uint16_t>(ControlCode::kHelloAck);
  h.status = status;
  h.payload_len = A::kSize;
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
  if (b.size() < H::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawHeader h;
  h.magic = layout::load32(p + H::kMagic);
  h.version = layout::load16(p + H::kVersion);
  h.header_len = layout::load16(p + H::kHeaderLen);
  h.kind = layout::load16(p + H::kKind);
  h.flags = layout::load16(p + H::kFlags);
  h.code = layout::load16(p + H::kCode);
  h.status = layout::load16(p + H::kTransportStatus);
  h.payload_len = layout::load32(p + H::kPayloadLen);
  h.item_count = layout::load32(p + H::kItemCount);
  h.message_id = layout::load64(p + H::kMessageId);
  return h;
}

std::optional<RawHello> parse_hello(ConstBytes b) {
  if (b.size() < HL::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawHello h;
  h.layout_version = layout::load16(p + HL::kLayoutVersion);
  h.flags = layout::load16(p + HL::kFlags);
  h.supported = layout::load32(p + HL::kSupportedProfiles);
  h.preferred = layout::load32(p + HL::kPreferredProfiles);
  h.max_request_payload = layout::load32(p + HL::kMaxRequestPayloadBytes);
  h.max_request_batch = layout::load32(p + HL::kMaxRequestBatchItems);
  h.max_response_payload = layout::load32(p + HL::kMaxResponsePayloadBytes);
  h.max_response_batch = layout::load32(p + HL::kMaxResponseBatchItems);
  h.reserved = layout::load32(p + HL::kReserved);
  h.auth_token = layout::load64(p + HL::kAuthToken);
  h.packet_size = layout::load32(p + HL::kPacketSize);
  return h;
}

std::optional<RawAck> parse_ack(ConstBytes b) {
  if (b.size() < A::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawAck a;
  a.layout_version = layout::load16(p + A::kLayoutVersion);
  a.flags = layout::load16(p + A::kFlags);
  a.server_supported = layout::load32(p + A::kServerSupportedProfiles);
  a.intersection = layout::load32(p + A::kIntersectionProfiles);
  a.selected = layout::load32(p + A::kSelectedProfile);
  a.request_payload = layout::load32(p + A::kAgreedMaxRequestPayloadBytes);
  a.request_batch = layout::load32(p + A::kAgreedMaxRequestBatchItems);
  a.response_payload = layout::load32(p + A::kAgreedMaxResponsePayloadBytes);
  a.response_batch = layout::load32(p + A::kAgreedMaxResponseBatchItems);
  a.packet_size = layout::load32(p + A::kAgreedPacketSize);
  a.reserved = layout::load32(p + A::kReserved);
  a.session_id = layout::load64(p + A::kSessionId);
  return a;
}

std::optional<RawChunk> parse_chunk(ConstBytes b) {
  if (b.size() < C::kSize) return std::nullopt;
  const std::uint8_t* p = b.data();
  RawChunk c;
  c.magic = layout::load32(p + C::kMagic);
  c.version = layout::load16(p + C::kVersion);
  c.flags = layout::load16(p + C::kFlags);
  c.message_id = layout::load64(p + C::kMessageId);
  c.total_message_len = layout::load32(p + C::kTotalMessageLen);
  c.chunk_index = layout::load32(p + C::kChunkIndex);
  c.chunk_count = layout::load32(p + C::kChunkCount);
  c.chunk_payload_len = layout::load32(p + C::kChunkPayloadLen);
  return c;
}

Packet annotate(ConstBytes bytes, Expect expect) {
  Packet out;
  if (expect == Expect::kChunk) {
    if (auto c = parse_chunk(bytes)) {
      out = encode(*c);
      out.what = "chunk " + std::to_string(c->chunk_index) + "/" + std::to_string(c->chunk_count);
      out.raw("chunk.payload", bytes.subspan(C::kSize));
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
  ConstBytes rest = bytes.subspan(H::kSize);
  if (expect == Expect::kHello && rest.size() >= HL::kSize) {
    out.what = "HELLO";
    out.append(encode(*parse_hello(rest)), "hello.");
    out.raw("extra", rest.subspan(HL::kSize));
  } else if (expect == Expect::kAck && rest.size() >= A::kSize) {
    out.what = "HELLO_ACK " + status_name(h->status);
    out.append(encode(*parse_ack(rest)), "ack.");
    out.raw("extra", rest.subspan(A::kSize));
  } else {
    out.what = kind_name(h->kind) + " id=" + std::to_string(h->message_id) +
               (h->status ? " " + status_name(h->status) : "");
    out.raw("payload", rest);
  }
  return out;
}

std::optional<std::vector<ConstBytes>> parse_batch(ConstBytes payload, std::uint32_t item_count) {
  const std::uint64_t directory = std::uint64_t{item_count} * E::kSize;
  if (directory > payload.size()) return std::nullopt;
  const std::uint64_t area = payload.size() - directory;
  std::vector<ConstBytes> items;
  items.reserve(item_count);
  for (std::uint32_t i = 0; i < item_count; ++i) {
    const std::uint8_t* entry = payload.data() + std::size_t{i} * E::kSize;
    const std::uint64_t offset = layout::load32(entry + E::kOffset);
    const std::uint64_t length = layout::load32(entry + E::kLength);
    if (offset % 8 != 0 || offset + length > area) return std::nullopt;
    items.push_back(payload.subspan(static_cast<std::size_t>(directory + offset),
                                    static_cast<std::size_t>(length)));
  }
  return items;
}

Packet batch_payload(const std::vector<Bytes>& items) {
  Packet p;
  std::uint64_t off = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::size_t entry = i * E::kSize;
    at(p, entry + E::kOffset).u32("dir[" + std::to_string(i) + "].offset", static_cast<std::uint32_t>(off));
    at(p, entry + E::kLength)
        .u32("dir[" + std::to_string(i) + "].length", static_cast<std::uint32_t>(items[i].size()));
    off = layout::align8(off + items[i].size());
  }
  std::size_t area_start = p.bytes.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    std::size_t used = p.bytes.size() - area_start;
    std::size_t aligned = static_cast<std::size_t>(layout::align8(used));
    if (aligned > used) {
      Bytes pad(aligned - used, 0);
      p.raw("pad", pad);
    }
    p.raw("item[" + std::to_string(i) + "]", items[i]);
  }
  std::size_t used = p.bytes.size() - area_start;
  if (layout::align8(used) > used) {
    Bytes pad(static_cast<std::size_t>(layout::align8(used)) - used, 0);
    p.raw("pad", pad);
  }
  return p;
}

Bytes increment_payload(std::uint64_t value) {
  Bytes b(8);
  layout::store64(b.data(), value);
  return b;
}

Bytes string_payload(const std::string& s) {
  Bytes b(8 + s.size() + 1, 0);
  layout::store32(b.data(), 8);
  layout::store32(b.data() + 4, static_cast<std::uint32_t>(s.size()));
  for (std::size_t i = 0; i < s.size(); ++i) b[8 + i] = static_cast<std::uint8_t>(s[i]);
  return b;
}

}  // namespace nipc::peer
