// batch: batch payloads, validated against the outer header's item_count (spec/batch.md).
#include <limits>
#include <string>
#include <vector>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/batch.h"

namespace nipc::vectors {
namespace {

constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
namespace el = batch_entry_layout;

/// A directory entry as written on the wire.
struct Entry {
  std::uint32_t offset;
  std::uint32_t length;
};

Bytes canonical(const std::vector<Bytes>& items) {
  const std::vector<ConstBytes> views(items.begin(), items.end());
  Bytes out(static_cast<std::size_t>(batch_encoded_size(views)));
  const Result<std::size_t> n = encode_batch(views, out);
  if (!n || *n != out.size()) edit_out_of_range(0, out.size(), 0);  // a generator bug
  return out;
}

/// A batch payload with a hand-written directory and packed area.
Bytes raw(const std::vector<Entry>& entries, const Bytes& packed) {
  Bytes out(entries.size() * el::kSize);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    out = with_u32(std::move(out), i * el::kSize + el::kOffset, entries[i].offset);
    out = with_u32(std::move(out), i * el::kSize + el::kLength, entries[i].length);
  }
  return concat(std::move(out), packed);
}

/// Byte offset of directory entry `i`'s field in the payload.
constexpr std::size_t entry_field(std::size_t i, std::size_t field) { return i * el::kSize + field; }

Bytes increment_value(std::uint64_t v) {
  Bytes b(8);
  store_u64le(b.data(), v);
  return b;
}

// The spec's worked example: the INCREMENT value 5, the bytes "hi", and an empty item.
std::vector<Bytes> spec_items() { return {increment_value(5), text_bytes("hi"), Bytes{}}; }

Json items_json(const std::vector<Bytes>& items) { return tools::batch_to_json(items); }
Json count(std::uint32_t n) { return tools::batch_context_to_json(n); }

void add_canonical(Family& f) {
  const auto valid = [&](std::string_view name, std::string_view comment,
                         const std::vector<Bytes>& items) {
    return f.valid(name, comment, canonical(items), items_json(items))
        .reqs({"BATCH-LAYOUT-001", "BATCH-PRESENT-001"})
        .context(count(static_cast<std::uint32_t>(items.size())))
        .canonical();
  };
  valid("empty-batch", "item_count 0: no directory, no packed area, an empty payload", {})
      .flag("ZeroLength");
  valid("one-increment-item",
        "the spec's 1-item batch: a directory of one entry, then the 8-byte value 5",
        {increment_value(5)});
  valid("one-empty-item", "one item of length 0: one directory entry and nothing else", {Bytes{}})
      .flag("ZeroLength");
  valid("one-byte-item", "one 1-byte item, padded with 7 zero bytes", {Bytes{0x7f}});
  valid("facts-two-items", "an 8-byte item and the 3 bytes 78 79 00; 5 bytes of final padding",
        {increment_value(1), Bytes{0x78, 0x79, 0x00}});
  valid("spec-three-items", "the spec's example: value 5, \"hi\", and an empty item",
        spec_items());
  std::vector<Bytes> odd;
  for (std::uint8_t len : {1, 3, 5, 7, 9}) odd.push_back(filled(len, static_cast<std::uint8_t>(0x10 + len)));
  valid("odd-lengths", "items of 1, 3, 5, 7 and 9 bytes, each next item at align8", odd);
  valid("aligned-lengths", "items of 8 and 16 bytes: no padding anywhere",
        {filled(8, 0x11), filled(16, 0x22)});
  Bytes every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<std::uint8_t>(b));
  valid("every-byte-value", "one item holding every byte value 0x00..0xff", {every_byte});
  std::vector<Bytes> hundred;
  for (std::uint64_t v = 0; v < 100; ++v) hundred.push_back(increment_value(v));
  valid("hundred-increment-items", "100 INCREMENT values 0..99, each a whole INCREMENT payload",
        hundred)
      .req("BATCH-HOMO-001");
  valid("thousand-one-byte-items", "1000 items of one byte each (a large batch limit)",
        std::vector<Bytes>(1000, Bytes{0x01}))
      .flag("MaxItems");
  valid("thousand-empty-items", "1000 empty items: a directory and no packed area",
        std::vector<Bytes>(1000, Bytes{}))
      .flags({"MaxItems", "ZeroLength"});
}

void add_accepted_layouts(Family& f) {
  const std::vector<Bytes> items = spec_items();
  const Bytes spec = canonical(items);
  const auto accepted = [&](std::string_view name, std::string_view comment, Bytes bytes,
                            const std::vector<Bytes>& decoded, std::uint32_t item_count) {
    return f.valid(name, comment, std::move(bytes), items_json(decoded))
        .req("BATCH-OVERLAP-001")
        .context(count(item_count));
  };
  accepted("item-shares-offset-zero", "the spec's variation: entry 2 has offset 0 like item 0",
           with_u32(spec, entry_field(2, el::kOffset), 0), items, 3);
  accepted("items-overlap", "entry 1 covers the same 8 bytes as entry 0",
           raw({{0, 8}, {0, 8}}, increment_value(5)), {increment_value(5), increment_value(5)}, 2);
  accepted("items-out-of-order", "item 0 sits after item 1 in the packed area",
           raw({{8, 2}, {0, 8}}, concat(increment_value(5), Bytes{0x68, 0x69, 0, 0, 0, 0, 0, 0})),
           {text_bytes("hi"), increment_value(5)}, 2);
  accepted("gap-between-items", "8 unused bytes between the two items",
           raw({{0, 8}, {16, 2}},
               concat(concat(increment_value(5), filled(8, 0)), Bytes{0x68, 0x69, 0, 0, 0, 0, 0, 0})),
           {increment_value(5), text_bytes("hi")}, 2);
  accepted("unused-bytes-at-end", "16 unused bytes after the last item",
           concat(spec, filled(16, 0)), items, 3);
  accepted("nonzero-padding", "padding after \"hi\" is 0xaa instead of zero",
           [&] {
             Bytes b = spec;
             for (std::size_t i = 24 + 10; i < 24 + 16; ++i) b = with_u8(std::move(b), i, 0xaa);
             return b;
           }(),
           items, 3)
      .flag("NonzeroReserved");
  accepted("no-final-padding", "the payload ends right after the last item (no pad to 8)",
           raw({{0, 8}, {8, 3}}, concat(increment_value(1), Bytes{0x78, 0x79, 0x00})),
           {increment_value(1), Bytes{0x78, 0x79, 0x00}}, 2);
  accepted("empty-item-at-area-end", "a zero-length item whose offset is the packed area's end",
           raw({{0, 8}, {16, 0}}, concat(increment_value(5), filled(8, 0))),
           {increment_value(5), Bytes{}}, 2)
      .flag("ZeroLength");
  accepted("zero-items-with-bytes", "item_count 0 with 16 bytes no entry refers to",
           filled(16, 0x33), {}, 0)
      .req("BATCH-PRESENT-001");
}

void add_invalid(Family& f) {
  const Bytes spec = canonical(spec_items());  // 40 bytes, 3 items, 16-byte packed area
  const auto bad = [&](std::string_view name, std::string_view comment, Bytes bytes,
                       std::uint32_t item_count, Error e) {
    return f.invalid(name, comment, std::move(bytes), e).context(count(item_count));
  };

  bad("directory-six-entries-in-40-bytes", "the spec's variation: item_count 6 needs 48 bytes",
      spec, 6, Error::kBatchDirectoryTruncated);
  bad("directory-one-entry-empty-payload", "item_count 1 with an empty payload", Bytes{}, 1,
      Error::kBatchDirectoryTruncated)
      .reqs({"BATCH-PRESENT-001"})
      .flag("ZeroLength");
  bad("directory-one-entry-7-bytes", "item_count 1 with 7 bytes", filled(7, 0), 1,
      Error::kBatchDirectoryTruncated)
      .flag("Truncated");
  bad("directory-two-entries-8-bytes", "item_count 2 with room for one entry",
      canonical({Bytes{}}), 2, Error::kBatchDirectoryTruncated)
      .flag("Truncated");
  bad("directory-count-wraps-32-bit",
      "item_count 0x20000000: 8 x count is 2^32, 0 if computed in 32 bits", spec, 0x20000000,
      Error::kBatchDirectoryTruncated);
  bad("directory-count-max", "item_count UINT32_MAX", spec, kU32Max,
      Error::kBatchDirectoryTruncated)
      .flag("MaxItems");

  bad("misaligned-offset-9", "the spec's variation: entry 1 offset 9",
      with_u32(spec, entry_field(1, el::kOffset), 9), 3, Error::kBatchMisalignedOffset);
  bad("misaligned-single-item", "a 1-item batch with offset 4: the directory is validated for one item too",
      raw({{4, 2}}, filled(8, 0)), 1, Error::kBatchMisalignedOffset)
      .req("BATCH-PRESENT-001");
  bad("misaligned-offset-1", "entry 0 offset 1", with_u32(spec, entry_field(0, el::kOffset), 1), 3,
      Error::kBatchMisalignedOffset);
  bad("misaligned-before-bounds", "entry 2 offset 0xffffffff: misaligned and out of bounds, "
      "alignment is checked first",
      with_u32(spec, entry_field(2, el::kOffset), kU32Max), 3, Error::kBatchMisalignedOffset);

  bad("out-of-bounds-length-15", "the spec's variation: entry 1 length 15 (8 + 15 > 16)",
      with_u32(spec, entry_field(1, el::kLength), 15), 3, Error::kBatchItemOutOfBounds);
  bad("out-of-bounds-sum-wraps", "entry 1 offset 8, length 0xffffffff: the sum must not wrap",
      with_u32(spec, entry_field(1, el::kLength), kU32Max), 3, Error::kBatchItemOutOfBounds);
  bad("out-of-bounds-offset-wraps", "offset 0xfffffff8, length 8: the sum is 2^32",
      raw({{0xFFFFFFF8u, 8}}, filled(8, 0)), 1, Error::kBatchItemOutOfBounds);
  bad("out-of-bounds-empty-item-past-end", "a zero-length item at offset 24 of a 16-byte area",
      with_u32(spec, entry_field(2, el::kOffset), 24), 3, Error::kBatchItemOutOfBounds)
      .flag("ZeroLength");
  bad("out-of-bounds-single-item", "one 9-byte item in an 8-byte packed area",
      raw({{0, 9}}, filled(8, 0)), 1, Error::kBatchItemOutOfBounds)
      .req("BATCH-PRESENT-001");
  bad("out-of-bounds-before-later-misalignment",
      "entry 0 out of bounds and entry 1 misaligned: entries are checked in order",
      with_u32(with_u32(spec, entry_field(0, el::kLength), 17), entry_field(1, el::kOffset), 3), 3,
      Error::kBatchItemOutOfBounds);
}

}  // namespace

Family batch_family() {
  Family f("batch",
           "Batch payloads (spec/batch.md): item directory and packed item area. "
           "context.item_count is the outer header's item_count; fields.items_hex lists the "
           "items in directory order.");
  add_canonical(f);
  add_accepted_layouts(f);
  add_invalid(f);
  return f;
}

}  // namespace nipc::vectors
