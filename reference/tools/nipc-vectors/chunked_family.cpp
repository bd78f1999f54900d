// chunked_message: whole logical messages as packet sequences, received by a session with a
// known packet size and direction limits (spec/chunking.md, spec/envelope.md).
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/chunk.h"
#include "nipc/codec/string_reverse.h"

namespace nipc::vectors {
namespace {

constexpr std::uint16_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

namespace cl = chunk_layout;
namespace hl = header_layout;

using Packets = std::vector<Bytes>;

constexpr DirectionLimits kLimits{4096, 16};

Header request(Method method, std::uint64_t message_id, std::uint32_t payload_len) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = static_cast<std::uint16_t>(method);
  h.payload_len = payload_len;
  h.item_count = 1;
  h.message_id = message_id;
  return h;
}

// A STRING_REVERSE payload of exactly `payload_len` bytes (>= 9): "abc..." repeated.
Bytes string_payload(std::uint32_t payload_len) {
  std::string text(payload_len - string_reverse_encoded_size(0), ' ');
  for (std::size_t i = 0; i < text.size(); ++i) text[i] = static_cast<char>('a' + i % 26);
  Bytes out(payload_len);
  const Result<std::size_t> n = encode_string_reverse(text, out);
  if (!n || *n != payload_len) edit_out_of_range(0, payload_len, 0);
  return out;
}

Bytes pattern(std::size_t n, std::uint8_t seed) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 7);
  return b;
}

struct Sample {
  Header header;
  Bytes payload;
  std::uint32_t packet_size;
  DirectionLimits limits = kLimits;

  Json context() const { return tools::chunk_session_to_json({packet_size, limits}); }
  Json fields() const { return tools::message_to_json({header, payload}); }
  Packets packets() const {
    auto split = split_message(header, payload, packet_size);
    if (!split) edit_out_of_range(0, payload.size(), 0);  // a generator bug
    return *split;
  }
};

// The spec's worked example: STRING_REVERSE, message_id 7, payload 150, P = 64 → 5 packets.
Sample spec_example() {
  return {request(Method::kStringReverse, 7, 150), string_payload(150), 64};
}

Sample sample(Header h, Bytes payload, std::uint32_t packet_size,
              DirectionLimits limits = kLimits) {
  h.payload_len = static_cast<std::uint32_t>(payload.size());
  return {h, std::move(payload), packet_size, limits};
}

/// `packets` with packet `i` replaced by edit(packet i).
Packets edited(Packets packets, std::size_t i, const std::function<Bytes(Bytes)>& edit) {
  packets.at(i) = edit(std::move(packets.at(i)));
  return packets;
}

/// `packets` followed by `more`.
Packets concat_packets(Packets packets, const Packets& more) {
  packets.insert(packets.end(), more.begin(), more.end());
  return packets;
}

void add_valid(Family& f) {
  const auto valid = [&](std::string_view name, std::string_view comment, const Sample& s) {
    return f.valid(name, comment, s.packets(), s.fields())
        .reqs({"CHUNK-SPLIT-001"})
        .context(s.context())
        .canonical();
  };
  valid("spec-example-five-packets",
        "the spec's example: payload 150 with P = 64 travels as 64, 64, 64, 64 and 54 bytes",
        spec_example())
      .reqs({"CHUNK-HDR-001", "CHUNK-COUNT-001", "CHUNK-INDEX-001", "CHUNK-TOTAL-001",
             "CHUNK-PLEN-001"});
  valid("single-packet", "an INCREMENT request, 40 bytes with P = 64: one packet",
        sample(request(Method::kIncrement, 1, 0), pattern(8, 1), 64))
      .req("ENV-TRAIL-001");
  valid("exactly-one-packet", "T = P: a 32-byte payload with P = 64 still fits one packet",
        sample(request(Method::kIncrement, 2, 0), pattern(32, 2), 64))
      .flag("BoundaryPacketSize");
  valid("one-byte-over-one-packet",
        "T = P + 1: a 33-byte payload with P = 64 needs a continuation carrying 1 byte",
        sample(request(Method::kIncrement, 3, 0), pattern(33, 3), 64))
      .reqs({"CHUNK-HDR-001", "CHUNK-COUNT-001"})
      .flag("BoundaryPacketSize");
  valid("payload-multiple-of-budget", "a 96-byte payload with P = 64: three full packets",
        sample(request(Method::kIncrement, 4, 0), pattern(96, 4), 64))
      .req("CHUNK-COUNT-001");
  valid("smallest-packet-size", "P = 33 leaves one payload byte per packet: 5 bytes in 5 packets",
        sample(request(Method::kIncrement, 5, 0), pattern(5, 5), 33))
      .flag("BoundaryPacketSize");
  valid("empty-payload", "payload_len 0: the 32-byte header alone",
        sample(request(Method::kIncrement, 6, 0), Bytes{}, 64))
      .flag("ZeroLength");
  Header batch = request(Method::kIncrement, 8, 0);
  batch.flags = kFlagBatch;
  batch.item_count = 3;
  valid("batch-message-chunked",
        "a 3-item batch (40 bytes) with P = 48: header and directory travel in chunks too",
        sample(batch,
               concat(Bytes{0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0},
                      Bytes{5, 0, 0, 0, 0, 0, 0, 0, 0x68, 0x69, 0, 0, 0, 0, 0, 0}),
               48));
  valid("payload-at-limit", "a 150-byte payload with a 150-byte limit",
        sample(request(Method::kStringReverse, 9, 0), string_payload(150), 64, {150, 1}))
      .req("ENV-LIMIT-001");
  Header response = request(Method::kIncrement, 10, 0);
  response.kind = Kind::kResponse;
  valid("response-thirteen-packets", "a 100-byte response with P = 40: 8 payload bytes per packet",
        sample(response, pattern(100, 10), 40));
  Header snapshot = request(Method::kCgroupsSnapshot, 12, 0);
  snapshot.kind = Kind::kResponse;
  const SnapshotItem cgroups[] = {{0xdeadbeef, 0, 1, "init.scope", "/sys/fs/cgroup/init.scope"},
                                  {0x10, 4, 0, "x", ""}};
  Bytes snapshot_payload(static_cast<std::size_t>(snapshot_encoded_size(cgroups)));
  (void)encode_snapshot(0, 3, cgroups, snapshot_payload);  // cannot fail: the exact size
  valid("snapshot-response-chunked",
        "the spec's 2-item snapshot (147 bytes) as a response with P = 64: outer item_count 1",
        sample(snapshot, snapshot_payload, 64))
      .req("CODEC-SNAP-018");
  valid("large-payload", "4096 bytes with P = 1024: five packets",
        sample(request(Method::kStringReverse, 11, 0), string_payload(4096), 1024));

  // The receiver derives the count from the first packet it got (CHUNK-COUNT-001).
  const Sample s = spec_example();
  Packets short_first;
  short_first.push_back(concat(to_bytes(encode_header(s.header)), first_bytes(s.payload, 20)));
  std::uint32_t offset = 20;
  for (std::uint32_t index = 1; offset < 150; ++index) {
    const std::uint32_t n = std::min<std::uint32_t>(32, 150 - offset);
    const ChunkHeader c{7, 182, index, 6, n};
    short_first.push_back(concat(to_bytes(encode_chunk_header(c)),
                                 Bytes(s.payload.begin() + offset, s.payload.begin() + offset + n)));
    offset += n;
  }
  f.valid("short-first-packet",
          "a first packet of 52 bytes (not P): the receiver derives 1 + ceil(130 / 32) = 6 "
          "packets and takes 32, 32, 32, 32 and 2 bytes after it",
          short_first, s.fields())
      .req("CHUNK-COUNT-001")
      .context(s.context());
}

void add_first_packet_invalid(Family& f) {
  const Sample inc = sample(request(Method::kIncrement, 1, 0), pattern(8, 1), 64);
  const Bytes whole = inc.packets().front();
  const auto bad = [&](std::string_view name, std::string_view comment, Packets packets, Error e,
                       Json context) {
    return f.invalid(name, comment, std::move(packets), e).context(std::move(context));
  };
  bad("trailing-bytes-after-message",
      "the envelope spec's example: an INCREMENT request with 4 extra bytes in its packet",
      {concat(whole, Bytes{0, 0, 0, 0})}, Error::kPacketLengthMismatch, inc.context());
  bad("empty-payload-one-extra-byte", "payload_len 0 but 33 bytes in the packet",
      {concat(to_bytes(encode_header(request(Method::kIncrement, 2, 0))), Bytes{0})},
      Error::kPacketLengthMismatch, inc.context());
  bad("trailing-bytes-up-to-packet-size", "payload_len 8 in a full 64-byte packet",
      {concat(whole, filled(24, 0))}, Error::kPacketLengthMismatch, inc.context());

  bad("first-packet-truncated-header", "a 20-byte first packet", {first_bytes(whole, 20)},
      Error::kHeaderTruncated, inc.context())
      .flag("Truncated");
  bad("first-packet-bad-magic", "a first packet with magic 0", {with_u32(whole, hl::kMagic, 0)},
      Error::kHeaderBadMagic, inc.context());
  bad("first-packet-bad-kind", "a first packet with kind 9", {with_u16(whole, hl::kKind, 9)},
      Error::kHeaderBadKind, inc.context());

  const Sample spec = spec_example();
  const Packets spec_packets = spec.packets();
  bad("payload-one-over-limit", "the spec's example received with a 149-byte limit",
      spec_packets, Error::kPayloadOverLimit,
      tools::chunk_session_to_json({64, DirectionLimits{149, 1}}));
  bad("payload-len-max", "payload_len UINT32_MAX, refused before any continuation",
      {with_u32(spec_packets.front(), hl::kPayloadLen, kU32Max)}, Error::kPayloadOverLimit,
      spec.context());
  Header batch = request(Method::kIncrement, 3, 8 * 17 + 8 * 17);
  batch.flags = kFlagBatch;
  batch.item_count = 17;
  bad("items-one-over-limit", "a 17-item batch with a 16-item limit",
      {first_bytes(concat(to_bytes(encode_header(batch)), filled(64, 0)), 64)},
      Error::kItemCountOverLimit, inc.context());
  bad("items-max", "item_count UINT32_MAX",
      {with_u32(with_u16(whole, hl::kFlags, kFlagBatch), hl::kItemCount, kU32Max)},
      Error::kItemCountOverLimit, inc.context());

  Header hello;
  hello.kind = Kind::kControl;
  hello.code = static_cast<std::uint16_t>(ControlCode::kHello);
  hello.payload_len = 44;
  bad("control-hello-chunked", "a HELLO whose first packet carries only 20 of its 44 bytes",
      {concat(to_bytes(encode_header(hello)), filled(20, 1))}, Error::kChunkControlMessage,
      inc.context());
  Header ack = hello;
  ack.code = static_cast<std::uint16_t>(ControlCode::kHelloAck);
  ack.payload_len = 48;
  bad("control-hello-ack-chunked", "a HELLO_ACK whose first packet carries 16 of its 48 bytes",
      {concat(to_bytes(encode_header(ack)), filled(16, 0))}, Error::kChunkControlMessage,
      inc.context());
  Header control = hello;
  control.code = 7;
  control.payload_len = 1000;
  bad("control-large-chunked", "a 1000-byte CONTROL message in a first packet of P = 64 bytes",
      {concat(to_bytes(encode_header(control)), filled(32, 0))}, Error::kChunkControlMessage,
      inc.context());

  const Bytes spec_first = spec_packets.front();
  for (const auto& [name, p] : {std::pair{"packet-size-32", 32u}, std::pair{"packet-size-1", 1u},
                                std::pair{"packet-size-0", 0u}}) {
    bad(name,
        "a session packet size of " + std::to_string(p) +
            " has no room for payload; a chunked message cannot be received",
        {spec_first}, Error::kChunkPacketSizeTooSmall,
        tools::chunk_session_to_json({p, kLimits}))
        .flag("BoundaryPacketSize");
  }

  bad("first-packet-header-only", "payload_len 150 and a first packet of only the 32-byte header",
      {first_bytes(spec_first, 32)}, Error::kChunkEmpty, spec.context())
      .flag("ZeroLength");
  bad("first-packet-header-only-one-byte-payload", "payload_len 1 and a 32-byte first packet",
      {to_bytes(encode_header(request(Method::kIncrement, 4, 1)))}, Error::kChunkEmpty,
      tools::chunk_session_to_json({33, kLimits}))
      .flag("ZeroLength");
}

void add_continuation_invalid(Family& f) {
  const Sample spec = spec_example();
  const Packets p = spec.packets();  // 5 packets: 64, 64, 64, 64, 54 bytes
  const auto bad = [&](std::string_view name, std::string_view comment, Packets packets,
                       Error e) {
    return f.invalid(name, comment, std::move(packets), e).context(spec.context());
  };
  const auto field16 = [](std::size_t at, std::uint16_t v) {
    return [=](Bytes b) { return with_u16(std::move(b), at, v); };
  };
  const auto field32 = [](std::size_t at, std::uint32_t v) {
    return [=](Bytes b) { return with_u32(std::move(b), at, v); };
  };
  const auto field64 = [](std::size_t at, std::uint64_t v) {
    return [=](Bytes b) { return with_u64(std::move(b), at, v); };
  };

  bad("continuation-empty-packet", "packet 1 is 0 bytes", edited(p, 1, [](Bytes) { return Bytes{}; }),
      Error::kChunkTruncated)
      .flags({"Truncated", "ZeroLength"});
  bad("continuation-16-bytes", "packet 1 is 16 bytes", edited(p, 1, [](Bytes b) { return first_bytes(b, 16); }),
      Error::kChunkTruncated)
      .flag("Truncated");
  bad("continuation-31-bytes", "packet 4 is 31 bytes",
      edited(p, 4, [](Bytes b) { return first_bytes(b, 31); }), Error::kChunkTruncated)
      .flag("Truncated");

  bad("continuation-magic-zero", "packet 1 with magic 0", edited(p, 1, field32(cl::kMagic, 0)),
      Error::kChunkBadMagic);
  bad("next-message-interleaved",
      "the first packet of another message arrives where continuation 2 belongs",
      edited(p, 2,
             [&](Bytes) {
               return sample(request(Method::kIncrement, 8, 0), pattern(8, 8), 64).packets().front();
             }),
      Error::kChunkBadMagic)
      .req("CHUNK-NOINTERLEAVE-001");
  bad("continuation-magic-all-ones", "packet 3 with magic 0xffffffff",
      edited(p, 3, field32(cl::kMagic, kU32Max)), Error::kChunkBadMagic);

  for (const auto& [name, v] : {std::pair{"continuation-version-zero", std::uint16_t{0}},
                                std::pair{"continuation-version-two", std::uint16_t{2}},
                                std::pair{"continuation-version-max", kU16Max}}) {
    bad(name, "packet 2 with chunk version " + std::to_string(v),
        edited(p, 2, field16(cl::kVersion, v)), Error::kChunkBadVersion);
  }
  for (const auto& [name, v] : {std::pair{"continuation-flags-one", std::uint16_t{1}},
                                std::pair{"continuation-flags-high-bit", std::uint16_t{0x8000}},
                                std::pair{"continuation-flags-all-bits", kU16Max}}) {
    bad(name, "packet 2 with chunk flags " + std::to_string(v),
        edited(p, 2, field16(cl::kFlags, v)), Error::kChunkNonzeroFlags);
  }

  bad("message-id-8-in-packet-1", "the spec's variation: packet 1 carries message_id 8",
      edited(p, 1, field64(cl::kMessageId, 8)), Error::kChunkMessageIdMismatch);
  bad("message-id-zero-in-packet-4", "the last packet carries message_id 0",
      edited(p, 4, field64(cl::kMessageId, 0)), Error::kChunkMessageIdMismatch);
  bad("message-id-max-in-packet-2", "packet 2 carries message_id UINT64_MAX",
      edited(p, 2, field64(cl::kMessageId, kU64Max)), Error::kChunkMessageIdMismatch);
  const Packets other = sample(request(Method::kStringReverse, 8, 0), string_payload(150), 64).packets();
  bad("other-message-continuation-interleaved",
      "continuation 3 of another message (message_id 8) arrives in its place",
      edited(p, 3, [&](Bytes) { return other[3]; }), Error::kChunkMessageIdMismatch)
      .req("CHUNK-NOINTERLEAVE-001");

  bad("packet-2-skipped", "the spec's variation: packet 3 arrives right after packet 1",
      Packets{p[0], p[1], p[3], p[4]}, Error::kChunkIndexMismatch);
  bad("index-zero", "packet 1 carries chunk_index 0", edited(p, 1, field32(cl::kChunkIndex, 0)),
      Error::kChunkIndexMismatch);
  bad("packet-1-repeated", "packet 1 arrives twice", Packets{p[0], p[1], p[1], p[2], p[3], p[4]},
      Error::kChunkIndexMismatch);
  bad("packet-after-last", "a sixth packet after the message is complete",
      concat_packets(p, {p[4]}), Error::kChunkIndexMismatch);
  bad("index-max", "packet 1 carries chunk_index UINT32_MAX",
      edited(p, 1, field32(cl::kChunkIndex, kU32Max)), Error::kChunkIndexMismatch);

  bad("count-4-in-packet-1", "the spec's variation: chunk_count 4 in packet 1",
      edited(p, 1, field32(cl::kChunkCount, 4)), Error::kChunkCountMismatch);
  bad("count-6-in-packet-2", "chunk_count 6 in packet 2", edited(p, 2, field32(cl::kChunkCount, 6)),
      Error::kChunkCountMismatch);
  bad("count-zero", "chunk_count 0 in packet 1", edited(p, 1, field32(cl::kChunkCount, 0)),
      Error::kChunkCountMismatch);
  bad("count-max", "chunk_count UINT32_MAX in packet 1",
      edited(p, 1, field32(cl::kChunkCount, kU32Max)), Error::kChunkCountMismatch);
  // A short middle chunk: the last counted continuation leaves the payload incomplete.
  Packets short_middle = p;
  short_middle[2] = concat(to_bytes(encode_chunk_header({7, 182, 2, 5, 16})),
                           Bytes(spec.payload.begin() + 64, spec.payload.begin() + 80));
  short_middle[3] = concat(to_bytes(encode_chunk_header({7, 182, 3, 5, 32})),
                           Bytes(spec.payload.begin() + 80, spec.payload.begin() + 112));
  short_middle[4] = concat(to_bytes(encode_chunk_header({7, 182, 4, 5, 32})),
                           Bytes(spec.payload.begin() + 112, spec.payload.begin() + 144));
  bad("payload-incomplete-at-last-chunk",
      "continuation 2 carries 16 bytes, so after continuation 4 (the last one counted) 6 bytes "
      "are still missing",
      short_middle, Error::kChunkCountMismatch);

  bad("total-is-payload-len", "the spec's variation: total_message_len 150 (payload only)",
      edited(p, 1, field32(cl::kTotalMessageLen, 150)), Error::kChunkTotalLenMismatch);
  bad("total-one-more", "total_message_len 183", edited(p, 2, field32(cl::kTotalMessageLen, 183)),
      Error::kChunkTotalLenMismatch);
  bad("total-zero", "total_message_len 0", edited(p, 3, field32(cl::kTotalMessageLen, 0)),
      Error::kChunkTotalLenMismatch);
  bad("total-max", "total_message_len UINT32_MAX",
      edited(p, 4, field32(cl::kTotalMessageLen, kU32Max)), Error::kChunkTotalLenMismatch);

  bad("last-declares-32-carries-22", "the spec's variation: packet 4 declares 32 bytes, carries 22",
      edited(p, 4, field32(cl::kChunkPayloadLen, 32)), Error::kChunkPayloadLenMismatch);
  bad("declares-21-carries-22", "packet 4 declares 21 bytes, carries 22",
      edited(p, 4, field32(cl::kChunkPayloadLen, 21)), Error::kChunkPayloadLenMismatch);
  bad("declares-max", "packet 1 declares UINT32_MAX bytes",
      edited(p, 1, field32(cl::kChunkPayloadLen, kU32Max)), Error::kChunkPayloadLenMismatch);
  bad("declares-zero-carries-22", "packet 4 declares 0 bytes but carries 22",
      edited(p, 4, field32(cl::kChunkPayloadLen, 0)), Error::kChunkPayloadLenMismatch);

  bad("continuation-header-only", "packet 1 is a 32-byte header declaring 0 payload bytes",
      edited(p, 1,
             [](Bytes b) { return with_u32(first_bytes(b, 32), cl::kChunkPayloadLen, 0); }),
      Error::kChunkEmpty)
      .flag("ZeroLength");
  bad("last-continuation-header-only", "packet 4 is a 32-byte header declaring 0 payload bytes",
      edited(p, 4,
             [](Bytes b) { return with_u32(first_bytes(b, 32), cl::kChunkPayloadLen, 0); }),
      Error::kChunkEmpty)
      .flag("ZeroLength");

  bad("last-carries-full-budget",
      "the spec's variation: packet 4 carries and declares 32 bytes (payload would reach 160)",
      edited(p, 4,
             [](Bytes b) {
               return with_u32(concat(std::move(b), filled(10, 0x21)), cl::kChunkPayloadLen, 32);
             }),
      Error::kChunkOverrun);
  const Sample forty = sample(request(Method::kIncrement, 20, 0), pattern(40, 20), 64);
  Packets forty_packets = forty.packets();  // 64 + 40 bytes
  f.invalid("one-byte-overrun", "a 40-byte payload whose continuation carries 9 bytes, not 8",
            edited(forty_packets, 1,
                   [](Bytes b) {
                     return with_u32(concat(std::move(b), Bytes{0x21}), cl::kChunkPayloadLen, 9);
                   }),
            Error::kChunkOverrun)
      .context(forty.context());
  const Sample boundary = sample(request(Method::kIncrement, 21, 0), pattern(33, 21), 64);
  f.invalid("overrun-after-boundary", "T = P + 1, but the continuation carries 2 bytes",
            edited(boundary.packets(), 1,
                   [](Bytes b) {
                     return with_u32(concat(std::move(b), Bytes{0x21}), cl::kChunkPayloadLen, 2);
                   }),
            Error::kChunkOverrun)
      .context(boundary.context())
      .flag("BoundaryPacketSize");

  // Several faults in one continuation: the first check in the spec's order decides.
  bad("order-message-id-before-index", "packet 1 with message_id 8 and chunk_index 2",
      edited(p, 1,
             [](Bytes b) {
               return with_u32(with_u64(std::move(b), cl::kMessageId, 8), cl::kChunkIndex, 2);
             }),
      Error::kChunkMessageIdMismatch);
  bad("order-index-before-count", "packet 1 with chunk_index 2 and chunk_count 4",
      edited(p, 1,
             [](Bytes b) {
               return with_u32(with_u32(std::move(b), cl::kChunkIndex, 2), cl::kChunkCount, 4);
             }),
      Error::kChunkIndexMismatch);
  bad("order-count-before-total", "packet 1 with chunk_count 4 and total 150",
      edited(p, 1,
             [](Bytes b) {
               return with_u32(with_u32(std::move(b), cl::kChunkCount, 4), cl::kTotalMessageLen, 150);
             }),
      Error::kChunkCountMismatch);
  bad("order-total-before-payload-len", "packet 4 with total 150 and chunk_payload_len 32",
      edited(p, 4,
             [](Bytes b) {
               return with_u32(with_u32(std::move(b), cl::kTotalMessageLen, 150),
                               cl::kChunkPayloadLen, 32);
             }),
      Error::kChunkTotalLenMismatch);
}

}  // namespace

Family chunked_message_family() {
  Family f("chunked_message",
           "Logical messages as packet sequences (spec/chunking.md): the first packet carries "
           "the outer header, continuations a chunk header. context is the receiving "
           "session's packet size and its direction's limits; fields are the reassembled "
           "message. Every packet is offered to the receiver, including any after the last.");
  add_valid(f);
  add_first_packet_invalid(f);
  add_continuation_invalid(f);
  return f;
}

}  // namespace nipc::vectors
