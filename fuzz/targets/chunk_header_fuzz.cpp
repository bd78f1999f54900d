// Continuation chunk header decoder (spec/chunking.md). Input: a continuation packet (32-byte
// chunk header, then chunk payload bytes).
//
// Oracles: the error is the first failing rule (CHUNK-LEN-001, MAGIC, VERSION, FLAGS),
// recomputed here from the raw bytes; a decoded header re-encodes to the same 32 bytes and
// decoding those gives the same fields.
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.h"
#include "nipc/codec/chunk.h"

namespace {

using nipc::Error;

std::optional<Error> expected_error(nipc::ConstBytes in) {
  if (in.size() < 32) return Error::kChunkTruncated;
  const std::uint8_t* p = in.data();
  if (nipc::load_u32le(p) != 0x4e43484bu) return Error::kChunkBadMagic;
  if (nipc::load_u16le(p + 4) != 1) return Error::kChunkBadVersion;
  if (nipc::load_u16le(p + 6) != 0) return Error::kChunkNonzeroFlags;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  const nipc::Result<nipc::ChunkHeader> c = nipc::decode_chunk_header(in);
  const std::optional<Error> expected = expected_error(in);
  if (!c.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && c.error() == *expected);
    return 0;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  const auto encoded = nipc::encode_chunk_header(*c);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(nipc::chunk_layout::kSize)));
  const nipc::Result<nipc::ChunkHeader> again = nipc::decode_chunk_header(encoded);
  NIPC_FUZZ_CHECK(again.ok() && *again == *c);
  return 0;
}
