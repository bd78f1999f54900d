// HELLO payload decoder (spec/handshake.md). Input: a HELLO payload (no outer header).
//
// Oracles: the error is the first failing rule (HS-HELLO-LEN-001, LAYOUT, FLAGS, RESERVED),
// recomputed here; a decoded HELLO re-encodes to the first 44 input bytes (layout 1, flags 0
// and reserved 0 were checked; bytes after the 44 are ignored, so they are not compared) and
// decoding those gives the same fields.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.h"
#include "nipc/codec/hello.h"

namespace {

using nipc::Error;

std::optional<Error> expected_error(nipc::ConstBytes in) {
  if (in.size() < 44) return Error::kHelloTruncated;
  const std::uint8_t* p = in.data();
  if (nipc::load_u16le(p + 0) != 1) return Error::kHelloBadLayout;
  if (nipc::load_u16le(p + 2) != 0) return Error::kHelloNonzeroFlags;
  if (nipc::load_u32le(p + 28) != 0) return Error::kHelloNonzeroReserved;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  const nipc::Result<nipc::Hello> hello = nipc::decode_hello(in);
  const std::optional<Error> expected = expected_error(in);
  if (!hello.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && hello.error() == *expected);
    return 0;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  const auto encoded = nipc::encode_hello(*hello);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(nipc::hello_layout::kSize)));
  const nipc::Result<nipc::Hello> again = nipc::decode_hello(nipc::ConstBytes(encoded));
  NIPC_FUZZ_CHECK(again.ok() && *again == *hello);
  return 0;
}
