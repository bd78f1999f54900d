// CGROUPS_SNAPSHOT payloads (method 2, spec/codecs.md): the 4-byte request and the snapshot
// response (header, item directory, packed items).
#ifndef NIPC_CODEC_CGROUPS_SNAPSHOT_H_
#define NIPC_CODEC_CGROUPS_SNAPSHOT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nipc/codec/batch.h"
#include "nipc/codec/bytes.h"
#include "nipc/codec/header.h"
#include "nipc/codec/result.h"

namespace nipc {

// ---------------------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------------------

/// Byte offsets of the CGROUPS_SNAPSHOT request payload.
namespace snapshot_request_layout {
inline constexpr std::size_t kLayoutVersion = 0;  // u16, 1
inline constexpr std::size_t kFlags = 2;          // u16, 0
inline constexpr std::size_t kSize = 4;
}  // namespace snapshot_request_layout

/// Decodes a CGROUPS_SNAPSHOT request. Rules, in order: at least 4 bytes
/// (kSnapshotRequestTruncated), layout_version 1 (kSnapshotRequestBadLayout), flags 0
/// (kSnapshotRequestNonzeroFlags). Bytes after the first 4 are ignored (CODEC-SNREQ-001).
/// The request carries no values, so success is all there is to report.
Result<void> decode_snapshot_request(ConstBytes payload) noexcept;

/// Bytes the request encoder writes: always 4.
constexpr std::size_t snapshot_request_encoded_size() noexcept {
  return snapshot_request_layout::kSize;
}

/// Writes the 4-byte request (layout_version 1, flags 0) to the start of `out` and returns 4.
/// Fails with kBufferTooSmall, writing nothing, when `out` is shorter than 4 bytes.
Result<std::size_t> encode_snapshot_request(MutableBytes out) noexcept;

// ---------------------------------------------------------------------------------------
// Response
// ---------------------------------------------------------------------------------------

/// Byte offsets of the 24-byte snapshot header at the start of the response payload. The
/// item directory follows it: item_count entries shaped like batch directory entries
/// (batch_entry_layout), with offsets relative to the packed item area that starts right
/// after the directory.
namespace snapshot_header_layout {
inline constexpr std::size_t kLayoutVersion = 0;   // u16, 1
inline constexpr std::size_t kFlags = 2;           // u16, 0
inline constexpr std::size_t kItemCount = 4;       // u32, unrelated to the outer item_count
inline constexpr std::size_t kSystemdEnabled = 8;  // u32, opaque
inline constexpr std::size_t kReserved = 12;       // u32, 0
inline constexpr std::size_t kGeneration = 16;     // u64, opaque
inline constexpr std::size_t kSize = 24;
}  // namespace snapshot_header_layout

/// Byte offsets of one snapshot item's fixed header; name and path follow it.
namespace snapshot_item_layout {
inline constexpr std::size_t kLayoutVersion = 0;  // u16, 1
inline constexpr std::size_t kFlags = 2;          // u16, 0
inline constexpr std::size_t kHash = 4;           // u32, producer's hash of the name
inline constexpr std::size_t kOptions = 8;        // u32, opaque option bits
inline constexpr std::size_t kEnabled = 12;       // u32, opaque
inline constexpr std::size_t kNameOffset = 16;    // u32, from the item start, >= 32
inline constexpr std::size_t kNameLength = 20;    // u32, NUL excluded
inline constexpr std::size_t kPathOffset = 24;    // u32, from the item start, >= 32
inline constexpr std::size_t kPathLength = 28;    // u32, NUL excluded
inline constexpr std::size_t kSize = 32;
}  // namespace snapshot_item_layout

/// One cgroup entry. As a decode result, `name` and `path` view the payload (NUL excluded,
/// interior NULs kept) and live as long as the caller's bytes; as builder input they are
/// only read during the call.
struct SnapshotItem {
  std::uint32_t hash = 0;
  std::uint32_t options = 0;
  std::uint32_t enabled = 0;
  std::string_view name;
  std::string_view path;
  friend bool operator==(const SnapshotItem&, const SnapshotItem&) = default;
};

/// A fully validated, zero-copy view of a snapshot response payload. Does not own the bytes:
/// it is valid as long as the caller's payload is.
class SnapshotView {
 public:
  /// Validates `payload` completely (CODEC-SNAP-017: never a partially valid view). Order:
  /// header — at least 24 bytes (kSnapshotTruncated), layout_version 1 (kSnapshotBadLayout),
  /// flags 0 (kSnapshotNonzeroFlags), reserved 0 (kSnapshotNonzeroReserved); directory —
  /// item_count entries fit (kSnapshotDirectoryTruncated, safe for UINT32_MAX); then every
  /// entry in index order — offset aligned to 8 (kSnapshotMisalignedOffset), item inside the
  /// packed area (kSnapshotItemOutOfBounds), length >= 32 (kSnapshotItemTruncated); then
  /// every item in index order — layout_version 1 (kSnapshotItemBadLayout), flags 0
  /// (kSnapshotItemNonzeroFlags), name then path: offset >= 32 (kSnapshotStringOffsetLow),
  /// string and NUL inside the item (kSnapshotStringOutOfBounds), NUL terminator
  /// (kSnapshotStringMissingNul); finally name and path, NULs included, do not overlap
  /// (kSnapshotStringsOverlap). Item order, items sharing bytes, interior NULs and bytes
  /// after the items are accepted (CODEC-SNAP-016). Allocates nothing.
  static Result<SnapshotView> parse(ConstBytes payload) noexcept;

  /// Number of items (the snapshot header's item_count).
  std::uint32_t size() const noexcept { return item_count_; }
  std::uint32_t systemd_enabled() const noexcept { return systemd_enabled_; }
  std::uint64_t generation() const noexcept { return generation_; }

  /// Item `index`, its strings viewing the payload. Fails only with kBatchIndexOutOfRange
  /// when index >= size() (the directory follows the batch directory's access rule,
  /// BATCH-INDEX-001); every item was validated by parse().
  Result<SnapshotItem> item(std::uint32_t index) const noexcept;

 private:
  SnapshotView(ConstBytes payload, std::uint32_t item_count, std::uint32_t systemd_enabled,
               std::uint64_t generation) noexcept
      : payload_(payload),
        item_count_(item_count),
        systemd_enabled_(systemd_enabled),
        generation_(generation) {}

  ConstBytes payload_;
  std::uint32_t item_count_ = 0;
  std::uint32_t systemd_enabled_ = 0;
  std::uint64_t generation_ = 0;
};

/// Same as SnapshotView::parse.
inline Result<SnapshotView> decode_snapshot(ConstBytes payload) noexcept {
  return SnapshotView::parse(payload);
}

/// Size of the canonical encoding of `items` (CODEC-SNAP-015): 24 + 8 per item + the packed
/// items, each at align8 of the previous end, no padding after the last one. 64-bit, so it
/// cannot wrap for any realistic input; it does not judge whether values fit wire fields.
std::uint64_t snapshot_encoded_size(std::span<const SnapshotItem> items) noexcept;

/// How many directory slots a builder reserves by default for a buffer of `buffer_size`
/// bytes: (buffer_size - 24) / 48, 0 when the header does not fit. 48 is the smallest
/// footprint of an item: an 8-byte entry plus 32 header bytes and two NULs, aligned to 8.
constexpr std::size_t snapshot_default_max_items(std::size_t buffer_size) noexcept {
  constexpr std::size_t kMinItemFootprint = 48;
  return buffer_size < snapshot_header_layout::kSize
             ? 0
             : (buffer_size - snapshot_header_layout::kSize) / kMinItemFootprint;
}

/// Writes a canonical snapshot response (CODEC-SNAP-015) into a caller buffer, one item at a
/// time: name at item offset 32 then NUL, path right after then NUL, item length unpadded,
/// items at align8 of the previous end with zero gaps, no padding after the last item.
///
/// The builder reserves `max_items` directory slots after the header up front and writes
/// items behind them; finish() moves the items down over the unused slots. The first
/// failure sticks: every later add() and finish() returns it, so a result never silently
/// lacks an item. Item strings must not point into the builder's buffer.
class SnapshotBuilder {
 public:
  /// Starts a snapshot in `out` with `max_items` directory slots (a producer's hint, or
  /// snapshot_default_max_items(out.size())). Fails (sticky, see status()) with
  /// kValueOutOfRange when `max_items` exceeds UINT32_MAX, else with kBufferTooSmall when the
  /// header and `max_items` slots do not fit `out`.
  SnapshotBuilder(MutableBytes out, std::size_t max_items, std::uint32_t systemd_enabled,
                  std::uint64_t generation) noexcept;

  /// Success, or the first failure so far.
  Result<void> status() const noexcept;

  /// Appends `item`. Fails with kValueOutOfRange when a string is longer than UINT32_MAX,
  /// the item length or its offset in the packed area does not fit a u32 (CODEC-ENC-002);
  /// with kBufferTooSmall when all slots are used, the item does not fit the buffer, or the
  /// builder is already finished (CODEC-ENC-001). A failed add leaves the bytes written so
  /// far as they were.
  Result<void> add(const SnapshotItem& item) noexcept;

  /// Items added so far.
  std::uint32_t size() const noexcept { return count_; }

  /// Closes the snapshot: writes the header, moves the items next to the directory, and
  /// returns the payload length (the payload is the first that many bytes of `out`).
  /// Returns the sticky failure if any. Calling it again returns the same length.
  Result<std::size_t> finish() noexcept;

 private:
  std::size_t reserved_area_start() const noexcept;

  MutableBytes out_;
  std::size_t max_items_ = 0;
  std::uint32_t systemd_enabled_ = 0;
  std::uint64_t generation_ = 0;
  std::uint32_t count_ = 0;
  std::uint64_t packed_end_ = 0;  // end of the last item, relative to the packed area
  bool failed_ = false;
  Error error_{};
  bool finished_ = false;
  std::size_t finished_length_ = 0;
};

/// Writes the canonical snapshot of `items` into `out` and returns its length. Failures as
/// SnapshotBuilder (kValueOutOfRange for values that do not fit, kBufferTooSmall when `out`
/// is short); on failure nothing meaningful is written.
Result<std::size_t> encode_snapshot(std::uint32_t systemd_enabled, std::uint64_t generation,
                                    std::span<const SnapshotItem> items,
                                    MutableBytes out) noexcept;

/// The outer header for a CGROUPS_SNAPSHOT request or response (CODEC-SNAP-018): code
/// CGROUPS_SNAPSHOT, flags 0 and item_count 1 whatever the snapshot's own item_count,
/// transport_status 0.
constexpr Header snapshot_message_header(Kind kind, std::uint64_t message_id,
                                         std::uint32_t payload_len) noexcept {
  Header h;
  h.kind = kind;
  h.flags = 0;
  h.code = static_cast<std::uint16_t>(Method::kCgroupsSnapshot);
  h.transport_status = 0;
  h.payload_len = payload_len;
  h.item_count = 1;
  h.message_id = message_id;
  return h;
}

}  // namespace nipc

#endif  // NIPC_CODEC_CGROUPS_SNAPSHOT_H_
