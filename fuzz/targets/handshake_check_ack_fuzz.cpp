// The client's check of the HELLO_ACK packet it received (spec/handshake.md). Input: a
// 36-byte prefix giving the HELLO the client sent, then the ACK packet (outer header +
// payload).
//
//   prefix: u32 supported_profiles, u32 preferred_profiles, u32 max_request_payload_bytes,
//           u32 max_request_batch_items, u32 max_response_payload_bytes,
//           u32 max_response_batch_items, u64 auth_token, u32 packet_size.
//
// Oracles: the result is recomputed from the raw bytes in the documented order (header,
// HS-CLI-KIND-001, HS-CLI-STATUS-001..005 before the payload, the ACK payload rules, then
// the HS-CLI-* field rules); an accepted ACK equals the decoded payload and is accepted again
// after re-encoding with encode_ack_packet, whose payload bytes equal the input's first 48.
#include <bit>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "nipc/codec/handshake.h"

namespace {

using nipc::Error;

constexpr std::size_t kPrefixSize = 36;

// check_ack's rules in order, written from the spec (HS-CLI-PROF-002 first, so "offered"
// asks about a single bit).
nipc::Result<void> expected_check(const nipc::Hello& sent, const nipc::HelloAck& ack) {
  if (std::popcount(ack.selected_profile) != 1) return Error::kAckProfileNotSingleBit;
  if ((ack.selected_profile & sent.supported_profiles & ack.server_supported_profiles) == 0)
    return Error::kAckProfileNotOffered;
  if (ack.intersection_profiles != (sent.supported_profiles & ack.server_supported_profiles))
    return Error::kAckIntersectionMismatch;
  if (ack.agreed_max_request_payload_bytes != sent.max_request_payload_bytes)
    return Error::kAckRequestPayloadChanged;
  if (ack.agreed_max_request_batch_items != sent.max_request_batch_items)
    return Error::kAckRequestBatchChanged;
  if (ack.agreed_max_response_batch_items != ack.agreed_max_request_batch_items)
    return Error::kAckBatchAsymmetric;
  if (ack.agreed_packet_size <= 32) return Error::kAckPacketSizeTooSmall;
  if (ack.agreed_packet_size > sent.packet_size) return Error::kAckPacketSizeAboveProposal;
  if (ack.session_id == 0) return Error::kAckZeroSessionId;
  return {};
}

Error status_error(std::uint16_t status) {
  switch (status) {
    case 2: return Error::kAckRejectedAuth;
    case 4: return Error::kAckRejectedUnsupported;
    case 3: return Error::kAckRejectedIncompatible;
    case 5: return Error::kAckRejectedLimit;
    default: return Error::kAckRejectedOther;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < kPrefixSize) return 0;
  nipc::fuzz::PrefixReader prefix(data, size);
  nipc::Hello sent;
  sent.supported_profiles = prefix.u32();
  sent.preferred_profiles = prefix.u32();
  sent.max_request_payload_bytes = prefix.u32();
  sent.max_request_batch_items = prefix.u32();
  sent.max_response_payload_bytes = prefix.u32();
  sent.max_response_batch_items = prefix.u32();
  sent.auth_token = prefix.u64();
  sent.packet_size = prefix.u32();
  const nipc::ConstBytes packet = prefix.rest();

  const nipc::Result<nipc::HelloAck> got = nipc::check_ack_packet(sent, packet);

  const nipc::Result<nipc::Header> header = nipc::decode_header(packet);
  if (!header.ok()) {
    const Error want = header.error() == Error::kHeaderBadVersion
                           ? Error::kAckRejectedIncompatible  // HS-CLI-KIND-001
                           : header.error();
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(got, want));
    return 0;
  }
  if (header->kind != nipc::Kind::kControl || header->code != 2) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(got, Error::kAckNotControl));
    return 0;
  }
  if (header->transport_status != 0) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(got, status_error(header->transport_status)));
    return 0;
  }
  const nipc::Result<nipc::HelloAck> ack = nipc::decode_hello_ack(packet.subspan(32));
  if (!ack.ok()) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(got, ack.error()));
    return 0;
  }
  const nipc::Result<void> want = expected_check(sent, *ack);
  const nipc::Result<void> direct = nipc::check_ack(sent, *ack);
  NIPC_FUZZ_CHECK(direct.ok() == want.ok() && (want.ok() || direct.error() == want.error()));
  if (!want.ok()) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(got, want.error()));
    return 0;
  }
  NIPC_FUZZ_CHECK(got.ok() && *got == *ack);

  const auto again = nipc::encode_ack_packet({nipc::TransportStatus::kOk, *got});
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(nipc::ConstBytes(again).subspan(32),
                                         packet.subspan(32, 48)));
  const nipc::Result<nipc::HelloAck> reaccepted = nipc::check_ack_packet(sent, again);
  NIPC_FUZZ_CHECK(reaccepted.ok() && *reaccepted == *got);
  return 0;
}
