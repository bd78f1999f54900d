// cgroups_lookup_request/response and apps_lookup_request/response (spec/lookup.md, newest
// revision). Every case is tagged with revision "newest". Invalid cases are one edit of a
// valid canonical base, so each breaks exactly the rule it names.
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "common/lookup_json.h"
#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/lookup.h"

namespace nipc::vectors {
namespace {

using tools::OwnedAppsLookup;
using tools::OwnedAppsLookupItem;
using tools::OwnedCgroupsLookup;
using tools::OwnedCgroupsLookupItem;
using tools::OwnedLabel;

constexpr std::uint16_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

namespace hl = lookup_header_layout;
namespace cl = cgroups_lookup_item_layout;
namespace al = apps_lookup_item_layout;
namespace ll = lookup_label_layout;

constexpr const char* kRevision = "newest";

// Directory entry `i`: where its offset and length are.
constexpr std::size_t entry_offset(std::size_t i) { return hl::kSize + i * hl::kEntrySize; }
constexpr std::size_t entry_length(std::size_t i) { return entry_offset(i) + 4; }

template <class T>
Bytes encoded(const T& value) {
  Bytes out;
  const Result<std::size_t> n = tools::encode_owned(value, &out);
  if (!n || *n != out.size()) edit_out_of_range(0, out.size(), 0);  // a generator bug
  return out;
}

// Header rules shared by all four families (LOOKUP-HDR-001..003, LOOKUP-HDR-005).
void add_header_cases(Family& f, const Bytes& base, std::size_t count) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{8}, std::size_t{15}}) {
    CaseRef c = f.invalid("truncated-to-" + std::to_string(n) + "-bytes",
                          std::to_string(n) + " bytes, less than the 16-byte header",
                          first_bytes(base, n), Error::kLookupTruncated)
                    .flag("Truncated");
    if (n == 0) c.flag("ZeroLength");
  }
  for (const auto& [name, v] : {std::pair{"layout-zero", std::uint16_t{0}},
                                std::pair{"layout-two", std::uint16_t{2}},
                                std::pair{"layout-max", kU16Max}}) {
    f.invalid(name, "layout_version " + std::to_string(v), with_u16(base, hl::kLayoutVersion, v),
              Error::kLookupBadLayout);
  }
  for (const auto& [name, v] : {std::pair{"flags-one", std::uint16_t{1}},
                                std::pair{"flags-high-bit", std::uint16_t{0x8000}}}) {
    f.invalid(name, "flags " + std::to_string(v) + " (must be 0)", with_u16(base, hl::kFlags, v),
              Error::kLookupNonzeroFlags);
  }
  const auto past = static_cast<std::uint32_t>(count + base.size() / hl::kEntrySize);
  f.invalid("item-count-past-payload",
            "item_count " + std::to_string(past) + ": the directory alone is longer than the payload",
            with_u32(base, hl::kItemCount, past), Error::kLookupDirectoryTruncated);
  f.invalid("item-count-max", "item_count 0xffffffff: 16 + count x 8 must not wrap",
            with_u32(base, hl::kItemCount, kU32Max), Error::kLookupDirectoryTruncated);
  f.invalid("item-count-wraps-32-bit", "item_count 0x20000000: 16 + count x 8 wraps in 32 bits",
            with_u32(base, hl::kItemCount, 0x20000000u), Error::kLookupDirectoryTruncated);
  f.invalid("order-length-before-layout", "15 bytes with layout_version 2",
            first_bytes(with_u16(base, hl::kLayoutVersion, 2), 15), Error::kLookupTruncated)
      .flag("Truncated");
}

void add_request_reserved_cases(Family& f, const Bytes& base) {
  f.invalid("reserved0-one", "reserved0 1", with_u32(base, hl::kReserved0, 1),
            Error::kLookupNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("reserved1-high-bit", "reserved1 0x80000000", with_u32(base, hl::kReserved1, 0x80000000u),
            Error::kLookupNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("order-flags-before-reserved", "flags 1 and reserved0 1",
            with_u32(with_u16(base, hl::kFlags, 1), hl::kReserved0, 1), Error::kLookupNonzeroFlags);
}

// ---- cgroups_lookup_request ------------------------------------------------------------------

// Keys "/a" (3 bytes at 0) and "/sys/fs/cgroup/x" (17 at 8) behind a 32-byte header+directory.
const std::vector<std::string> kPaths = {"/a", "/sys/fs/cgroup/x"};
constexpr std::size_t kCgReqPacked = 32;

void add_cgroups_request(Family& f) {
  const Bytes base = encoded(kPaths);
  auto fields = [](const std::vector<std::string>& p) { return tools::cgroups_lookup_request_to_json(p); };
  f.valid("canonical-two-keys", "\"/a\" at 0 and \"/sys/fs/cgroup/x\" at 8, 5 zero gap bytes",
          base, fields(kPaths))
      .reqs({"LOOKUP-CGKEY-004", "LOOKUP-MSG-003"})
      .canonical();
  f.valid("empty-request", "item_count 0: the header alone, a valid no-op",
          encoded(std::vector<std::string>{}), fields({}))
      .reqs({"LOOKUP-CGKEY-004"})
      .canonical();
  const std::vector<std::string> exact = {"/abcdef", "/", "/x/y/z"};
  f.valid("key-filling-eight-bytes", "\"/abcdef\" and its NUL are 8 bytes: the next key follows with no gap",
          encoded(exact), fields(exact))
      .reqs({"LOOKUP-CGKEY-004"})
      .canonical();
  const std::vector<std::string> odd = {std::string("\x01\xff path", 7)};
  f.valid("key-any-nonzero-bytes", "a path of arbitrary non-NUL bytes", encoded(odd), fields(odd))
      .reqs({"LOOKUP-CGKEY-004"})
      .canonical();
  f.valid("gap-bytes-not-zero", "the gap after \"/a\" holds 0xcc: gaps are not checked",
          with_u8(with_u8(base, kCgReqPacked + 3, 0xcc), kCgReqPacked + 7, 0xcc), fields(kPaths))
      .req("LOOKUP-DIR-004");
  f.valid("bytes-after-last-key", "3 bytes after the last key are ignored",
          concat(base, filled(3, 0xdd)), fields(kPaths))
      .req("LOOKUP-DIR-004");
  add_header_cases(f, base, kPaths.size());
  add_request_reserved_cases(f, base);
  f.invalid("entry-1-misaligned", "key 1 at offset 9", with_u32(base, entry_offset(1), 9),
            Error::kLookupMisalignedOffset);
  f.invalid("entry-0-misaligned", "key 0 at offset 4", with_u32(base, entry_offset(0), 4),
            Error::kLookupMisalignedOffset);
  f.invalid("entry-1-past-area", "key 1 length 18: one byte past the payload",
            with_u32(base, entry_length(1), 18), Error::kLookupEntryOutOfBounds);
  f.invalid("entry-1-offset-far", "key 1 at offset 0xfffffff8: offset + length must not wrap",
            with_u32(base, entry_offset(1), 0xfffffff8u), Error::kLookupEntryOutOfBounds);
  f.invalid("cut-inside-last-key", "the payload ends one byte early", first_bytes(base, base.size() - 1),
            Error::kLookupEntryOutOfBounds)
      .flag("Truncated");
  f.invalid("entries-share-bytes", "key 0 length 9 runs into key 1 at 8",
            with_u32(base, entry_length(0), 9), Error::kLookupEntriesOverlap);
  f.invalid("keys-out-of-order", "key 1 at offset 0 (before key 0 ends)",
            with_u32(with_u32(base, entry_offset(1), 0), entry_length(1), 3), Error::kLookupEntriesOverlap);
  f.invalid("key-length-zero", "key 0 length 0", with_u32(base, entry_length(0), 0),
            Error::kCgroupsKeyTooShort);
  f.invalid("key-length-one", "key 0 length 1: only a NUL, an empty path",
            with_u32(with_u8(base, kCgReqPacked, 0), entry_length(0), 1), Error::kCgroupsKeyTooShort);
  f.invalid("key-1-length-one", "key 1 length 1", with_u32(base, entry_length(1), 1),
            Error::kCgroupsKeyTooShort);
  f.invalid("key-without-nul", "key 0 length 2: its last byte is 'a'",
            with_u32(base, entry_length(0), 2), Error::kCgroupsKeyMissingNul);
  f.invalid("key-nul-replaced", "key 1's NUL replaced by 'y'",
            with_u8(base, base.size() - 1, 'y'), Error::kCgroupsKeyMissingNul);
  f.invalid("key-length-includes-gap", "key 0 length 4: its last byte is the first gap byte made 'z'",
            with_u8(with_u32(base, entry_length(0), 4), kCgReqPacked + 3, 'z'), Error::kCgroupsKeyMissingNul);
  f.invalid("key-interior-nul", "key 1's fourth byte is NUL",
            with_u8(base, kCgReqPacked + 8 + 3, 0), Error::kCgroupsKeyInteriorNul);
  f.invalid("key-nul-before-last", "key 1's second-to-last byte is NUL",
            with_u8(base, base.size() - 2, 0), Error::kCgroupsKeyInteriorNul);
  f.invalid("key-first-byte-nul", "key 0 starts with NUL", with_u8(base, kCgReqPacked, 0),
            Error::kCgroupsKeyInteriorNul);
  f.invalid("order-entries-before-keys", "key 0 has no NUL and entry 1 is misaligned",
            with_u32(with_u32(base, entry_length(0), 2), entry_offset(1), 9), Error::kLookupMisalignedOffset);
}

// ---- apps_lookup_request ---------------------------------------------------------------------

const std::vector<std::uint32_t> kPids = {1, 4242, kU32Max};
constexpr std::size_t kApReqPacked = 16 + 3 * 8;

void add_apps_request(Family& f) {
  const Bytes base = encoded(kPids);
  auto fields = [](const std::vector<std::uint32_t>& p) { return tools::apps_lookup_request_to_json(p); };
  f.valid("canonical-three-pids", "pids 1, 4242 and 0xffffffff packed at 0, 8, 16", base, fields(kPids))
      .reqs({"LOOKUP-APKEY-003", "LOOKUP-MSG-003"})
      .canonical();
  f.valid("empty-request", "item_count 0", encoded(std::vector<std::uint32_t>{}), fields({}))
      .req("LOOKUP-APKEY-003")
      .canonical();
  f.valid("pid-zero", "pid 0 is a key like any other", encoded(std::vector<std::uint32_t>{0}),
          fields({0}))
      .req("LOOKUP-APKEY-003")
      .canonical();
  // Keys at 0, 16 and 24 with 8 bytes of 0xee between the first two.
  Bytes gapped = first_bytes(base, kApReqPacked + 8);
  gapped = concat(std::move(gapped), filled(8, 0xee));
  gapped = concat(std::move(gapped), Bytes(base.begin() + kApReqPacked + 8, base.end()));
  gapped = with_u32(with_u32(std::move(gapped), entry_offset(1), 16), entry_offset(2), 24);
  f.valid("keys-with-gap", "keys at 0, 16 and 24 with 0xee bytes between: ordered, not packed",
          gapped, fields(kPids))
      .req("LOOKUP-DIR-004");
  f.valid("bytes-after-last-key", "5 bytes after the last key", concat(base, filled(5, 0x11)), fields(kPids))
      .req("LOOKUP-DIR-004");
  add_header_cases(f, base, kPids.size());
  add_request_reserved_cases(f, base);
  f.invalid("entry-2-misaligned", "key 2 at offset 17", with_u32(base, entry_offset(2), 17),
            Error::kLookupMisalignedOffset);
  f.invalid("entry-2-past-area", "key 2 at offset 24 (one key past the end)",
            with_u32(base, entry_offset(2), 24), Error::kLookupEntryOutOfBounds);
  f.invalid("cut-inside-last-key", "the payload ends 4 bytes early", first_bytes(base, base.size() - 4),
            Error::kLookupEntryOutOfBounds)
      .flag("Truncated");
  f.invalid("keys-repeat", "key 1 at offset 0, the bytes of key 0", with_u32(base, entry_offset(1), 0),
            Error::kLookupEntriesOverlap);
  f.invalid("keys-reversed", "key 2 at offset 0 after key 1 at 8", with_u32(base, entry_offset(2), 0),
            Error::kLookupEntriesOverlap);
  for (const auto& [name, v] : {std::pair{"key-length-zero", 0u}, std::pair{"key-length-four", 4u},
                                std::pair{"key-length-seven", 7u}, std::pair{"key-length-sixteen", 16u}}) {
    f.invalid(name, "key 0 length " + std::to_string(v) + " (must be 8)",
              with_u32(base, entry_length(0), v), Error::kAppsKeyBadLength);
  }
  f.invalid("key-reserved-one", "key 1 reserved 1", with_u32(base, kApReqPacked + 8 + 4, 1),
            Error::kAppsKeyNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("key-reserved-high-byte", "key 0 reserved 0xff000000",
            with_u32(base, kApReqPacked + 4, 0xff000000u), Error::kAppsKeyNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("last-key-reserved", "key 2 reserved 0xffffffff", with_u32(base, kApReqPacked + 16 + 4, kU32Max),
            Error::kAppsKeyNonzeroReserved)
      .flag("NonzeroReserved");
}

// ---- responses: samples ----------------------------------------------------------------------

// Item 0: KNOWN docker "/a" "web" with labels k=v and app="" (81 bytes at packed 0); item 1:
// UNKNOWN_PERMANENT "/gone" (35 bytes at 88). Header and directory: 32 bytes.
OwnedCgroupsLookup cgroups_sample() {
  return {9,
          {{0, orchestrator::kDocker, "/a", "web", {{"k", "v"}, {"app", ""}}},
           {2, 0, "/gone", "", {}}}};
}
constexpr std::size_t kCg0 = 32;
constexpr std::size_t kCg1 = 32 + 88;

// Item 0: KNOWN k8s nginx with label ns=default (115 bytes at 0); item 1: UNKNOWN pid 7 (63
// at 120); item 2: KNOWN host-root systemd (70 at 184). Header and directory: 40 bytes.
OwnedAppsLookup apps_sample() {
  OwnedAppsLookupItem known{0, orchestrator::kK8s, 0, 42, 1, 1000, 123456789012ull,
                            "nginx", "/kubepods/x", "pod-x", {{"ns", "default"}}};
  OwnedAppsLookupItem unknown{1, 0, 0, 7, 0, kUidUnset, 0, "", "", "", {}};
  OwnedAppsLookupItem host{0, 0, 3, 1, 0, 0, 99, "systemd", "", "", {}};
  return {0, {known, unknown, host}};
}
constexpr std::size_t kAp0 = 40;
constexpr std::size_t kAp1 = 40 + 120;
constexpr std::size_t kAp2 = 40 + 184;

// String and label rules, on an item at `item` whose first string field is at `off`/`len`
// and whose label table (if any) is at `table`.
void add_string_cases(Family& f, const Bytes& base, std::size_t item, std::size_t fixed,
                      std::size_t off_field, std::size_t len_field, std::string_view what) {
  const std::string w(what);
  f.invalid(w + "-offset-in-fixed-part", w + " offset " + std::to_string(fixed - 1),
            with_u32(base, item + off_field, static_cast<std::uint32_t>(fixed - 1)),
            Error::kLookupStringOffsetLow);
  f.invalid(w + "-offset-zero", w + " offset 0", with_u32(base, item + off_field, 0),
            Error::kLookupStringOffsetLow);
  f.invalid(w + "-length-past-item", w + " length 0x1000",
            with_u32(base, item + len_field, 0x1000), Error::kLookupStringOutOfBounds);
  f.invalid(w + "-offset-max", w + " offset 0xffffffff: offset + length + 1 must not wrap",
            with_u32(base, item + off_field, kU32Max), Error::kLookupStringOutOfBounds);
}

void add_label_cases(Family& f, const Bytes& base, std::size_t item, std::size_t label_count_field,
                     std::size_t strings_end, std::size_t table) {
  f.invalid("label-count-too-large", "label_count 200: the table runs past the item",
            with_u16(base, item + label_count_field, 200), Error::kLookupLabelTableOutOfBounds);
  f.invalid("label-count-max", "label_count 0xffff", with_u16(base, item + label_count_field, kU16Max),
            Error::kLookupLabelTableOutOfBounds);
  f.invalid("padding-not-zero", "the first padding byte before the label table is 1",
            with_u8(base, item + strings_end, 1), Error::kLookupLabelPaddingNonzero);
  f.invalid("padding-last-byte-not-zero", "the last padding byte before the label table is 0x80",
            with_u8(base, item + table - 1, 0x80), Error::kLookupLabelPaddingNonzero);
  f.invalid("label-0-key-empty", "label 0 key_length 0", with_u32(base, item + table + ll::kKeyLength, 0),
            Error::kLookupLabelKeyEmpty);
  f.invalid("label-0-key-moved", "label 0 key_offset one past the table end",
            with_u32(base, item + table + ll::kKeyOffset,
                     load_u32le(base.data() + item + table + ll::kKeyOffset) + 1),
            Error::kLookupLabelNotPacked);
  f.invalid("label-0-value-moved", "label 0 value_offset one past the key's NUL",
            with_u32(base, item + table + ll::kValueOffset,
                     load_u32le(base.data() + item + table + ll::kValueOffset) + 1),
            Error::kLookupLabelNotPacked);
  f.invalid("label-0-value-nul-replaced", "the byte after label 0's value is 'x'",
            with_u8(base, item + load_u32le(base.data() + item + table + ll::kValueOffset) +
                              load_u32le(base.data() + item + table + ll::kValueLength),
                    'x'),
            Error::kLookupStringMissingNul);
  f.invalid("label-0-key-interior-nul", "label 0's key starts with NUL",
            with_u8(base, item + load_u32le(base.data() + item + table + ll::kKeyOffset), 0),
            Error::kLookupStringInteriorNul);
}

// ---- cgroups_lookup_response -----------------------------------------------------------------

void add_cgroups_response(Family& f) {
  const OwnedCgroupsLookup sample = cgroups_sample();
  const Bytes base = encoded(sample);
  const auto fields = [](const OwnedCgroupsLookup& s) { return tools::cgroups_lookup_to_json(s); };
  f.valid("canonical-two-items", "a KNOWN item with two labels and an UNKNOWN_PERMANENT item",
          base, fields(sample))
      .reqs({"LOOKUP-ENC-001", "LOOKUP-MSG-003"})
      .canonical();
  f.valid("empty-response", "no items, generation 5: the header alone",
          encoded(OwnedCgroupsLookup{5, {}}), fields(OwnedCgroupsLookup{5, {}}))
      .req("LOOKUP-ENC-001")
      .canonical();
  OwnedCgroupsLookup statuses{kU64Max, {}};
  for (std::uint16_t s = 0; s <= 4; ++s) statuses.items.push_back({s, 0, "/s" + std::to_string(s), "", {}});
  f.valid("every-status", "one item per status 0-4, generation 0xffffffffffffffff", encoded(statuses),
          fields(statuses))
      .req("LOOKUP-ENC-001")
      .canonical();
  OwnedCgroupsLookup orch{0, {{0, 999, "/o", "n", {}}, {0, orchestrator::kNspawn, "/p", "", {}}}};
  f.valid("unknown-orchestrator", "orchestrator 999 is kept", encoded(orch), fields(orch))
      .reqs({"LOOKUP-ORCH-001", "LOOKUP-ENC-001"})
      .canonical();
  OwnedCgroupsLookup orch_max{2, {{0, kU16Max, "/max", "m", {{"k", "v"}}}}};
  f.valid("orchestrator-max", "orchestrator 0xffff is kept", encoded(orch_max), fields(orch_max))
      .reqs({"LOOKUP-ORCH-001", "LOOKUP-ENC-001"})
      .canonical();
  f.valid("gap-bytes-not-zero", "the gap after item 0 holds 0xab", with_u8(base, kCg0 + 84, 0xab),
          fields(sample))
      .req("LOOKUP-DIR-004");
  f.valid("bytes-after-last-item", "2 bytes after the last item", concat(base, filled(2, 0xab)),
          fields(sample))
      .req("LOOKUP-DIR-004");
  OwnedCgroupsLookup gen = sample;
  gen.generation = 0x0102030405060708ull;
  f.valid("generation-all-bytes", "bytes 8-15 are one u64 generation", encoded(gen), fields(gen))
      .reqs({"LOOKUP-HDR-004", "LOOKUP-ENC-001"})
      .canonical();
  add_header_cases(f, base, 2);
  f.invalid("entry-1-misaligned", "item 1 at offset 92", with_u32(base, entry_offset(1), 92),
            Error::kLookupMisalignedOffset);
  f.invalid("entry-1-past-area", "item 1 length 36", with_u32(base, entry_length(1), 36),
            Error::kLookupEntryOutOfBounds);
  f.invalid("entries-overlap", "item 1 at offset 80, before item 0 ends at 81",
            with_u32(base, entry_offset(1), 80), Error::kLookupEntriesOverlap);
  f.invalid("entry-0-length-27", "item 0 length 27", with_u32(base, entry_length(0), 27),
            Error::kLookupItemTruncated);
  f.invalid("entry-1-length-zero", "item 1 length 0", with_u32(base, entry_length(1), 0),
            Error::kLookupItemTruncated);
  f.invalid("item-1-layout-two", "item 1 layout_version 2", with_u16(base, kCg1 + cl::kLayoutVersion, 2),
            Error::kLookupItemBadLayout);
  f.invalid("item-0-layout-zero", "item 0 layout_version 0", with_u16(base, kCg0 + cl::kLayoutVersion, 0),
            Error::kLookupItemBadLayout);
  f.invalid("item-1-reserved0", "item 1 reserved0 1", with_u16(base, kCg1 + cl::kReserved0, 1),
            Error::kLookupItemNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("item-0-reserved1", "item 0 reserved1 0x8000", with_u16(base, kCg0 + cl::kReserved1, 0x8000),
            Error::kLookupItemNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("item-1-trailing-byte", "item 1 is 36 bytes: one byte after its last NUL",
            concat(with_u32(base, entry_length(1), 36), filled(1, 0)), Error::kLookupItemTrailingBytes);
  f.invalid("item-0-trailing-byte-after-labels", "item 0 is 82 bytes: one byte after its last label",
            with_u32(base, entry_length(0), 82), Error::kLookupItemTrailingBytes);
  for (const auto& [name, v] : {std::pair{"status-five", std::uint16_t{5}},
                                std::pair{"status-max", kU16Max}, std::pair{"status-256", std::uint16_t{256}}}) {
    f.invalid(std::string("item-1-") + name, "item 1 status " + std::to_string(v),
              with_u16(base, kCg1 + cl::kStatus, v), Error::kCgroupsItemBadStatus);
  }
  f.invalid("item-1-empty-path", "item 1 path_length 0", with_u32(base, kCg1 + cl::kPathLength, 0),
            Error::kCgroupsItemEmptyPath);
  f.invalid("item-0-empty-path", "item 0 (KNOWN) path_length 0", with_u32(base, kCg0 + cl::kPathLength, 0),
            Error::kCgroupsItemEmptyPath);
  f.invalid("item-1-empty-path-retry-later", "item 1 status 1 and path_length 0",
            with_u16(with_u32(base, kCg1 + cl::kPathLength, 0), kCg1 + cl::kStatus, 1),
            Error::kCgroupsItemEmptyPath);
  f.invalid("item-1-unknown-orchestrator", "item 1 (UNKNOWN_PERMANENT) orchestrator 1",
            with_u16(base, kCg1 + cl::kOrchestrator, 1), Error::kCgroupsItemUnknownNotEmpty);
  f.invalid("item-1-unknown-name", "item 1 (UNKNOWN_PERMANENT) name_length 1",
            with_u32(base, kCg1 + cl::kNameLength, 1), Error::kCgroupsItemUnknownNotEmpty);
  f.invalid("item-0-not-known-with-labels", "item 0 status PAYLOAD_EXCEEDED with orchestrator, name and labels",
            with_u16(base, kCg0 + cl::kStatus, 3), Error::kCgroupsItemUnknownNotEmpty);
  add_string_cases(f, base, kCg1, cl::kSize, cl::kPathOffset, cl::kPathLength, "item-1-path");
  f.invalid("item-1-path-nul-replaced", "item 1's path NUL is 'x'", with_u8(base, kCg1 + 33, 'x'),
            Error::kLookupStringMissingNul);
  f.invalid("item-0-name-nul-replaced", "item 0's name NUL is 'x'", with_u8(base, kCg0 + 34, 'x'),
            Error::kLookupStringMissingNul);
  f.invalid("item-1-path-interior-nul", "item 1's path has a NUL at its second byte",
            with_u8(base, kCg1 + 29, 0), Error::kLookupStringInteriorNul);
  f.invalid("item-0-name-interior-nul", "item 0's name has a NUL at its first byte",
            with_u8(base, kCg0 + 31, 0), Error::kLookupStringInteriorNul);
  f.invalid("item-1-name-on-path-nul", "item 1 name_offset 33: the name would share the path's NUL",
            with_u32(base, kCg1 + cl::kNameOffset, 33), Error::kLookupStringsOverlap);
  f.invalid("item-0-name-is-path", "item 0 name at 28 length 2: the same bytes as the path",
            with_u32(with_u32(base, kCg0 + cl::kNameOffset, 28), kCg0 + cl::kNameLength, 2),
            Error::kLookupStringsOverlap);
  f.invalid("item-0-path-is-name", "item 0 path at 31 length 3: the same bytes as the name",
            with_u32(with_u32(base, kCg0 + cl::kPathOffset, 31), kCg0 + cl::kPathLength, 3),
            Error::kLookupStringsOverlap);
  add_label_cases(f, base, kCg0, cl::kLabelCount, 35, 40);
  f.invalid("label-1-key-empty", "label 1 key_length 0 (its value may be empty, its key not)",
            with_u32(base, kCg0 + 40 + ll::kSize + ll::kKeyLength, 0), Error::kLookupLabelKeyEmpty);
  f.invalid("order-entries-before-items", "item 0 layout 0 and entry 1 misaligned",
            with_u32(with_u16(base, kCg0 + cl::kLayoutVersion, 0), entry_offset(1), 92),
            Error::kLookupMisalignedOffset);
  f.invalid("order-status-before-strings", "item 1 status 9 and path offset 0",
            with_u32(with_u16(base, kCg1 + cl::kStatus, 9), kCg1 + cl::kPathOffset, 0),
            Error::kCgroupsItemBadStatus);
}

// ---- apps_lookup_response --------------------------------------------------------------------

void add_apps_response(Family& f) {
  const OwnedAppsLookup sample = apps_sample();
  const Bytes base = encoded(sample);
  const auto fields = [](const OwnedAppsLookup& s) { return tools::apps_lookup_to_json(s); };
  f.valid("canonical-three-items", "KNOWN with a label, UNKNOWN, KNOWN host-root", base, fields(sample))
      .reqs({"LOOKUP-ENC-001", "LOOKUP-MSG-003"})
      .canonical();
  f.valid("empty-response", "no items", encoded(OwnedAppsLookup{1, {}}), fields(OwnedAppsLookup{1, {}}))
      .req("LOOKUP-ENC-001")
      .canonical();
  OwnedAppsLookup cg{3, {}};
  cg.items.push_back({0, 1, 0, 10, 1, 0, 5, "a", "/system.slice/a", "a", {}});
  cg.items.push_back({0, 0, 1, 11, 1, 0, 5, "b", "", "", {}});
  cg.items.push_back({0, 0, 1, 12, 1, 0, 5, "c", "/pending", "", {}});
  cg.items.push_back({0, 0, 2, 13, 1, 0, 5, "123456789012345", "/gone", "", {}});
  cg.items.push_back({2, 0, 0, 14, 0, kUidUnset, 0, "", "", "", {}});
  cg.items.push_back({3, 0, 0, 15, 0, kUidUnset, 0, "", "", "", {}});
  f.valid("every-cgroup-status", "each cgroup_status with its allowed fields, a 15-byte comm, "
          "PAYLOAD_EXCEEDED and OVERSIZED_ITEM", encoded(cg), fields(cg))
      .reqs({"LOOKUP-APITEM-006", "LOOKUP-APITEM-003", "LOOKUP-ENC-001"})
      .canonical();
  OwnedAppsLookup orch{0, {{0, 4711, 0, 9, 1, 0, 0, "x", "/x", "", {{"a", "b"}, {"c", ""}}}}};
  f.valid("unknown-orchestrator", "orchestrator 4711 is kept", encoded(orch), fields(orch))
      .reqs({"LOOKUP-ORCH-001", "LOOKUP-ENC-001"})
      .canonical();
  f.valid("gap-bytes-not-zero", "the gap after item 0 holds 0x5a", with_u8(base, kAp0 + 117, 0x5a),
          fields(sample))
      .req("LOOKUP-DIR-004");
  f.valid("bytes-after-last-item", "8 bytes after the last item", concat(base, filled(8, 0)), fields(sample))
      .req("LOOKUP-DIR-004");
  add_header_cases(f, base, 3);
  f.invalid("entry-2-misaligned", "item 2 at offset 186", with_u32(base, entry_offset(2), 186),
            Error::kLookupMisalignedOffset);
  f.invalid("entry-2-past-area", "item 2 length 71", with_u32(base, entry_length(2), 71),
            Error::kLookupEntryOutOfBounds);
  f.invalid("entries-overlap", "item 1 at offset 112, inside item 0",
            with_u32(base, entry_offset(1), 112), Error::kLookupEntriesOverlap);
  f.invalid("entry-1-length-59", "item 1 length 59", with_u32(base, entry_length(1), 59),
            Error::kLookupItemTruncated);
  f.invalid("entry-2-length-28", "item 2 length 28 (a cgroups item size)", with_u32(base, entry_length(2), 28),
            Error::kLookupItemTruncated);
  f.invalid("item-2-layout-two", "item 2 layout_version 2", with_u16(base, kAp2 + al::kLayoutVersion, 2),
            Error::kLookupItemBadLayout);
  f.invalid("item-1-reserved0", "item 1 reserved0 1", with_u32(base, kAp1 + al::kReserved0, 1),
            Error::kLookupItemNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("item-2-reserved1", "item 2 reserved1 1", with_u16(base, kAp2 + al::kReserved1, 1),
            Error::kLookupItemNonzeroReserved)
      .flag("NonzeroReserved");
  f.invalid("item-2-trailing-byte", "item 2 is 71 bytes", concat(with_u32(base, entry_length(2), 71), filled(1, 0)),
            Error::kLookupItemTrailingBytes);
  f.invalid("item-0-trailing-bytes-after-labels", "item 0 is 120 bytes: 5 bytes after its last label",
            with_u32(base, entry_length(0), 120), Error::kLookupItemTrailingBytes);
  for (const auto& [name, v] : {std::pair{"four", std::uint16_t{4}}, std::pair{"max", kU16Max},
                                std::pair{"ten", std::uint16_t{10}}}) {
    f.invalid(std::string("item-1-status-") + name, "item 1 status " + std::to_string(v),
              with_u16(base, kAp1 + al::kStatus, v), Error::kAppsItemBadStatus);
  }
  for (const auto& [name, v] : {std::pair{"four", std::uint16_t{4}}, std::pair{"max", kU16Max},
                                std::pair{"eight", std::uint16_t{8}}}) {
    f.invalid(std::string("item-0-cgroup-status-") + name, "item 0 cgroup_status " + std::to_string(v),
              with_u16(base, kAp0 + al::kCgroupStatus, v), Error::kAppsItemBadCgroupStatus);
  }
  f.invalid("item-0-comm-16", "item 0 comm_length 16", with_u32(base, kAp0 + al::kCommLength, 16),
            Error::kAppsItemCommTooLong);
  f.invalid("item-1-comm-max", "item 1 (UNKNOWN) comm_length 0xffffffff", with_u32(base, kAp1 + al::kCommLength, kU32Max),
            Error::kAppsItemCommTooLong);
  f.invalid("item-2-comm-100", "item 2 comm_length 100", with_u32(base, kAp2 + al::kCommLength, 100),
            Error::kAppsItemCommTooLong);
  f.invalid("item-1-unknown-ppid", "item 1 (UNKNOWN) ppid 1", with_u32(base, kAp1 + al::kPpid, 1),
            Error::kAppsItemUnknownNotEmpty);
  f.invalid("item-1-unknown-uid-zero", "item 1 (UNKNOWN) uid 0, not unset", with_u32(base, kAp1 + al::kUid, 0),
            Error::kAppsItemUnknownNotEmpty);
  f.invalid("item-1-unknown-starttime", "item 1 (UNKNOWN) starttime 1", with_u64(base, kAp1 + al::kStarttime, 1),
            Error::kAppsItemUnknownNotEmpty);
  f.invalid("item-1-unknown-cgroup-status", "item 1 (UNKNOWN) cgroup_status 3",
            with_u16(base, kAp1 + al::kCgroupStatus, 3), Error::kAppsItemUnknownNotEmpty);
  f.invalid("item-2-comm-empty", "item 2 (KNOWN) comm_length 0", with_u32(base, kAp2 + al::kCommLength, 0),
            Error::kAppsItemCommEmpty);
  f.invalid("item-0-comm-empty", "item 0 (KNOWN) comm_length 0", with_u32(base, kAp0 + al::kCommLength, 0),
            Error::kAppsItemCommEmpty);
  f.invalid("item-2-retry-later-comm-empty", "item 2 cgroup_status 1 and comm_length 0",
            with_u16(with_u32(base, kAp2 + al::kCommLength, 0), kAp2 + al::kCgroupStatus, 1),
            Error::kAppsItemCommEmpty);
  f.invalid("item-2-host-root-with-path", "item 2 (HOST_ROOT) cgroup_path_length 1",
            with_u32(base, kAp2 + al::kCgroupPathLength, 1), Error::kAppsItemCgroupMismatch);
  f.invalid("item-2-host-root-with-orchestrator", "item 2 (HOST_ROOT) orchestrator 1",
            with_u16(base, kAp2 + al::kOrchestrator, 1), Error::kAppsItemCgroupMismatch);
  f.invalid("item-0-permanent-with-name", "item 0 cgroup_status UNKNOWN_PERMANENT with orchestrator, name, labels",
            with_u16(base, kAp0 + al::kCgroupStatus, 2), Error::kAppsItemCgroupMismatch);
  f.invalid("item-0-retry-later-with-labels", "item 0 cgroup_status UNKNOWN_RETRY_LATER with labels",
            with_u16(base, kAp0 + al::kCgroupStatus, 1), Error::kAppsItemCgroupMismatch);
  f.invalid("item-2-known-cgroup-no-path", "item 2 cgroup_status KNOWN with no path",
            with_u16(base, kAp2 + al::kCgroupStatus, 0), Error::kAppsItemCgroupMismatch);
  add_string_cases(f, base, kAp0, al::kSize, al::kCgroupPathOffset, al::kCgroupPathLength,
                   "item-0-cgroup-path");
  f.invalid("item-0-comm-offset-low", "item 0 comm_offset 59",
            with_u32(base, kAp0 + al::kCommOffset, 59), Error::kLookupStringOffsetLow);
  f.invalid("item-2-comm-nul-replaced", "item 2's comm NUL is 'x'", with_u8(base, kAp2 + 67, 'x'),
            Error::kLookupStringMissingNul);
  f.invalid("item-0-cgroup-name-nul-replaced", "item 0's cgroup_name NUL is 'x'",
            with_u8(base, kAp0 + 83, 'x'), Error::kLookupStringMissingNul);
  f.invalid("item-0-comm-interior-nul", "item 0's comm has a NUL at its third byte",
            with_u8(base, kAp0 + 62, 0), Error::kLookupStringInteriorNul);
  f.invalid("item-0-cgroup-path-interior-nul", "item 0's cgroup_path has a NUL inside",
            with_u8(base, kAp0 + 70, 0), Error::kLookupStringInteriorNul);
  f.invalid("item-2-name-on-comm", "item 2 cgroup_name_offset 67: the comm's NUL",
            with_u32(base, kAp2 + al::kCgroupNameOffset, 67), Error::kLookupStringsOverlap);
  f.invalid("item-2-path-on-name", "item 2 cgroup_path_offset 69: the cgroup_name's NUL",
            with_u32(base, kAp2 + al::kCgroupPathOffset, 69), Error::kLookupStringsOverlap);
  f.invalid("item-0-name-on-path", "item 0 cgroup_name at 66 length 11: the path's bytes",
            with_u32(with_u32(base, kAp0 + al::kCgroupNameOffset, 66), kAp0 + al::kCgroupNameLength, 11),
            Error::kLookupStringsOverlap);
  add_label_cases(f, base, kAp0, al::kLabelCount, 84, 88);
}

}  // namespace

Family cgroups_lookup_request_family() {
  Family f("cgroups_lookup_request",
           "CGROUPS_LOOKUP request payloads (spec/lookup.md, newest revision): header, directory "
           "and NUL-terminated cgroup path keys.");
  f.set_revision(kRevision);
  add_cgroups_request(f);
  return f;
}

Family cgroups_lookup_response_family() {
  Family f("cgroups_lookup_response",
           "CGROUPS_LOOKUP response payloads (spec/lookup.md, newest revision): header with "
           "generation, directory and items with strings and labels, validated completely.");
  f.set_revision(kRevision);
  add_cgroups_response(f);
  return f;
}

Family apps_lookup_request_family() {
  Family f("apps_lookup_request",
           "APPS_LOOKUP request payloads (spec/lookup.md, newest revision): header, directory "
           "and 8-byte pid keys.");
  f.set_revision(kRevision);
  add_apps_request(f);
  return f;
}

Family apps_lookup_response_family() {
  Family f("apps_lookup_response",
           "APPS_LOOKUP response payloads (spec/lookup.md, newest revision): header with "
           "generation, directory and process items with strings and labels.");
  f.set_revision(kRevision);
  add_apps_response(f);
  return f;
}

}  // namespace nipc::vectors
