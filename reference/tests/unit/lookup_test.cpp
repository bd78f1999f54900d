// CGROUPS_LOOKUP and APPS_LOOKUP (spec/lookup.md): canonical encodings of fixed samples, one
// exact error per decoder rule (each a single patch of a valid sample), rejection of every
// truncated prefix, round trips and the accepted deviations.
#include "nipc/codec/lookup.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;

// ---------------------------------------------------------------------------------------
// Samples. Offsets below are derived by hand from spec/lookup.md, not from the encoder.

const LookupLabel kWebLabels[] = {{"k", "v"}, {"app", ""}};

// Two items: KNOWN docker "/a" "web" with two labels (81 bytes at packed 0) and
// UNKNOWN_PERMANENT "/gone" (35 bytes at packed 88). Header + directory = 32 bytes.
std::vector<CgroupsLookupItem> cgroups_items() {
  return {{0, orchestrator::kDocker, "/a", "web", kWebLabels}, {2, 0, "/gone", "", {}}};
}
constexpr std::size_t kCgItem0 = 32;
constexpr std::size_t kCgItem1 = 32 + 88;
constexpr std::size_t kCgSize = 32 + 88 + 35;

const LookupLabel kPodLabels[] = {{"ns", "default"}};

// Three items: KNOWN k8s nginx with one label (115 bytes at packed 0), UNKNOWN pid 7 (63 at
// 120), KNOWN host-root systemd (70 at 184). Header + directory = 40 bytes.
std::vector<AppsLookupItem> apps_items() {
  AppsLookupItem known{0, orchestrator::kK8s, 0, 42, 1, 1000, 123456789012ull,
                       "nginx", "/kubepods/x", "pod-x", kPodLabels};
  AppsLookupItem unknown{1, 0, 0, 7, 0, kUidUnset, 0, "", "", "", {}};
  AppsLookupItem host{0, 0, 3, 1, 0, 0, 99, "systemd", "", "", {}};
  return {known, unknown, host};
}
constexpr std::size_t kApItem0 = 40;
constexpr std::size_t kApItem1 = 40 + 120;
constexpr std::size_t kApItem2 = 40 + 184;
constexpr std::size_t kApSize = 40 + 184 + 70;

const std::string_view kPaths[] = {"/a", "/sys/fs/cgroup/x"};  // keys at 0 (3) and 8 (17)
constexpr std::size_t kCgReqSize = 16 + 16 + 8 + 17;
const std::uint32_t kPids[] = {1, 2, 0xFFFFFFFFu};
constexpr std::size_t kApReqSize = 16 + 24 + 24;

Bytes cgroups_response() {
  const auto items = cgroups_items();
  Bytes out(static_cast<std::size_t>(cgroups_lookup_response_encoded_size(items)), 0xEE);
  auto n = encode_cgroups_lookup_response(9, items, MutableBytes(out));
  EXPECT_TRUE(n.ok());
  return out;
}
Bytes apps_response() {
  const auto items = apps_items();
  Bytes out(static_cast<std::size_t>(apps_lookup_response_encoded_size(items)), 0xEE);
  auto n = encode_apps_lookup_response(0, items, MutableBytes(out));
  EXPECT_TRUE(n.ok());
  return out;
}
Bytes cgroups_request() {
  Bytes out(static_cast<std::size_t>(cgroups_lookup_request_encoded_size(kPaths)), 0xEE);
  EXPECT_TRUE(encode_cgroups_lookup_request(kPaths, MutableBytes(out)).ok());
  return out;
}
Bytes apps_request() {
  Bytes out(static_cast<std::size_t>(apps_lookup_request_encoded_size(3)), 0xEE);
  EXPECT_TRUE(encode_apps_lookup_request(kPids, MutableBytes(out)).ok());
  return out;
}

enum class Family { kCgReq, kApReq, kCgResp, kApResp };

Bytes sample(Family f) {
  switch (f) {
    case Family::kCgReq: return cgroups_request();
    case Family::kApReq: return apps_request();
    case Family::kCgResp: return cgroups_response();
    case Family::kApResp: return apps_response();
  }
  return {};
}

Result<void> decode(Family f, const Bytes& b) {
  const ConstBytes c(b);
  switch (f) {
    case Family::kCgReq: { auto r = CgroupsLookupRequestView::parse(c); if (!r) return r.error(); break; }
    case Family::kApReq: { auto r = AppsLookupRequestView::parse(c); if (!r) return r.error(); break; }
    case Family::kCgResp: { auto r = CgroupsLookupResponseView::parse(c); if (!r) return r.error(); break; }
    case Family::kApResp: { auto r = AppsLookupResponseView::parse(c); if (!r) return r.error(); break; }
  }
  return {};
}

void put16(Bytes& b, std::size_t at, std::uint16_t v) { store_u16le(&b[at], v); }
void put32(Bytes& b, std::size_t at, std::uint32_t v) { store_u32le(&b[at], v); }

struct RuleCase {
  const char* name;
  const char* requirement;
  Family family;
  std::function<void(Bytes&)> patch;
  Error error;
};

namespace C = cgroups_lookup_item_layout;
namespace A = apps_lookup_item_layout;

// One patch per rule, each applied to a valid sample.
const std::vector<RuleCase>& rule_cases() {
  static const std::vector<RuleCase> cases = {
      {"request_header_cut", "LOOKUP-HDR-001", Family::kCgReq, [](Bytes& b) { b.resize(15); }, Error::kLookupTruncated},
      {"response_header_cut", "LOOKUP-HDR-001", Family::kApResp, [](Bytes& b) { b.resize(8); }, Error::kLookupTruncated},
      {"layout_two", "LOOKUP-HDR-002", Family::kCgResp, [](Bytes& b) { put16(b, 0, 2); }, Error::kLookupBadLayout},
      {"request_layout_zero", "LOOKUP-HDR-002", Family::kApReq, [](Bytes& b) { put16(b, 0, 0); }, Error::kLookupBadLayout},
      {"flags_one", "LOOKUP-HDR-003", Family::kApResp, [](Bytes& b) { put16(b, 2, 1); }, Error::kLookupNonzeroFlags},
      {"request_flags", "LOOKUP-HDR-003", Family::kCgReq, [](Bytes& b) { put16(b, 2, 0x8000); }, Error::kLookupNonzeroFlags},
      {"reserved0", "LOOKUP-HDR-004", Family::kCgReq, [](Bytes& b) { put32(b, 8, 1); }, Error::kLookupNonzeroReserved},
      {"reserved1", "LOOKUP-HDR-004", Family::kApReq, [](Bytes& b) { put32(b, 12, 0x80000000u); }, Error::kLookupNonzeroReserved},
      {"count_huge", "LOOKUP-HDR-005", Family::kCgResp, [](Bytes& b) { put32(b, 4, 0xFFFFFFFFu); }, Error::kLookupDirectoryTruncated},
      {"count_one_too_many_keys", "LOOKUP-HDR-005", Family::kApReq, [](Bytes& b) { put32(b, 4, 7); }, Error::kLookupDirectoryTruncated},
      {"misaligned_item", "LOOKUP-DIR-001", Family::kCgResp, [](Bytes& b) { put32(b, 24, 89); }, Error::kLookupMisalignedOffset},
      {"misaligned_key", "LOOKUP-DIR-001", Family::kApReq, [](Bytes& b) { put32(b, 24, 12); }, Error::kLookupMisalignedOffset},
      {"item_past_area", "LOOKUP-DIR-002", Family::kCgResp, [](Bytes& b) { put32(b, 28, 36); }, Error::kLookupEntryOutOfBounds},
      {"key_past_area", "LOOKUP-DIR-002", Family::kCgReq, [](Bytes& b) { put32(b, 28, 18); }, Error::kLookupEntryOutOfBounds},
      {"items_overlap", "LOOKUP-DIR-003", Family::kCgResp, [](Bytes& b) { put32(b, 24, 80); }, Error::kLookupEntriesOverlap},
      {"keys_out_of_order", "LOOKUP-DIR-003", Family::kApReq, [](Bytes& b) { put32(b, 32, 0); }, Error::kLookupEntriesOverlap},
      {"key_length_one", "LOOKUP-CGKEY-001", Family::kCgReq, [](Bytes& b) { put32(b, 20, 1); }, Error::kCgroupsKeyTooShort},
      {"key_without_nul", "LOOKUP-CGKEY-002", Family::kCgReq, [](Bytes& b) { put32(b, 20, 2); }, Error::kCgroupsKeyMissingNul},
      {"key_interior_nul", "LOOKUP-CGKEY-003", Family::kCgReq, [](Bytes& b) { b[32 + 8 + 3] = 0; }, Error::kCgroupsKeyInteriorNul},
      {"apps_key_seven", "LOOKUP-APKEY-001", Family::kApReq, [](Bytes& b) { put32(b, 20, 7); }, Error::kAppsKeyBadLength},
      {"apps_key_reserved", "LOOKUP-APKEY-002", Family::kApReq, [](Bytes& b) { b[40 + 8 + 4] = 1; }, Error::kAppsKeyNonzeroReserved},
      {"item_27_bytes", "LOOKUP-ITEM-001", Family::kCgResp, [](Bytes& b) { put32(b, 28, 27); }, Error::kLookupItemTruncated},
      {"apps_item_59_bytes", "LOOKUP-ITEM-001", Family::kApResp, [](Bytes& b) { put32(b, 28, 59); }, Error::kLookupItemTruncated},
      {"item_layout", "LOOKUP-ITEM-002", Family::kCgResp, [](Bytes& b) { put16(b, kCgItem1, 2); }, Error::kLookupItemBadLayout},
      {"item_reserved0", "LOOKUP-ITEM-003", Family::kCgResp, [](Bytes& b) { put16(b, kCgItem1 + C::kReserved0, 1); }, Error::kLookupItemNonzeroReserved},
      {"apps_item_reserved1", "LOOKUP-ITEM-003", Family::kApResp, [](Bytes& b) { put16(b, kApItem2 + A::kReserved1, 1); }, Error::kLookupItemNonzeroReserved},
      {"item_trailing_byte", "LOOKUP-ITEM-004", Family::kCgResp, [](Bytes& b) { put32(b, 32 - 4, 36); b.push_back(0); }, Error::kLookupItemTrailingBytes},
      {"labelled_item_trailing_byte", "LOOKUP-ITEM-004", Family::kCgResp, [](Bytes& b) { put32(b, 20, 82); }, Error::kLookupItemTrailingBytes},
      {"status_five", "LOOKUP-CGITEM-001", Family::kCgResp, [](Bytes& b) { put16(b, kCgItem1 + C::kStatus, 5); }, Error::kCgroupsItemBadStatus},
      {"empty_path", "LOOKUP-CGITEM-002", Family::kCgResp, [](Bytes& b) { put32(b, kCgItem1 + C::kPathLength, 0); }, Error::kCgroupsItemEmptyPath},
      {"unknown_with_orchestrator", "LOOKUP-CGITEM-003", Family::kCgResp, [](Bytes& b) { put16(b, kCgItem1 + C::kOrchestrator, 1); }, Error::kCgroupsItemUnknownNotEmpty},
      {"apps_status_four", "LOOKUP-APITEM-001", Family::kApResp, [](Bytes& b) { put16(b, kApItem1 + A::kStatus, 4); }, Error::kAppsItemBadStatus},
      {"apps_cgroup_status_four", "LOOKUP-APITEM-002", Family::kApResp, [](Bytes& b) { put16(b, kApItem0 + A::kCgroupStatus, 4); }, Error::kAppsItemBadCgroupStatus},
      {"apps_comm_sixteen", "LOOKUP-APITEM-003", Family::kApResp, [](Bytes& b) { put32(b, kApItem0 + A::kCommLength, 16); }, Error::kAppsItemCommTooLong},
      {"apps_unknown_with_ppid", "LOOKUP-APITEM-004", Family::kApResp, [](Bytes& b) { put32(b, kApItem1 + A::kPpid, 1); }, Error::kAppsItemUnknownNotEmpty},
      {"apps_unknown_with_uid", "LOOKUP-APITEM-004", Family::kApResp, [](Bytes& b) { put32(b, kApItem1 + A::kUid, 0); }, Error::kAppsItemUnknownNotEmpty},
      {"apps_known_empty_comm", "LOOKUP-APITEM-005", Family::kApResp, [](Bytes& b) { put32(b, kApItem2 + A::kCommLength, 0); }, Error::kAppsItemCommEmpty},
      {"apps_host_root_with_path", "LOOKUP-APITEM-006", Family::kApResp, [](Bytes& b) { put32(b, kApItem2 + A::kCgroupPathLength, 1); }, Error::kAppsItemCgroupMismatch},
      {"apps_permanent_with_orchestrator", "LOOKUP-APITEM-006", Family::kApResp, [](Bytes& b) { put16(b, kApItem0 + A::kCgroupStatus, 2); }, Error::kAppsItemCgroupMismatch},
      {"string_in_fixed_part", "LOOKUP-STR-001", Family::kCgResp, [](Bytes& b) { put32(b, kCgItem1 + C::kPathOffset, 27); }, Error::kLookupStringOffsetLow},
      {"string_past_item", "LOOKUP-STR-002", Family::kCgResp, [](Bytes& b) { put32(b, kCgItem1 + C::kPathLength, 10); }, Error::kLookupStringOutOfBounds},
      {"string_without_nul", "LOOKUP-STR-003", Family::kCgResp, [](Bytes& b) { b[kCgItem1 + 33] = 'x'; }, Error::kLookupStringMissingNul},
      {"label_value_without_nul", "LOOKUP-STR-003", Family::kCgResp, [](Bytes& b) { b[kCgItem0 + 75] = 'x'; }, Error::kLookupStringMissingNul},
      {"string_interior_nul", "LOOKUP-STR-004", Family::kCgResp, [](Bytes& b) { b[kCgItem1 + 29] = 0; }, Error::kLookupStringInteriorNul},
      {"apps_comm_interior_nul", "LOOKUP-STR-004", Family::kApResp, [](Bytes& b) { b[kApItem0 + 62] = 0; }, Error::kLookupStringInteriorNul},
      {"strings_overlap", "LOOKUP-STR-005", Family::kCgResp, [](Bytes& b) { put32(b, kCgItem1 + C::kNameOffset, 33); }, Error::kLookupStringsOverlap},
      {"label_table_too_long", "LOOKUP-LABEL-001", Family::kCgResp, [](Bytes& b) { put16(b, kCgItem0 + C::kLabelCount, 3); }, Error::kLookupLabelTableOutOfBounds},
      {"label_padding", "LOOKUP-LABEL-002", Family::kCgResp, [](Bytes& b) { b[kCgItem0 + 36] = 1; }, Error::kLookupLabelPaddingNonzero},
      {"label_empty_key", "LOOKUP-LABEL-003", Family::kCgResp, [](Bytes& b) { put32(b, kCgItem0 + 40 + 4, 0); }, Error::kLookupLabelKeyEmpty},
      {"label_key_moved", "LOOKUP-LABEL-004", Family::kCgResp, [](Bytes& b) { put32(b, kCgItem0 + 40, 73); }, Error::kLookupLabelNotPacked},
      {"label_value_moved", "LOOKUP-LABEL-004", Family::kApResp, [](Bytes& b) { put32(b, kApItem0 + 88 + 8, 108); }, Error::kLookupLabelNotPacked},
  };
  return cases;
}

TEST(LookupEncode, WritesTheSizesTheSpecLayoutGives) {
  REQUIREMENT("LOOKUP-ENC-001");
  EXPECT_EQ(cgroups_response().size(), kCgSize);
  EXPECT_EQ(apps_response().size(), kApSize);
  EXPECT_EQ(cgroups_request().size(), kCgReqSize);
  EXPECT_EQ(apps_request().size(), kApReqSize);
}

TEST(LookupEncode, CgroupsRequestIsHeaderDirectoryAndAlignedKeys) {
  REQUIREMENT("LOOKUP-CGKEY-004");
  EXPECT_EQ(testing::to_hex(cgroups_request()),
            testing::to_hex(testing::from_hex(
                "01 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 "
                "00 00 00 00 03 00 00 00 08 00 00 00 11 00 00 00 "
                "2f 61 00 00 00 00 00 00 "
                "2f 73 79 73 2f 66 73 2f 63 67 72 6f 75 70 2f 78 00")));
}

TEST(LookupEncode, AppsRequestPacksKeysContiguously) {
  REQUIREMENT("LOOKUP-APKEY-003");
  EXPECT_EQ(testing::to_hex(apps_request()),
            testing::to_hex(testing::from_hex(
                "01 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00 "
                "00 00 00 00 08 00 00 00 08 00 00 00 08 00 00 00 10 00 00 00 08 00 00 00 "
                "01 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 ff ff ff ff 00 00 00 00")));
}

TEST(LookupEncode, CgroupsItemHasStringsThenPaddedLabelTableThenLabelStrings) {
  REQUIREMENT("LOOKUP-ENC-001");
  const Bytes b = cgroups_response();
  const auto u32 = [&](std::size_t at) { return load_u32le(&b[at]); };
  EXPECT_EQ(u32(16), 0u);
  EXPECT_EQ(u32(20), 81u);
  EXPECT_EQ(u32(24), 88u);
  EXPECT_EQ(u32(28), 35u);
  EXPECT_EQ(u32(kCgItem0 + C::kPathOffset), 28u);
  EXPECT_EQ(u32(kCgItem0 + C::kNameOffset), 31u);
  for (std::size_t i = 35; i < 40; ++i) EXPECT_EQ(b[kCgItem0 + i], 0) << i;  // padding
  EXPECT_EQ(u32(kCgItem0 + 40), 72u);  // first key right after the 2-entry table
  EXPECT_EQ(u32(kCgItem0 + 48), 74u);
  EXPECT_EQ(u32(kCgItem0 + 56), 76u);
  EXPECT_EQ(u32(kCgItem0 + 64), 80u);
  for (std::size_t i = 81; i < 88; ++i) EXPECT_EQ(b[kCgItem0 + i], 0) << i;  // gap
}

TEST(LookupDecode, CgroupsResponseRoundTrips) {
  REQUIREMENT("LOOKUP-MSG-003");
  const Bytes b = cgroups_response();
  auto view = CgroupsLookupResponseView::parse(ConstBytes(b));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  EXPECT_EQ(view->generation(), 9u);
  ASSERT_EQ(view->size(), 2u);
  auto i0 = view->item(0);
  ASSERT_TRUE(i0.ok());
  EXPECT_EQ(i0->status, 0);
  EXPECT_EQ(i0->orchestrator, orchestrator::kDocker);
  EXPECT_EQ(i0->path, "/a");
  EXPECT_EQ(i0->name, "web");
  ASSERT_EQ(i0->labels.size(), 2u);
  EXPECT_EQ(i0->labels[0], kWebLabels[0]);
  EXPECT_EQ(i0->labels[1], kWebLabels[1]);
  auto i1 = view->item(1);
  ASSERT_TRUE(i1.ok());
  EXPECT_EQ(i1->status, 2);
  EXPECT_EQ(i1->path, "/gone");
  EXPECT_EQ(i1->labels.size(), 0u);
  EXPECT_EQ(view->item(2).error(), Error::kBatchIndexOutOfRange);
  // Re-encode from the view.
  std::vector<LookupLabel> labels = {i0->labels[0], i0->labels[1]};
  std::vector<CgroupsLookupItem> again = {{i0->status, i0->orchestrator, i0->path, i0->name, labels},
                                          {i1->status, i1->orchestrator, i1->path, i1->name, {}}};
  Bytes out(b.size());
  ASSERT_TRUE(encode_cgroups_lookup_response(view->generation(), again, MutableBytes(out)).ok());
  EXPECT_EQ(out, b);
}

TEST(LookupDecode, AppsResponseRoundTrips) {
  REQUIREMENT("LOOKUP-MSG-003");
  const Bytes b = apps_response();
  auto view = AppsLookupResponseView::parse(ConstBytes(b));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  ASSERT_EQ(view->size(), 3u);
  EXPECT_EQ(view->generation(), 0u);
  auto i0 = view->item(0);
  ASSERT_TRUE(i0.ok());
  EXPECT_EQ(i0->pid, 42u);
  EXPECT_EQ(i0->uid, 1000u);
  EXPECT_EQ(i0->starttime, 123456789012ull);
  EXPECT_EQ(i0->comm, "nginx");
  EXPECT_EQ(i0->cgroup_path, "/kubepods/x");
  EXPECT_EQ(i0->cgroup_name, "pod-x");
  ASSERT_EQ(i0->labels.size(), 1u);
  EXPECT_EQ(i0->labels[0], kPodLabels[0]);
  auto i1 = view->item(1);
  ASSERT_TRUE(i1.ok());
  EXPECT_EQ(i1->status, 1);
  EXPECT_EQ(i1->uid, kUidUnset);
  auto i2 = view->item(2);
  ASSERT_TRUE(i2.ok());
  EXPECT_EQ(i2->cgroup_status, 3);
  EXPECT_EQ(i2->comm, "systemd");
}

TEST(LookupDecode, RequestsRoundTrip) {
  REQUIREMENT("LOOKUP-MSG-003");
  const Bytes c = cgroups_request();
  auto cv = CgroupsLookupRequestView::parse(ConstBytes(c));
  ASSERT_TRUE(cv.ok()) << error_name(cv.error());
  ASSERT_EQ(cv->size(), 2u);
  EXPECT_EQ(*cv->path(0), "/a");
  EXPECT_EQ(*cv->path(1), "/sys/fs/cgroup/x");
  const Bytes a = apps_request();
  auto av = AppsLookupRequestView::parse(ConstBytes(a));
  ASSERT_TRUE(av.ok()) << error_name(av.error());
  ASSERT_EQ(av->size(), 3u);
  EXPECT_EQ(*av->pid(2), 0xFFFFFFFFu);
  EXPECT_EQ(av->pid(3).error(), Error::kBatchIndexOutOfRange);
}

TEST(LookupDecode, EmptyPayloadsAreTheHeaderAlone) {
  REQUIREMENT("LOOKUP-ENC-001");
  Bytes out(16, 0xEE);
  ASSERT_TRUE(encode_cgroups_lookup_response(5, {}, MutableBytes(out)).ok());
  EXPECT_EQ(testing::to_hex(out), testing::to_hex(testing::from_hex(
                                      "01 00 00 00 00 00 00 00 05 00 00 00 00 00 00 00")));
  EXPECT_TRUE(AppsLookupResponseView::parse(ConstBytes(out)).ok());
  Bytes req(16, 0xEE);
  ASSERT_TRUE(encode_apps_lookup_request({}, MutableBytes(req)).ok());
  EXPECT_TRUE(CgroupsLookupRequestView::parse(ConstBytes(req)).ok());
}

TEST(LookupDecode, EachRuleRejectsItsPatchWithItsOwnError) {
  for (const RuleCase& c : rule_cases()) {
    REQUIREMENT(c.requirement);
    Bytes b = sample(c.family);
    ASSERT_TRUE(decode(c.family, b).ok()) << c.name << ": the unpatched sample must decode";
    c.patch(b);
    Result<void> r = decode(c.family, b);
    ASSERT_FALSE(r.ok()) << c.name << " was accepted";
    EXPECT_EQ(r.error(), c.error) << c.name;
    EXPECT_EQ(error_info(c.error).requirement, std::string_view(c.requirement)) << c.name;
  }
}

TEST(LookupDecode, EveryRuleOfTheChapterHasAPatchCase) {
  std::vector<std::string> covered;
  for (const RuleCase& c : rule_cases()) covered.emplace_back(c.requirement);
  for (const ErrorInfo& row : error_table()) {
    if (!row.requirement.starts_with("LOOKUP-")) continue;
    EXPECT_NE(std::find(covered.begin(), covered.end(), std::string(row.requirement)),
              covered.end())
        << row.name << " (" << row.requirement << ") has no case";
  }
}

TEST(LookupDecode, RejectsEveryTruncatedPrefix) {
  REQUIREMENT("LOOKUP-HDR-001");
  for (Family f : {Family::kCgReq, Family::kApReq, Family::kCgResp, Family::kApResp}) {
    const Bytes full = sample(f);
    for (std::size_t n = 0; n < full.size(); ++n) {
      const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
      Result<void> r = decode(f, cut);
      ASSERT_FALSE(r.ok()) << "family " << static_cast<int>(f) << " prefix " << n;
      if (n < 16) {
        EXPECT_EQ(r.error(), Error::kLookupTruncated) << n;
      }
    }
  }
}

TEST(LookupDecode, AcceptsGapBytesAndBytesAfterTheLastItem) {
  REQUIREMENT("LOOKUP-DIR-004");
  Bytes b = cgroups_response();
  b[kCgItem0 + 84] = 0x5A;  // gap between item 0 (81 bytes) and item 1 (at 88)
  b.push_back(0x77);
  EXPECT_TRUE(CgroupsLookupResponseView::parse(ConstBytes(b)).ok());
  Bytes r = cgroups_request();
  r[32 + 4] = 0x5A;  // gap after "/a\0"
  r.push_back(1);
  EXPECT_TRUE(CgroupsLookupRequestView::parse(ConstBytes(r)).ok());
}

TEST(LookupDecode, KeepsUnknownOrchestratorsAndAnyGeneration) {
  REQUIREMENT("LOOKUP-ORCH-001");
  Bytes b = cgroups_response();
  put16(b, kCgItem0 + C::kOrchestrator, 999);
  put32(b, 8, 0xFFFFFFFFu);
  put32(b, 12, 0xFFFFFFFFu);
  auto view = CgroupsLookupResponseView::parse(ConstBytes(b));
  ASSERT_TRUE(view.ok()) << error_name(view.error());
  EXPECT_EQ(view->generation(), 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(view->item(0)->orchestrator, 999);
}

TEST(LookupEncode, RefusesEveryShortBuffer) {
  REQUIREMENT("CODEC-ENC-001");
  const auto items = cgroups_items();
  for (std::size_t n = 0; n < kCgSize; n += 7) {
    Bytes out(n);
    auto r = encode_cgroups_lookup_response(1, items, MutableBytes(out));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_EQ(r.error(), Error::kBufferTooSmall) << n;
  }
  Bytes small(kCgReqSize - 1);
  EXPECT_EQ(encode_cgroups_lookup_request(kPaths, MutableBytes(small)).error(), Error::kBufferTooSmall);
  Bytes small2(kApReqSize - 1);
  EXPECT_EQ(encode_apps_lookup_request(kPids, MutableBytes(small2)).error(), Error::kBufferTooSmall);
}

TEST(LookupEncode, RefusesCgroupsKeysThatCouldNotDecode) {
  REQUIREMENT("CODEC-ENC-002");
  Bytes out(64);
  const std::string_view empty[] = {""};
  EXPECT_EQ(encode_cgroups_lookup_request(empty, MutableBytes(out)).error(), Error::kValueOutOfRange);
  const std::string_view with_nul[] = {std::string_view("a\0b", 3)};
  EXPECT_EQ(encode_cgroups_lookup_request(with_nul, MutableBytes(out)).error(), Error::kValueOutOfRange);
}

}  // namespace
}  // namespace nipc
