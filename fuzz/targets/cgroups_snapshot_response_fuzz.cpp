// CGROUPS_SNAPSHOT response decoder (spec/codecs.md). Input: one mode byte, then
//   bit 0 clear (raw):        the response payload;
//   bit 0 set (structured):   FuzzedDataProvider bytes that build a snapshot of up to 8
//                             items with SnapshotBuilder and then damage it (a u16/u32 field
//                             poked at an offset, truncation, appended bytes), so inputs
//                             reach the directory and per-item rules.
//
// Oracles: the parse verdict is recomputed from the raw bytes in the documented order
// (header CODEC-SNAP-001..004, directory 005, every entry 006..008, then every item
// 009..014); an accepted snapshot exposes every item with views into the input and
// kBatchIndexOutOfRange past the end; re-encoding its values gives a snapshot that parses to
// the same values, and the same bytes exactly when the input was canonical (CODEC-SNAP-015),
// different bytes otherwise.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "nipc/codec/cgroups_snapshot.h"

namespace {

using nipc::ConstBytes;
using nipc::Error;

constexpr std::size_t kHeader = 24;
constexpr std::size_t kItemHeader = 32;

struct Entry {
  std::uint32_t offset;
  std::uint32_t length;
};

Entry entry_at(ConstBytes payload, std::uint32_t i) {
  const std::uint8_t* p = payload.data() + kHeader + std::size_t{i} * 8;
  return {nipc::load_u32le(p), nipc::load_u32le(p + 4)};
}

std::optional<Error> string_error(ConstBytes item, std::size_t field) {
  const std::uint32_t offset = nipc::load_u32le(item.data() + field);
  const std::uint32_t length = nipc::load_u32le(item.data() + field + 4);
  if (offset < kItemHeader) return Error::kSnapshotStringOffsetLow;
  const std::uint64_t nul_at = std::uint64_t{offset} + length;
  if (nul_at >= item.size()) return Error::kSnapshotStringOutOfBounds;
  if (item[nul_at] != 0) return Error::kSnapshotStringMissingNul;
  return std::nullopt;
}

std::optional<Error> expected_error(ConstBytes payload) {
  if (payload.size() < kHeader) return Error::kSnapshotTruncated;
  const std::uint8_t* h = payload.data();
  if (nipc::load_u16le(h) != 1) return Error::kSnapshotBadLayout;
  if (nipc::load_u16le(h + 2) != 0) return Error::kSnapshotNonzeroFlags;
  if (nipc::load_u32le(h + 12) != 0) return Error::kSnapshotNonzeroReserved;
  const std::uint32_t count = nipc::load_u32le(h + 4);
  if (kHeader + std::uint64_t{count} * 8 > payload.size())
    return Error::kSnapshotDirectoryTruncated;
  const ConstBytes packed = payload.subspan(kHeader + std::size_t{count} * 8);
  for (std::uint32_t i = 0; i < count; ++i) {
    const Entry e = entry_at(payload, i);
    if (e.offset % 8 != 0) return Error::kSnapshotMisalignedOffset;
    if (std::uint64_t{e.offset} + e.length > packed.size()) return Error::kSnapshotItemOutOfBounds;
    if (e.length < kItemHeader) return Error::kSnapshotItemTruncated;
  }
  for (std::uint32_t i = 0; i < count; ++i) {
    const Entry e = entry_at(payload, i);
    const ConstBytes item = packed.subspan(e.offset, e.length);
    if (nipc::load_u16le(item.data()) != 1) return Error::kSnapshotItemBadLayout;
    if (nipc::load_u16le(item.data() + 2) != 0) return Error::kSnapshotItemNonzeroFlags;
    if (auto err = string_error(item, 16)) return err;
    if (auto err = string_error(item, 24)) return err;
    const std::uint64_t name_start = nipc::load_u32le(item.data() + 16);
    const std::uint64_t name_end = name_start + nipc::load_u32le(item.data() + 20) + 1;
    const std::uint64_t path_start = nipc::load_u32le(item.data() + 24);
    const std::uint64_t path_end = path_start + nipc::load_u32le(item.data() + 28) + 1;
    if (name_start < path_end && path_start < name_end) return Error::kSnapshotStringsOverlap;
  }
  return std::nullopt;
}

// CODEC-SNAP-015 checked on bytes that already parsed: items packed at align8 with zero
// gaps, name at 32, path right after the name's NUL, item length exactly its strings, and
// nothing after the last item.
bool is_canonical(ConstBytes payload) {
  const std::uint32_t count = nipc::load_u32le(payload.data() + 4);
  const ConstBytes packed = payload.subspan(kHeader + std::size_t{count} * 8);
  std::uint64_t end = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const Entry e = entry_at(payload, i);
    if (e.offset != nipc::align8(end)) return false;
    if (!nipc::fuzz::all_zero(packed.subspan(end, e.offset - end))) return false;
    const std::uint8_t* item = packed.data() + e.offset;
    const std::uint64_t name_len = nipc::load_u32le(item + 20);
    const std::uint64_t path_len = nipc::load_u32le(item + 28);
    if (nipc::load_u32le(item + 16) != kItemHeader) return false;
    if (nipc::load_u32le(item + 24) != kItemHeader + name_len + 1) return false;
    if (e.length != kItemHeader + name_len + 1 + path_len + 1) return false;
    end = std::uint64_t{e.offset} + e.length;
  }
  return packed.size() == end;
}

void check_snapshot(ConstBytes payload) {
  const nipc::Result<nipc::SnapshotView> view = nipc::SnapshotView::parse(payload);
  const std::optional<Error> expected = expected_error(payload);
  if (!view.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && view.error() == *expected);
    return;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  const std::uint32_t count = view->size();
  NIPC_FUZZ_CHECK(count == nipc::load_u32le(payload.data() + 4));
  NIPC_FUZZ_CHECK(view->systemd_enabled() == nipc::load_u32le(payload.data() + 8));
  NIPC_FUZZ_CHECK(view->generation() == nipc::load_u64le(payload.data() + 16));

  std::vector<nipc::SnapshotItem> items;
  items.reserve(count);
  const std::uint8_t* begin = payload.data();
  const std::uint8_t* end = payload.data() + payload.size();
  for (std::uint32_t i = 0; i < count; ++i) {
    const nipc::Result<nipc::SnapshotItem> item = view->item(i);
    NIPC_FUZZ_CHECK(item.ok());
    const auto* name = reinterpret_cast<const std::uint8_t*>(item->name.data());
    const auto* path = reinterpret_cast<const std::uint8_t*>(item->path.data());
    NIPC_FUZZ_CHECK(name >= begin && name + item->name.size() < end);  // NUL inside too
    NIPC_FUZZ_CHECK(path >= begin && path + item->path.size() < end);
    NIPC_FUZZ_CHECK(name[item->name.size()] == 0 && path[item->path.size()] == 0);
    items.push_back(*item);
  }
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(view->item(count), Error::kBatchIndexOutOfRange));

  const std::uint64_t size = nipc::snapshot_encoded_size(items);
  std::vector<std::uint8_t> encoded(static_cast<std::size_t>(size));
  const nipc::Result<std::size_t> n =
      nipc::encode_snapshot(view->systemd_enabled(), view->generation(), items, encoded);
  NIPC_FUZZ_CHECK(n.ok() && *n == size);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, payload) == is_canonical(payload));
  const nipc::Result<nipc::SnapshotView> again = nipc::SnapshotView::parse(encoded);
  NIPC_FUZZ_CHECK(again.ok() && again->size() == count &&
                  again->systemd_enabled() == view->systemd_enabled() &&
                  again->generation() == view->generation());
  for (std::uint32_t i = 0; i < count; ++i) {
    const nipc::Result<nipc::SnapshotItem> item = again->item(i);
    NIPC_FUZZ_CHECK(item.ok() && *item == items[i]);
  }
  std::vector<std::uint8_t> short_out(static_cast<std::size_t>(size - 1));
  NIPC_FUZZ_CHECK(!nipc::encode_snapshot(view->systemd_enabled(), view->generation(), items,
                                         short_out)
                       .ok());
}

void structured(FuzzedDataProvider& fdp) {
  const std::uint32_t systemd = fdp.ConsumeIntegral<std::uint32_t>();
  const std::uint64_t generation = fdp.ConsumeIntegral<std::uint64_t>();
  const std::size_t n = fdp.ConsumeIntegralInRange<std::size_t>(0, 8);
  const std::size_t slots = n + fdp.ConsumeIntegralInRange<std::size_t>(0, 3);
  std::vector<std::string> names(n);
  std::vector<std::string> paths(n);
  std::vector<nipc::SnapshotItem> items(n);
  for (std::size_t i = 0; i < n; ++i) {
    items[i].hash = fdp.ConsumeIntegral<std::uint32_t>();
    items[i].options = fdp.ConsumeIntegral<std::uint32_t>();
    items[i].enabled = fdp.ConsumeIntegral<std::uint32_t>();
    names[i] = fdp.ConsumeBytesAsString(fdp.ConsumeIntegralInRange<std::size_t>(0, 40));
    paths[i] = fdp.ConsumeBytesAsString(fdp.ConsumeIntegralInRange<std::size_t>(0, 40));
    items[i].name = names[i];
    items[i].path = paths[i];
  }
  std::vector<std::uint8_t> payload(
      static_cast<std::size_t>(nipc::snapshot_encoded_size(items)) + 8 * (slots - n));
  nipc::SnapshotBuilder builder(payload, slots, systemd, generation);
  for (const nipc::SnapshotItem& item : items) NIPC_FUZZ_CHECK(builder.add(item).ok());
  const nipc::Result<std::size_t> length = builder.finish();
  NIPC_FUZZ_CHECK(length.ok() && *length == nipc::snapshot_encoded_size(items));
  payload.resize(*length);

  const int damage = fdp.ConsumeIntegralInRange<int>(0, 3);
  for (int d = 0; d < damage && !payload.empty(); ++d) {
    const std::size_t at = fdp.ConsumeIntegralInRange<std::size_t>(0, payload.size() - 1);
    switch (fdp.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        if (at + 2 <= payload.size())
          nipc::store_u16le(payload.data() + at, fdp.ConsumeIntegral<std::uint16_t>());
        break;
      case 1:
        if (at + 4 <= payload.size())
          nipc::store_u32le(payload.data() + at,
                            fdp.ConsumeBool() ? fdp.ConsumeIntegralInRange<std::uint32_t>(0, 80)
                                              : fdp.ConsumeIntegral<std::uint32_t>());
        break;
      case 2:
        payload.resize(at);
        break;
      default: {
        const auto extra = fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange(1, 16));
        payload.insert(payload.end(), extra.begin(), extra.end());
        break;
      }
    }
  }
  check_snapshot(payload);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    check_snapshot(nipc::ConstBytes(data + 1, size - 1));
  } else {
    FuzzedDataProvider fdp(data + 1, size - 1);
    structured(fdp);
  }
  return 0;
}
