#include "nipc/codec/increment.h"

namespace nipc {

Result<std::uint64_t> decode_increment(ConstBytes payload) noexcept {
  ByteReader reader(payload);
  std::uint64_t value = 0;
  if (!reader.get_u64(&value)) return Error::kIncrementTruncated;  // CODEC-INC-001
  // Trailing bytes are ignored: the structure has a fixed size and existing peers accept
  // longer payloads (spec/codecs.md, CODEC-INC-001).
  return value;
}

Result<std::size_t> encode_increment(std::uint64_t value, MutableBytes out) noexcept {
  ByteWriter writer(out);
  if (!writer.put_u64(value)) return Error::kBufferTooSmall;  // CODEC-ENC-001
  return writer.written();
}

}  // namespace nipc
