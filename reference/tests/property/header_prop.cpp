// Properties of the outer header codec.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "nipc/codec/header.h"
#include "support/test_support.h"

namespace rc {
template <>
struct Arbitrary<nipc::Header> {
  static Gen<nipc::Header> arbitrary() {
    return gen::build<nipc::Header>(
        gen::set(&nipc::Header::kind, gen::element(nipc::Kind::kRequest, nipc::Kind::kResponse,
                                                   nipc::Kind::kControl)),
        gen::set(&nipc::Header::flags), gen::set(&nipc::Header::code),
        gen::set(&nipc::Header::transport_status), gen::set(&nipc::Header::payload_len),
        gen::set(&nipc::Header::item_count), gen::set(&nipc::Header::message_id));
  }
};
}  // namespace rc

namespace nipc {
namespace {

RC_GTEST_PROP(HeaderProperty, DecodeOfEncodeIsIdentity, (const Header& h)) {
  const auto bytes = encode_header(h);
  auto back = decode_header(ConstBytes(bytes));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == h);
}

RC_GTEST_PROP(HeaderProperty, AnyBytesDecodeOrFailWithoutMovingTheCursor,
              (const std::vector<std::uint8_t>& bytes)) {
  ByteReader reader{ConstBytes(bytes)};
  auto h = decode_header(&reader);
  if (h.ok()) {
    RC_ASSERT(reader.consumed() == header_layout::kSize);
    // Whatever decodes re-encodes to the same 32 bytes.
    const auto again = encode_header(*h);
    RC_ASSERT(std::equal(again.begin(), again.end(), bytes.begin()));
  } else {
    RC_ASSERT(reader.consumed() == 0u);
  }
}

}  // namespace
}  // namespace nipc
