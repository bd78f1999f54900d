#include "nipc/codec/header.h"

namespace nipc {

Result<Header> decode_header(ByteReader* reader) noexcept {
  ConstBytes bytes;
  // ENV-LEN-001: the header is all-or-nothing; take its 32 bytes first so a failure below
  // leaves the caller's cursor untouched.
  ByteReader probe = *reader;
  if (!probe.get_bytes(header_layout::kSize, &bytes)) return Error::kHeaderTruncated;
  const std::uint8_t* p = bytes.data();

  if (load_u32le(p + header_layout::kMagic) != kMessageMagic) return Error::kHeaderBadMagic;
  if (load_u16le(p + header_layout::kVersion) != kEnvelopeVersion) return Error::kHeaderBadVersion;
  if (load_u16le(p + header_layout::kHeaderLen) != kHeaderLen) return Error::kHeaderBadHeaderLen;
  const std::uint16_t kind = load_u16le(p + header_layout::kKind);
  if (kind < 1 || kind > 3) return Error::kHeaderBadKind;

  Header h;
  h.kind = static_cast<Kind>(kind);
  h.flags = load_u16le(p + header_layout::kFlags);  // ENV-FLAGS-001: unknown bits are ignored
  h.code = load_u16le(p + header_layout::kCode);
  h.transport_status = load_u16le(p + header_layout::kTransportStatus);
  h.payload_len = load_u32le(p + header_layout::kPayloadLen);
  h.item_count = load_u32le(p + header_layout::kItemCount);
  h.message_id = load_u64le(p + header_layout::kMessageId);
  // The header is a prefix: what follows belongs to the payload, so there is no trailing
  // check here; callers check payload length against payload_len (ENV-TRAIL-001).
  *reader = probe;
  return h;
}

Result<Header> decode_header(ConstBytes packet) noexcept {
  ByteReader reader(packet);
  return decode_header(&reader);
}

Result<void> encode_header(const Header& header, MutableBytes out) noexcept {
  if (out.size() < header_layout::kSize) return Error::kBufferTooSmall;
  std::uint8_t* p = out.data();
  store_u32le(p + header_layout::kMagic, kMessageMagic);
  store_u16le(p + header_layout::kVersion, kEnvelopeVersion);
  store_u16le(p + header_layout::kHeaderLen, kHeaderLen);
  store_u16le(p + header_layout::kKind, static_cast<std::uint16_t>(header.kind));
  store_u16le(p + header_layout::kFlags, header.flags);
  store_u16le(p + header_layout::kCode, header.code);
  store_u16le(p + header_layout::kTransportStatus, header.transport_status);
  store_u32le(p + header_layout::kPayloadLen, header.payload_len);
  store_u32le(p + header_layout::kItemCount, header.item_count);
  store_u64le(p + header_layout::kMessageId, header.message_id);
  return {};
}

std::array<std::uint8_t, header_layout::kSize> encode_header(const Header& header) noexcept {
  std::array<std::uint8_t, header_layout::kSize> out{};
  (void)encode_header(header, MutableBytes(out));  // cannot fail: the array is 32 bytes
  return out;
}

}  // namespace nipc
