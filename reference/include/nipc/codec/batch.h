// Batch framing (spec/batch.md): the item directory and the packed item area.
#ifndef NIPC_CODEC_BATCH_H_
#define NIPC_CODEC_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <span>

#include "nipc/codec/bytes.h"
#include "nipc/codec/result.h"

namespace nipc {

/// One directory entry: where an item sits in the packed area (8 bytes on the wire).
namespace batch_entry_layout {
inline constexpr std::size_t kOffset = 0;  // u32, from the start of the packed area, 8-aligned
inline constexpr std::size_t kLength = 4;  // u32, exact item length, padding excluded
inline constexpr std::size_t kSize = 8;
}  // namespace batch_entry_layout

/// A validated, zero-copy view of a batch payload. Does not own the bytes.
class BatchView {
 public:
  /// Validates `payload` as a batch of `item_count` items: directory present
  /// (kBatchDirectoryTruncated), then every entry aligned (kBatchMisalignedOffset) and in
  /// bounds (kBatchItemOutOfBounds), in entry order; the first failing entry decides.
  /// Overlap, order and zero lengths are allowed (BATCH-OVERLAP-001). Safe for item_count up
  /// to UINT32_MAX. The view borrows `payload`, which must outlive it.
  ///
  /// Receivers call this for every message whose header has the BATCH flag, with the
  /// header's item_count (BATCH-PRESENT-001): 0 is the empty batch (no directory; any payload
  /// bytes are unreferenced), 1 or more items always have a directory, one item included.
  /// A message without the BATCH flag has no directory and is not parsed.
  static Result<BatchView> parse(ConstBytes payload, std::uint32_t item_count) noexcept;

  std::uint32_t size() const noexcept { return item_count_; }

  /// Item `index` as a view into the payload (BATCH-INDEX-001: kBatchIndexOutOfRange when
  /// index >= size()). The entry's alignment and bounds are checked again, as parse() did.
  Result<ConstBytes> item(std::uint32_t index) const noexcept;

 private:
  BatchView(ConstBytes payload, std::uint32_t item_count) noexcept
      : payload_(payload), item_count_(item_count) {}
  ConstBytes payload_;
  std::uint32_t item_count_ = 0;
};

/// Size of the canonical encoding of items with these lengths (BATCH-LAYOUT-001):
/// count*8 + align8 of the packed items, the payload rounded up to a multiple of 8.
std::uint64_t batch_encoded_size(std::span<const ConstBytes> items) noexcept;

/// Writes the canonical batch encoding of `items` into `out` (first item at offset 0, each
/// next at align8 of the previous end, zero padding, trailing pad to 8). Returns the length
/// written (batch_encoded_size(items)). Fails, writing nothing, with kValueOutOfRange when
/// the encoding would exceed UINT32_MAX bytes (offsets, lengths and payload_len are u32) or
/// kBufferTooSmall when `out` is too short. Zero items encode to 0 bytes.
Result<std::size_t> encode_batch(std::span<const ConstBytes> items, MutableBytes out) noexcept;

}  // namespace nipc

#endif  // NIPC_CODEC_BATCH_H_
