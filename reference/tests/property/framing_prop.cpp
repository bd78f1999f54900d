// Properties of the framing codec: batch encode/parse, chunk split/reassembly, and what a
// corrupted packet can and cannot get past.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "nipc/codec/batch.h"
#include "nipc/codec/chunk.h"
#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using Progress = Reassembler::Progress;

constexpr std::uint32_t kMaxPayload = 20000;

// Deterministic filler: big payloads come from a seed instead of thousands of generated
// bytes, which keeps runs fast; the seed itself is generated and shrinks.
Bytes filler(std::size_t n, std::uint32_t seed) {
  Bytes out(n);
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::uint8_t& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(x >> 24);
  }
  return out;
}

// A value drawn from the whole of [lo, hi) whatever the current test size: plain inRange
// scales its range with the size, which would leave large payloads and the last header
// bytes rarely tried.
template <class T>
T uniform(T lo, T hi) {
  return *rc::gen::resize(rc::kNominalSize, rc::gen::inRange<T>(lo, hi));
}

Header gen_header(std::uint32_t payload_len) {
  Header h;
  h.kind = *rc::gen::element(Kind::kRequest, Kind::kResponse);
  h.flags = *rc::gen::arbitrary<std::uint16_t>();
  h.code = *rc::gen::arbitrary<std::uint16_t>();
  h.transport_status = *rc::gen::arbitrary<std::uint16_t>();
  h.payload_len = payload_len;
  h.item_count = *rc::gen::arbitrary<std::uint32_t>();
  h.message_id = *rc::gen::arbitrary<std::uint64_t>();
  return h;
}

bool is_batch_error(Error e) {
  return e == Error::kBatchDirectoryTruncated || e == Error::kBatchMisalignedOffset ||
         e == Error::kBatchItemOutOfBounds;
}

bool within(ConstBytes inner, ConstBytes outer) {
  const std::uint8_t* begin = outer.data();
  const std::uint8_t* end = outer.data() + outer.size();
  // An empty item may sit exactly at the end of the payload.
  return std::less_equal<>()(begin, inner.data()) &&
         std::less_equal<>()(inner.data() + inner.size(), end);
}

// ---- Batch --------------------------------------------------------------------------------

RC_GTEST_PROP(BatchProperty, ParseInvertsEncode, ()) {
  const auto count = uniform<std::size_t>(0, 65);
  std::vector<Bytes> items;
  for (std::size_t i = 0; i < count; ++i) {
    const auto len = uniform<std::size_t>(0, 101);
    items.push_back(*rc::gen::container<Bytes>(len, rc::gen::arbitrary<std::uint8_t>()));
  }
  const std::vector<ConstBytes> views(items.begin(), items.end());
  Bytes payload(batch_encoded_size(views));
  const auto n = encode_batch(views, MutableBytes(payload));
  RC_ASSERT(n.ok());
  RC_ASSERT(*n == payload.size());
  RC_ASSERT(payload.size() % 8 == 0);

  const auto v = BatchView::parse(ConstBytes(payload), static_cast<std::uint32_t>(count));
  RC_ASSERT(v.ok());
  RC_ASSERT(v->size() == count);
  std::uint64_t expected_offset = 0;
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto item = v->item(i);
    RC_ASSERT(item.ok());
    RC_ASSERT(Bytes(item->begin(), item->end()) == items[i]);
    // Canonical placement: each item at align8 of the previous end.
    const std::uint64_t offset = static_cast<std::uint64_t>(
        item->data() - payload.data() - static_cast<std::ptrdiff_t>(8 * count));
    RC_ASSERT(offset == expected_offset);
    expected_offset = align8(offset + item->size());
  }
  RC_ASSERT(v->item(static_cast<std::uint32_t>(count)).error() == Error::kBatchIndexOutOfRange);
}

// Any payload with any item_count: parse never reads out of bounds, and either every item is
// a view inside the payload or the error is a batch error.
RC_GTEST_PROP(BatchProperty, ArbitraryPayloadsParseInBoundsOrFailWithABatchError,
              (const Bytes& payload)) {
  const auto item_count = *rc::gen::oneOf(
      rc::gen::inRange<std::uint32_t>(0, static_cast<std::uint32_t>(payload.size() / 8 + 2)),
      rc::gen::arbitrary<std::uint32_t>(),
      rc::gen::element<std::uint32_t>(0x20000000u, UINT32_MAX - 1, UINT32_MAX));
  const auto v = BatchView::parse(ConstBytes(payload), item_count);
  RC_CLASSIFY(v.ok(), "parsed");
  if (!v.ok()) {
    RC_ASSERT(is_batch_error(v.error()));
    RC_ASSERT((v.error() == Error::kBatchDirectoryTruncated) ==
              (std::uint64_t{item_count} * 8 > payload.size()));
    return;
  }
  RC_ASSERT(std::uint64_t{item_count} * 8 <= payload.size());
  const ConstBytes packed = ConstBytes(payload).subspan(std::size_t{item_count} * 8);
  std::vector<Bytes> items;
  for (std::uint32_t i = 0; i < item_count; ++i) {
    const auto item = v->item(i);
    RC_ASSERT(item.ok());
    RC_ASSERT(within(*item, packed));
    RC_ASSERT((item->data() - packed.data()) % 8 == 0);
    items.emplace_back(item->begin(), item->end());
  }
  // What parses re-encodes canonically, and that parses to the same items.
  const std::vector<ConstBytes> views(items.begin(), items.end());
  Bytes again(batch_encoded_size(views));
  RC_ASSERT(encode_batch(views, MutableBytes(again)).ok());
  const auto w = BatchView::parse(ConstBytes(again), item_count);
  RC_ASSERT(w.ok());
  for (std::uint32_t i = 0; i < item_count; ++i)
    RC_ASSERT(Bytes(w->item(i)->begin(), w->item(i)->end()) == items[i]);
}

// Small hand-made directories, so that every outcome is common; the first bad entry decides
// and within an entry alignment is judged before bounds.
RC_GTEST_PROP(BatchProperty, DirectoriesFailAtTheFirstBadEntry, ()) {
  const auto count = uniform<std::uint32_t>(0, 9);
  const auto packed_len = uniform<std::size_t>(0, 97);
  Bytes payload(count * 8 + packed_len, 0xAB);
  std::optional<Error> expected;
  for (std::uint32_t i = 0; i < count; ++i) {
    // Mostly aligned offsets, so that whole directories pass often enough.
    const auto offset = uniform<int>(0, 16) != 0 ? 8 * uniform<std::uint32_t>(0, 9)
                                                 : uniform<std::uint32_t>(0, 72);
    const auto length = uniform<std::uint32_t>(0, 24);
    store_u32le(&payload[8 * i + batch_entry_layout::kOffset], offset);
    store_u32le(&payload[8 * i + batch_entry_layout::kLength], length);
    if (expected) continue;
    if (offset % 8 != 0) expected = Error::kBatchMisalignedOffset;
    else if (offset + length > packed_len) expected = Error::kBatchItemOutOfBounds;
  }
  const auto v = BatchView::parse(ConstBytes(payload), count);
  RC_CLASSIFY(expected.has_value(), "rejected");
  if (expected) {
    RC_ASSERT(!v.ok());
    RC_ASSERT(v.error() == *expected);
  } else {
    RC_ASSERT(v.ok());
  }
}

// ---- Chunking -----------------------------------------------------------------------------

RC_GTEST_PROP(ChunkProperty, ChunkHeaderDecodeOfEncodeIsIdentity, ()) {
  const ChunkHeader c{*rc::gen::arbitrary<std::uint64_t>(), *rc::gen::arbitrary<std::uint32_t>(),
                      *rc::gen::arbitrary<std::uint32_t>(), *rc::gen::arbitrary<std::uint32_t>(),
                      *rc::gen::arbitrary<std::uint32_t>()};
  const auto bytes = encode_chunk_header(c);
  const auto back = decode_chunk_header(ConstBytes(bytes));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == c);
}

RC_GTEST_PROP(ChunkProperty, ArbitraryBytesDecodeAsAChunkHeaderOrFailByRule,
              (const Bytes& bytes)) {
  const auto c = decode_chunk_header(ConstBytes(bytes));
  std::optional<Error> expected;
  if (bytes.size() < 32) expected = Error::kChunkTruncated;
  else if (load_u32le(&bytes[0]) != kChunkMagic) expected = Error::kChunkBadMagic;
  else if (load_u16le(&bytes[4]) != 1) expected = Error::kChunkBadVersion;
  else if (load_u16le(&bytes[6]) != 0) expected = Error::kChunkNonzeroFlags;
  if (expected) {
    RC_ASSERT(!c.ok());
    RC_ASSERT(c.error() == *expected);
  } else {
    RC_ASSERT(c.ok());
    const auto again = encode_chunk_header(*c);
    RC_ASSERT(std::equal(again.begin(), again.end(), bytes.begin()));
  }
}

struct Sent {
  Header header;
  Bytes payload;
  std::uint32_t packet_size = 0;
  std::vector<Bytes> packets;
};

Sent send(std::uint32_t min_payload, std::uint32_t max_payload, std::uint32_t max_packet) {
  Sent s;
  s.packet_size = uniform<std::uint32_t>(33, max_packet + 1);
  const auto len = uniform<std::uint32_t>(min_payload, max_payload + 1);
  s.header = gen_header(len);
  s.payload = filler(len, *rc::gen::arbitrary<std::uint32_t>());
  auto packets = split_message(s.header, ConstBytes(s.payload), s.packet_size);
  RC_ASSERT(packets.ok());
  s.packets = std::move(*packets);
  return s;
}

struct Outcome {
  std::optional<Error> error;
  std::size_t at = 0;  // packet index of the error, or of completion
  bool complete = false;
};

// Feeds packets as a transport would: first() to start, next() while continuations are
// expected, first() again when a message completed before the packets ran out.
Outcome receive(Reassembler& rx, const std::vector<Bytes>& packets) {
  Outcome out;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const bool start = i == 0 || rx.remaining_packets() == 0;
    auto p = start ? rx.first(ConstBytes(packets[i])) : rx.next(ConstBytes(packets[i]));
    if (!p.ok()) {
      out.error = p.error();
      out.at = i;
      return out;
    }
    out.complete = *p == Progress::kComplete;
    out.at = i;
    if (out.complete && i + 1 < packets.size()) return out;  // caller decides
  }
  return out;
}

bool is_chunk_error(Error e) {
  const auto& req = error_info(e).requirement;
  return req.substr(0, 6) == "CHUNK-";
}

RC_GTEST_PROP(ChunkProperty, ReassemblyInvertsSplit, ()) {
  const Sent s = send(0, kMaxPayload, 4096);
  const auto plan = plan_chunks(s.header.payload_len, s.packet_size);
  RC_ASSERT(plan.ok());
  RC_ASSERT(s.packets.size() == plan->packet_count);
  RC_CLASSIFY(s.packets.size() > 1, "chunked");
  for (const Bytes& packet : s.packets) RC_ASSERT(packet.size() <= s.packet_size);
  if (s.packets.size() > 1) RC_ASSERT(s.packets[0].size() == s.packet_size);

  Bytes buffer(kMaxPayload);
  Reassembler rx(s.packet_size, {kMaxPayload, UINT32_MAX}, MutableBytes(buffer));
  const Outcome o = receive(rx, s.packets);
  RC_ASSERT(!o.error.has_value());
  RC_ASSERT(o.complete);
  RC_ASSERT(o.at + 1 == s.packets.size());
  RC_ASSERT(rx.header() == s.header);
  RC_ASSERT(Bytes(rx.payload().begin(), rx.payload().end()) == s.payload);
}

// Every byte of a continuation header is covered by an equality rule, so any change to one
// is caught, by the rule of the field it hit. Payload bytes are covered by nothing (the
// protocol has no checksum): a flipped payload byte arrives flipped.
RC_GTEST_PROP(ChunkProperty, ACorruptedContinuationIsCaughtByItsFieldsRule, ()) {
  const Sent s = send(600, 4000, 512);  // at least two packets: 600 > 512 - 32
  const auto k = uniform<std::size_t>(1, s.packets.size());
  // Half the time a header byte, half the time anywhere in the packet.
  const auto at = *rc::gen::arbitrary<bool>() ? uniform<std::size_t>(0, chunk_layout::kSize)
                                              : uniform<std::size_t>(0, s.packets[k].size());
  const auto flip = uniform<int>(0, 256);
  RC_CLASSIFY(at < chunk_layout::kSize, "header byte");
  std::vector<Bytes> packets = s.packets;
  packets[k][at] ^= static_cast<std::uint8_t>(flip);

  Bytes buffer(kMaxPayload);
  Reassembler rx(s.packet_size, {kMaxPayload, UINT32_MAX}, MutableBytes(buffer));
  const Outcome o = receive(rx, packets);
  if (flip == 0 || at >= chunk_layout::kSize) {
    RC_ASSERT(!o.error.has_value());
    RC_ASSERT(o.complete);
    const Bytes got(rx.payload().begin(), rx.payload().end());
    Bytes expected = s.payload;
    if (at >= chunk_layout::kSize)
      expected[(s.packet_size - 32) * k + (at - chunk_layout::kSize)] ^=
          static_cast<std::uint8_t>(flip);
    RC_ASSERT(got == expected);
    return;
  }
  Error expected;
  if (at < chunk_layout::kVersion) expected = Error::kChunkBadMagic;
  else if (at < chunk_layout::kFlags) expected = Error::kChunkBadVersion;
  else if (at < chunk_layout::kMessageId) expected = Error::kChunkNonzeroFlags;
  else if (at < chunk_layout::kTotalMessageLen) expected = Error::kChunkMessageIdMismatch;
  else if (at < chunk_layout::kChunkIndex) expected = Error::kChunkTotalLenMismatch;
  else if (at < chunk_layout::kChunkCount) expected = Error::kChunkIndexMismatch;
  else if (at < chunk_layout::kChunkPayloadLen) expected = Error::kChunkCountMismatch;
  else expected = Error::kChunkPayloadLenMismatch;
  RC_ASSERT(o.error.has_value());
  RC_ASSERT(o.at == k);
  RC_ASSERT(*o.error == expected);
  RC_ASSERT(is_chunk_error(*o.error));
  RC_ASSERT(rx.remaining_packets() == 0u);
  RC_ASSERT(rx.payload().empty());
}

// The first packet's outer header: flags, code, transport_status, item_count (within the
// limit) and a REQUEST/RESPONSE swap pass reassembly untouched, because higher layers judge
// them. payload_len and message_id changes are caught by a CHUNK rule, an envelope rule, or
// (payload_len shrunk to exactly what the first packet carries) by the next packet failing
// to start a message.
RC_GTEST_PROP(ChunkProperty, ACorruptedFirstHeaderIsCaughtOrOnlyTouchesUncheckedFields, ()) {
  const Sent s = send(600, 4000, 512);
  const auto at = uniform<std::size_t>(0, header_layout::kSize);
  const auto flip = uniform<int>(1, 256);
  std::vector<Bytes> packets = s.packets;
  packets[0][at] ^= static_cast<std::uint8_t>(flip);

  Bytes buffer(kMaxPayload);
  Reassembler rx(s.packet_size, {kMaxPayload, UINT32_MAX}, MutableBytes(buffer));
  const Outcome o = receive(rx, packets);
  const bool unchecked = (at >= header_layout::kFlags && at < header_layout::kPayloadLen) ||
                         (at >= header_layout::kItemCount && at < header_layout::kMessageId);
  const bool kind = at >= header_layout::kKind && at < header_layout::kFlags;
  if (o.error) {
    RC_ASSERT(!unchecked);
    RC_CLASSIFY(true, error_name(*o.error));
    return;
  }
  RC_ASSERT(o.complete);
  RC_CLASSIFY(o.at + 1 < packets.size(), "completed early");
  if (o.at + 1 < packets.size()) {
    // The header claimed exactly the first packet's payload: the next packet cannot start
    // a message (it has the chunk magic).
    RC_ASSERT(at >= header_layout::kPayloadLen && at < header_layout::kItemCount);
    RC_ASSERT(rx.first(ConstBytes(packets[o.at + 1])).error() == Error::kHeaderBadMagic);
    return;
  }
  RC_ASSERT(unchecked || kind);
  RC_ASSERT(Bytes(rx.payload().begin(), rx.payload().end()) == s.payload);
  RC_ASSERT(rx.header().message_id == s.header.message_id);
  RC_ASSERT(rx.header().payload_len == s.header.payload_len);
}

// Arbitrary packets never make the reassembler read or write out of bounds, and any error
// leaves it idle.
RC_GTEST_PROP(ChunkProperty, ArbitraryPacketsNeverEscapeTheBuffers, ()) {
  const auto packet_size = uniform<std::uint32_t>(0, 200);
  const auto max_payload = uniform<std::uint32_t>(0, 400);
  Bytes buffer(max_payload);
  Reassembler rx(packet_size, {max_payload, *rc::gen::arbitrary<std::uint32_t>()},
                 MutableBytes(buffer));
  // Start from a real message so continuations get past the header checks sometimes.
  const auto len = uniform<std::uint32_t>(0, max_payload + 1);
  const Header h = gen_header(len);
  const Bytes payload = filler(len, len);
  auto packets = split_message(h, ConstBytes(payload), std::max<std::uint32_t>(packet_size, 33));
  RC_ASSERT(packets.ok());
  const auto rounds = uniform<int>(1, 8);
  for (int i = 0; i < rounds; ++i) {
    Bytes packet;
    if (*rc::gen::arbitrary<bool>()) {
      packet = (*packets)[uniform<std::size_t>(0, packets->size())];
      const auto cut = uniform<std::size_t>(0, packet.size() + 1);
      packet.resize(cut);
      if (!packet.empty()) packet[uniform<std::size_t>(0, packet.size())] ^= 0x5A;
    } else {
      packet = *rc::gen::arbitrary<Bytes>();
    }
    const bool start = rx.remaining_packets() == 0;
    auto p = start ? rx.first(ConstBytes(packet)) : rx.next(ConstBytes(packet));
    RC_ASSERT(within(rx.payload(), ConstBytes(buffer)));
    if (!p.ok()) {
      RC_ASSERT(rx.remaining_packets() == 0u);
      RC_ASSERT(rx.payload().empty());
    } else if (*p == Progress::kComplete) {
      RC_ASSERT(rx.payload().size() == rx.header().payload_len);
    }
  }
}

}  // namespace
}  // namespace nipc
