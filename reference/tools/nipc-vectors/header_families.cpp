// outer_header and chunk_header: the two 32-byte headers (spec/envelope.md,
// spec/chunking.md).
#include <limits>
#include <string>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/chunk.h"
#include "nipc/codec/header.h"

namespace nipc::vectors {
namespace {

constexpr std::uint16_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

namespace hl = header_layout;
namespace cl = chunk_layout;

// The spec's worked example (spec/envelope.md): an INCREMENT request, message_id 1, 8-byte
// payload.
Header increment_request() {
  Header h;
  h.kind = Kind::kRequest;
  h.code = static_cast<std::uint16_t>(Method::kIncrement);
  h.payload_len = 8;
  h.item_count = 1;
  h.message_id = 1;
  return h;
}

Bytes encoded(const Header& h) { return to_bytes(encode_header(h)); }
Bytes encoded(const ChunkHeader& c) { return to_bytes(encode_chunk_header(c)); }

constexpr FieldStart kHeaderFields[] = {
    {"magic", hl::kMagic},       {"version", hl::kVersion},
    {"header-len", hl::kHeaderLen}, {"kind", hl::kKind},
    {"flags", hl::kFlags},       {"code", hl::kCode},
    {"transport-status", hl::kTransportStatus}, {"payload-len", hl::kPayloadLen},
    {"item-count", hl::kItemCount}, {"message-id", hl::kMessageId},
};

constexpr FieldStart kChunkFields[] = {
    {"magic", cl::kMagic},
    {"version", cl::kVersion},
    {"flags", cl::kFlags},
    {"message-id", cl::kMessageId},
    {"total-message-len", cl::kTotalMessageLen},
    {"chunk-index", cl::kChunkIndex},
    {"chunk-count", cl::kChunkCount},
    {"chunk-payload-len", cl::kChunkPayloadLen},
};

// A header that decodes: the bytes are its canonical encoding.
void add_valid_header(Family& f, std::string_view name, std::string_view comment, const Header& h,
                      std::initializer_list<std::string_view> reqs) {
  f.valid(name, comment, encoded(h), tools::header_to_json(h))
      .req("ENV-HDR-001")
      .reqs(reqs)
      .canonical();
}

void add_outer_header_valid(Family& f) {
  const Header base = increment_request();
  add_valid_header(f, "increment-request", "the spec's INCREMENT request header, message_id 1",
                   base, {"ENV-ITEMS-001", "ENV-STATUS-001"});
  Header response = base;
  response.kind = Kind::kResponse;
  add_valid_header(f, "increment-response", "the matching response header (kind RESPONSE)",
                   response, {"ENV-KIND-001"});

  Header hello;
  hello.kind = Kind::kControl;
  hello.code = static_cast<std::uint16_t>(ControlCode::kHello);
  hello.payload_len = 44;
  add_valid_header(f, "hello-header", "a HELLO header: CONTROL, code HELLO, payload_len 44",
                   hello, {"HS-HELLO-HDR-001"});
  Header ack = hello;
  ack.code = static_cast<std::uint16_t>(ControlCode::kHelloAck);
  ack.payload_len = 48;
  ack.transport_status = static_cast<std::uint16_t>(TransportStatus::kAuthFailed);
  add_valid_header(f, "hello-ack-header-auth-failed",
                   "a rejection HELLO_ACK header: CONTROL, code HELLO_ACK, status AUTH_FAILED",
                   ack, {"HS-ACK-HDR-001"});

  Header snapshot = response;
  snapshot.code = static_cast<std::uint16_t>(Method::kCgroupsSnapshot);
  snapshot.payload_len = 147;
  snapshot.message_id = 3;
  add_valid_header(f, "snapshot-response-header",
                   "a CGROUPS_SNAPSHOT response: flags 0 and item_count 1 whatever the number of "
                   "cgroups in the payload",
                   snapshot, {"CODEC-SNAP-018", "ENV-ITEMS-001"});

  for (const auto& [name, id] : {std::pair{"message-id-zero", std::uint64_t{0}},
                                 std::pair{"message-id-max", kU64Max},
                                 std::pair{"message-id-high-bit", std::uint64_t{1} << 63},
                                 std::pair{"message-id-byte-order", std::uint64_t{0x0102030405060708}}}) {
    Header h = base;
    h.message_id = id;
    add_valid_header(f, name, "message_id " + std::to_string(id) + " (a u64, little-endian)", h,
                     {});
  }

  Header empty = base;
  empty.payload_len = 0;
  add_valid_header(f, "payload-len-zero", "an empty payload", empty, {});
  Header one = base;
  one.payload_len = 1;
  add_valid_header(f, "payload-len-one", "a one-byte payload", one, {});
  Header big = base;
  big.payload_len = kU32Max;
  add_valid_header(f, "payload-len-max", "payload_len UINT32_MAX decodes; limits are a separate check",
                   big, {});

  Header zero_items = base;
  zero_items.flags = kFlagBatch;
  zero_items.item_count = 0;
  add_valid_header(f, "batch-item-count-zero", "an empty batch: BATCH with item_count 0",
                   zero_items, {"ENV-LIMIT-002"});
  Header many = base;
  many.flags = kFlagBatch;
  many.item_count = kU32Max;
  add_valid_header(f, "batch-item-count-max", "item_count UINT32_MAX decodes; limits are a separate check",
                   many, {});

  for (const auto& [name, flags, comment] :
       {std::tuple{"flags-batch", std::uint16_t{kFlagBatch}, "the BATCH flag"},
        std::tuple{"flags-undefined-bits", std::uint16_t{0x8002},
                   "undefined flag bits 0x8002 are ignored, never rejected"},
        std::tuple{"flags-all-bits", kU16Max, "every flag bit set: undefined bits are ignored"}}) {
    Header h = base;
    h.flags = flags;
    add_valid_header(f, name, comment, h, {"ENV-FLAGS-001"});
  }
  for (const auto& [name, code] : {std::pair{"code-zero", std::uint16_t{0}},
                                   std::pair{"code-outside-revision", std::uint16_t{4}},
                                   std::pair{"code-max", kU16Max}}) {
    Header h = base;
    h.code = code;
    add_valid_header(f, name, "code " + std::to_string(code) + " is not judged by the header decoder",
                     h, {"ENV-FLAGS-001"});
  }
  for (const auto& [name, status] : {std::pair{"status-limit-exceeded", std::uint16_t{5}},
                                     std::pair{"status-undefined", std::uint16_t{7}},
                                     std::pair{"status-max", kU16Max}}) {
    Header h = response;
    h.transport_status = status;
    add_valid_header(f, name,
                     "transport_status " + std::to_string(status) +
                         " is not judged by the header decoder",
                     h, {"ENV-FLAGS-001"});
  }

  f.valid("header-followed-by-payload",
          "the whole INCREMENT request (header + 8-byte payload): the header decoder reads only "
          "its 32 bytes",
          concat(encoded(base), Bytes{0x29, 0, 0, 0, 0, 0, 0, 0}), tools::header_to_json(base))
      .req("ENV-HDR-001");
}

void add_outer_header_invalid(Family& f) {
  const Bytes base = encoded(increment_request());
  for (const FieldStart& field : kHeaderFields) {
    CaseRef c = f.invalid("truncated-before-" + std::string(field.name),
                          "only the " + std::to_string(field.offset) +
                              " bytes before the header's " + std::string(field.name) +
                              " field",
                          first_bytes(base, field.offset), Error::kHeaderTruncated)
                    .flag("Truncated");
    if (field.offset == 0) c.flag("ZeroLength");
  }
  f.invalid("truncated-to-31-bytes", "one byte short of a header", first_bytes(base, 31),
            Error::kHeaderTruncated)
      .flag("Truncated");

  for (const auto& [name, magic, comment] :
       {std::tuple{"magic-zero", 0u, "magic 0"},
        std::tuple{"magic-byte-swapped", 0x43504e49u, "magic written big-endian"},
        std::tuple{"magic-is-chunk-magic", kChunkMagic, "a continuation header's magic"},
        std::tuple{"magic-off-by-one", kMessageMagic - 1, "magic 0x4e495042"},
        std::tuple{"magic-all-ones", kU32Max, "magic 0xffffffff"}}) {
    f.invalid(name, comment, with_u32(base, hl::kMagic, magic), Error::kHeaderBadMagic);
  }
  f.invalid("magic-first-byte-changed", "the spec's example: byte 0 is 0x44",
            with_u8(base, 0, 0x44), Error::kHeaderBadMagic);

  for (const auto& [name, version] : {std::pair{"version-zero", std::uint16_t{0}},
                                      std::pair{"version-two", std::uint16_t{2}},
                                      std::pair{"version-byte-swapped", std::uint16_t{0x0100}},
                                      std::pair{"version-max", kU16Max}}) {
    f.invalid(name, "envelope version " + std::to_string(version),
              with_u16(base, hl::kVersion, version), Error::kHeaderBadVersion);
  }
  for (const auto& [name, len] : {std::pair{"header-len-zero", std::uint16_t{0}},
                                  std::pair{"header-len-31", std::uint16_t{31}},
                                  std::pair{"header-len-33", std::uint16_t{33}},
                                  std::pair{"header-len-40", std::uint16_t{40}},
                                  std::pair{"header-len-byte-swapped", std::uint16_t{0x2000}},
                                  std::pair{"header-len-max", kU16Max}}) {
    f.invalid(name, "header_len " + std::to_string(len), with_u16(base, hl::kHeaderLen, len),
              Error::kHeaderBadHeaderLen);
  }
  for (const auto& [name, kind] : {std::pair{"kind-zero", std::uint16_t{0}},
                                   std::pair{"kind-four", std::uint16_t{4}},
                                   std::pair{"kind-byte-swapped", std::uint16_t{0x0100}},
                                   std::pair{"kind-max", kU16Max}}) {
    f.invalid(name, "kind " + std::to_string(kind), with_u16(base, hl::kKind, kind),
              Error::kHeaderBadKind);
  }

  // ENV-ORDER-001: with several faults, the first check in the order decides.
  f.invalid("order-truncation-before-magic", "31 bytes with a bad magic: length is checked first",
            first_bytes(with_u32(base, hl::kMagic, 0), 31), Error::kHeaderTruncated)
      .req("ENV-ORDER-001")
      .flag("Truncated");
  f.invalid("order-magic-before-version", "bad magic and bad version",
            with_u16(with_u32(base, hl::kMagic, 0), hl::kVersion, 2), Error::kHeaderBadMagic)
      .req("ENV-ORDER-001");
  f.invalid("order-version-before-kind", "the spec's example: version 2 and kind 7",
            with_u16(with_u16(base, hl::kVersion, 2), hl::kKind, 7), Error::kHeaderBadVersion)
      .req("ENV-ORDER-001");
  f.invalid("order-version-before-header-len", "bad version and bad header_len",
            with_u16(with_u16(base, hl::kVersion, 0), hl::kHeaderLen, 0), Error::kHeaderBadVersion)
      .req("ENV-ORDER-001");
  f.invalid("order-header-len-before-kind", "bad header_len and bad kind",
            with_u16(with_u16(base, hl::kHeaderLen, 64), hl::kKind, 0), Error::kHeaderBadHeaderLen)
      .req("ENV-ORDER-001");
  f.invalid("order-all-four-bad", "magic, version, header_len and kind all wrong",
            filled(32, 0xff), Error::kHeaderBadMagic)
      .req("ENV-ORDER-001");
}

// ENV-LIMIT-001/002: the receiver's direction limits, checked once the header decodes.
void add_outer_header_limits(Family& f) {
  const DirectionLimits limits{1024, 16};
  const auto with_limits = [](const DirectionLimits& l) {
    return tools::header_context_to_json(l);
  };
  const auto header = [](std::uint32_t payload_len, std::uint32_t item_count) {
    Header h = increment_request();
    h.payload_len = payload_len;
    h.item_count = item_count;
    if (item_count != 1) h.flags = kFlagBatch;
    return h;
  };
  const auto valid = [&](std::string_view name, std::string_view comment, const Header& h,
                         const DirectionLimits& l, std::string_view req) {
    f.valid(name, comment, encoded(h), tools::header_to_json(h))
        .req(req)
        .context(with_limits(l))
        .canonical();
  };
  const auto over = [&](std::string_view name, std::string_view comment, const Header& h,
                        const DirectionLimits& l, Error e) {
    return f.invalid(name, comment, encoded(h), e).context(with_limits(l));
  };

  valid("payload-at-limit", "payload_len equals the 1024-byte limit", header(1024, 1), limits,
        "ENV-LIMIT-001");
  over("payload-one-over-limit", "payload_len 1025 with a 1024-byte limit", header(1025, 1),
       limits, Error::kPayloadOverLimit);
  over("payload-max-over-limit", "payload_len UINT32_MAX with a 1024-byte limit",
       header(kU32Max, 1), limits, Error::kPayloadOverLimit);
  over("payload-over-zero-limit", "a 0-byte limit admits no payload at all", header(1, 1),
       DirectionLimits{0, 16}, Error::kPayloadOverLimit);
  valid("payload-empty-with-zero-limit", "an empty payload passes a 0-byte limit", header(0, 1),
        DirectionLimits{0, 16}, "ENV-LIMIT-001");
  valid("payload-max-at-max-limit", "payload_len UINT32_MAX with limit UINT32_MAX",
        header(kU32Max, 1), DirectionLimits{kU32Max, 1}, "ENV-LIMIT-001");

  valid("items-at-limit", "item_count equals the 16-item limit", header(128, 16), limits,
        "ENV-LIMIT-002");
  over("items-one-over-limit", "item_count 17 with a 16-item limit", header(136, 17), limits,
       Error::kItemCountOverLimit);
  over("items-max-over-limit", "item_count UINT32_MAX with a 16-item limit", header(8, kU32Max),
       limits, Error::kItemCountOverLimit);
  over("items-one-over-zero-limit", "item_count 1 with a batch limit of 0", header(8, 1),
       DirectionLimits{1024, 0}, Error::kItemCountOverLimit);
  valid("items-zero-passes-zero-limit", "item_count 0 is never over the item limit",
        header(0, 0), DirectionLimits{1024, 0}, "ENV-LIMIT-002");
  over("limits-payload-before-items", "both payload_len and item_count over: payload first",
       header(2048, 17), limits, Error::kPayloadOverLimit)
      .req("ENV-LIMIT-002");
  f.invalid("limits-after-header-decode",
            "over both limits but with kind 0: the header decode fails before limits are checked",
            with_u16(encoded(header(2048, 17)), hl::kKind, 0), Error::kHeaderBadKind)
      .req("ENV-LIMIT-001")
      .context(with_limits(limits));
}

void add_chunk_header_cases(Family& f) {
  // The fact sheet's example: message_id 9, total 100, index 1 of 3, 28 payload bytes.
  ChunkHeader base;
  base.message_id = 9;
  base.total_message_len = 100;
  base.chunk_index = 1;
  base.chunk_count = 3;
  base.chunk_payload_len = 28;
  const auto valid = [&](std::string_view name, std::string_view comment, const ChunkHeader& c) {
    return f.valid(name, comment, encoded(c), tools::chunk_header_to_json(c))
        .req("CHUNK-HDR-001")
        .canonical();
  };
  valid("example-index-1-of-3", "message_id 9, total 100, index 1, count 3, 28 payload bytes",
        base);
  // spec/chunking.md: STRING_REVERSE message_id 7, payload 150, P = 64.
  ChunkHeader spec_first{7, 182, 1, 5, 32};
  valid("spec-example-packet-1", "the spec's packet 1: index 1 of 5, 32 bytes", spec_first);
  ChunkHeader spec_last{7, 182, 4, 5, 22};
  valid("spec-example-packet-4", "the spec's last packet: index 4 of 5, 22 bytes", spec_last);

  for (const auto& [name, id] : {std::pair{"message-id-zero", std::uint64_t{0}},
                                 std::pair{"message-id-max", kU64Max},
                                 std::pair{"message-id-byte-order", std::uint64_t{0x0102030405060708}}}) {
    ChunkHeader c = base;
    c.message_id = id;
    valid(name, "message_id " + std::to_string(id) + " at offset 8", c);
  }
  ChunkHeader max = base;
  max.total_message_len = kU32Max;
  max.chunk_index = kU32Max;
  max.chunk_count = kU32Max;
  max.chunk_payload_len = kU32Max;
  valid("u32-fields-max", "every u32 field UINT32_MAX: consistency is reassembly's to judge", max);
  ChunkHeader zeros = base;
  zeros.total_message_len = 0;
  zeros.chunk_index = 0;
  zeros.chunk_count = 0;
  zeros.chunk_payload_len = 0;
  valid("u32-fields-zero",
        "every u32 field 0: index, count, total and length are judged during reassembly "
        "(chunked_message), not by the header decoder",
        zeros)
      .flag("ZeroLength");

  const Bytes bytes = encoded(base);
  f.valid("header-followed-by-payload",
          "a whole continuation packet: the header decoder reads only its 32 bytes",
          concat(bytes, filled(28, 0x5a)), tools::chunk_header_to_json(base))
      .req("CHUNK-HDR-001");

  for (const FieldStart& field : kChunkFields) {
    CaseRef c = f.invalid("truncated-before-" + std::string(field.name),
                          "only the " + std::to_string(field.offset) + " bytes before the " +
                              std::string(field.name) + " field",
                          first_bytes(bytes, field.offset), Error::kChunkTruncated)
                    .flag("Truncated");
    if (field.offset == 0) c.flag("ZeroLength");
  }
  f.invalid("truncated-to-31-bytes", "one byte short of a chunk header", first_bytes(bytes, 31),
            Error::kChunkTruncated)
      .flag("Truncated");

  for (const auto& [name, magic, comment] :
       {std::tuple{"magic-zero", 0u, "magic 0"},
        std::tuple{"magic-is-message-magic", kMessageMagic, "the outer header's magic"},
        std::tuple{"magic-byte-swapped", 0x4b48434eu, "chunk magic written big-endian"},
        std::tuple{"magic-all-ones", kU32Max, "magic 0xffffffff"}}) {
    f.invalid(name, comment, with_u32(bytes, cl::kMagic, magic), Error::kChunkBadMagic);
  }
  for (const auto& [name, version] : {std::pair{"version-zero", std::uint16_t{0}},
                                      std::pair{"version-two", std::uint16_t{2}},
                                      std::pair{"version-max", kU16Max}}) {
    f.invalid(name, "chunk header version " + std::to_string(version),
              with_u16(bytes, cl::kVersion, version), Error::kChunkBadVersion);
  }
  for (const auto& [name, flags] : {std::pair{"flags-one", std::uint16_t{1}},
                                    std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                    std::pair{"flags-all-bits", kU16Max}}) {
    f.invalid(name, "chunk header flags " + std::to_string(flags) + " (must be 0)",
              with_u16(bytes, cl::kFlags, flags), Error::kChunkNonzeroFlags);
  }
  f.invalid("order-truncation-before-magic", "31 bytes with a bad magic",
            first_bytes(with_u32(bytes, cl::kMagic, 0), 31), Error::kChunkTruncated)
      .flag("Truncated");
  f.invalid("order-magic-before-version", "bad magic and bad version",
            with_u16(with_u32(bytes, cl::kMagic, 0), cl::kVersion, 2), Error::kChunkBadMagic);
  f.invalid("order-version-before-flags", "bad version and non-zero flags",
            with_u16(with_u16(bytes, cl::kVersion, 2), cl::kFlags, 1), Error::kChunkBadVersion);
}

}  // namespace

Family chunk_header_family() {
  Family f("chunk_header",
           "The 32-byte continuation chunk header (spec/chunking.md). Bytes: a continuation "
           "packet; the header decoder reads its first 32 bytes and checks length, magic, "
           "version and flags. Consistency with the message is judged in chunked_message.");
  add_chunk_header_cases(f);
  return f;
}

Family outer_header_family() {
  Family f("outer_header",
           "The 32-byte outer header (spec/envelope.md). Bytes: a header, possibly followed by "
           "payload bytes the header decoder does not read. context.limits, when present, are "
           "the receiver's direction limits, checked after the header decodes.");
  add_outer_header_valid(f);
  add_outer_header_invalid(f);
  add_outer_header_limits(f);
  return f;
}

}  // namespace nipc::vectors
