// Outer header decoder (spec/envelope.md). Input: wire bytes, a message starting with the
// 32-byte header.
//
// Oracles: the error is the first failing rule in ENV-ORDER-001 order, recomputed here from
// the raw bytes; a failed decode moves the cursor nothing and a successful one exactly 32
// bytes; a decoded header re-encodes to the same 32 bytes (the header has no non-canonical
// form: every field is either checked or kept), and decoding those gives the same fields.
// The bytes after the header then serve as receiver limits for check_inbound_limits, whose
// verdict is recomputed too (ENV-LIMIT-001 before ENV-LIMIT-002).
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.h"
#include "nipc/codec/envelope.h"
#include "nipc/codec/header.h"

namespace {

using nipc::Error;

// ENV-ORDER-001 written independently of the decoder: length, magic, version, header_len,
// kind.
std::optional<Error> expected_error(nipc::ConstBytes in) {
  if (in.size() < nipc::header_layout::kSize) return Error::kHeaderTruncated;
  const std::uint8_t* p = in.data();
  if (nipc::load_u32le(p) != 0x4e495043u) return Error::kHeaderBadMagic;
  if (nipc::load_u16le(p + 4) != 1) return Error::kHeaderBadVersion;
  if (nipc::load_u16le(p + 6) != 32) return Error::kHeaderBadHeaderLen;
  const std::uint16_t kind = nipc::load_u16le(p + 8);
  if (kind == 0 || kind > 3) return Error::kHeaderBadKind;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  nipc::ByteReader reader(in);
  const nipc::Result<nipc::Header> h = nipc::decode_header(&reader);
  const std::optional<Error> expected = expected_error(in);

  if (!h.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && h.error() == *expected);
    NIPC_FUZZ_CHECK(reader.consumed() == 0);  // a failed read moves nothing
    return 0;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  NIPC_FUZZ_CHECK(reader.consumed() == nipc::header_layout::kSize);

  const auto encoded = nipc::encode_header(*h);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(nipc::header_layout::kSize)));
  const nipc::Result<nipc::Header> again = nipc::decode_header(nipc::ConstBytes(encoded));
  NIPC_FUZZ_CHECK(again.ok() && *again == *h);

  // Receiver limits from the bytes after the header (zeros when absent).
  nipc::fuzz::PrefixReader limits_in(data + nipc::header_layout::kSize,
                                     size - nipc::header_layout::kSize);
  nipc::DirectionLimits limits;
  limits.max_payload_bytes = limits_in.u32();
  limits.max_batch_items = limits_in.u32();
  const nipc::Result<void> inbound = nipc::check_inbound_limits(*h, limits);
  if (h->payload_len > limits.max_payload_bytes) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(inbound, Error::kPayloadOverLimit));
  } else if (h->item_count > limits.max_batch_items) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(inbound, Error::kItemCountOverLimit));
  } else {
    NIPC_FUZZ_CHECK(inbound.ok());
  }
  return 0;
}
