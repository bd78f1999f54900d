// Batch directory and item extraction (spec/batch.md). Input: one mode byte, then
//   bit 0 clear (raw):        u32 item_count, then the batch payload;
//   bit 0 set (structured):   FuzzedDataProvider bytes that build a canonical batch of up to
//                             12 items with encode_batch and then damage it (entry offsets
//                             and lengths, truncation, appended bytes, item_count, padding
//                             bytes), so inputs reach the per-entry rules.
//
// Oracles: the parse verdict is recomputed from the raw bytes (BATCH-DIR-001, then per entry
// in order BATCH-ALIGN-001 and BATCH-BOUNDS-001 in 64-bit arithmetic); an accepted batch
// yields, for every index, exactly the bytes its entry names and kBatchIndexOutOfRange past
// the end (BATCH-INDEX-001); re-encoding the items gives a batch with the same items, and the
// same bytes exactly when the input was canonical (BATCH-LAYOUT-001: offsets packed at
// align8, zero gaps and trailing pad, nothing more), different bytes otherwise.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "fuzz_support.h"
#include "nipc/codec/batch.h"

namespace {

using nipc::ConstBytes;
using nipc::Error;

struct Entry {
  std::uint32_t offset;
  std::uint32_t length;
};

Entry entry_at(ConstBytes payload, std::uint32_t i) {
  const std::uint8_t* p = payload.data() + std::size_t{i} * 8;
  return {nipc::load_u32le(p), nipc::load_u32le(p + 4)};
}

std::optional<Error> expected_error(ConstBytes payload, std::uint32_t count) {
  const std::uint64_t dir = std::uint64_t{count} * 8;
  if (dir > payload.size()) return Error::kBatchDirectoryTruncated;
  const std::uint64_t packed = payload.size() - dir;
  for (std::uint32_t i = 0; i < count; ++i) {
    const Entry e = entry_at(payload, i);
    if (e.offset % 8 != 0) return Error::kBatchMisalignedOffset;
    if (std::uint64_t{e.offset} + e.length > packed) return Error::kBatchItemOutOfBounds;
  }
  return std::nullopt;
}

// BATCH-LAYOUT-001 checked on bytes that already parsed.
bool is_canonical(ConstBytes payload, std::uint32_t count) {
  const std::size_t dir = std::size_t{count} * 8;
  const ConstBytes packed = payload.subspan(dir);
  std::uint64_t end = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const Entry e = entry_at(payload, i);
    if (e.offset != nipc::align8(end)) return false;
    if (!nipc::fuzz::all_zero(packed.subspan(end, e.offset - end))) return false;
    end = std::uint64_t{e.offset} + e.length;
  }
  if (packed.size() != nipc::align8(end)) return false;
  return nipc::fuzz::all_zero(packed.subspan(end));
}

void check_batch(ConstBytes payload, std::uint32_t count) {
  const nipc::Result<nipc::BatchView> view = nipc::BatchView::parse(payload, count);
  const std::optional<Error> expected = expected_error(payload, count);
  if (!view.ok()) {
    NIPC_FUZZ_CHECK(expected.has_value() && view.error() == *expected);
    return;
  }
  NIPC_FUZZ_CHECK(!expected.has_value());
  NIPC_FUZZ_CHECK(view->size() == count);

  const ConstBytes packed = payload.subspan(std::size_t{count} * 8);
  std::vector<ConstBytes> items;
  items.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const nipc::Result<ConstBytes> item = view->item(i);
    const Entry e = entry_at(payload, i);
    NIPC_FUZZ_CHECK(item.ok() && item->data() == packed.data() + e.offset &&
                    item->size() == e.length);
    items.push_back(*item);
  }
  NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(view->item(count), Error::kBatchIndexOutOfRange));

  const std::uint64_t size = nipc::batch_encoded_size(items);
  std::vector<std::uint8_t> encoded(static_cast<std::size_t>(size));
  const nipc::Result<std::size_t> n = nipc::encode_batch(items, encoded);
  NIPC_FUZZ_CHECK(n.ok() && *n == size);
  NIPC_FUZZ_CHECK(nipc::fuzz::same_bytes(encoded, payload) == is_canonical(payload, count));
  const nipc::Result<nipc::BatchView> again = nipc::BatchView::parse(encoded, count);
  NIPC_FUZZ_CHECK(again.ok() && again->size() == count);
  for (std::uint32_t i = 0; i < count; ++i) {
    const nipc::Result<ConstBytes> item = again->item(i);
    NIPC_FUZZ_CHECK(item.ok() && nipc::fuzz::same_bytes(*item, items[i]));
  }
  if (size > 0) {
    std::vector<std::uint8_t> short_out(static_cast<std::size_t>(size - 1));
    NIPC_FUZZ_CHECK(nipc::fuzz::failed_with(nipc::encode_batch(items, short_out),
                                            Error::kBufferTooSmall));
  }
}

// A u32 the directory rules care about: small, aligned or not, near the bounds, or huge.
std::uint32_t interesting_u32(FuzzedDataProvider& fdp, std::size_t payload_size) {
  switch (fdp.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return fdp.ConsumeIntegralInRange<std::uint32_t>(0, 64);
    case 1:
      return static_cast<std::uint32_t>(payload_size) + fdp.ConsumeIntegralInRange<int>(-9, 9);
    case 2: return 0xffffffffu - fdp.ConsumeIntegralInRange<std::uint32_t>(0, 16);
    default: return fdp.ConsumeIntegral<std::uint32_t>();
  }
}

void structured(FuzzedDataProvider& fdp) {
  const std::size_t n = fdp.ConsumeIntegralInRange<std::size_t>(0, 12);
  std::vector<std::vector<std::uint8_t>> owned(n);
  std::vector<ConstBytes> items;
  for (auto& item : owned) {
    item = fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange<std::size_t>(0, 40));
    items.emplace_back(item);
  }
  std::vector<std::uint8_t> payload(static_cast<std::size_t>(nipc::batch_encoded_size(items)));
  const nipc::Result<std::size_t> written = nipc::encode_batch(items, payload);
  NIPC_FUZZ_CHECK(written.ok() && *written == payload.size());
  auto count = static_cast<std::uint32_t>(n);

  const int damage = fdp.ConsumeIntegralInRange<int>(0, 3);
  for (int d = 0; d < damage; ++d) {
    switch (fdp.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:  // an entry's offset
      case 1:  // an entry's length
        if (n > 0) {
          const std::size_t i = fdp.ConsumeIntegralInRange<std::size_t>(0, n - 1);
          const std::size_t field = i * 8 + (fdp.ConsumeBool() ? 0 : 4);
          if (field + 4 <= payload.size())
            nipc::store_u32le(payload.data() + field, interesting_u32(fdp, payload.size()));
        }
        break;
      case 2:  // truncation
        payload.resize(payload.size() -
                       fdp.ConsumeIntegralInRange<std::size_t>(0, payload.size()));
        break;
      case 3: {  // appended bytes
        const auto extra = fdp.ConsumeBytes<std::uint8_t>(fdp.ConsumeIntegralInRange(1, 16));
        payload.insert(payload.end(), extra.begin(), extra.end());
        break;
      }
      case 4:  // the header's item_count disagrees with the directory
        count = fdp.ConsumeBool() ? count + fdp.ConsumeIntegralInRange<std::uint32_t>(0, 2)
                                  : interesting_u32(fdp, payload.size());
        break;
      default:  // a padding or item byte
        if (!payload.empty())
          payload[fdp.ConsumeIntegralInRange<std::size_t>(0, payload.size() - 1)] =
              fdp.ConsumeIntegral<std::uint8_t>();
        break;
    }
  }
  check_batch(payload, count);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) {
    nipc::fuzz::PrefixReader prefix(data + 1, size - 1);
    const std::uint32_t count = prefix.u32();
    check_batch(prefix.rest(), count);
  } else {
    FuzzedDataProvider fdp(data + 1, size - 1);
    structured(fdp);
  }
  return 0;
}
