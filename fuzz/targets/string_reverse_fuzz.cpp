// STRING_REVERSE payload decoder (spec/codecs.md). Input: a STRING_REVERSE payload.
//
// Oracles: the error is the first failing rule (CODEC-STR-001..004), recomputed here in
// 64-bit arithmetic; a decoded string is a view into the input at offset 8; its canonical
// encoding (CODEC-STR-006) is exactly the input up to and including the NUL (the decoder
// accepts only offset 8, so the only non-canonical freedom is bytes after the NUL, which are
// ignored) and decodes to the same string; the service answer decodes to the reversed string.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "nipc/codec/string_reverse.h"

namespace {

using nipc::Error;

std::optional<Error> expected_error(nipc::ConstBytes in) {
  if (in.size() < 8) return Error::kStringTruncated;
  const std::uint32_t offset = nipc::load_u32le(in.data());
  const std::uint32_t length = nipc::load_u32le(in.data() + 4);
  if (offset != 8) return Error::kStringBadOffset;
  const std::uint64_t nul_at = std::uint64_t{offset} + length;
  if (nul_at >= in.size()) return Error::kStringOutOfBounds;
  if (in[nul_at] != 0) return Error::kStringMissingNul;
  return std::nullopt;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nipc::ConstBytes in(data, size);
  const nipc::Result<std::string_view> text = nipc::decode_string_reverse(in);
  const std::optional<Error> expected = expected_error(in);
  if (!text.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && text.error() == *expected);
    return 0;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  NIPC_FUZZ_CHECK(reinterpret_cast<const std::uint8_t*>(text->data()) == data + 8);
  NIPC_FUZZ_CHECK(text->size() == nipc::load_u32le(data + 4));

  const std::size_t canonical = static_cast<std::size_t>(
      nipc::string_reverse_encoded_size(text->size()));
  std::vector<std::uint8_t> encoded(canonical);
  const nipc::Result<std::size_t> n = nipc::encode_string_reverse(*text, encoded);
  NIPC_FUZZ_CHECK(n.ok() && *n == canonical);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, in.first(canonical)));
  const nipc::Result<std::string_view> again = nipc::decode_string_reverse(encoded);
  NIPC_FUZZ_CHECK(again.ok() && *again == *text);

  // One byte short of the canonical size is refused, writing nothing meaningful.
  std::vector<std::uint8_t> short_out(canonical - 1);
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(nipc::encode_string_reverse(*text, short_out),
                                          Error::kBufferTooSmall));

  std::vector<std::uint8_t> answer(canonical);
  const nipc::Result<std::size_t> m = nipc::encode_string_reverse_answer(*text, answer);
  NIPC_FUZZ_CHECK(m.ok() && *m == canonical);
  const nipc::Result<std::string_view> reversed = nipc::decode_string_reverse(answer);
  NIPC_FUZZ_CHECK(reversed.ok() && reversed->size() == text->size());
  NIPC_FUZZ_CHECK(std::equal(reversed->begin(), reversed->end(), text->rbegin()));
  NIPC_FUZZ_CHECK(nipc::reverse_string(*text) == *reversed);
  return 0;
}
