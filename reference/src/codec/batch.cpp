#include "nipc/codec/batch.h"

#include <limits>

namespace nipc {
namespace {

struct Entry {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

// Entry `index` of a directory the caller has already proven present.
Entry entry_at(ConstBytes payload, std::uint32_t index) noexcept {
  const std::uint8_t* p =
      payload.data() + static_cast<std::size_t>(index) * batch_entry_layout::kSize;
  return {load_u32le(p + batch_entry_layout::kOffset),
          load_u32le(p + batch_entry_layout::kLength)};
}

// The two per-entry rules, shared by parse() and item(). `packed_len` is what follows the
// directory; the sum is taken in 64 bits so offset + length cannot wrap.
Result<void> check_entry(Entry e, std::uint64_t packed_len) noexcept {
  if (e.offset % kItemAlignment != 0) return Error::kBatchMisalignedOffset;  // BATCH-ALIGN-001
  if (std::uint64_t{e.offset} + e.length > packed_len)
    return Error::kBatchItemOutOfBounds;  // BATCH-BOUNDS-001
  return {};
}

// Directory size in bytes. Entries are 8 bytes, so align8 of it is itself: the layout's
// "pad to align8(directory)" is always empty.
std::uint64_t directory_bytes(std::uint64_t item_count) noexcept {
  return item_count * batch_entry_layout::kSize;
}

}  // namespace

Result<BatchView> BatchView::parse(ConstBytes payload, std::uint32_t item_count) noexcept {
  // BATCH-DIR-001: compared with what the payload holds; 64-bit, so UINT32_MAX items on a
  // tiny payload fail here instead of wrapping.
  const std::uint64_t dir = directory_bytes(item_count);
  if (dir > payload.size()) return Error::kBatchDirectoryTruncated;
  const std::uint64_t packed_len = payload.size() - dir;
  for (std::uint32_t i = 0; i < item_count; ++i) {
    if (Result<void> r = check_entry(entry_at(payload, i), packed_len); !r) return r.error();
  }
  // BATCH-OVERLAP-001: order, overlap, zero lengths and packed-area bytes no entry covers
  // (padding, gaps) are not judged, so there is no trailing-bytes rule for a batch.
  return BatchView(payload, item_count);
}

Result<ConstBytes> BatchView::item(std::uint32_t index) const noexcept {
  if (index >= item_count_) return Error::kBatchIndexOutOfRange;  // BATCH-INDEX-001
  const std::uint64_t dir = directory_bytes(item_count_);
  const ConstBytes packed = payload_.subspan(static_cast<std::size_t>(dir));
  const Entry e = entry_at(payload_, index);
  // parse() proved this already; re-checking keeps item() safe on its own.
  if (Result<void> r = check_entry(e, packed.size()); !r) return r.error();
  return packed.subspan(e.offset, e.length);
}

std::uint64_t batch_encoded_size(std::span<const ConstBytes> items) noexcept {
  std::uint64_t end = 0;  // end of the last item in the packed area
  for (const ConstBytes& item : items) end = align8(end) + item.size();
  return directory_bytes(items.size()) + align8(end);
}

Result<std::size_t> encode_batch(std::span<const ConstBytes> items, MutableBytes out) noexcept {
  // Every offset and length is below the total, so one bound on the total keeps all of them,
  // item_count and payload_len inside their u32 fields (CODEC-ENC-002).
  const std::uint64_t size = batch_encoded_size(items);
  if (size > std::numeric_limits<std::uint32_t>::max()) return Error::kValueOutOfRange;
  if (size > out.size()) return Error::kBufferTooSmall;  // CODEC-ENC-001, nothing written

  const std::uint64_t dir = directory_bytes(items.size());
  std::uint8_t* entry = out.data();
  ByteWriter packed(out.subspan(static_cast<std::size_t>(dir), size - dir));
  for (const ConstBytes& item : items) {
    // BATCH-LAYOUT-001: each item starts at align8 of the previous end, gap zeroed.
    packed.put_zeros(align8(packed.written()) - packed.written());
    store_u32le(entry + batch_entry_layout::kOffset, static_cast<std::uint32_t>(packed.written()));
    store_u32le(entry + batch_entry_layout::kLength, static_cast<std::uint32_t>(item.size()));
    entry += batch_entry_layout::kSize;
    packed.put_bytes(item);
  }
  packed.put_zeros(packed.remaining());  // trailing pad to a multiple of 8, counted in the size
  return static_cast<std::size_t>(size);
}

}  // namespace nipc
