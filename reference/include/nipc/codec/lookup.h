// CGROUPS_LOOKUP (method 4) and APPS_LOOKUP (method 5) payloads, spec/lookup.md (newest
// revision): requests carry a list of keys, responses one item per key, both behind a
// 16-byte header and a method-internal directory.
#ifndef NIPC_CODEC_LOOKUP_H_
#define NIPC_CODEC_LOOKUP_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "nipc/codec/bytes.h"
#include "nipc/codec/header.h"
#include "nipc/codec/result.h"

namespace nipc {

/// Byte offsets of the 16-byte header shared by both lookup requests and responses. The
/// directory (item_count entries of {u32 offset, u32 length}, offsets relative to the packed
/// area) follows it.
namespace lookup_header_layout {
inline constexpr std::size_t kLayoutVersion = 0;  // u16, 1
inline constexpr std::size_t kFlags = 2;          // u16, 0
inline constexpr std::size_t kItemCount = 4;      // u32
inline constexpr std::size_t kReserved0 = 8;      // u32, 0 (requests)
inline constexpr std::size_t kReserved1 = 12;     // u32, 0 (requests)
inline constexpr std::size_t kGeneration = 8;     // u64 (responses)
inline constexpr std::size_t kSize = 16;
inline constexpr std::size_t kEntrySize = 8;  // directory entry {u32 offset, u32 length}
}  // namespace lookup_header_layout

/// Byte offsets of a CGROUPS_LOOKUP response item's fixed part.
namespace cgroups_lookup_item_layout {
inline constexpr std::size_t kLayoutVersion = 0;  // u16, 1
inline constexpr std::size_t kStatus = 2;         // u16, CgroupsLookupStatus
inline constexpr std::size_t kOrchestrator = 4;   // u16
inline constexpr std::size_t kReserved0 = 6;      // u16, 0
inline constexpr std::size_t kPathOffset = 8;     // u32
inline constexpr std::size_t kPathLength = 12;    // u32
inline constexpr std::size_t kNameOffset = 16;    // u32
inline constexpr std::size_t kNameLength = 20;    // u32
inline constexpr std::size_t kLabelCount = 24;    // u16
inline constexpr std::size_t kReserved1 = 26;     // u16, 0
inline constexpr std::size_t kSize = 28;
}  // namespace cgroups_lookup_item_layout

/// Byte offsets of an APPS_LOOKUP response item's fixed part (60 bytes on the wire).
namespace apps_lookup_item_layout {
inline constexpr std::size_t kLayoutVersion = 0;     // u16, 1
inline constexpr std::size_t kStatus = 2;            // u16, AppsLookupStatus
inline constexpr std::size_t kOrchestrator = 4;      // u16
inline constexpr std::size_t kCgroupStatus = 6;      // u16, AppsCgroupStatus
inline constexpr std::size_t kPid = 8;               // u32
inline constexpr std::size_t kPpid = 12;             // u32
inline constexpr std::size_t kUid = 16;              // u32
inline constexpr std::size_t kReserved0 = 20;        // u32, 0
inline constexpr std::size_t kStarttime = 24;        // u64
inline constexpr std::size_t kCommOffset = 32;       // u32
inline constexpr std::size_t kCommLength = 36;       // u32, <= 15
inline constexpr std::size_t kCgroupPathOffset = 40; // u32
inline constexpr std::size_t kCgroupPathLength = 44; // u32
inline constexpr std::size_t kCgroupNameOffset = 48; // u32
inline constexpr std::size_t kCgroupNameLength = 52; // u32
inline constexpr std::size_t kLabelCount = 56;       // u16
inline constexpr std::size_t kReserved1 = 58;        // u16, 0
inline constexpr std::size_t kSize = 60;
}  // namespace apps_lookup_item_layout

/// Byte offsets of one 16-byte label table entry (offsets from the item start).
namespace lookup_label_layout {
inline constexpr std::size_t kKeyOffset = 0;
inline constexpr std::size_t kKeyLength = 4;
inline constexpr std::size_t kValueOffset = 8;
inline constexpr std::size_t kValueLength = 12;
inline constexpr std::size_t kSize = 16;
}  // namespace lookup_label_layout

/// Size of an APPS_LOOKUP key: {u32 pid, u32 reserved}.
inline constexpr std::size_t kAppsLookupKeySize = 8;
/// Longest comm an APPS_LOOKUP item may carry (LOOKUP-APITEM-003).
inline constexpr std::uint32_t kAppsCommMax = 15;
/// uid value meaning "not known" (LOOKUP-APITEM-004).
inline constexpr std::uint32_t kUidUnset = 0xFFFFFFFFu;

/// CGROUPS_LOOKUP item status (LOOKUP-CGITEM-001).
enum class CgroupsLookupStatus : std::uint16_t {
  kKnown = 0,
  kUnknownRetryLater = 1,
  kUnknownPermanent = 2,
  kPayloadExceeded = 3,
  kOversizedItem = 4,
};

/// APPS_LOOKUP item status (LOOKUP-APITEM-001).
enum class AppsLookupStatus : std::uint16_t {
  kKnown = 0,
  kUnknown = 1,
  kPayloadExceeded = 2,
  kOversizedItem = 3,
};

/// APPS_LOOKUP cgroup_status (LOOKUP-APITEM-002).
enum class AppsCgroupStatus : std::uint16_t {
  kKnown = 0,
  kUnknownRetryLater = 1,
  kUnknownPermanent = 2,
  kHostRoot = 3,
};

/// Orchestrator values the spec names; receivers keep any other value (LOOKUP-ORCH-001).
namespace orchestrator {
inline constexpr std::uint16_t kUnknown = 0;
inline constexpr std::uint16_t kSystemd = 1;
inline constexpr std::uint16_t kDocker = 2;
inline constexpr std::uint16_t kK8s = 3;
inline constexpr std::uint16_t kKvm = 4;
inline constexpr std::uint16_t kLxc = 5;
inline constexpr std::uint16_t kPodman = 6;
inline constexpr std::uint16_t kNspawn = 7;
}  // namespace orchestrator

/// One label. Decoded labels view the payload; as encoder input they are only read.
struct LookupLabel {
  std::string_view key;
  std::string_view value;
  friend bool operator==(const LookupLabel&, const LookupLabel&) = default;
};

/// The labels of one validated item, viewing the payload. Does not own the bytes.
class LookupLabelList {
 public:
  LookupLabelList() noexcept = default;
  LookupLabelList(ConstBytes item, std::size_t table_offset, std::uint16_t count) noexcept
      : item_(item), table_offset_(table_offset), count_(count) {}
  std::uint16_t size() const noexcept { return count_; }
  /// Label `index` (< size(); the item was validated, so this cannot fail).
  LookupLabel operator[](std::size_t index) const noexcept;

 private:
  ConstBytes item_;
  std::size_t table_offset_ = 0;
  std::uint16_t count_ = 0;
};

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

/// A fully validated view of a CGROUPS_LOOKUP request; does not own the bytes.
class CgroupsLookupRequestView {
 public:
  /// Validates `payload` completely, in the order of spec/lookup.md "Validation order":
  /// header (LookupTruncated, LookupBadLayout, LookupNonzeroFlags, LookupNonzeroReserved,
  /// LookupDirectoryTruncated), every entry (LookupMisalignedOffset, CgroupsKeyTooShort,
  /// LookupEntryOutOfBounds, LookupEntriesOverlap), then every key (CgroupsKeyMissingNul,
  /// CgroupsKeyInteriorNul). Gap contents and bytes after the last key are accepted
  /// (LOOKUP-DIR-004). Allocates nothing.
  static Result<CgroupsLookupRequestView> parse(ConstBytes payload) noexcept;
  std::uint32_t size() const noexcept { return count_; }
  /// Key `index` as the path, NUL excluded. Fails only with kBatchIndexOutOfRange.
  Result<std::string_view> path(std::uint32_t index) const noexcept;

 private:
  CgroupsLookupRequestView(ConstBytes payload, std::uint32_t count) noexcept
      : payload_(payload), count_(count) {}
  ConstBytes payload_;
  std::uint32_t count_ = 0;
};

/// A fully validated view of an APPS_LOOKUP request; does not own the bytes.
class AppsLookupRequestView {
 public:
  /// Validates `payload` completely: header as CgroupsLookupRequestView, every entry
  /// (LookupMisalignedOffset, AppsKeyBadLength, LookupEntryOutOfBounds,
  /// LookupEntriesOverlap), then every key (AppsKeyNonzeroReserved). Allocates nothing.
  static Result<AppsLookupRequestView> parse(ConstBytes payload) noexcept;
  std::uint32_t size() const noexcept { return count_; }
  /// The pid of key `index`. Fails only with kBatchIndexOutOfRange.
  Result<std::uint32_t> pid(std::uint32_t index) const noexcept;

 private:
  AppsLookupRequestView(ConstBytes payload, std::uint32_t count) noexcept
      : payload_(payload), count_(count) {}
  ConstBytes payload_;
  std::uint32_t count_ = 0;
};

/// Canonical size of a CGROUPS_LOOKUP request for `paths` (LOOKUP-CGKEY-004), 64-bit.
std::uint64_t cgroups_lookup_request_encoded_size(std::span<const std::string_view> paths) noexcept;

/// Writes the canonical CGROUPS_LOOKUP request for `paths` to the start of `out` and returns
/// its length. Fails with kValueOutOfRange for an empty path, a path containing NUL, or a
/// size that does not fit a u32 field; with kBufferTooSmall when `out` is short. On failure
/// the bytes of `out` are unspecified and must not be sent.
Result<std::size_t> encode_cgroups_lookup_request(std::span<const std::string_view> paths,
                                                  MutableBytes out) noexcept;

/// Canonical size of an APPS_LOOKUP request for `count` pids (LOOKUP-APKEY-003).
constexpr std::uint64_t apps_lookup_request_encoded_size(std::uint64_t count) noexcept {
  return lookup_header_layout::kSize + count * (lookup_header_layout::kEntrySize + kAppsLookupKeySize);
}

/// Writes the canonical APPS_LOOKUP request for `pids` and returns its length. Fails with
/// kValueOutOfRange when the count does not fit a u32, kBufferTooSmall when `out` is short.
Result<std::size_t> encode_apps_lookup_request(std::span<const std::uint32_t> pids,
                                               MutableBytes out) noexcept;

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

/// One CGROUPS_LOOKUP item as encoder input; strings and labels are only read.
struct CgroupsLookupItem {
  std::uint16_t status = 0;
  std::uint16_t orchestrator = 0;
  std::string_view path;
  std::string_view name;
  std::span<const LookupLabel> labels;
};

/// One decoded CGROUPS_LOOKUP item, viewing the payload.
struct CgroupsLookupItemView {
  std::uint16_t status = 0;
  std::uint16_t orchestrator = 0;
  std::string_view path;
  std::string_view name;
  LookupLabelList labels;
};

/// One APPS_LOOKUP item as encoder input; strings and labels are only read.
struct AppsLookupItem {
  std::uint16_t status = 0;
  std::uint16_t orchestrator = 0;
  std::uint16_t cgroup_status = 0;
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t uid = kUidUnset;
  std::uint64_t starttime = 0;
  std::string_view comm;
  std::string_view cgroup_path;
  std::string_view cgroup_name;
  std::span<const LookupLabel> labels;
};

/// One decoded APPS_LOOKUP item, viewing the payload.
struct AppsLookupItemView {
  std::uint16_t status = 0;
  std::uint16_t orchestrator = 0;
  std::uint16_t cgroup_status = 0;
  std::uint32_t pid = 0;
  std::uint32_t ppid = 0;
  std::uint32_t uid = 0;
  std::uint64_t starttime = 0;
  std::string_view comm;
  std::string_view cgroup_path;
  std::string_view cgroup_name;
  LookupLabelList labels;
};

/// A fully validated view of a CGROUPS_LOOKUP response; does not own the bytes.
class CgroupsLookupResponseView {
 public:
  /// Validates `payload` completely (LOOKUP-MSG-003) in the order of spec/lookup.md:
  /// header, entries (item length >= 28, else LookupItemTruncated), then every item: layout
  /// and reserved fields, the status rules (CgroupsItemBadStatus, CgroupsItemEmptyPath,
  /// CgroupsItemUnknownNotEmpty), path then name (LookupString*), overlap, labels and the
  /// item end (LookupLabel*, LookupItemTrailingBytes). Allocates nothing.
  static Result<CgroupsLookupResponseView> parse(ConstBytes payload) noexcept;
  std::uint32_t size() const noexcept { return count_; }
  std::uint64_t generation() const noexcept { return generation_; }
  /// Item `index`. Fails only with kBatchIndexOutOfRange.
  Result<CgroupsLookupItemView> item(std::uint32_t index) const noexcept;

 private:
  CgroupsLookupResponseView(ConstBytes payload, std::uint32_t count, std::uint64_t gen) noexcept
      : payload_(payload), count_(count), generation_(gen) {}
  ConstBytes payload_;
  std::uint32_t count_ = 0;
  std::uint64_t generation_ = 0;
};

/// A fully validated view of an APPS_LOOKUP response; does not own the bytes.
class AppsLookupResponseView {
 public:
  /// As CgroupsLookupResponseView::parse with the 60-byte fixed part, the APPS_LOOKUP status
  /// rules (AppsItemBadStatus … AppsItemCgroupMismatch) and the strings comm, cgroup_path,
  /// cgroup_name.
  static Result<AppsLookupResponseView> parse(ConstBytes payload) noexcept;
  std::uint32_t size() const noexcept { return count_; }
  std::uint64_t generation() const noexcept { return generation_; }
  /// Item `index`. Fails only with kBatchIndexOutOfRange.
  Result<AppsLookupItemView> item(std::uint32_t index) const noexcept;

 private:
  AppsLookupResponseView(ConstBytes payload, std::uint32_t count, std::uint64_t gen) noexcept
      : payload_(payload), count_(count), generation_(gen) {}
  ConstBytes payload_;
  std::uint32_t count_ = 0;
  std::uint64_t generation_ = 0;
};

/// Canonical size of a CGROUPS_LOOKUP response with `items` (LOOKUP-ENC-001), 64-bit.
std::uint64_t cgroups_lookup_response_encoded_size(std::span<const CgroupsLookupItem> items) noexcept;
/// Canonical size of an APPS_LOOKUP response with `items` (LOOKUP-ENC-001), 64-bit.
std::uint64_t apps_lookup_response_encoded_size(std::span<const AppsLookupItem> items) noexcept;

/// Writes the canonical CGROUPS_LOOKUP response and returns its length. The encoder writes
/// what it is given, valid or not (vectors and test peers need invalid items too), except
/// that it fails with kValueOutOfRange when a length, count or offset does not fit its wire
/// field, and with kBufferTooSmall when `out` is short. On failure the bytes of `out` are
/// unspecified and must not be sent.
Result<std::size_t> encode_cgroups_lookup_response(std::uint64_t generation,
                                                   std::span<const CgroupsLookupItem> items,
                                                   MutableBytes out) noexcept;
/// Same for APPS_LOOKUP.
Result<std::size_t> encode_apps_lookup_response(std::uint64_t generation,
                                                std::span<const AppsLookupItem> items,
                                                MutableBytes out) noexcept;

/// The outer header of a lookup request or response (LOOKUP-MSG-001): non-batch, item_count
/// 1, transport_status 0. `method` is kCgroupsLookup or kAppsLookup.
constexpr Header lookup_message_header(Kind kind, Method method, std::uint64_t message_id,
                                       std::uint32_t payload_len) noexcept {
  Header h;
  h.kind = kind;
  h.flags = 0;
  h.code = static_cast<std::uint16_t>(method);
  h.transport_status = 0;
  h.payload_len = payload_len;
  h.item_count = 1;
  h.message_id = message_id;
  return h;
}

}  // namespace nipc

#endif  // NIPC_CODEC_LOOKUP_H_
