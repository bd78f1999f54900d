// cgroups_snapshot_request and cgroups_snapshot_response (spec/codecs.md).
#include <limits>
#include <string>
#include <vector>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/testing/snapshot_fixture.h"

namespace nipc::vectors {
namespace {

constexpr std::uint16_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

namespace rl = snapshot_request_layout;
namespace sh = snapshot_header_layout;
namespace il = snapshot_item_layout;
namespace el = batch_entry_layout;

// ---- request --------------------------------------------------------------------------------

void add_request_cases(Family& f) {
  Bytes base(snapshot_request_encoded_size());
  (void)encode_snapshot_request(base);  // cannot fail: 4 bytes
  f.valid("canonical", "layout_version 1, flags 0: the 4 bytes 01 00 00 00", base,
          tools::snapshot_request_to_json())
      .req("CODEC-SNREQ-001")
      .canonical();
  for (const auto& [name, extra] : {std::pair{"one-trailing-byte", std::size_t{1}},
                                    std::pair{"four-trailing-bytes", std::size_t{4}},
                                    std::pair{"trailing-bytes-to-64", std::size_t{60}}}) {
    f.valid(name, std::to_string(extra) + " bytes after the 4 are ignored",
            concat(base, filled(extra, 0xcc)), tools::snapshot_request_to_json())
        .req("CODEC-SNREQ-001");
  }
  for (std::size_t n = 0; n < rl::kSize; ++n) {
    CaseRef c = f.invalid("truncated-to-" + std::to_string(n) + "-bytes",
                          std::to_string(n) + " of the 4 bytes", first_bytes(base, n),
                          Error::kSnapshotRequestTruncated)
                    .flag("Truncated");
    if (n == 0) c.flag("ZeroLength");
  }
  for (const auto& [name, v] : {std::pair{"layout-zero", std::uint16_t{0}},
                                std::pair{"layout-two", std::uint16_t{2}},
                                std::pair{"layout-byte-swapped", std::uint16_t{0x0100}},
                                std::pair{"layout-max", kU16Max}}) {
    f.invalid(name, "layout_version " + std::to_string(v), with_u16(base, rl::kLayoutVersion, v),
              Error::kSnapshotRequestBadLayout);
  }
  for (const auto& [name, v] : {std::pair{"flags-one", std::uint16_t{1}},
                                std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                std::pair{"flags-all-bits", kU16Max}}) {
    f.invalid(name, "flags " + std::to_string(v) + " (must be 0)", with_u16(base, rl::kFlags, v),
              Error::kSnapshotRequestNonzeroFlags);
  }
  f.invalid("order-length-before-layout", "3 bytes with layout_version 2",
            first_bytes(with_u16(base, rl::kLayoutVersion, 2), 3), Error::kSnapshotRequestTruncated)
      .flag("Truncated");
  f.invalid("order-layout-before-flags", "layout_version 2 and flags 1",
            with_u16(with_u16(base, rl::kLayoutVersion, 2), rl::kFlags, 1),
            Error::kSnapshotRequestBadLayout);
}

// ---- response -------------------------------------------------------------------------------

OwnedSnapshotItem item(std::uint32_t hash, std::uint32_t options, std::uint32_t enabled,
                       std::string name, std::string path) {
  return {hash, options, enabled, std::move(name), std::move(path)};
}

// The spec's worked example (147 bytes): init.scope and x.
GeneratedSnapshot spec_snapshot() {
  return {0, 3,
          {item(0xdeadbeef, 0, 1, "init.scope", "/sys/fs/cgroup/init.scope"),
           item(0x10, 4, 0, "x", "")}};
}

// Offsets inside the spec example's bytes.
constexpr std::size_t kEntry0 = sh::kSize;             // directory entry 0
constexpr std::size_t kEntry1 = sh::kSize + el::kSize;  // directory entry 1
constexpr std::size_t kItem0 = 40;                      // item 0: 69 bytes, then 3 pad bytes
constexpr std::size_t kItem1 = 112;                     // item 1: 35 bytes, the last
constexpr std::size_t kItem0PathNul = kItem0 + 68;
constexpr std::size_t kSpecSize = 147;

// The fact sheet's example (114 bytes).
GeneratedSnapshot facts_snapshot() {
  return {1, 7, {item(0x11223344, 2, 1, "a", "/b"), item(5, 0, 0, "", "")}};
}

Bytes encoded(const GeneratedSnapshot& s) {
  const std::vector<SnapshotItem> views = s.views();
  Bytes out(static_cast<std::size_t>(snapshot_encoded_size(views)));
  const Result<std::size_t> n = encode_snapshot(s.systemd_enabled, s.generation, views, out);
  if (!n || *n != out.size()) edit_out_of_range(0, out.size(), 0);  // a generator bug
  return out;
}

Json fields(const GeneratedSnapshot& s) { return tools::snapshot_to_json(s); }

// An item's 32-byte fixed part as written on the wire, followed by `strings`.
struct RawItem {
  std::uint32_t hash = 0;
  std::uint32_t options = 0;
  std::uint32_t enabled = 0;
  std::uint32_t name_offset = 0;
  std::uint32_t name_length = 0;
  std::uint32_t path_offset = 0;
  std::uint32_t path_length = 0;
  Bytes strings;
};

Bytes raw_item(const RawItem& r) {
  Bytes b(il::kSize, 0);
  b = with_u16(std::move(b), il::kLayoutVersion, 1);
  b = with_u32(std::move(b), il::kHash, r.hash);
  b = with_u32(std::move(b), il::kOptions, r.options);
  b = with_u32(std::move(b), il::kEnabled, r.enabled);
  b = with_u32(std::move(b), il::kNameOffset, r.name_offset);
  b = with_u32(std::move(b), il::kNameLength, r.name_length);
  b = with_u32(std::move(b), il::kPathOffset, r.path_offset);
  b = with_u32(std::move(b), il::kPathLength, r.path_length);
  return concat(std::move(b), r.strings);
}

// A snapshot with a hand-written directory over `packed`.
Bytes raw_snapshot(std::uint32_t systemd_enabled, std::uint64_t generation,
                   const std::vector<std::pair<std::uint32_t, std::uint32_t>>& entries,
                   const Bytes& packed) {
  Bytes b(sh::kSize + entries.size() * el::kSize, 0);
  b = with_u16(std::move(b), sh::kLayoutVersion, 1);
  b = with_u32(std::move(b), sh::kItemCount, static_cast<std::uint32_t>(entries.size()));
  b = with_u32(std::move(b), sh::kSystemdEnabled, systemd_enabled);
  b = with_u64(std::move(b), sh::kGeneration, generation);
  for (std::size_t i = 0; i < entries.size(); ++i) {
    b = with_u32(std::move(b), sh::kSize + i * el::kSize + el::kOffset, entries[i].first);
    b = with_u32(std::move(b), sh::kSize + i * el::kSize + el::kLength, entries[i].second);
  }
  return concat(std::move(b), packed);
}

void add_response_valid(Family& f) {
  const auto valid = [&](std::string_view name, std::string_view comment,
                         const GeneratedSnapshot& s) {
    return f.valid(name, comment, encoded(s), fields(s)).req("CODEC-SNAP-015").canonical();
  };
  valid("spec-example", "the spec's example: init.scope and x, generation 3", spec_snapshot());
  valid("facts-example", "two items, one with empty name and path; systemd_enabled 1, generation 7",
        facts_snapshot());
  valid("empty-snapshot", "no items: the 24-byte header alone", GeneratedSnapshot{0, 3, {}})
      .flag("ZeroLength");
  valid("empty-generation-max", "no items, generation UINT64_MAX, systemd_enabled UINT32_MAX",
        GeneratedSnapshot{kU32Max, kU64Max, {}})
      .flag("ZeroLength");
  valid("one-item-empty-strings", "one item whose name and path are both empty",
        GeneratedSnapshot{1, 1, {item(0, 0, 0, "", "")}})
      .flag("ZeroLength");
  valid("opaque-values-max", "hash, options and enabled UINT32_MAX",
        GeneratedSnapshot{1, 2, {item(kU32Max, kU32Max, kU32Max, "n", "/p")}});
  std::string every;
  for (int b = 1; b <= 255; ++b) every.push_back(static_cast<char>(b));
  valid("every-byte-except-nul",
        "a name of bytes 0x01..0xff ascending and a path of the same bytes descending",
        GeneratedSnapshot{0, 9, {item(1, 0, 1, every, std::string(every.rbegin(), every.rend()))}});
  valid("interior-nul", "name and path with interior NUL bytes",
        GeneratedSnapshot{0, 10, {item(2, 0, 1, std::string("a\0b", 3), std::string("\0/\0", 3))}})
      .req("CODEC-SNAP-016");
  valid("long-name-and-path", "a 4096-byte name and a 4096-byte path",
        GeneratedSnapshot{1, 11, {item(3, 1, 1, std::string(4096, 'n'), std::string(4096, 'p'))}});
  valid("fixture-seed-1-twelve-items",
        "the shared snapshot fixture (seed 1, 12 items): empty, short and long strings",
        generate_snapshot(1, 12));
  valid("fixture-seed-7-forty-items", "the shared snapshot fixture (seed 7, 40 items)",
        generate_snapshot(7, 40))
      .flag("MaxItems");

  const Bytes spec = encoded(spec_snapshot());
  const auto accepted = [&](std::string_view name, std::string_view comment, Bytes bytes,
                            const GeneratedSnapshot& decoded) {
    return f.valid(name, comment, std::move(bytes), fields(decoded)).req("CODEC-SNAP-016");
  };
  accepted("five-bytes-after-last-item", "the spec's variation: 5 zero bytes after the last item",
           concat(spec, filled(5, 0)), spec_snapshot());
  accepted("padded-to-8", "the payload padded to a multiple of 8 like a batch",
           concat(spec, filled(5, 0xa5)), spec_snapshot());
  GeneratedSnapshot twice = spec_snapshot();
  twice.items[1] = twice.items[0];
  accepted("both-entries-name-item-0", "the spec's variation: entry 1 is offset 0, length 69",
           with_u32(with_u32(spec, kEntry1 + el::kOffset, 0), kEntry1 + el::kLength, 69), twice);

  const Bytes item_a = raw_item({7, 0, 1, 32, 1, 34, 2, concat(text_bytes("a"), Bytes{0, '/', 'b', 0})});
  const Bytes item_b = raw_item({8, 0, 0, 32, 0, 33, 0, Bytes{0, 0}});
  accepted("items-in-reverse-order", "entry 0 points at the second item in the packed area",
           raw_snapshot(0, 4, {{40, 34}, {0, 37}},
                        concat(concat(item_a, filled(3, 0)), item_b)),
           GeneratedSnapshot{0, 4, {item(8, 0, 0, "", ""), item(7, 0, 1, "a", "/b")}});
  accepted("path-before-name", "the path sits before the name inside the item",
           raw_snapshot(0, 5, {{0, 37}},
                        raw_item({9, 0, 1, 35, 1, 32, 2, concat(text_bytes("/b"), Bytes{0, 'a', 0})})),
           GeneratedSnapshot{0, 5, {item(9, 0, 1, "a", "/b")}});
  accepted("gap-between-strings", "4 unused bytes between the name's NUL and the path",
           raw_snapshot(0, 6, {{0, 41}},
                        raw_item({9, 0, 1, 32, 1, 38, 2,
                                  concat(Bytes{'a', 0, 0xee, 0xee, 0xee, 0xee}, Bytes{'/', 'b', 0})})),
           GeneratedSnapshot{0, 6, {item(9, 0, 1, "a", "/b")}});
  accepted("item-longer-than-strings", "the item's length covers 8 bytes after the path's NUL",
           raw_snapshot(0, 8, {{0, 45}},
                        concat(raw_item({9, 0, 1, 32, 1, 34, 2,
                                         concat(text_bytes("a"), Bytes{0, '/', 'b', 0})}),
                               filled(8, 0x77))),
           GeneratedSnapshot{0, 8, {item(9, 0, 1, "a", "/b")}});
}

void add_response_invalid(Family& f) {
  const Bytes spec = encoded(spec_snapshot());
  if (spec.size() != kSpecSize) edit_out_of_range(0, kSpecSize, spec.size());

  constexpr FieldStart kHeaderFields[] = {
      {"layout-version", sh::kLayoutVersion}, {"flags", sh::kFlags},
      {"item-count", sh::kItemCount},         {"systemd-enabled", sh::kSystemdEnabled},
      {"reserved", sh::kReserved},            {"generation", sh::kGeneration}};
  for (const FieldStart& field : kHeaderFields) {
    CaseRef c = f.invalid("truncated-before-" + std::string(field.name),
                          "only the " + std::to_string(field.offset) + " bytes before " +
                              std::string(field.name),
                          first_bytes(spec, field.offset), Error::kSnapshotTruncated)
                    .flag("Truncated");
    if (field.offset == 0) c.flag("ZeroLength");
  }
  f.invalid("truncated-to-23-bytes", "one byte short of the header", first_bytes(spec, 23),
            Error::kSnapshotTruncated)
      .flag("Truncated");

  for (const auto& [name, v] : {std::pair{"layout-zero", std::uint16_t{0}},
                                std::pair{"layout-two", std::uint16_t{2}},
                                std::pair{"layout-max", kU16Max}}) {
    f.invalid(name, "snapshot layout_version " + std::to_string(v),
              with_u16(spec, sh::kLayoutVersion, v), Error::kSnapshotBadLayout);
  }
  for (const auto& [name, v] : {std::pair{"flags-one", std::uint16_t{1}},
                                std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                std::pair{"flags-all-bits", kU16Max}}) {
    f.invalid(name, "snapshot flags " + std::to_string(v), with_u16(spec, sh::kFlags, v),
              Error::kSnapshotNonzeroFlags);
  }
  for (const auto& [name, v] : {std::pair{"reserved-one", 1u},
                                std::pair{"reserved-high-bit", 0x80000000u},
                                std::pair{"reserved-all-ones", kU32Max}}) {
    f.invalid(name, "snapshot reserved (offset 12) " + std::to_string(v),
              with_u32(spec, sh::kReserved, v), Error::kSnapshotNonzeroReserved)
        .flag("NonzeroReserved");
  }

  for (const auto& [name, count, comment] :
       {std::tuple{"item-count-20", 20u, "the spec's variation: 24 + 160 > 147"},
        std::tuple{"item-count-max", kU32Max, "the spec's variation: item_count 0xffffffff"},
        std::tuple{"item-count-wraps-32-bit", 0x20000000u,
                   "item_count 0x20000000: 8 x count is 2^32, 0 if computed in 32 bits"}}) {
    f.invalid(name, comment, with_u32(spec, sh::kItemCount, count),
              Error::kSnapshotDirectoryTruncated);
  }
  f.invalid("one-item-no-directory", "item_count 1 in a 24-byte payload",
            with_u32(encoded(GeneratedSnapshot{0, 3, {}}), sh::kItemCount, 1),
            Error::kSnapshotDirectoryTruncated)
      .flag("Truncated");

  f.invalid("entry-offset-68", "the spec's variation: second entry offset 68",
            with_u32(spec, kEntry1 + el::kOffset, 68), Error::kSnapshotMisalignedOffset);
  f.invalid("entry-offset-1", "first entry offset 1", with_u32(spec, kEntry0 + el::kOffset, 1),
            Error::kSnapshotMisalignedOffset);
  f.invalid("entry-offset-max", "first entry offset 0xffffffff: misaligned before out of bounds",
            with_u32(spec, kEntry0 + el::kOffset, kU32Max), Error::kSnapshotMisalignedOffset);

  f.invalid("entry-length-36", "the spec's variation: 72 + 36 > 107",
            with_u32(spec, kEntry1 + el::kLength, 36), Error::kSnapshotItemOutOfBounds);
  f.invalid("entry-length-max", "second entry length 0xffffffff: the sum must not wrap",
            with_u32(spec, kEntry1 + el::kLength, kU32Max), Error::kSnapshotItemOutOfBounds);
  f.invalid("entry-offset-wraps", "second entry offset 0xfffffff8, length 35: the sum wraps at 2^32",
            with_u32(spec, kEntry1 + el::kOffset, 0xFFFFFFF8u), Error::kSnapshotItemOutOfBounds);

  for (const auto& [name, entry, length] :
       {std::tuple{"entry-length-31", kEntry1, 31u}, std::tuple{"entry-length-zero", kEntry1, 0u},
        std::tuple{"first-entry-length-one", kEntry0, 1u}}) {
    f.invalid(name, "an item of " + std::to_string(length) + " bytes has no room for its fixed part",
              with_u32(spec, entry + el::kLength, length), Error::kSnapshotItemTruncated)
        .flag("Truncated");
  }

  // Item-level faults: the whole snapshot is rejected, even when only a later item is bad.
  const auto bad_item = [&](std::string_view name, std::string_view comment, Bytes bytes,
                            Error e) {
    return f.invalid(name, comment, std::move(bytes), e).req("CODEC-SNAP-017");
  };
  for (const auto& [name, at, v] : {std::tuple{"item-0-layout-zero", kItem0, std::uint16_t{0}},
                                    std::tuple{"item-1-layout-two", kItem1, std::uint16_t{2}},
                                    std::tuple{"item-1-layout-max", kItem1, kU16Max}}) {
    bad_item(name, "item layout_version " + std::to_string(v),
             with_u16(spec, at + il::kLayoutVersion, v), Error::kSnapshotItemBadLayout);
  }
  for (const auto& [name, at, v] : {std::tuple{"item-0-flags-one", kItem0, std::uint16_t{1}},
                                    std::tuple{"item-1-flags-high-bit", kItem1, std::uint16_t{0x8000}},
                                    std::tuple{"item-1-flags-all-bits", kItem1, kU16Max}}) {
    bad_item(name, "item flags " + std::to_string(v), with_u16(spec, at + il::kFlags, v),
             Error::kSnapshotItemNonzeroFlags);
  }
  bad_item("item-1-path-offset-31", "the spec's variation: second item's path_offset 31",
           with_u32(spec, kItem1 + il::kPathOffset, 31), Error::kSnapshotStringOffsetLow);
  bad_item("item-0-name-offset-zero", "name_offset 0: the name would start at the item's header",
           with_u32(spec, kItem0 + il::kNameOffset, 0), Error::kSnapshotStringOffsetLow);
  bad_item("item-0-name-offset-16", "name_offset 16", with_u32(spec, kItem0 + il::kNameOffset, 16),
           Error::kSnapshotStringOffsetLow);

  bad_item("item-0-name-length-max", "name_length 0xffffffff: the sum must not wrap",
           with_u32(spec, kItem0 + il::kNameLength, kU32Max), Error::kSnapshotStringOutOfBounds);
  bad_item("item-0-path-length-26", "path_length 26: the NUL would be past the 69-byte item",
           with_u32(spec, kItem0 + il::kPathLength, 26), Error::kSnapshotStringOutOfBounds);
  bad_item("item-1-path-offset-35", "path_offset 35 of a 35-byte item",
           with_u32(spec, kItem1 + il::kPathOffset, 35), Error::kSnapshotStringOutOfBounds);
  bad_item("item-0-path-offset-max", "path_offset 0xffffffff",
           with_u32(spec, kItem0 + il::kPathOffset, kU32Max), Error::kSnapshotStringOutOfBounds);

  bad_item("item-0-path-nul-replaced", "the spec's variation: the first item's last byte is 0x21",
           with_u8(spec, kItem0PathNul, 0x21), Error::kSnapshotStringMissingNul);
  bad_item("item-0-name-length-9", "name_length 9: the byte after it is 'e', not NUL",
           with_u32(spec, kItem0 + il::kNameLength, 9), Error::kSnapshotStringMissingNul);
  bad_item("item-1-name-nul-replaced", "the second item's name NUL is 0xff",
           with_u8(spec, kItem1 + 33, 0xff), Error::kSnapshotStringMissingNul);

  bad_item("item-1-name-length-2",
           "the spec's variation: the name's NUL would be the path's NUL",
           with_u32(spec, kItem1 + il::kNameLength, 2), Error::kSnapshotStringsOverlap);
  bad_item("item-0-path-is-name", "path_offset 32 and path_length 10: path and name are the same bytes",
           with_u32(with_u32(spec, kItem0 + il::kPathOffset, 32), kItem0 + il::kPathLength, 10),
           Error::kSnapshotStringsOverlap);
  bad_item("item-0-name-covers-path", "name_length 36: the name runs over the whole path",
           with_u32(spec, kItem0 + il::kNameLength, 36), Error::kSnapshotStringsOverlap);

  f.invalid("order-entries-before-items",
            "item 0 has layout_version 0 and entry 1 is misaligned: every entry is checked "
            "before any item",
            with_u32(with_u16(spec, kItem0 + il::kLayoutVersion, 0), kEntry1 + el::kOffset, 68),
            Error::kSnapshotMisalignedOffset);
  bad_item("order-name-before-path", "name_offset 0 and path_length 26: the name is checked first",
           with_u32(with_u32(spec, kItem0 + il::kNameOffset, 0), kItem0 + il::kPathLength, 26),
           Error::kSnapshotStringOffsetLow);
}

}  // namespace

Family snapshot_request_family() {
  Family f("cgroups_snapshot_request",
           "CGROUPS_SNAPSHOT request payloads (spec/codecs.md): layout_version and flags; bytes "
           "after the first 4 are ignored. A valid request has no fields.");
  add_request_cases(f);
  return f;
}

Family snapshot_response_family() {
  Family f("cgroups_snapshot_response",
           "CGROUPS_SNAPSHOT response payloads (spec/codecs.md): header, directory and items, "
           "validated completely before any item is used.");
  add_response_valid(f);
  add_response_invalid(f);
  return f;
}

}  // namespace nipc::vectors
