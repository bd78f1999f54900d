#include "nipc/codec/lookup.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <optional>
#include <utility>

#include "nipc/codec/constants.h"

namespace nipc {
namespace {

constexpr std::uint64_t kU32Max = std::numeric_limits<std::uint32_t>::max();

// ---------------------------------------------------------------------------------------
// Decoding: the frame (header and directory) shared by all four payloads
// ---------------------------------------------------------------------------------------

// What the header and directory rules leave for the key or item rules.
struct Frame {
  std::uint32_t count = 0;
  std::uint64_t generation = 0;
  ConstBytes directory;
  ConstBytes packed;
};

// The length rule of a directory entry, which depends on the payload (step 7 of the
// validation order): returns the error for a bad length, or nothing.
using LengthRule = std::optional<Error> (*)(std::uint32_t length);

std::optional<Error> cgroups_key_length(std::uint32_t length) {
  if (length < 2) return Error::kCgroupsKeyTooShort;  // LOOKUP-CGKEY-001
  return std::nullopt;
}
std::optional<Error> apps_key_length(std::uint32_t length) {
  if (length != kAppsLookupKeySize) return Error::kAppsKeyBadLength;  // LOOKUP-APKEY-001
  return std::nullopt;
}
std::optional<Error> cgroups_item_length(std::uint32_t length) {
  if (length < cgroups_lookup_item_layout::kSize) return Error::kLookupItemTruncated;  // ITEM-001
  return std::nullopt;
}
std::optional<Error> apps_item_length(std::uint32_t length) {
  if (length < apps_lookup_item_layout::kSize) return Error::kLookupItemTruncated;  // ITEM-001
  return std::nullopt;
}

// The entry `index` of a validated directory as the bytes it names.
ConstBytes entry_bytes(const Frame& f, std::uint32_t index) noexcept {
  const std::uint8_t* e = f.directory.data() + std::size_t{index} * lookup_header_layout::kEntrySize;
  return f.packed.subspan(load_u32le(e), load_u32le(e + 4));
}

// Header and directory rules (LOOKUP-HDR-001..005, LOOKUP-DIR-001..003 and the length rule).
Result<Frame> parse_frame(ConstBytes payload, bool request, LengthRule length_rule) noexcept {
  namespace L = lookup_header_layout;
  if (payload.size() < L::kSize) return Error::kLookupTruncated;  // LOOKUP-HDR-001
  const std::uint8_t* p = payload.data();
  if (load_u16le(p + L::kLayoutVersion) != kLayoutVersion) return Error::kLookupBadLayout;
  if (load_u16le(p + L::kFlags) != 0) return Error::kLookupNonzeroFlags;  // LOOKUP-HDR-003
  Frame f;
  if (request) {
    if (load_u32le(p + L::kReserved0) != 0 || load_u32le(p + L::kReserved1) != 0) {
      return Error::kLookupNonzeroReserved;  // LOOKUP-HDR-004
    }
  } else {
    f.generation = load_u64le(p + L::kGeneration);
  }
  f.count = load_u32le(p + L::kItemCount);
  const std::uint64_t packed_start = L::kSize + std::uint64_t{f.count} * L::kEntrySize;
  if (packed_start > payload.size()) return Error::kLookupDirectoryTruncated;  // LOOKUP-HDR-005
  f.directory = payload.subspan(L::kSize, static_cast<std::size_t>(packed_start) - L::kSize);
  f.packed = payload.subspan(static_cast<std::size_t>(packed_start));
  std::uint64_t previous_end = 0;
  for (std::uint32_t i = 0; i < f.count; ++i) {
    const std::uint8_t* e = f.directory.data() + std::size_t{i} * L::kEntrySize;
    const std::uint32_t offset = load_u32le(e);
    const std::uint32_t length = load_u32le(e + 4);
    if (offset % kItemAlignment != 0) return Error::kLookupMisalignedOffset;  // LOOKUP-DIR-001
    if (const std::optional<Error> bad = length_rule(length)) return *bad;
    const std::uint64_t end = std::uint64_t{offset} + length;
    if (end > f.packed.size()) return Error::kLookupEntryOutOfBounds;  // LOOKUP-DIR-002
    if (i > 0 && offset < previous_end) return Error::kLookupEntriesOverlap;  // LOOKUP-DIR-003
    previous_end = end;
  }
  return f;
}

// ---------------------------------------------------------------------------------------
// Decoding: strings and labels of a response item
// ---------------------------------------------------------------------------------------

// A string field of an item fixed part: where its offset and length are.
struct StringField {
  std::size_t offset_at;
  std::size_t length_at;
};

// One string, NUL excluded, after LOOKUP-STR-001..004; `end` gets offset + length + 1.
Result<std::string_view> item_string(ConstBytes item, std::size_t fixed_size, std::uint64_t offset,
                                     std::uint64_t length, std::uint64_t* end) noexcept {
  if (offset < fixed_size) return Error::kLookupStringOffsetLow;          // LOOKUP-STR-001
  if (offset + length + 1 > item.size()) return Error::kLookupStringOutOfBounds;  // STR-002
  if (item[offset + length] != 0) return Error::kLookupStringMissingNul;  // LOOKUP-STR-003
  const char* s = reinterpret_cast<const char*>(item.data() + offset);
  if (std::memchr(s, 0, length) != nullptr) return Error::kLookupStringInteriorNul;  // STR-004
  *end = offset + length + 1;
  return std::string_view(s, length);
}

// The strings of an item in field order, then the overlap rule (LOOKUP-STR-005). Returns
// the largest string end.
template <std::size_t N>
Result<std::uint64_t> item_strings(ConstBytes item, std::size_t fixed_size,
                                   const StringField (&fields)[N],
                                   std::string_view (&out)[N]) noexcept {
  std::uint64_t start[N];
  std::uint64_t end[N];
  for (std::size_t i = 0; i < N; ++i) {
    start[i] = load_u32le(item.data() + fields[i].offset_at);
    Result<std::string_view> s = item_string(item, fixed_size, start[i],
                                             load_u32le(item.data() + fields[i].length_at), &end[i]);
    if (!s) return s.error();
    out[i] = *s;
  }
  for (std::size_t i = 0; i < N; ++i) {
    for (std::size_t j = i + 1; j < N; ++j) {
      if (start[i] < end[j] && start[j] < end[i]) return Error::kLookupStringsOverlap;
    }
  }
  return *std::max_element(end, end + N);
}

// Label table and item end (LOOKUP-LABEL-001..004, LOOKUP-ITEM-004). Returns the labels.
Result<LookupLabelList> item_labels(ConstBytes item, std::size_t fixed_size,
                                    std::uint16_t label_count, std::uint64_t strings_end) noexcept {
  namespace LL = lookup_label_layout;
  if (label_count == 0) {
    if (strings_end != item.size()) return Error::kLookupItemTrailingBytes;  // LOOKUP-ITEM-004
    return LookupLabelList(item, static_cast<std::size_t>(strings_end), 0);
  }
  const std::uint64_t table = align8(strings_end);
  if (table > item.size()) return Error::kLookupLabelTableOutOfBounds;  // LOOKUP-LABEL-001
  for (std::uint64_t i = strings_end; i < table; ++i) {
    if (item[i] != 0) return Error::kLookupLabelPaddingNonzero;  // LOOKUP-LABEL-002
  }
  const std::uint64_t table_end = table + std::uint64_t{label_count} * LL::kSize;
  if (table_end > item.size()) return Error::kLookupLabelTableOutOfBounds;  // LOOKUP-LABEL-001
  std::uint64_t cursor = table_end;
  for (std::uint32_t i = 0; i < label_count; ++i) {
    const std::uint8_t* e = item.data() + table + std::uint64_t{i} * LL::kSize;
    const std::uint32_t key_length = load_u32le(e + LL::kKeyLength);
    if (key_length == 0) return Error::kLookupLabelKeyEmpty;  // LOOKUP-LABEL-003
    for (const auto& [offset_at, length_at] : {std::pair{LL::kKeyOffset, LL::kKeyLength},
                                              std::pair{LL::kValueOffset, LL::kValueLength}}) {
      const std::uint32_t offset = load_u32le(e + offset_at);
      if (offset != cursor) return Error::kLookupLabelNotPacked;  // LOOKUP-LABEL-004
      std::uint64_t end = 0;
      Result<std::string_view> s =
          item_string(item, fixed_size, offset, load_u32le(e + length_at), &end);
      if (!s) return s.error();
      cursor = end;
    }
  }
  if (cursor != item.size()) return Error::kLookupItemTrailingBytes;  // LOOKUP-ITEM-004
  return LookupLabelList(item, static_cast<std::size_t>(table), label_count);
}

// ---------------------------------------------------------------------------------------
// Decoding: the two response items
// ---------------------------------------------------------------------------------------

Result<CgroupsLookupItemView> decode_cgroups_item(ConstBytes item) noexcept {
  namespace C = cgroups_lookup_item_layout;
  const std::uint8_t* p = item.data();
  if (load_u16le(p + C::kLayoutVersion) != kLayoutVersion) return Error::kLookupItemBadLayout;
  if (load_u16le(p + C::kReserved0) != 0 || load_u16le(p + C::kReserved1) != 0) {
    return Error::kLookupItemNonzeroReserved;  // LOOKUP-ITEM-003
  }
  CgroupsLookupItemView v;
  v.status = load_u16le(p + C::kStatus);
  v.orchestrator = load_u16le(p + C::kOrchestrator);
  const std::uint16_t label_count = load_u16le(p + C::kLabelCount);
  if (v.status > static_cast<std::uint16_t>(CgroupsLookupStatus::kOversizedItem)) {
    return Error::kCgroupsItemBadStatus;  // LOOKUP-CGITEM-001
  }
  if (load_u32le(p + C::kPathLength) == 0) return Error::kCgroupsItemEmptyPath;  // CGITEM-002
  if (v.status != static_cast<std::uint16_t>(CgroupsLookupStatus::kKnown) &&
      (v.orchestrator != 0 || load_u32le(p + C::kNameLength) != 0 || label_count != 0)) {
    return Error::kCgroupsItemUnknownNotEmpty;  // LOOKUP-CGITEM-003
  }
  static constexpr StringField kFields[] = {{C::kPathOffset, C::kPathLength},
                                            {C::kNameOffset, C::kNameLength}};
  std::string_view strings[2];
  Result<std::uint64_t> end = item_strings(item, C::kSize, kFields, strings);
  if (!end) return end.error();
  Result<LookupLabelList> labels = item_labels(item, C::kSize, label_count, *end);
  if (!labels) return labels.error();
  v.path = strings[0];
  v.name = strings[1];
  v.labels = *labels;
  return v;
}

// LOOKUP-APITEM-001..006, in that order.
std::optional<Error> apps_item_semantics(const AppsLookupItemView& v, std::uint32_t comm_length,
                                         std::uint32_t path_length, std::uint32_t name_length,
                                         std::uint16_t label_count) noexcept {
  if (v.status > static_cast<std::uint16_t>(AppsLookupStatus::kOversizedItem)) {
    return Error::kAppsItemBadStatus;
  }
  if (v.cgroup_status > static_cast<std::uint16_t>(AppsCgroupStatus::kHostRoot)) {
    return Error::kAppsItemBadCgroupStatus;
  }
  if (comm_length > kAppsCommMax) return Error::kAppsItemCommTooLong;
  if (v.status != static_cast<std::uint16_t>(AppsLookupStatus::kKnown)) {
    if (v.orchestrator != 0 || v.cgroup_status != 0 || v.ppid != 0 || v.uid != kUidUnset ||
        v.starttime != 0 || comm_length != 0 || path_length != 0 || name_length != 0 ||
        label_count != 0) {
      return Error::kAppsItemUnknownNotEmpty;
    }
    return std::nullopt;
  }
  if (comm_length == 0) return Error::kAppsItemCommEmpty;
  const bool no_extras = v.orchestrator == 0 && name_length == 0 && label_count == 0;
  bool ok = false;
  switch (static_cast<AppsCgroupStatus>(v.cgroup_status)) {
    case AppsCgroupStatus::kKnown: ok = path_length != 0; break;
    case AppsCgroupStatus::kUnknownRetryLater: ok = no_extras; break;
    case AppsCgroupStatus::kUnknownPermanent: ok = path_length != 0 && no_extras; break;
    case AppsCgroupStatus::kHostRoot: ok = path_length == 0 && no_extras; break;
  }
  if (!ok) return Error::kAppsItemCgroupMismatch;
  return std::nullopt;
}

Result<AppsLookupItemView> decode_apps_item(ConstBytes item) noexcept {
  namespace A = apps_lookup_item_layout;
  const std::uint8_t* p = item.data();
  if (load_u16le(p + A::kLayoutVersion) != kLayoutVersion) return Error::kLookupItemBadLayout;
  if (load_u32le(p + A::kReserved0) != 0 || load_u16le(p + A::kReserved1) != 0) {
    return Error::kLookupItemNonzeroReserved;  // LOOKUP-ITEM-003
  }
  AppsLookupItemView v;
  v.status = load_u16le(p + A::kStatus);
  v.orchestrator = load_u16le(p + A::kOrchestrator);
  v.cgroup_status = load_u16le(p + A::kCgroupStatus);
  v.pid = load_u32le(p + A::kPid);
  v.ppid = load_u32le(p + A::kPpid);
  v.uid = load_u32le(p + A::kUid);
  v.starttime = load_u64le(p + A::kStarttime);
  const std::uint16_t label_count = load_u16le(p + A::kLabelCount);
  if (const std::optional<Error> bad = apps_item_semantics(
          v, load_u32le(p + A::kCommLength), load_u32le(p + A::kCgroupPathLength),
          load_u32le(p + A::kCgroupNameLength), label_count)) {
    return *bad;
  }
  static constexpr StringField kFields[] = {{A::kCommOffset, A::kCommLength},
                                            {A::kCgroupPathOffset, A::kCgroupPathLength},
                                            {A::kCgroupNameOffset, A::kCgroupNameLength}};
  std::string_view strings[3];
  Result<std::uint64_t> end = item_strings(item, A::kSize, kFields, strings);
  if (!end) return end.error();
  Result<LookupLabelList> labels = item_labels(item, A::kSize, label_count, *end);
  if (!labels) return labels.error();
  v.comm = strings[0];
  v.cgroup_path = strings[1];
  v.cgroup_name = strings[2];
  v.labels = *labels;
  return v;
}

// ---------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------

void write_header(std::uint8_t* p, std::uint32_t count, bool request, std::uint64_t generation) {
  namespace L = lookup_header_layout;
  store_u16le(p + L::kLayoutVersion, kLayoutVersion);
  store_u16le(p + L::kFlags, 0);
  store_u32le(p + L::kItemCount, count);
  if (request) {
    store_u32le(p + L::kReserved0, 0);
    store_u32le(p + L::kReserved1, 0);
  } else {
    store_u64le(p + L::kGeneration, generation);
  }
}

// Canonical size of one item: fixed part, strings with their NULs, and with labels the
// padding, table and label strings (LOOKUP-ENC-001).
std::uint64_t item_size(std::size_t fixed, std::initializer_list<std::string_view> strings,
                        std::span<const LookupLabel> labels) noexcept {
  std::uint64_t size = fixed;
  for (std::string_view s : strings) size += s.size() + 1;
  if (labels.empty()) return size;
  size = align8(size) + labels.size() * lookup_label_layout::kSize;
  for (const LookupLabel& l : labels) size += l.key.size() + 1 + l.value.size() + 1;
  return size;
}

// Writes the strings and labels of an item whose fixed part is already at `item`; stores
// each string's offset and length at its field. The item was sized by item_size.
template <std::size_t N>
void write_item_tail(std::uint8_t* item, std::size_t fixed, const StringField (&fields)[N],
                     const std::string_view (&strings)[N], std::span<const LookupLabel> labels) {
  std::size_t cursor = fixed;
  const auto put = [&](std::string_view s) {
    if (!s.empty()) std::memcpy(item + cursor, s.data(), s.size());
    item[cursor + s.size()] = 0;
    const std::size_t at = cursor;
    cursor += s.size() + 1;
    return static_cast<std::uint32_t>(at);
  };
  for (std::size_t i = 0; i < N; ++i) {
    store_u32le(item + fields[i].length_at, static_cast<std::uint32_t>(strings[i].size()));
    store_u32le(item + fields[i].offset_at, put(strings[i]));
  }
  if (labels.empty()) return;
  const std::size_t table = static_cast<std::size_t>(align8(cursor));
  std::memset(item + cursor, 0, table - cursor);
  cursor = table + labels.size() * lookup_label_layout::kSize;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    std::uint8_t* e = item + table + i * lookup_label_layout::kSize;
    store_u32le(e + lookup_label_layout::kKeyLength, static_cast<std::uint32_t>(labels[i].key.size()));
    store_u32le(e + lookup_label_layout::kKeyOffset, put(labels[i].key));
    store_u32le(e + lookup_label_layout::kValueLength,
                static_cast<std::uint32_t>(labels[i].value.size()));
    store_u32le(e + lookup_label_layout::kValueOffset, put(labels[i].value));
  }
}

// Packs items of the given sizes canonically behind the header and directory: checks the
// field limits and the buffer, writes header, directory and zeroed gaps, and calls
// write(i, item bytes) for each item. Returns the payload length.
template <class Sizes, class Write>
Result<std::size_t> pack_response(std::uint64_t generation, std::size_t count, Sizes size_of,
                                  Write write, MutableBytes out) noexcept {
  if (count > kU32Max) return Error::kValueOutOfRange;  // CODEC-ENC-002
  const std::uint64_t packed_start =
      lookup_header_layout::kSize + std::uint64_t{count} * lookup_header_layout::kEntrySize;
  std::uint64_t end = 0;  // relative to the packed area
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t at = i == 0 ? 0 : align8(end);
    const std::uint64_t size = size_of(i);
    if (at > kU32Max || size > kU32Max) return Error::kValueOutOfRange;  // CODEC-ENC-002
    end = at + size;
  }
  const std::uint64_t total = packed_start + end;
  if (total > out.size()) return Error::kBufferTooSmall;  // CODEC-ENC-001
  std::uint8_t* p = out.data();
  std::memset(p, 0, static_cast<std::size_t>(total));
  write_header(p, static_cast<std::uint32_t>(count), false, generation);
  end = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::uint64_t at = i == 0 ? 0 : align8(end);
    const std::uint64_t size = size_of(i);
    std::uint8_t* e = p + lookup_header_layout::kSize + i * lookup_header_layout::kEntrySize;
    store_u32le(e, static_cast<std::uint32_t>(at));
    store_u32le(e + 4, static_cast<std::uint32_t>(size));
    write(i, p + packed_start + at);
    end = at + size;
  }
  return static_cast<std::size_t>(total);
}

std::uint64_t cgroups_item_size(const CgroupsLookupItem& i) noexcept {
  return item_size(cgroups_lookup_item_layout::kSize, {i.path, i.name}, i.labels);
}
std::uint64_t apps_item_size(const AppsLookupItem& i) noexcept {
  return item_size(apps_lookup_item_layout::kSize, {i.comm, i.cgroup_path, i.cgroup_name},
                   i.labels);
}

template <class Item, class Size>
std::uint64_t response_size(std::span<const Item> items, Size size_of) noexcept {
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < items.size(); ++i) end = (i == 0 ? 0 : align8(end)) + size_of(items[i]);
  return lookup_header_layout::kSize + items.size() * lookup_header_layout::kEntrySize + end;
}

bool labels_fit(std::span<const LookupLabel> labels) noexcept {
  return labels.size() <= std::numeric_limits<std::uint16_t>::max();
}

}  // namespace

LookupLabel LookupLabelList::operator[](std::size_t index) const noexcept {
  namespace LL = lookup_label_layout;
  const std::uint8_t* e = item_.data() + table_offset_ + index * LL::kSize;
  const auto view = [&](std::size_t offset_at, std::size_t length_at) {
    return std::string_view(reinterpret_cast<const char*>(item_.data() + load_u32le(e + offset_at)),
                            load_u32le(e + length_at));
  };
  return LookupLabel{view(LL::kKeyOffset, LL::kKeyLength), view(LL::kValueOffset, LL::kValueLength)};
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

Result<CgroupsLookupRequestView> CgroupsLookupRequestView::parse(ConstBytes payload) noexcept {
  Result<Frame> f = parse_frame(payload, true, cgroups_key_length);
  if (!f) return f.error();
  for (std::uint32_t i = 0; i < f->count; ++i) {
    const ConstBytes key = entry_bytes(*f, i);
    if (key.back() != 0) return Error::kCgroupsKeyMissingNul;  // LOOKUP-CGKEY-002
    if (std::memchr(key.data(), 0, key.size() - 1) != nullptr) {
      return Error::kCgroupsKeyInteriorNul;  // LOOKUP-CGKEY-003
    }
  }
  return CgroupsLookupRequestView(payload, f->count);
}

Result<std::string_view> CgroupsLookupRequestView::path(std::uint32_t index) const noexcept {
  if (index >= count_) return Error::kBatchIndexOutOfRange;
  Result<Frame> f = parse_frame(payload_, true, cgroups_key_length);  // validated: cannot fail
  const ConstBytes key = entry_bytes(*f, index);
  return std::string_view(reinterpret_cast<const char*>(key.data()), key.size() - 1);
}

Result<AppsLookupRequestView> AppsLookupRequestView::parse(ConstBytes payload) noexcept {
  Result<Frame> f = parse_frame(payload, true, apps_key_length);
  if (!f) return f.error();
  for (std::uint32_t i = 0; i < f->count; ++i) {
    if (load_u32le(entry_bytes(*f, i).data() + 4) != 0) {
      return Error::kAppsKeyNonzeroReserved;  // LOOKUP-APKEY-002
    }
  }
  return AppsLookupRequestView(payload, f->count);
}

Result<std::uint32_t> AppsLookupRequestView::pid(std::uint32_t index) const noexcept {
  if (index >= count_) return Error::kBatchIndexOutOfRange;
  const std::uint8_t* e =
      payload_.data() + lookup_header_layout::kSize + std::size_t{index} * lookup_header_layout::kEntrySize;
  const std::size_t packed = lookup_header_layout::kSize + std::size_t{count_} * lookup_header_layout::kEntrySize;
  return load_u32le(payload_.data() + packed + load_u32le(e));
}

std::uint64_t cgroups_lookup_request_encoded_size(std::span<const std::string_view> paths) noexcept {
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) end = (i == 0 ? 0 : align8(end)) + paths[i].size() + 1;
  return lookup_header_layout::kSize + paths.size() * lookup_header_layout::kEntrySize + end;
}

Result<std::size_t> encode_cgroups_lookup_request(std::span<const std::string_view> paths,
                                                  MutableBytes out) noexcept {
  if (paths.size() > kU32Max) return Error::kValueOutOfRange;
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string_view s = paths[i];
    if (s.empty() || s.find('\0') != std::string_view::npos) return Error::kValueOutOfRange;
    const std::uint64_t at = i == 0 ? 0 : align8(end);
    if (at > kU32Max || s.size() + 1 > kU32Max) return Error::kValueOutOfRange;
    end = at + s.size() + 1;
  }
  const std::uint64_t total = cgroups_lookup_request_encoded_size(paths);
  if (total > out.size()) return Error::kBufferTooSmall;
  std::uint8_t* p = out.data();
  std::memset(p, 0, static_cast<std::size_t>(total));
  write_header(p, static_cast<std::uint32_t>(paths.size()), true, 0);
  const std::size_t packed = lookup_header_layout::kSize + paths.size() * lookup_header_layout::kEntrySize;
  end = 0;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::uint64_t at = i == 0 ? 0 : align8(end);
    std::uint8_t* e = p + lookup_header_layout::kSize + i * lookup_header_layout::kEntrySize;
    store_u32le(e, static_cast<std::uint32_t>(at));
    store_u32le(e + 4, static_cast<std::uint32_t>(paths[i].size() + 1));
    std::memcpy(p + packed + at, paths[i].data(), paths[i].size());  // NUL from the memset
    end = at + paths[i].size() + 1;
  }
  return static_cast<std::size_t>(total);
}

Result<std::size_t> encode_apps_lookup_request(std::span<const std::uint32_t> pids,
                                               MutableBytes out) noexcept {
  if (pids.size() > kU32Max) return Error::kValueOutOfRange;
  const std::uint64_t total = apps_lookup_request_encoded_size(pids.size());
  if (total > out.size()) return Error::kBufferTooSmall;
  std::uint8_t* p = out.data();
  std::memset(p, 0, static_cast<std::size_t>(total));
  write_header(p, static_cast<std::uint32_t>(pids.size()), true, 0);
  const std::size_t packed = lookup_header_layout::kSize + pids.size() * lookup_header_layout::kEntrySize;
  for (std::size_t i = 0; i < pids.size(); ++i) {
    std::uint8_t* e = p + lookup_header_layout::kSize + i * lookup_header_layout::kEntrySize;
    store_u32le(e, static_cast<std::uint32_t>(i * kAppsLookupKeySize));
    store_u32le(e + 4, kAppsLookupKeySize);
    store_u32le(p + packed + i * kAppsLookupKeySize, pids[i]);
  }
  return static_cast<std::size_t>(total);
}

// ---------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------

Result<CgroupsLookupResponseView> CgroupsLookupResponseView::parse(ConstBytes payload) noexcept {
  Result<Frame> f = parse_frame(payload, false, cgroups_item_length);
  if (!f) return f.error();
  for (std::uint32_t i = 0; i < f->count; ++i) {
    Result<CgroupsLookupItemView> item = decode_cgroups_item(entry_bytes(*f, i));
    if (!item) return item.error();
  }
  return CgroupsLookupResponseView(payload, f->count, f->generation);
}

Result<CgroupsLookupItemView> CgroupsLookupResponseView::item(std::uint32_t index) const noexcept {
  if (index >= count_) return Error::kBatchIndexOutOfRange;
  Result<Frame> f = parse_frame(payload_, false, cgroups_item_length);  // validated
  return decode_cgroups_item(entry_bytes(*f, index));
}

Result<AppsLookupResponseView> AppsLookupResponseView::parse(ConstBytes payload) noexcept {
  Result<Frame> f = parse_frame(payload, false, apps_item_length);
  if (!f) return f.error();
  for (std::uint32_t i = 0; i < f->count; ++i) {
    Result<AppsLookupItemView> item = decode_apps_item(entry_bytes(*f, i));
    if (!item) return item.error();
  }
  return AppsLookupResponseView(payload, f->count, f->generation);
}

Result<AppsLookupItemView> AppsLookupResponseView::item(std::uint32_t index) const noexcept {
  if (index >= count_) return Error::kBatchIndexOutOfRange;
  Result<Frame> f = parse_frame(payload_, false, apps_item_length);  // validated
  return decode_apps_item(entry_bytes(*f, index));
}

std::uint64_t cgroups_lookup_response_encoded_size(std::span<const CgroupsLookupItem> items) noexcept {
  return response_size(items, cgroups_item_size);
}

std::uint64_t apps_lookup_response_encoded_size(std::span<const AppsLookupItem> items) noexcept {
  return response_size(items, apps_item_size);
}

Result<std::size_t> encode_cgroups_lookup_response(std::uint64_t generation,
                                                   std::span<const CgroupsLookupItem> items,
                                                   MutableBytes out) noexcept {
  namespace C = cgroups_lookup_item_layout;
  for (const CgroupsLookupItem& i : items) {
    if (!labels_fit(i.labels)) return Error::kValueOutOfRange;
  }
  return pack_response(
      generation, items.size(), [&](std::size_t i) { return cgroups_item_size(items[i]); },
      [&](std::size_t i, std::uint8_t* p) {
        const CgroupsLookupItem& it = items[i];
        store_u16le(p + C::kLayoutVersion, kLayoutVersion);
        store_u16le(p + C::kStatus, it.status);
        store_u16le(p + C::kOrchestrator, it.orchestrator);
        store_u16le(p + C::kLabelCount, static_cast<std::uint16_t>(it.labels.size()));
        static constexpr StringField kFields[] = {{C::kPathOffset, C::kPathLength},
                                                  {C::kNameOffset, C::kNameLength}};
        const std::string_view strings[2] = {it.path, it.name};
        write_item_tail(p, C::kSize, kFields, strings, it.labels);
      },
      out);
}

Result<std::size_t> encode_apps_lookup_response(std::uint64_t generation,
                                                std::span<const AppsLookupItem> items,
                                                MutableBytes out) noexcept {
  namespace A = apps_lookup_item_layout;
  for (const AppsLookupItem& i : items) {
    if (!labels_fit(i.labels)) return Error::kValueOutOfRange;
  }
  return pack_response(
      generation, items.size(), [&](std::size_t i) { return apps_item_size(items[i]); },
      [&](std::size_t i, std::uint8_t* p) {
        const AppsLookupItem& it = items[i];
        store_u16le(p + A::kLayoutVersion, kLayoutVersion);
        store_u16le(p + A::kStatus, it.status);
        store_u16le(p + A::kOrchestrator, it.orchestrator);
        store_u16le(p + A::kCgroupStatus, it.cgroup_status);
        store_u32le(p + A::kPid, it.pid);
        store_u32le(p + A::kPpid, it.ppid);
        store_u32le(p + A::kUid, it.uid);
        store_u64le(p + A::kStarttime, it.starttime);
        store_u16le(p + A::kLabelCount, static_cast<std::uint16_t>(it.labels.size()));
        static constexpr StringField kFields[] = {{A::kCommOffset, A::kCommLength},
                                                  {A::kCgroupPathOffset, A::kCgroupPathLength},
                                                  {A::kCgroupNameOffset, A::kCgroupNameLength}};
        const std::string_view strings[3] = {it.comm, it.cgroup_path, it.cgroup_name};
        write_item_tail(p, A::kSize, kFields, strings, it.labels);
      },
      out);
}

}  // namespace nipc
