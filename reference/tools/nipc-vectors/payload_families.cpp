// increment and string_reverse: the test methods' payloads (spec/codecs.md).
#include <limits>
#include <string>

#include "nipc-vectors/edits.h"
#include "nipc-vectors/families.h"
#include "nipc/codec/increment.h"
#include "nipc/codec/string_reverse.h"

namespace nipc::vectors {
namespace {

constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

namespace sl = string_reverse_layout;

Bytes increment_bytes(std::uint64_t v) {
  Bytes b(increment_encoded_size());
  (void)encode_increment(v, b);  // cannot fail: the buffer is exactly 8 bytes
  return b;
}

Bytes string_bytes(std::string_view text) {
  Bytes b(static_cast<std::size_t>(string_reverse_encoded_size(text.size())));
  (void)encode_string_reverse(text, b);  // cannot fail: the buffer is exactly the encoding
  return b;
}

void add_increment_cases(Family& f) {
  for (const auto& [name, v, comment] :
       {std::tuple{"value-zero", std::uint64_t{0}, "value 0"},
        std::tuple{"value-one", std::uint64_t{1}, "value 1"},
        std::tuple{"spec-request-41", std::uint64_t{41}, "the spec's request value 41"},
        std::tuple{"spec-response-42", std::uint64_t{42}, "the spec's response value 42"},
        std::tuple{"value-u32-max", std::uint64_t{kU32Max}, "2^32 - 1: only the low half set"},
        std::tuple{"value-2-pow-32", std::uint64_t{1} << 32, "2^32: only the high half set"},
        std::tuple{"value-high-bit", std::uint64_t{1} << 63, "2^63"},
        std::tuple{"value-max", kU64Max, "UINT64_MAX, whose answer wraps to 0"},
        std::tuple{"value-byte-order", std::uint64_t{0x0102030405060708},
                   "0x0102030405060708: bytes 08 07 .. 01 on the wire"}}) {
    f.valid(name, comment, increment_bytes(v), tools::increment_to_json(v))
        .req("CODEC-INC-001")
        .canonical();
  }
  const Bytes base = increment_bytes(41);
  f.valid("one-trailing-byte", "9 bytes: the byte after the u64 is ignored",
          concat(base, Bytes{0xff}), tools::increment_to_json(41))
      .req("CODEC-INC-001");
  f.valid("second-value-ignored", "16 bytes: a second u64 after the first is ignored",
          concat(base, increment_bytes(7)), tools::increment_to_json(41))
      .req("CODEC-INC-001");
  f.valid("trailing-bytes-to-128", "128 bytes: everything after the first 8 is ignored",
          concat(base, filled(120, 0xee)), tools::increment_to_json(41))
      .req("CODEC-INC-001");
  for (std::size_t n = 0; n < increment_layout::kSize; ++n) {
    CaseRef c = f.invalid("truncated-to-" + std::to_string(n) + "-bytes",
                          std::to_string(n) + " of the 8 bytes",
                          first_bytes(base, n), Error::kIncrementTruncated)
                    .flag("Truncated");
    if (n == 0) c.flag("ZeroLength");
  }
}

void add_string_valid(Family& f) {
  const auto valid = [&](std::string_view name, std::string_view comment, std::string_view text) {
    return f.valid(name, comment, string_bytes(text), tools::string_reverse_to_json(text))
        .req("CODEC-STR-006")
        .canonical();
  };
  valid("spec-netipc", "the spec's example: \"netipc\", a 15-byte payload", "netipc");
  valid("spec-response-cpitne", "the spec's response: \"cpitne\"", "cpitne");
  valid("facts-abc", "\"abc\", a 12-byte payload", "abc");
  valid("empty-string", "the empty string: 8 bytes of fields and the NUL", "")
      .flag("ZeroLength");
  valid("one-byte", "a 1-byte string", "a");
  std::string every;
  for (int b = 1; b <= 255; ++b) every.push_back(static_cast<char>(b));
  valid("every-byte-except-nul", "bytes 0x01..0xff in ascending order", every);
  valid("interior-nul", "\"a\", NUL, \"b\": interior NULs are part of the string",
        std::string_view("a\0b", 3));
  valid("only-nul-bytes", "a string of four NUL bytes", std::string_view("\0\0\0\0", 4));
  std::string long_text(10000, '\0');
  for (std::size_t i = 0; i < long_text.size(); ++i)
    long_text[i] = static_cast<char>(0x20 + i % 95);
  valid("long-string", "a 10000-byte string", long_text);

  const Bytes spec = string_bytes("netipc");
  f.valid("two-bytes-after-nul", "the spec's variation: two extra bytes after the NUL are ignored",
          concat(spec, Bytes{0x21, 0x21}), tools::string_reverse_to_json("netipc"))
      .req("CODEC-STR-004");
  f.valid("padded-to-16", "the payload padded with a zero byte to 16 bytes",
          concat(spec, Bytes{0}), tools::string_reverse_to_json("netipc"))
      .req("CODEC-STR-004");
  f.valid("empty-string-then-bytes", "an empty string followed by 7 bytes after its NUL",
          concat(string_bytes(""), filled(7, 0x41)), tools::string_reverse_to_json(""))
      .reqs({"CODEC-STR-003", "CODEC-STR-004"})
      .flag("ZeroLength");
}

void add_string_invalid(Family& f) {
  const Bytes spec = string_bytes("netipc");  // offset 8, length 6, 15 bytes
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{4}, std::size_t{7}}) {
    CaseRef c = f.invalid("truncated-to-" + std::to_string(n) + "-bytes",
                          std::to_string(n) + " bytes: the two u32 fields need 8",
                          first_bytes(spec, n), Error::kStringTruncated)
                    .flag("Truncated");
    if (n == 0) c.flag("ZeroLength");
  }

  f.invalid("length-7", "the spec's variation: str_length 7, the NUL would be at offset 15",
            with_u32(spec, sl::kStrLength, 7), Error::kStringOutOfBounds);
  f.invalid("length-max", "str_length 0xffffffff: offset + length + 1 must not wrap",
            with_u32(spec, sl::kStrLength, kU32Max), Error::kStringOutOfBounds);
  f.invalid("length-wraps-32-bit", "str_length 0xfffffff7: 8 + length + 1 is 2^32",
            with_u32(spec, sl::kStrLength, 0xFFFFFFF7u), Error::kStringOutOfBounds);
  f.invalid("no-room-for-nul", "8 bytes declaring an empty string: its NUL is missing",
            first_bytes(spec, 8), Error::kStringOutOfBounds)
      .flag("ZeroLength");

  f.invalid("last-byte-not-nul", "the spec's variation: the last byte is 0x21",
            with_u8(spec, 14, 0x21), Error::kStringMissingNul);
  f.invalid("last-byte-ff", "the byte after the string is 0xff", with_u8(spec, 14, 0xff),
            Error::kStringMissingNul);
  f.invalid("length-too-short", "str_length 3: the byte after \"net\" is 'i', not NUL",
            with_u32(spec, sl::kStrLength, 3), Error::kStringMissingNul);
  f.invalid("declared-empty", "str_length 0 but the byte at offset 8 is 'n'",
            with_u32(spec, sl::kStrLength, 0), Error::kStringMissingNul)
      .flag("ZeroLength");

  // CODEC-STR-002 is a SHOULD: a decoder may accept another str_offset (the reference
  // rejects). Where the string really sits at that offset, a lenient decoder accepts it.
  const auto at_offset = [](std::uint32_t offset, std::string_view text) {
    Bytes b(offset + text.size() + 1, 0);
    b = with_u32(std::move(b), sl::kStrOffset, offset);
    b = with_u32(std::move(b), sl::kStrLength, static_cast<std::uint32_t>(text.size()));
    for (std::size_t i = 0; i < text.size(); ++i)
      b = with_u8(std::move(b), offset + i, static_cast<std::uint8_t>(text[i]));
    return b;
  };
  f.acceptable("offset-12", "str_offset 12 with \"abc\" at offset 12 after 4 zero bytes",
               at_offset(12, "abc"), Error::kStringBadOffset);
  f.acceptable("offset-16", "str_offset 16 with \"netipc\" at offset 16", at_offset(16, "netipc"),
               Error::kStringBadOffset);
  f.acceptable("offset-9-unaligned", "str_offset 9 with \"x\" at offset 9", at_offset(9, "x"),
               Error::kStringBadOffset);
  f.acceptable("offset-0-inside-fields",
               "str_offset 0, str_length 3: the string would be the offset field's own zero bytes",
               with_u32(with_u32(Bytes(8, 0), sl::kStrOffset, 0), sl::kStrLength, 3),
               Error::kStringBadOffset);
  f.acceptable("spec-offset-12",
               "the spec's variation: str_offset 12 in the \"netipc\" payload (a lenient decoder "
               "then finds the string out of bounds)",
               with_u32(spec, sl::kStrOffset, 12), Error::kStringBadOffset);
  f.invalid("order-truncation-before-offset", "7 bytes whose str_offset is 12",
            first_bytes(with_u32(spec, sl::kStrOffset, 12), 7), Error::kStringTruncated)
      .flag("Truncated");
}

}  // namespace

Family increment_family() {
  Family f("increment",
           "INCREMENT payloads (spec/codecs.md): one little-endian u64, request and response "
           "alike; bytes after the first 8 are ignored.");
  add_increment_cases(f);
  return f;
}

Family string_reverse_family() {
  Family f("string_reverse",
           "STRING_REVERSE payloads (spec/codecs.md): str_offset, str_length, the string and "
           "its NUL; bytes after the NUL are ignored. str_offset other than 8 is a SHOULD "
           "rejection (CODEC-STR-002): those cases are acceptable either way.");
  add_string_valid(f);
  add_string_invalid(f);
  return f;
}

}  // namespace nipc::vectors
