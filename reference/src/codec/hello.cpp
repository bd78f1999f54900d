#include "nipc/codec/hello.h"

#include "nipc/codec/constants.h"

namespace nipc {

Result<Hello> decode_hello(ByteReader* reader) noexcept {
  // Work on a copy so that a failure leaves the caller's cursor where it was.
  ByteReader probe = *reader;
  ConstBytes bytes;
  if (!probe.get_bytes(hello_layout::kSize, &bytes))
    return Error::kHelloTruncated;  // HS-HELLO-LEN-001
  const std::uint8_t* p = bytes.data();

  if (load_u16le(p + hello_layout::kLayoutVersion) != kLayoutVersion)
    return Error::kHelloBadLayout;  // HS-HELLO-LAYOUT-001
  if (load_u16le(p + hello_layout::kFlags) != 0)
    return Error::kHelloNonzeroFlags;  // HS-HELLO-FLAGS-001
  if (load_u32le(p + hello_layout::kReserved) != 0)
    return Error::kHelloNonzeroReserved;  // HS-HELLO-RESERVED-001

  Hello h;
  h.supported_profiles = load_u32le(p + hello_layout::kSupportedProfiles);
  h.preferred_profiles = load_u32le(p + hello_layout::kPreferredProfiles);
  h.max_request_payload_bytes = load_u32le(p + hello_layout::kMaxRequestPayloadBytes);
  h.max_request_batch_items = load_u32le(p + hello_layout::kMaxRequestBatchItems);
  h.max_response_payload_bytes = load_u32le(p + hello_layout::kMaxResponsePayloadBytes);
  h.max_response_batch_items = load_u32le(p + hello_layout::kMaxResponseBatchItems);
  h.auth_token = load_u64le(p + hello_layout::kAuthToken);
  h.packet_size = load_u32le(p + hello_layout::kPacketSize);
  // Trailing bytes: HS-HELLO-LEN-001 ignores whatever follows the 44 bytes; they stay
  // unconsumed for the caller.
  *reader = probe;
  return h;
}

Result<Hello> decode_hello(ConstBytes payload) noexcept {
  ByteReader reader(payload);
  return decode_hello(&reader);
}

Result<void> encode_hello(const Hello& hello, MutableBytes out) noexcept {
  if (out.size() < hello_layout::kSize) return Error::kBufferTooSmall;  // CODEC-ENC-001
  std::uint8_t* p = out.data();
  store_u16le(p + hello_layout::kLayoutVersion, kLayoutVersion);
  store_u16le(p + hello_layout::kFlags, 0);
  store_u32le(p + hello_layout::kSupportedProfiles, hello.supported_profiles);
  store_u32le(p + hello_layout::kPreferredProfiles, hello.preferred_profiles);
  store_u32le(p + hello_layout::kMaxRequestPayloadBytes, hello.max_request_payload_bytes);
  store_u32le(p + hello_layout::kMaxRequestBatchItems, hello.max_request_batch_items);
  store_u32le(p + hello_layout::kMaxResponsePayloadBytes, hello.max_response_payload_bytes);
  store_u32le(p + hello_layout::kMaxResponseBatchItems, hello.max_response_batch_items);
  store_u32le(p + hello_layout::kReserved, 0);
  store_u64le(p + hello_layout::kAuthToken, hello.auth_token);
  store_u32le(p + hello_layout::kPacketSize, hello.packet_size);
  return {};
}

std::array<std::uint8_t, hello_layout::kSize> encode_hello(const Hello& hello) noexcept {
  std::array<std::uint8_t, hello_layout::kSize> out{};
  (void)encode_hello(hello, MutableBytes(out));  // cannot fail: the array is 44 bytes
  return out;
}

Result<HelloAck> decode_hello_ack(ByteReader* reader) noexcept {
  ByteReader probe = *reader;
  ConstBytes bytes;
  if (!probe.get_bytes(ack_layout::kSize, &bytes)) return Error::kAckTruncated;  // HS-ACK-LEN-001
  const std::uint8_t* p = bytes.data();

  if (load_u16le(p + ack_layout::kLayoutVersion) != kLayoutVersion)
    return Error::kAckBadLayout;  // HS-ACK-LAYOUT-001
  if (load_u16le(p + ack_layout::kFlags) != 0) return Error::kAckNonzeroFlags;  // HS-ACK-FLAGS-001
  if (load_u32le(p + ack_layout::kReserved) != 0)
    return Error::kAckNonzeroReserved;  // HS-ACK-RESERVED-001

  HelloAck a;
  a.server_supported_profiles = load_u32le(p + ack_layout::kServerSupportedProfiles);
  a.intersection_profiles = load_u32le(p + ack_layout::kIntersectionProfiles);
  a.selected_profile = load_u32le(p + ack_layout::kSelectedProfile);
  a.agreed_max_request_payload_bytes = load_u32le(p + ack_layout::kAgreedMaxRequestPayloadBytes);
  a.agreed_max_request_batch_items = load_u32le(p + ack_layout::kAgreedMaxRequestBatchItems);
  a.agreed_max_response_payload_bytes =
      load_u32le(p + ack_layout::kAgreedMaxResponsePayloadBytes);
  a.agreed_max_response_batch_items = load_u32le(p + ack_layout::kAgreedMaxResponseBatchItems);
  a.agreed_packet_size = load_u32le(p + ack_layout::kAgreedPacketSize);
  a.session_id = load_u64le(p + ack_layout::kSessionId);
  // Trailing bytes: ignored like the HELLO's (fixed-size payload); they stay unconsumed.
  *reader = probe;
  return a;
}

Result<HelloAck> decode_hello_ack(ConstBytes payload) noexcept {
  ByteReader reader(payload);
  return decode_hello_ack(&reader);
}

Result<void> encode_hello_ack(const HelloAck& ack, MutableBytes out) noexcept {
  if (out.size() < ack_layout::kSize) return Error::kBufferTooSmall;  // CODEC-ENC-001
  std::uint8_t* p = out.data();
  store_u16le(p + ack_layout::kLayoutVersion, kLayoutVersion);
  store_u16le(p + ack_layout::kFlags, 0);
  store_u32le(p + ack_layout::kServerSupportedProfiles, ack.server_supported_profiles);
  store_u32le(p + ack_layout::kIntersectionProfiles, ack.intersection_profiles);
  store_u32le(p + ack_layout::kSelectedProfile, ack.selected_profile);
  store_u32le(p + ack_layout::kAgreedMaxRequestPayloadBytes, ack.agreed_max_request_payload_bytes);
  store_u32le(p + ack_layout::kAgreedMaxRequestBatchItems, ack.agreed_max_request_batch_items);
  store_u32le(p + ack_layout::kAgreedMaxResponsePayloadBytes,
              ack.agreed_max_response_payload_bytes);
  store_u32le(p + ack_layout::kAgreedMaxResponseBatchItems, ack.agreed_max_response_batch_items);
  store_u32le(p + ack_layout::kAgreedPacketSize, ack.agreed_packet_size);
  store_u32le(p + ack_layout::kReserved, 0);
  store_u64le(p + ack_layout::kSessionId, ack.session_id);
  return {};
}

std::array<std::uint8_t, ack_layout::kSize> encode_hello_ack(const HelloAck& ack) noexcept {
  std::array<std::uint8_t, ack_layout::kSize> out{};
  (void)encode_hello_ack(ack, MutableBytes(out));  // cannot fail: the array is 48 bytes
  return out;
}

}  // namespace nipc
