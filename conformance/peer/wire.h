// Raw wire structures the test peer writes and reads. Unlike the reference codec, every field
// is free here: the peer must be able to send a wrong magic, a HELLO with layout 0xFFFF or a
// chunk with the wrong index. Offsets and byte order are the peer's own (wire_layout.h, from
// the spec's tables), so a layout bug in the reference is caught rather than shared.
#ifndef NIPC_PEER_WIRE_H_
#define NIPC_PEER_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "nipc/codec/bytes.h"      // ConstBytes (a byte span) only
#include "nipc/codec/constants.h"  // enumerations: kind, status, control code, profile bits
#include "wire_layout.h"

namespace nipc::peer {

using Bytes = std::vector<std::uint8_t>;

/// One labelled field of a packet: where it sits and what it means.
struct Field {
  std::size_t offset = 0;
  std::size_t size = 0;
  std::string name;
  std::string value;  // decoded value as text ("0x4e495043", "44", "AUTH_FAILED")
};

/// Bytes labelled field by field, for sending and for evidence.
struct Packet {
  Bytes bytes;
  std::vector<Field> fields;
  std::string what;  // e.g. "HELLO", "REQUEST id=3", "chunk 2/5"

  void u16(std::string name, std::uint16_t v, std::string value = {});
  void u32(std::string name, std::uint32_t v, std::string value = {});
  void u64(std::string name, std::uint64_t v, std::string value = {});
  void raw(std::string name, ConstBytes b, std::string value = {});
  /// Appends `other`'s bytes and fields, prefixing each field name with `prefix`.
  void append(const Packet& other, const std::string& prefix = {});
  /// The first `n` bytes; fields cut by the end are kept with their remaining size.
  Packet prefix(std::size_t n) const;
  std::size_t size() const { return bytes.size(); }
};

/// The 32-byte outer header with every field free (spec/envelope.md).
struct RawHeader {
  std::uint32_t magic = layout::header::kMagicValue;
  std::uint16_t version = layout::header::kVersionValue;
  std::uint16_t header_len = layout::header::kSize;
  std::uint16_t kind = static_cast<std::uint16_t>(Kind::kRequest);
  std::uint16_t flags = 0;
  std::uint16_t code = 1;
  std::uint16_t status = 0;
  std::uint32_t payload_len = 0;
  std::uint32_t item_count = 1;
  std::uint64_t message_id = 0;
};

/// The 44-byte HELLO payload with layout_version, flags and reserved free.
struct RawHello {
  std::uint16_t layout_version = layout::hello::kLayoutVersionValue;
  std::uint16_t flags = 0;
  std::uint32_t supported = profile::kBaseline;
  std::uint32_t preferred = 0;
  std::uint32_t max_request_payload = 1024;
  std::uint32_t max_request_batch = 1;
  std::uint32_t max_response_payload = 65536;
  std::uint32_t max_response_batch = 1;
  std::uint32_t reserved = 0;
  std::uint64_t auth_token = 0;
  std::uint32_t packet_size = 65536;
};

/// The 48-byte HELLO_ACK payload with layout_version, flags and reserved free.
struct RawAck {
  std::uint16_t layout_version = layout::hello::kLayoutVersionValue;
  std::uint16_t flags = 0;
  std::uint32_t server_supported = 0;
  std::uint32_t intersection = 0;
  std::uint32_t selected = 0;
  std::uint32_t request_payload = 0;
  std::uint32_t request_batch = 0;
  std::uint32_t response_payload = 0;
  std::uint32_t response_batch = 0;
  std::uint32_t packet_size = 0;
  std::uint32_t reserved = 0;
  std::uint64_t session_id = 0;
};

/// The 32-byte continuation chunk header with every field free (spec/chunking.md).
struct RawChunk {
  std::uint32_t magic = layout::chunk::kMagicValue;
  std::uint16_t version = layout::chunk::kVersionValue;
  std::uint16_t flags = 0;
  std::uint64_t message_id = 0;
  std::uint32_t total_message_len = 0;
  std::uint32_t chunk_index = 0;
  std::uint32_t chunk_count = 0;
  std::uint32_t chunk_payload_len = 0;
};

Packet encode(const RawHeader& h);
Packet encode(const RawHello& h);
Packet encode(const RawAck& a);
Packet encode(const RawChunk& c);

/// A header for a HELLO: CONTROL / HELLO, payload_len 44, item_count 1, message_id 0.
RawHeader hello_header();
/// A header for a HELLO_ACK with `status`: CONTROL / HELLO_ACK, payload_len 48.
RawHeader ack_header(std::uint16_t status);
/// The header and payload of a complete HELLO packet.
Packet hello_packet(const RawHello& hello, const RawHeader& header = hello_header());
Packet ack_packet(const RawAck& ack, const RawHeader& header);
/// A whole message: header (payload_len as given) + payload bytes labelled as one field.
Packet message_packet(const RawHeader& h, ConstBytes payload, const std::string& payload_name = "payload");

/// Reads the fields at their offsets without judging them; nullopt when too short.
std::optional<RawHeader> parse_header(ConstBytes b);
std::optional<RawHello> parse_hello(ConstBytes payload);
std::optional<RawAck> parse_ack(ConstBytes payload);
std::optional<RawChunk> parse_chunk(ConstBytes b);

/// What the peer expects a received packet to be, for labelling it.
enum class Expect { kMessage, kHello, kAck, kChunk, kRaw };

/// Labels received bytes field by field as `expect` says (a message header followed by a
/// HELLO, HELLO_ACK or opaque payload, or a chunk header and its payload).
Packet annotate(ConstBytes bytes, Expect expect);

std::string status_name(std::uint16_t status);
std::string kind_name(std::uint16_t kind);
std::string hex(ConstBytes b, std::size_t max_bytes = SIZE_MAX);
std::string hex32(std::uint64_t v);

/// The items of a batch payload, read with the peer's own directory layout (spec/batch.md):
/// nullopt when the directory does not fit the payload (BATCH-DIR-001), an offset is not a
/// multiple of 8 (BATCH-ALIGN-001) or an item leaves the packed area (BATCH-BOUNDS-001). The
/// spans point into `payload`.
std::optional<std::vector<ConstBytes>> parse_batch(ConstBytes payload, std::uint32_t item_count);

/// Canonical batch payload of `items` (BATCH-LAYOUT-001), labelled entry by entry.
Packet batch_payload(const std::vector<Bytes>& items);
Bytes increment_payload(std::uint64_t value);
Bytes string_payload(const std::string& s);

}  // namespace nipc::peer

#endif  // NIPC_PEER_WIRE_H_
