// INCREMENT payload decoder (spec/codecs.md). Input: an INCREMENT payload.
//
// Oracles: fewer than 8 bytes is kIncrementTruncated and nothing else is an error
// (CODEC-INC-001); a decoded value re-encodes to the first 8 input bytes (bytes after them
// are ignored) and decodes back to itself; the service answer is value + 1 mod 2^64.
#include <array>
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "nipc/codec/increment.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  const nipc::Result<std::uint64_t> value = nipc::decode_increment(in);
  if (size < 8) {
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(value, nipc::Error::kIncrementTruncated));
    return 0;
  }
  NIPC_FUZZ_CHECK(value.ok() && *value == nipc::load_u64le(data));

  std::array<std::uint8_t, 8> encoded{};
  const nipc::Result<std::size_t> n = nipc::encode_increment(*value, encoded);
  NIPC_FUZZ_CHECK(n.ok() && *n == 8);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(8)));
  const nipc::Result<std::uint64_t> again = nipc::decode_increment(encoded);
  NIPC_FUZZ_CHECK(again.ok() && *again == *value);
  NIPC_FUZZ_CHECK(nipc::increment_answer(*value) == *value + 1);  // wraps at 2^64
  return 0;
}
