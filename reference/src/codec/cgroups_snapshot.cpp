#include "nipc/codec/cgroups_snapshot.h"

#include <cstring>
#include <limits>

namespace nipc {
namespace {

constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

// Where the packed item area starts for `item_count` directory entries. 64-bit: 24 +
// UINT32_MAX * 8 does not wrap.
constexpr std::uint64_t packed_area_start(std::uint64_t item_count) noexcept {
  return snapshot_header_layout::kSize + item_count * batch_entry_layout::kSize;
}

// The bytes of item `index` after the directory entry rules (CODEC-SNAP-006..008).
// `directory` holds the entries, `packed` is the packed item area.
Result<ConstBytes> entry_item(ConstBytes directory, ConstBytes packed,
                              std::uint32_t index) noexcept {
  const std::uint8_t* entry =
      directory.data() + std::size_t{index} * batch_entry_layout::kSize;
  const std::uint32_t offset = load_u32le(entry + batch_entry_layout::kOffset);
  const std::uint32_t length = load_u32le(entry + batch_entry_layout::kLength);
  if (offset % kItemAlignment != 0) return Error::kSnapshotMisalignedOffset;  // CODEC-SNAP-006
  if (std::uint64_t{offset} + length > packed.size()) {
    return Error::kSnapshotItemOutOfBounds;  // CODEC-SNAP-007, 64-bit sum
  }
  if (length < snapshot_item_layout::kSize) return Error::kSnapshotItemTruncated;  // SNAP-008
  return packed.subspan(offset, length);
}

// One string of an item, NUL excluded; `offset_field` and `length_field` name its two
// header fields (CODEC-SNAP-011..013).
Result<std::string_view> item_string(ConstBytes item, std::size_t offset_field,
                                     std::size_t length_field) noexcept {
  const std::uint32_t offset = load_u32le(item.data() + offset_field);
  const std::uint32_t length = load_u32le(item.data() + length_field);
  if (offset < snapshot_item_layout::kSize) return Error::kSnapshotStringOffsetLow;  // SNAP-011
  const std::uint64_t end = std::uint64_t{offset} + length;  // 64-bit: cannot wrap
  if (end + 1 > item.size()) return Error::kSnapshotStringOutOfBounds;  // CODEC-SNAP-012
  if (item[end] != 0) return Error::kSnapshotStringMissingNul;         // CODEC-SNAP-013
  return std::string_view(reinterpret_cast<const char*>(item.data() + offset), length);
}

// One item after the item rules (CODEC-SNAP-009..014). `item` is at least 32 bytes (checked
// by entry_item).
Result<SnapshotItem> decode_item(ConstBytes item) noexcept {
  const std::uint8_t* p = item.data();
  if (load_u16le(p + snapshot_item_layout::kLayoutVersion) != kLayoutVersion) {
    return Error::kSnapshotItemBadLayout;  // CODEC-SNAP-009
  }
  if (load_u16le(p + snapshot_item_layout::kFlags) != 0) {
    return Error::kSnapshotItemNonzeroFlags;  // CODEC-SNAP-010
  }
  Result<std::string_view> name =
      item_string(item, snapshot_item_layout::kNameOffset, snapshot_item_layout::kNameLength);
  if (!name) return name.error();
  Result<std::string_view> path =
      item_string(item, snapshot_item_layout::kPathOffset, snapshot_item_layout::kPathLength);
  if (!path) return path.error();
  // CODEC-SNAP-014: [start, start + length + 1) ranges, NULs included, must be disjoint.
  const auto start = [&](std::string_view s) {
    return static_cast<std::uint64_t>(reinterpret_cast<const std::uint8_t*>(s.data()) - p);
  };
  const std::uint64_t name_start = start(*name);
  const std::uint64_t path_start = start(*path);
  if (name_start < path_start + path->size() + 1 && path_start < name_start + name->size() + 1) {
    return Error::kSnapshotStringsOverlap;
  }
  // Bytes in the item beyond its strings are ignored: the item length is the producer's
  // business (canonical items have none, CODEC-SNAP-016 accepts them).
  SnapshotItem out;
  out.hash = load_u32le(p + snapshot_item_layout::kHash);
  out.options = load_u32le(p + snapshot_item_layout::kOptions);
  out.enabled = load_u32le(p + snapshot_item_layout::kEnabled);
  out.name = *name;
  out.path = *path;
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Request

Result<void> decode_snapshot_request(ConstBytes payload) noexcept {
  ByteReader reader(payload);
  ConstBytes fixed;
  if (!reader.get_bytes(snapshot_request_layout::kSize, &fixed)) {
    return Error::kSnapshotRequestTruncated;  // CODEC-SNREQ-001
  }
  if (load_u16le(fixed.data() + snapshot_request_layout::kLayoutVersion) != kLayoutVersion) {
    return Error::kSnapshotRequestBadLayout;  // CODEC-SNREQ-002
  }
  if (load_u16le(fixed.data() + snapshot_request_layout::kFlags) != 0) {
    return Error::kSnapshotRequestNonzeroFlags;  // CODEC-SNREQ-003
  }
  // Trailing bytes are ignored: fixed-size payloads accept longer input (CODEC-SNREQ-001).
  return {};
}

Result<std::size_t> encode_snapshot_request(MutableBytes out) noexcept {
  if (out.size() < snapshot_request_layout::kSize) return Error::kBufferTooSmall;
  store_u16le(out.data() + snapshot_request_layout::kLayoutVersion, kLayoutVersion);
  store_u16le(out.data() + snapshot_request_layout::kFlags, 0);
  return snapshot_request_layout::kSize;
}

// ---------------------------------------------------------------------------------------
// Response: decode

Result<SnapshotView> SnapshotView::parse(ConstBytes payload) noexcept {
  ByteReader reader(payload);
  ConstBytes header;
  if (!reader.get_bytes(snapshot_header_layout::kSize, &header)) {
    return Error::kSnapshotTruncated;  // CODEC-SNAP-001
  }
  const std::uint8_t* h = header.data();
  if (load_u16le(h + snapshot_header_layout::kLayoutVersion) != kLayoutVersion) {
    return Error::kSnapshotBadLayout;  // CODEC-SNAP-002
  }
  if (load_u16le(h + snapshot_header_layout::kFlags) != 0) {
    return Error::kSnapshotNonzeroFlags;  // CODEC-SNAP-003
  }
  if (load_u32le(h + snapshot_header_layout::kReserved) != 0) {
    return Error::kSnapshotNonzeroReserved;  // CODEC-SNAP-004
  }
  const std::uint32_t item_count = load_u32le(h + snapshot_header_layout::kItemCount);

  // CODEC-SNAP-005: the 64-bit directory size against what remains, so UINT32_MAX entries
  // cannot wrap.
  const std::uint64_t directory_size = std::uint64_t{item_count} * batch_entry_layout::kSize;
  if (directory_size > reader.remaining()) return Error::kSnapshotDirectoryTruncated;
  ConstBytes directory;
  (void)reader.get_bytes(static_cast<std::size_t>(directory_size), &directory);  // fits
  const ConstBytes packed = reader.rest();

  // Every entry before any item, so a broken directory is reported as such whatever the
  // items hold; then every item, so the view never hides an invalid one (CODEC-SNAP-017).
  for (std::uint32_t i = 0; i < item_count; ++i) {
    Result<ConstBytes> item = entry_item(directory, packed, i);
    if (!item) return item.error();
  }
  for (std::uint32_t i = 0; i < item_count; ++i) {
    Result<SnapshotItem> item = decode_item(entry_item(directory, packed, i).value());
    if (!item) return item.error();
  }
  // Bytes in the packed area that no entry covers (gaps, trailing bytes) are ignored
  // (CODEC-SNAP-016).
  return SnapshotView(payload, item_count, load_u32le(h + snapshot_header_layout::kSystemdEnabled),
                      load_u64le(h + snapshot_header_layout::kGeneration));
}

Result<SnapshotItem> SnapshotView::item(std::uint32_t index) const noexcept {
  if (index >= item_count_) return Error::kBatchIndexOutOfRange;
  const std::size_t start = static_cast<std::size_t>(packed_area_start(item_count_));
  const ConstBytes directory =
      payload_.subspan(snapshot_header_layout::kSize, start - snapshot_header_layout::kSize);
  // parse() validated this entry and item; the checks repeat only to derive the views.
  Result<ConstBytes> bytes = entry_item(directory, payload_.subspan(start), index);
  if (!bytes) return bytes.error();
  return decode_item(*bytes);
}

// ---------------------------------------------------------------------------------------
// Response: encode

std::uint64_t snapshot_encoded_size(std::span<const SnapshotItem> items) noexcept {
  std::uint64_t packed_end = 0;
  for (const SnapshotItem& item : items) {
    packed_end = align8(packed_end) + snapshot_item_layout::kSize + item.name.size() + 1 +
                 item.path.size() + 1;
  }
  return packed_area_start(items.size()) + packed_end;
}

SnapshotBuilder::SnapshotBuilder(MutableBytes out, std::size_t max_items,
                                 std::uint32_t systemd_enabled,
                                 std::uint64_t generation) noexcept
    : out_(out),
      max_items_(max_items),
      systemd_enabled_(systemd_enabled),
      generation_(generation) {
  if (max_items > kU32Max) {
    failed_ = true;  // the directory could never be described by a u32 item_count
    error_ = Error::kValueOutOfRange;
  } else if (packed_area_start(max_items) > out.size()) {
    failed_ = true;
    error_ = Error::kBufferTooSmall;
  }
}

Result<void> SnapshotBuilder::status() const noexcept {
  if (failed_) return error_;
  return {};
}

std::size_t SnapshotBuilder::reserved_area_start() const noexcept {
  // Fits: the constructor checked it against out_.size().
  return static_cast<std::size_t>(packed_area_start(max_items_));
}

Result<void> SnapshotBuilder::add(const SnapshotItem& item) noexcept {
  if (failed_) return error_;
  if (finished_) return Error::kBufferTooSmall;  // a closed snapshot has no room left
  const auto fail = [this](Error e) -> Result<void> {
    failed_ = true;
    error_ = e;
    return e;
  };
  if (count_ == max_items_) return fail(Error::kBufferTooSmall);  // every slot is used

  // CODEC-ENC-002: lengths, the item length and its offset are u32 wire fields.
  if (item.name.size() > kU32Max || item.path.size() > kU32Max) {
    return fail(Error::kValueOutOfRange);
  }
  const std::uint64_t name_offset = snapshot_item_layout::kSize;
  const std::uint64_t path_offset = name_offset + item.name.size() + 1;
  const std::uint64_t item_length = path_offset + item.path.size() + 1;
  const std::uint64_t offset = align8(packed_end_);
  if (item_length > kU32Max || offset > kU32Max) return fail(Error::kValueOutOfRange);

  // CODEC-ENC-001: the item must fit behind the reserved slots. Compare against what remains
  // so nothing can wrap.
  const std::size_t base = reserved_area_start();
  const std::uint64_t room = out_.size() - base;
  if (offset > room || item_length > room - offset) return fail(Error::kBufferTooSmall);

  std::uint8_t* gap = out_.data() + base + packed_end_;
  std::uint8_t* p = out_.data() + base + offset;
  std::memset(gap, 0, static_cast<std::size_t>(offset - packed_end_));  // zero gap bytes
  store_u16le(p + snapshot_item_layout::kLayoutVersion, kLayoutVersion);
  store_u16le(p + snapshot_item_layout::kFlags, 0);
  store_u32le(p + snapshot_item_layout::kHash, item.hash);
  store_u32le(p + snapshot_item_layout::kOptions, item.options);
  store_u32le(p + snapshot_item_layout::kEnabled, item.enabled);
  store_u32le(p + snapshot_item_layout::kNameOffset, static_cast<std::uint32_t>(name_offset));
  store_u32le(p + snapshot_item_layout::kNameLength, static_cast<std::uint32_t>(item.name.size()));
  store_u32le(p + snapshot_item_layout::kPathOffset, static_cast<std::uint32_t>(path_offset));
  store_u32le(p + snapshot_item_layout::kPathLength, static_cast<std::uint32_t>(item.path.size()));
  if (!item.name.empty()) std::memcpy(p + name_offset, item.name.data(), item.name.size());
  p[name_offset + item.name.size()] = 0;
  if (!item.path.empty()) std::memcpy(p + path_offset, item.path.data(), item.path.size());
  p[path_offset + item.path.size()] = 0;

  std::uint8_t* entry = out_.data() + snapshot_header_layout::kSize +
                        std::size_t{count_} * batch_entry_layout::kSize;
  store_u32le(entry + batch_entry_layout::kOffset, static_cast<std::uint32_t>(offset));
  store_u32le(entry + batch_entry_layout::kLength, static_cast<std::uint32_t>(item_length));
  ++count_;
  packed_end_ = offset + item_length;  // no padding after the last item (CODEC-SNAP-015)
  return {};
}

Result<std::size_t> SnapshotBuilder::finish() noexcept {
  if (failed_) return error_;
  if (finished_) return finished_length_;
  // Offsets are relative to the packed area, so moving the whole area down over the unused
  // slots keeps every entry valid.
  const std::size_t from = reserved_area_start();
  const std::size_t to = static_cast<std::size_t>(packed_area_start(count_));
  const std::size_t packed = static_cast<std::size_t>(packed_end_);
  if (from != to && packed != 0) std::memmove(out_.data() + to, out_.data() + from, packed);

  std::uint8_t* h = out_.data();
  store_u16le(h + snapshot_header_layout::kLayoutVersion, kLayoutVersion);
  store_u16le(h + snapshot_header_layout::kFlags, 0);
  store_u32le(h + snapshot_header_layout::kItemCount, count_);
  store_u32le(h + snapshot_header_layout::kSystemdEnabled, systemd_enabled_);
  store_u32le(h + snapshot_header_layout::kReserved, 0);
  store_u64le(h + snapshot_header_layout::kGeneration, generation_);
  finished_ = true;
  finished_length_ = to + packed;
  return finished_length_;
}

Result<std::size_t> encode_snapshot(std::uint32_t systemd_enabled, std::uint64_t generation,
                                    std::span<const SnapshotItem> items,
                                    MutableBytes out) noexcept {
  SnapshotBuilder builder(out, items.size(), systemd_enabled, generation);
  for (const SnapshotItem& item : items) {
    Result<void> added = builder.add(item);
    if (!added) return added.error();
  }
  return builder.finish();
}

}  // namespace nipc
