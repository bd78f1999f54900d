// CGROUPS_SNAPSHOT request decoder (spec/codecs.md). Input: a request payload.
//
// Oracles: the error is the first failing rule (CODEC-SNREQ-001..003), recomputed here;
// bytes after the first 4 are ignored; an accepted request's first 4 bytes are exactly what
// the encoder writes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "fuzz_support.h"
#include "nipc/codec/cgroups_snapshot.h"

namespace {

using nipc::Error;

std::optional<Error> expected_error(nipc::ConstBytes in) {
  if (in.size() < 4) return Error::kSnapshotRequestTruncated;
  if (nipc::load_u16le(in.data()) != 1) return Error::kSnapshotRequestBadLayout;
  if (nipc::load_u16le(in.data() + 2) != 0) return Error::kSnapshotRequestNonzeroFlags;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  const nipc::Result<void> r = nipc::decode_snapshot_request(in);
  const std::optional<Error> expected = expected_error(in);
  if (!r.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && r.error() == *expected);
    return 0;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  std::array<std::uint8_t, 4> encoded{};
  const nipc::Result<std::size_t> n = nipc::encode_snapshot_request(encoded);
  NIPC_FUZZ_CHECK(n.ok() && *n == 4);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(4)));
  return 0;
}
