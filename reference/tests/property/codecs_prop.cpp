// Properties of the typed payload codecs: INCREMENT, STRING_REVERSE, CGROUPS_SNAPSHOT.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/increment.h"
#include "nipc/testing/snapshot_fixture.h"
#include "nipc/codec/string_reverse.h"
#include "support/test_support.h"

namespace nipc {
namespace {

using Bytes = std::vector<std::uint8_t>;

// ---------------------------------------------------------------------------------------
// Generators

// Strings of any bytes, NUL and 0x80..0xFF included.
rc::Gen<std::string> any_byte_string() {
  return rc::gen::container<std::string>(rc::gen::arbitrary<char>());
}

rc::Gen<OwnedSnapshotItem> any_item() {
  return rc::gen::build<OwnedSnapshotItem>(
      rc::gen::set(&OwnedSnapshotItem::hash), rc::gen::set(&OwnedSnapshotItem::options),
      rc::gen::set(&OwnedSnapshotItem::enabled),
      rc::gen::set(&OwnedSnapshotItem::name, any_byte_string()),
      rc::gen::set(&OwnedSnapshotItem::path, any_byte_string()));
}

std::vector<SnapshotItem> views_of(const std::vector<OwnedSnapshotItem>& items) {
  std::vector<SnapshotItem> out;
  for (const OwnedSnapshotItem& item : items) out.push_back(item.view());
  return out;
}

// Damages `bytes` the way a hostile or buggy peer would: u32 fields set to boundary values,
// single bytes changed, the end cut off or extended. Draws from the current property.
Bytes damage(Bytes bytes) {
  const int edits = *rc::gen::inRange(0, 4);
  for (int i = 0; i < edits; ++i) {
    const int kind = *rc::gen::inRange(0, 4);
    if (kind == 0 && bytes.size() >= 4) {
      const std::size_t at = *rc::gen::inRange<std::size_t>(0, bytes.size() / 4) * 4;
      if (at + 4 > bytes.size()) continue;
      const std::uint32_t v = *rc::gen::oneOf(
          rc::gen::element<std::uint32_t>(0, 1, 2, 7, 8, 9, 31, 32, 33, 34, 40, 0x7FFFFFFF,
                                          0x80000000u, 0xFFFFFFF8u, 0xFFFFFFFFu),
          rc::gen::arbitrary<std::uint32_t>());
      store_u32le(bytes.data() + at, v);
    } else if (kind == 1 && !bytes.empty()) {
      const std::size_t at = *rc::gen::inRange<std::size_t>(0, bytes.size());
      bytes[at] = *rc::gen::arbitrary<std::uint8_t>();
    } else if (kind == 2 && !bytes.empty()) {
      bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size()));
    } else {
      const Bytes tail = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
      bytes.insert(bytes.end(), tail.begin(), tail.end());
    }
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------
// INCREMENT

RC_GTEST_PROP(IncrementProperty, DecodeOfEncodeIsIdentity, (std::uint64_t value)) {
  std::uint8_t out[increment_layout::kSize];
  auto n = encode_increment(value, MutableBytes(out));
  RC_ASSERT(n.ok());
  RC_ASSERT(*n == increment_encoded_size());
  auto back = decode_increment(ConstBytes(out));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == value);
}

RC_GTEST_PROP(IncrementProperty, AnyBytesDecodeTheirFirstEightOrAreTruncated,
              (const Bytes& bytes)) {
  auto v = decode_increment(ConstBytes(bytes));
  if (bytes.size() < increment_layout::kSize) {
    RC_ASSERT(!v.ok());
    RC_ASSERT(v.error() == Error::kIncrementTruncated);
    return;
  }
  RC_ASSERT(v.ok());
  std::uint8_t again[increment_layout::kSize];
  RC_ASSERT(encode_increment(*v, MutableBytes(again)).ok());
  RC_ASSERT(std::equal(std::begin(again), std::end(again), bytes.begin()));
}

RC_GTEST_PROP(IncrementProperty, AnswerIsValuePlusOneModulo2To64, (std::uint64_t value)) {
  RC_ASSERT(increment_answer(value) - value == 1u);  // unsigned arithmetic wraps
}

// ---------------------------------------------------------------------------------------
// STRING_REVERSE

const std::set<Error> kStringErrors = {Error::kStringTruncated, Error::kStringBadOffset,
                                       Error::kStringOutOfBounds, Error::kStringMissingNul};

Bytes encode_string(std::string_view text) {
  Bytes out(static_cast<std::size_t>(string_reverse_encoded_size(text.size())));
  auto n = encode_string_reverse(text, MutableBytes(out));
  RC_ASSERT(n.ok());
  RC_ASSERT(*n == out.size());
  return out;
}

// Whatever decodes was canonical up to its NUL: the writer reproduces those bytes exactly.
void check_string_payload(const Bytes& bytes) {
  auto s = decode_string_reverse(ConstBytes(bytes));
  if (!s.ok()) {
    RC_ASSERT(kStringErrors.count(s.error()) == 1u);
    return;
  }
  const Bytes again = encode_string(*s);
  RC_ASSERT(again.size() <= bytes.size());
  RC_ASSERT(std::equal(again.begin(), again.end(), bytes.begin()));
}

RC_GTEST_PROP(StringReverseProperty, DecodeOfEncodeIsIdentity, ()) {
  const std::string text = *any_byte_string();
  const Bytes bytes = encode_string(text);
  RC_ASSERT(bytes.size() == 8 + text.size() + 1);
  auto back = decode_string_reverse(ConstBytes(bytes));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == text);
}

RC_GTEST_PROP(StringReverseProperty, AnyBytesDecodeCanonicallyOrFailWithAStringError,
              (const Bytes& bytes)) {
  check_string_payload(bytes);
}

RC_GTEST_PROP(StringReverseProperty, DamagedPayloadsDecodeCanonicallyOrFailWithAStringError,
              ()) {
  check_string_payload(damage(encode_string(*any_byte_string())));
}

RC_GTEST_PROP(StringReverseProperty, EveryStrictPrefixIsRejected, ()) {
  const Bytes bytes = encode_string(*any_byte_string());
  const std::size_t n = *rc::gen::inRange<std::size_t>(0, bytes.size());
  auto s = decode_string_reverse(ConstBytes(bytes.data(), n));
  RC_ASSERT(!s.ok());
  RC_ASSERT(s.error() == (n < 8 ? Error::kStringTruncated : Error::kStringOutOfBounds));
}

RC_GTEST_PROP(StringReverseProperty, AnswerIsTheReversedRequest, ()) {
  const std::string text = *any_byte_string();
  Bytes out(static_cast<std::size_t>(string_reverse_encoded_size(text.size())));
  RC_ASSERT(encode_string_reverse_answer(text, MutableBytes(out)).ok());
  auto back = decode_string_reverse(ConstBytes(out));
  RC_ASSERT(back.ok());
  RC_ASSERT(std::string(back->rbegin(), back->rend()) == text);
}

// ---------------------------------------------------------------------------------------
// CGROUPS_SNAPSHOT request

RC_GTEST_PROP(SnapshotRequestProperty, AnyBytesFollowTheRulesInOrder, (const Bytes& bytes)) {
  auto r = decode_snapshot_request(ConstBytes(bytes));
  if (bytes.size() < 4) {
    RC_ASSERT(r.error() == Error::kSnapshotRequestTruncated);
  } else if (load_u16le(bytes.data()) != 1) {
    RC_ASSERT(r.error() == Error::kSnapshotRequestBadLayout);
  } else if (load_u16le(bytes.data() + 2) != 0) {
    RC_ASSERT(r.error() == Error::kSnapshotRequestNonzeroFlags);
  } else {
    RC_ASSERT(r.ok());
    std::uint8_t again[4];
    RC_ASSERT(encode_snapshot_request(MutableBytes(again)).ok());
    RC_ASSERT(std::equal(std::begin(again), std::end(again), bytes.begin()));
  }
}

// ---------------------------------------------------------------------------------------
// CGROUPS_SNAPSHOT response

const std::set<Error> kSnapshotErrors = {
    Error::kSnapshotTruncated,         Error::kSnapshotBadLayout,
    Error::kSnapshotNonzeroFlags,      Error::kSnapshotNonzeroReserved,
    Error::kSnapshotDirectoryTruncated, Error::kSnapshotMisalignedOffset,
    Error::kSnapshotItemOutOfBounds,   Error::kSnapshotItemTruncated,
    Error::kSnapshotItemBadLayout,     Error::kSnapshotItemNonzeroFlags,
    Error::kSnapshotStringOffsetLow,   Error::kSnapshotStringOutOfBounds,
    Error::kSnapshotStringMissingNul,  Error::kSnapshotStringsOverlap};

struct Decoded {
  std::uint32_t systemd_enabled = 0;
  std::uint64_t generation = 0;
  std::vector<OwnedSnapshotItem> items;  // owned copies, so they outlive the bytes
  friend bool operator==(const Decoded&, const Decoded&) = default;
};

Decoded copy_out(const SnapshotView& view) {
  Decoded d{view.systemd_enabled(), view.generation(), {}};
  for (std::uint32_t i = 0; i < view.size(); ++i) {
    auto item = view.item(i);
    RC_ASSERT(item.ok());
    d.items.push_back({item->hash, item->options, item->enabled, std::string(item->name),
                       std::string(item->path)});
  }
  RC_ASSERT(view.item(view.size()).error() == Error::kBatchIndexOutOfRange);
  return d;
}

Bytes encode_decoded(const Decoded& d) {
  const auto views = views_of(d.items);
  Bytes out(static_cast<std::size_t>(snapshot_encoded_size(views)));
  auto n = encode_snapshot(d.systemd_enabled, d.generation, views, MutableBytes(out));
  RC_ASSERT(n.ok());
  RC_ASSERT(*n == out.size());
  return out;
}

// Anything that decodes rebuilds to a canonical payload that decodes to the same fields and
// is a fixed point of decode-then-rebuild; anything else fails with a snapshot error.
void check_snapshot_payload(const Bytes& bytes) {
  auto view = SnapshotView::parse(ConstBytes(bytes));
  if (!view.ok()) {
    RC_ASSERT(kSnapshotErrors.count(view.error()) == 1u);
    return;
  }
  const Decoded first = copy_out(*view);
  const Bytes rebuilt = encode_decoded(first);
  auto again = SnapshotView::parse(ConstBytes(rebuilt));
  RC_ASSERT(again.ok());
  const Decoded second = copy_out(*again);
  RC_ASSERT(second == first);
  RC_ASSERT(encode_decoded(second) == rebuilt);
}

Decoded any_snapshot() {
  Decoded d;
  d.systemd_enabled = *rc::gen::arbitrary<std::uint32_t>();
  d.generation = *rc::gen::arbitrary<std::uint64_t>();
  d.items = *rc::gen::resize(20, rc::gen::container<std::vector<OwnedSnapshotItem>>(any_item()));
  return d;
}

RC_GTEST_PROP(SnapshotProperty, DecodeOfEncodeIsIdentity, ()) {
  const Decoded d = any_snapshot();
  const Bytes bytes = encode_decoded(d);
  RC_ASSERT(bytes.size() == snapshot_encoded_size(views_of(d.items)));
  auto view = SnapshotView::parse(ConstBytes(bytes));
  RC_ASSERT(view.ok());
  RC_ASSERT(copy_out(*view) == d);
}

RC_GTEST_PROP(SnapshotProperty, BuilderWithSpareSlotsWritesTheSameBytes, ()) {
  const Decoded d = any_snapshot();
  const Bytes canonical = encode_decoded(d);
  const std::size_t spare = *rc::gen::inRange<std::size_t>(0, 64);
  const std::size_t slack = *rc::gen::inRange<std::size_t>(0, 64);
  Bytes out(canonical.size() + spare * 8 + slack, 0xEE);
  SnapshotBuilder builder(MutableBytes(out), d.items.size() + spare, d.systemd_enabled,
                          d.generation);
  for (const SnapshotItem& item : views_of(d.items)) RC_ASSERT(builder.add(item).ok());
  auto n = builder.finish();
  RC_ASSERT(n.ok());
  RC_ASSERT(*n == canonical.size());
  RC_ASSERT(std::equal(canonical.begin(), canonical.end(), out.begin()));
}

RC_GTEST_PROP(SnapshotProperty, BuilderFailsCleanlyInAnyShortBuffer, ()) {
  const Decoded d = any_snapshot();
  const Bytes canonical = encode_decoded(d);
  const std::size_t size = *rc::gen::inRange<std::size_t>(0, canonical.size());
  Bytes out(size);
  auto n = encode_snapshot(d.systemd_enabled, d.generation, views_of(d.items), MutableBytes(out));
  RC_ASSERT(!n.ok());
  RC_ASSERT(n.error() == Error::kBufferTooSmall);
}

RC_GTEST_PROP(SnapshotProperty, EveryStrictPrefixIsRejected, ()) {
  const Bytes bytes = encode_decoded(any_snapshot());
  const std::size_t n = *rc::gen::inRange<std::size_t>(0, bytes.size());
  auto view = SnapshotView::parse(ConstBytes(bytes.data(), n));
  RC_ASSERT(!view.ok());
  RC_ASSERT(kSnapshotErrors.count(view.error()) == 1u);
}

RC_GTEST_PROP(SnapshotProperty, AnyBytesDecodeAndRebuildOrFailWithASnapshotError,
              (const Bytes& bytes)) {
  check_snapshot_payload(bytes);
}

RC_GTEST_PROP(SnapshotProperty, DamagedSnapshotsDecodeAndRebuildOrFailWithASnapshotError, ()) {
  check_snapshot_payload(damage(encode_decoded(any_snapshot())));
}

RC_GTEST_PROP(SnapshotProperty, FixtureSnapshotsRoundTrip, (std::uint64_t seed)) {
  const std::size_t k = *rc::gen::inRange<std::size_t>(0, 40);
  const GeneratedSnapshot g = generate_snapshot(seed, k);
  const Decoded d{g.systemd_enabled, g.generation, g.items};
  const Bytes bytes = encode_decoded(d);
  auto view = SnapshotView::parse(ConstBytes(bytes));
  RC_ASSERT(view.ok());
  RC_ASSERT(copy_out(*view) == d);
}

}  // namespace
}  // namespace nipc
