// hello and hello_ack: the handshake payloads decoded on their own (spec/handshake.md).
// What a server or client then decides is in handshake_families.cpp.
#include <limits>
#include <string>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/hello.h"

namespace nipc::vectors {
namespace {

constexpr std::uint16_t kU16Max = std::numeric_limits<std::uint16_t>::max();
constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

namespace hl = hello_layout;
namespace al = ack_layout;

// The fact sheet's HELLO: supported 0x03, preferred 0x02, requests 1024 bytes in batches of
// 1, response hint 65536 in batches of 1, token 0x0102030405060708, packet size 212992.
Hello facts_hello() {
  return Hello{0x03, 0x02, 1024, 1, 65536, 1, 0x0102030405060708, 212992};
}

// The spec's worked example (spec/handshake.md).
Hello spec_hello() { return Hello{0x03, 0x00, 4096, 4, 65536, 4, 0x1122334455667788, 65536}; }

// The spec's worked example ACK: offer 0x01, session 5.
HelloAck spec_ack() { return HelloAck{0x01, 0x01, 0x01, 4096, 4, 65536, 4, 65536, 5}; }

constexpr FieldStart kHelloFields[] = {
    {"layout-version", hl::kLayoutVersion},
    {"flags", hl::kFlags},
    {"supported-profiles", hl::kSupportedProfiles},
    {"preferred-profiles", hl::kPreferredProfiles},
    {"max-request-payload-bytes", hl::kMaxRequestPayloadBytes},
    {"max-request-batch-items", hl::kMaxRequestBatchItems},
    {"max-response-payload-bytes", hl::kMaxResponsePayloadBytes},
    {"max-response-batch-items", hl::kMaxResponseBatchItems},
    {"reserved", hl::kReserved},
    {"auth-token", hl::kAuthToken},
    {"packet-size", hl::kPacketSize},
};

constexpr FieldStart kAckFields[] = {
    {"layout-version", al::kLayoutVersion},
    {"flags", al::kFlags},
    {"server-supported-profiles", al::kServerSupportedProfiles},
    {"intersection-profiles", al::kIntersectionProfiles},
    {"selected-profile", al::kSelectedProfile},
    {"agreed-max-request-payload-bytes", al::kAgreedMaxRequestPayloadBytes},
    {"agreed-max-request-batch-items", al::kAgreedMaxRequestBatchItems},
    {"agreed-max-response-payload-bytes", al::kAgreedMaxResponsePayloadBytes},
    {"agreed-max-response-batch-items", al::kAgreedMaxResponseBatchItems},
    {"agreed-packet-size", al::kAgreedPacketSize},
    {"reserved", al::kReserved},
    {"session-id", al::kSessionId},
};

Bytes encoded(const Hello& h) { return to_bytes(encode_hello(h)); }
Bytes encoded(const HelloAck& a) { return to_bytes(encode_hello_ack(a)); }

void add_hello_valid(Family& f) {
  const auto valid = [&](std::string_view name, std::string_view comment, const Hello& h) {
    return f.valid(name, comment, encoded(h), tools::hello_to_json(h))
        .req("HS-HELLO-FMT-001")
        .canonical();
  };
  valid("facts-example", "supported 0x03, preferred 0x02, token 0x0102030405060708, packet 212992",
        facts_hello());
  valid("spec-example", "the spec's worked example: 4096-byte requests in batches of 4",
        spec_hello())
      .req("HS-CLI-HELLO-001");
  valid("every-value-zero",
        "every value 0: the decoder checks layout, flags and reserved only; values are judged "
        "by the server (handshake_decide)",
        Hello{})
      .flag("ZeroLength");
  valid("every-value-max", "every u32 UINT32_MAX and the token UINT64_MAX",
        Hello{kU32Max, kU32Max, kU32Max, kU32Max, kU32Max, kU32Max, kU64Max, kU32Max});

  for (const auto& [name, token] : {std::pair{"token-zero", std::uint64_t{0}},
                                    std::pair{"token-one", std::uint64_t{1}},
                                    std::pair{"token-high-bit", std::uint64_t{1} << 63},
                                    std::pair{"token-max", kU64Max}}) {
    Hello h = facts_hello();
    h.auth_token = token;
    valid(name, "auth_token " + std::to_string(token) + " (a u64 at offset 32)", h);
  }
  for (const auto& [name, size] : {std::pair{"packet-size-33", 33u},
                                   std::pair{"packet-size-max", kU32Max}}) {
    Hello h = facts_hello();
    h.packet_size = size;
    valid(name, "packet_size " + std::to_string(size) + " at offset 40, the last field", h)
        .flag("BoundaryPacketSize");
  }
  Hello unknown = facts_hello();
  unknown.supported_profiles = 0xFFFFFFF0;
  unknown.preferred_profiles = 0x08;
  valid("profiles-unknown-bits", "profile bits without a meaning decode like any other",
        unknown)
      .req("PROF-UNKNOWN-001");

  const Bytes bytes = encoded(facts_hello());
  f.valid("one-trailing-byte", "45 bytes: the byte after the 44 is ignored",
          concat(bytes, Bytes{0xee}), tools::hello_to_json(facts_hello()))
      .req("HS-HELLO-LEN-001");
  f.valid("trailing-bytes-to-128",
          "96 bytes, all a 128-byte first packet can hold: the 52 after the 44 are ignored",
          concat(bytes, filled(52, 0xff)), tools::hello_to_json(facts_hello()))
      .req("HS-HELLO-LEN-001");
}

void add_hello_invalid(Family& f) {
  const Bytes base = encoded(facts_hello());
  for (const FieldStart& field : kHelloFields) {
    CaseRef c = f.invalid("truncated-before-" + std::string(field.name),
                          "only the " + std::to_string(field.offset) + " bytes before " +
                              std::string(field.name),
                          first_bytes(base, field.offset), Error::kHelloTruncated)
                    .flag("Truncated");
    if (field.offset == 0) c.flag("ZeroLength");
  }
  f.invalid("truncated-to-43-bytes", "one byte short", first_bytes(base, 43),
            Error::kHelloTruncated)
      .flag("Truncated");

  for (const auto& [name, layout] : {std::pair{"layout-zero", std::uint16_t{0}},
                                     std::pair{"layout-two", std::uint16_t{2}},
                                     std::pair{"layout-byte-swapped", std::uint16_t{0x0100}},
                                     std::pair{"layout-max", kU16Max}}) {
    f.invalid(name, "layout_version " + std::to_string(layout),
              with_u16(base, hl::kLayoutVersion, layout), Error::kHelloBadLayout);
  }
  for (const auto& [name, flags] : {std::pair{"flags-one", std::uint16_t{1}},
                                    std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                    std::pair{"flags-all-bits", kU16Max}}) {
    f.invalid(name, "HELLO flags " + std::to_string(flags) + " (must be 0)",
              with_u16(base, hl::kFlags, flags), Error::kHelloNonzeroFlags);
  }
  for (const auto& [name, reserved] : {std::pair{"reserved-one", 1u},
                                       std::pair{"reserved-second-byte", 0x100u},
                                       std::pair{"reserved-high-bit", 0x80000000u},
                                       std::pair{"reserved-all-ones", kU32Max}}) {
    f.invalid(name, "reserved (offset 28) " + std::to_string(reserved) + " (must be 0)",
              with_u32(base, hl::kReserved, reserved), Error::kHelloNonzeroReserved)
        .flag("NonzeroReserved");
  }

  f.invalid("order-length-before-layout", "43 bytes with layout_version 2",
            first_bytes(with_u16(base, hl::kLayoutVersion, 2), 43), Error::kHelloTruncated)
      .req("HS-ORDER-001")
      .flag("Truncated");
  f.invalid("order-layout-before-flags", "layout_version 2 and flags 1",
            with_u16(with_u16(base, hl::kLayoutVersion, 2), hl::kFlags, 1), Error::kHelloBadLayout)
      .req("HS-ORDER-001");
  f.invalid("order-flags-before-reserved", "flags 1 and reserved 1",
            with_u32(with_u16(base, hl::kFlags, 1), hl::kReserved, 1), Error::kHelloNonzeroFlags)
      .req("HS-ORDER-001");
  f.invalid("order-layout-before-reserved", "layout_version 0 and reserved 1",
            with_u32(with_u16(base, hl::kLayoutVersion, 0), hl::kReserved, 1),
            Error::kHelloBadLayout)
      .req("HS-ORDER-001");
}

void add_hello_ack_valid(Family& f) {
  const auto valid = [&](std::string_view name, std::string_view comment, const HelloAck& a) {
    return f.valid(name, comment, encoded(a), tools::hello_ack_to_json(a))
        .req("HS-ACK-FMT-001")
        .canonical();
  };
  valid("spec-example", "the spec's worked example: offer 0x01, session 5", spec_ack());
  valid("rejection-payload", "a rejection's payload: layout_version 1, every other field 0",
        HelloAck{})
      .req("HS-REJECT-001")
      .flag("ZeroLength");
  valid("every-value-max", "every u32 UINT32_MAX and session_id UINT64_MAX",
        HelloAck{kU32Max, kU32Max, kU32Max, kU32Max, kU32Max, kU32Max, kU32Max, kU32Max, kU64Max});
  HelloAck shm = spec_ack();
  shm.server_supported_profiles = 0x07;
  shm.intersection_profiles = 0x07;
  shm.selected_profile = 0x04;
  valid("shm-futex-selected", "offer 0x07, selected 0x04", shm);
  for (const auto& [name, id] : {std::pair{"session-id-one", std::uint64_t{1}},
                                 std::pair{"session-id-byte-order", std::uint64_t{0x0102030405060708}},
                                 std::pair{"session-id-max", kU64Max}}) {
    HelloAck a = spec_ack();
    a.session_id = id;
    valid(name, "session_id " + std::to_string(id) + " at offset 40", a);
  }
  HelloAck odd = spec_ack();
  odd.selected_profile = 0x03;
  odd.session_id = 0;
  valid("values-not-judged-by-decoder",
        "two selected bits and session_id 0 decode: the checks against the HELLO are "
        "handshake_check_ack's",
        odd);

  const Bytes bytes = encoded(spec_ack());
  f.valid("trailing-bytes", "48 bytes followed by 8 more: the extra bytes are ignored",
          concat(bytes, filled(8, 0xab)), tools::hello_ack_to_json(spec_ack()))
      .req("HS-ACK-LEN-001");
}

void add_hello_ack_invalid(Family& f) {
  const Bytes base = encoded(spec_ack());
  for (const FieldStart& field : kAckFields) {
    CaseRef c = f.invalid("truncated-before-" + std::string(field.name),
                          "only the " + std::to_string(field.offset) + " bytes before " +
                              std::string(field.name),
                          first_bytes(base, field.offset), Error::kAckTruncated)
                    .flag("Truncated");
    if (field.offset == 0) c.flag("ZeroLength");
  }
  f.invalid("truncated-to-47-bytes", "one byte short", first_bytes(base, 47), Error::kAckTruncated)
      .flag("Truncated");
  for (const auto& [name, layout] : {std::pair{"layout-zero", std::uint16_t{0}},
                                     std::pair{"layout-two", std::uint16_t{2}},
                                     std::pair{"layout-max", kU16Max}}) {
    f.invalid(name, "layout_version " + std::to_string(layout),
              with_u16(base, al::kLayoutVersion, layout), Error::kAckBadLayout);
  }
  for (const auto& [name, flags] : {std::pair{"flags-one", std::uint16_t{1}},
                                    std::pair{"flags-high-bit", std::uint16_t{0x8000}},
                                    std::pair{"flags-all-bits", kU16Max}}) {
    f.invalid(name, "HELLO_ACK flags " + std::to_string(flags) + " (must be 0)",
              with_u16(base, al::kFlags, flags), Error::kAckNonzeroFlags);
  }
  for (const auto& [name, reserved] : {std::pair{"reserved-one", 1u},
                                       std::pair{"reserved-high-bit", 0x80000000u},
                                       std::pair{"reserved-all-ones", kU32Max}}) {
    f.invalid(name, "reserved (offset 36) " + std::to_string(reserved) + " (must be 0)",
              with_u32(base, al::kReserved, reserved), Error::kAckNonzeroReserved)
        .flag("NonzeroReserved");
  }
  f.invalid("order-length-before-layout", "47 bytes with layout_version 2",
            first_bytes(with_u16(base, al::kLayoutVersion, 2), 47), Error::kAckTruncated)
      .flag("Truncated");
  f.invalid("order-layout-before-flags", "layout_version 2 and flags 1",
            with_u16(with_u16(base, al::kLayoutVersion, 2), al::kFlags, 1), Error::kAckBadLayout);
  f.invalid("order-flags-before-reserved", "flags 1 and reserved 1",
            with_u32(with_u16(base, al::kFlags, 1), al::kReserved, 1), Error::kAckNonzeroFlags);
}

}  // namespace

Family hello_family() {
  Family f("hello",
           "The 44-byte HELLO payload (spec/handshake.md), without its outer header. The "
           "decoder checks length, layout_version, flags and reserved, in that order; bytes "
           "after the 44 are ignored.");
  add_hello_valid(f);
  add_hello_invalid(f);
  return f;
}

Family hello_ack_family() {
  Family f("hello_ack",
           "The 48-byte HELLO_ACK payload (spec/handshake.md), without its outer header. The "
           "decoder checks length, layout_version, flags and reserved, in that order; bytes "
           "after the 48 are ignored. The client's checks against its HELLO are in "
           "handshake_check_ack.");
  add_hello_ack_valid(f);
  add_hello_ack_invalid(f);
  return f;
}

}  // namespace nipc::vectors
