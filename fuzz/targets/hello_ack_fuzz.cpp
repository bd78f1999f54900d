// HELLO_ACK payload decoder (spec/handshake.md). Input: a HELLO_ACK payload (no outer
// header).
//
// Oracles: the error is the first failing rule (HS-ACK-LEN-001, LAYOUT, FLAGS, RESERVED),
// recomputed here; a decoded ACK re-encodes to the first 48 input bytes and decoding those
// gives the same fields.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.h"
#include "nipc/codec/hello.h"

namespace {

using nipc::Error;

std::optional<Error> expected_error(nipc::ConstBytes in) {
  if (in.size() < 48) return Error::kAckTruncated;
  const std::uint8_t* p = in.data();
  if (nipc::load_u16le(p + 0) != 1) return Error::kAckBadLayout;
  if (nipc::load_u16le(p + 2) != 0) return Error::kAckNonzeroFlags;
  if (nipc::load_u32le(p + 36) != 0) return Error::kAckNonzeroReserved;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  const nipc::Result<nipc::HelloAck> ack = nipc::decode_hello_ack(in);
  const std::optional<Error> expected = expected_error(in);
  if (!ack.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && ack.error() == *expected);
    return 0;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  const auto encoded = nipc::encode_hello_ack(*ack);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(nipc::ack_layout::kSize)));
  const nipc::Result<nipc::HelloAck> again = nipc::decode_hello_ack(nipc::ConstBytes(encoded));
  NIPC_FUZZ_CHECK(again.ok() && *again == *ack);
  return 0;
}
