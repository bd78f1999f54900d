// Properties of the HELLO / HELLO_ACK codecs and of the handshake decisions.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <bit>
#include <optional>
#include <vector>

#include "nipc/codec/handshake.h"
#include "nipc/codec/hello.h"
#include "support/test_support.h"

namespace nipc::prop {

// Sizes worth hitting often: the edges of every rule, plus anything at all.
inline rc::Gen<std::uint32_t> size_value() {
  return rc::gen::oneOf(
      rc::gen::arbitrary<std::uint32_t>(), rc::gen::inRange<std::uint32_t>(0, 70),
      rc::gen::element<std::uint32_t>(32, 33, 1024, 65536, kRequestPayloadCap,
                                      kRequestPayloadCap + 1, UINT32_MAX - 1, UINT32_MAX));
}

// Profile sets: mostly the four defined bits, sometimes anything.
inline rc::Gen<std::uint32_t> profile_set() {
  return rc::gen::oneOf(rc::gen::inRange<std::uint32_t>(0, 16),
                        rc::gen::arbitrary<std::uint32_t>());
}

}  // namespace nipc::prop

namespace rc {

template <>
struct Arbitrary<nipc::Hello> {
  static Gen<nipc::Hello> arbitrary() {
    using nipc::Hello;
    return gen::build<Hello>(
        gen::set(&Hello::supported_profiles, nipc::prop::profile_set()),
        gen::set(&Hello::preferred_profiles, nipc::prop::profile_set()),
        gen::set(&Hello::max_request_payload_bytes, nipc::prop::size_value()),
        gen::set(&Hello::max_request_batch_items, nipc::prop::size_value()),
        gen::set(&Hello::max_response_payload_bytes, nipc::prop::size_value()),
        gen::set(&Hello::max_response_batch_items, nipc::prop::size_value()),
        gen::set(&Hello::auth_token,
                 gen::oneOf(gen::element<std::uint64_t>(0, 1, 0x0102030405060708ULL),
                            gen::arbitrary<std::uint64_t>())),
        gen::set(&Hello::packet_size, nipc::prop::size_value()));
  }
};

template <>
struct Arbitrary<nipc::HelloAck> {
  static Gen<nipc::HelloAck> arbitrary() {
    using nipc::HelloAck;
    return gen::build<HelloAck>(
        gen::set(&HelloAck::server_supported_profiles), gen::set(&HelloAck::intersection_profiles),
        gen::set(&HelloAck::selected_profile),
        gen::set(&HelloAck::agreed_max_request_payload_bytes),
        gen::set(&HelloAck::agreed_max_request_batch_items),
        gen::set(&HelloAck::agreed_max_response_payload_bytes),
        gen::set(&HelloAck::agreed_max_response_batch_items),
        gen::set(&HelloAck::agreed_packet_size), gen::set(&HelloAck::session_id));
  }
};

template <>
struct Arbitrary<nipc::ServerPolicy> {
  static Gen<nipc::ServerPolicy> arbitrary() {
    using nipc::ServerPolicy;
    return gen::build<ServerPolicy>(
        gen::set(&ServerPolicy::auth_token,
                 gen::oneOf(gen::element<std::uint64_t>(0, 1, 0x0102030405060708ULL),
                            gen::arbitrary<std::uint64_t>())),
        gen::set(&ServerPolicy::supported_profiles, nipc::prop::profile_set()),
        gen::set(&ServerPolicy::preferred_profiles, nipc::prop::profile_set()),
        gen::set(&ServerPolicy::max_request_payload_bytes, nipc::prop::size_value()),
        gen::set(&ServerPolicy::response_payload_bytes, nipc::prop::size_value()),
        gen::set(&ServerPolicy::packet_size, nipc::prop::size_value()),
        gen::set(&ServerPolicy::session_id,
                 gen::oneOf(gen::element<std::uint64_t>(0, 1), gen::arbitrary<std::uint64_t>())));
  }
};

}  // namespace rc

namespace nipc {
namespace {

using testing::Bytes;

// Raw bytes of a payload that may or may not be well formed: mostly near-valid (an encoded
// structure with a few bytes changed, sometimes cut short), sometimes anything. Half of the
// changed bytes fall on `hot` offsets (the fields the decoder judges), so every rule is
// reached often.
template <class T, class Encode>
rc::Gen<Bytes> near_valid(Encode encode, std::vector<std::size_t> hot) {
  return rc::gen::oneOf(
      rc::gen::arbitrary<Bytes>(),
      rc::gen::exec([encode, hot] {
        const auto base = encode(*rc::gen::arbitrary<T>());
        Bytes bytes(base.begin(), base.end());
        const auto edits = *rc::gen::inRange<int>(0, 3);
        for (int i = 0; i < edits; ++i) {
          const std::size_t at = *rc::gen::arbitrary<bool>()
                                     ? *rc::gen::elementOf(hot)
                                     : *rc::gen::inRange<std::size_t>(0, bytes.size());
          bytes[at] = *rc::gen::arbitrary<std::uint8_t>();
        }
        if (*rc::gen::inRange<int>(0, 4) == 0)
          bytes.resize(*rc::gen::inRange<std::size_t>(0, bytes.size() + 8), 0);
        return bytes;
      }));
}

// Offsets of the bytes each decoder judges, relative to the start of its structure.
std::vector<std::size_t> judged_bytes(std::size_t base, std::size_t reserved) {
  return {base + 0, base + 1, base + 2, base + 3,
          base + reserved, base + reserved + 1, base + reserved + 2, base + reserved + 3};
}

// The rule a HELLO's bytes break, computed straight from the layout, independently of the
// decoder.
std::optional<Error> expected_hello_error(const Bytes& b) {
  if (b.size() < 44) return Error::kHelloTruncated;
  if (load_u16le(&b[0]) != 1) return Error::kHelloBadLayout;
  if (load_u16le(&b[2]) != 0) return Error::kHelloNonzeroFlags;
  if (load_u32le(&b[28]) != 0) return Error::kHelloNonzeroReserved;
  return std::nullopt;
}

std::optional<Error> expected_ack_error(const Bytes& b) {
  if (b.size() < 48) return Error::kAckTruncated;
  if (load_u16le(&b[0]) != 1) return Error::kAckBadLayout;
  if (load_u16le(&b[2]) != 0) return Error::kAckNonzeroFlags;
  if (load_u32le(&b[36]) != 0) return Error::kAckNonzeroReserved;
  return std::nullopt;
}

// The status a server must answer with, computed from the rules as stated in the spec.
TransportStatus expected_status(const Hello& h, const ServerPolicy& p) {
  const std::uint32_t configured = p.supported_profiles == 0 ? 0x01 : p.supported_profiles;
  const std::uint32_t offered = configured & ~std::uint32_t{0x08};
  if (h.auth_token != p.auth_token) return TransportStatus::kAuthFailed;
  if ((h.supported_profiles & offered) == 0) return TransportStatus::kUnsupported;
  if (h.max_request_payload_bytes > p.max_request_payload_bytes)
    return TransportStatus::kLimitExceeded;
  if (std::min(h.packet_size, p.packet_size) <= 32) return TransportStatus::kIncompatible;
  return TransportStatus::kOk;
}

// A HELLO that passes auth and profiles under `p` (its token, one offered bit included).
Hello passing_auth_and_profiles(Hello h, const ServerPolicy& p) {
  h.auth_token = p.auth_token;
  const std::uint32_t offered = offered_profiles(p);
  if ((h.supported_profiles & offered) == 0 && offered != 0)
    h.supported_profiles |= std::bit_floor(offered);
  return h;
}

// Adjusts an arbitrary pair so that every server check passes, keeping as much of the
// generated variety as possible (no filtering, so nothing is discarded).
void make_acceptable(Hello* h, ServerPolicy* p) {
  if (offered_profiles(*p) == 0) p->supported_profiles |= profile::kBaseline;
  *h = passing_auth_and_profiles(*h, *p);
  p->max_request_payload_bytes =
      std::max(p->max_request_payload_bytes, h->max_request_payload_bytes);
  if (h->packet_size <= 32) h->packet_size += 33;
  if (p->packet_size <= 32) p->packet_size += 33;
}

// Adjusts an arbitrary policy so that validate_policy() accepts it.
void make_valid(ServerPolicy* p) {
  p->supported_profiles &= ~profile::kShmWaitAddr;
  if (p->session_id == 0) p->session_id = 1;
}

// ---------------------------------------------------------------------------------------
// Codecs

RC_GTEST_PROP(HelloProperty, DecodeOfEncodeIsIdentity, (const Hello& h)) {
  const auto bytes = encode_hello(h);
  auto back = decode_hello(ConstBytes(bytes));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == h);
}

RC_GTEST_PROP(HelloAckProperty, DecodeOfEncodeIsIdentity, (const HelloAck& a)) {
  const auto bytes = encode_hello_ack(a);
  auto back = decode_hello_ack(ConstBytes(bytes));
  RC_ASSERT(back.ok());
  RC_ASSERT(*back == a);
}

RC_GTEST_PROP(HelloProperty, AnyBytesDecodeCanonicallyOrFailWithTheRuleAndMoveNothing, ()) {
  const Bytes bytes = *near_valid<Hello>([](const Hello& h) { return encode_hello(h); },
                                         judged_bytes(0, hello_layout::kReserved));
  ByteReader reader{ConstBytes(bytes)};
  auto h = decode_hello(&reader);
  const std::optional<Error> want = expected_hello_error(bytes);
  if (h.ok()) {
    RC_ASSERT(!want.has_value());
    RC_ASSERT(reader.consumed() == hello_layout::kSize);
    const auto again = encode_hello(*h);
    RC_ASSERT(std::equal(again.begin(), again.end(), bytes.begin()));
  } else {
    RC_ASSERT(want.has_value());
    RC_ASSERT(h.error() == *want);
    RC_ASSERT(reader.consumed() == 0u);
  }
}

RC_GTEST_PROP(HelloAckProperty, AnyBytesDecodeCanonicallyOrFailWithTheRuleAndMoveNothing, ()) {
  const Bytes bytes =
      *near_valid<HelloAck>([](const HelloAck& a) { return encode_hello_ack(a); },
                            judged_bytes(0, ack_layout::kReserved));
  ByteReader reader{ConstBytes(bytes)};
  auto a = decode_hello_ack(&reader);
  const std::optional<Error> want = expected_ack_error(bytes);
  if (a.ok()) {
    RC_ASSERT(!want.has_value());
    RC_ASSERT(reader.consumed() == ack_layout::kSize);
    const auto again = encode_hello_ack(*a);
    RC_ASSERT(std::equal(again.begin(), again.end(), bytes.begin()));
  } else {
    RC_ASSERT(want.has_value());
    RC_ASSERT(a.error() == *want);
    RC_ASSERT(reader.consumed() == 0u);
  }
}

// ---------------------------------------------------------------------------------------
// Server decision

// Arbitrary tokens almost never match; match them half the time so that the later checks
// are reached.
void maybe_share_token(Hello* h, const ServerPolicy& p) {
  if (*rc::gen::arbitrary<bool>()) h->auth_token = p.auth_token;
}

RC_GTEST_PROP(DecideProperty, StatusFollowsTheChecksInSpecOrder, (Hello h, const ServerPolicy& p)) {
  maybe_share_token(&h, p);
  const TransportStatus status = decide(h, p).status;
  RC_TAG(static_cast<int>(status));
  RC_ASSERT(status == expected_status(h, p));
}

RC_GTEST_PROP(DecideProperty, RejectionAcksAreAllZero, (Hello h, const ServerPolicy& p)) {
  maybe_share_token(&h, p);
  const HandshakeDecision d = decide(h, p);
  if (d.status != TransportStatus::kOk) RC_ASSERT(d.ack == HelloAck{});
}

RC_GTEST_PROP(DecideProperty, AcceptedAcksHoldTheAgreedValues, (Hello h, ServerPolicy p)) {
  make_acceptable(&h, &p);
  const HandshakeDecision d = decide(h, p);
  RC_ASSERT(d.status == TransportStatus::kOk);
  const HelloAck& a = d.ack;
  RC_ASSERT(a.agreed_packet_size == std::min(h.packet_size, p.packet_size));
  RC_ASSERT(a.agreed_packet_size > 32u);
  RC_ASSERT(a.agreed_max_response_batch_items == a.agreed_max_request_batch_items);
  RC_ASSERT(a.agreed_max_request_batch_items == h.max_request_batch_items);
  RC_ASSERT(a.agreed_max_request_payload_bytes == h.max_request_payload_bytes);
  RC_ASSERT(a.agreed_max_request_payload_bytes <= p.max_request_payload_bytes);
  RC_ASSERT(a.agreed_max_response_payload_bytes == p.response_payload_bytes);
  RC_ASSERT(a.server_supported_profiles == offered_profiles(p));
  RC_ASSERT(a.intersection_profiles == (h.supported_profiles & a.server_supported_profiles));
  RC_ASSERT(a.session_id == p.session_id);
}

RC_GTEST_PROP(DecideProperty, SelectsTheHighestPreferredCommonBitElseTheHighestCommonBit,
              (Hello h, ServerPolicy p)) {
  make_acceptable(&h, &p);
  const HandshakeDecision d = decide(h, p);
  RC_ASSERT(d.status == TransportStatus::kOk);
  const std::uint32_t inter = d.ack.intersection_profiles;
  const std::uint32_t sel = d.ack.selected_profile;
  RC_ASSERT(std::has_single_bit(sel));
  RC_ASSERT((sel & inter) == sel);
  RC_ASSERT(sel != profile::kShmWaitAddr);
  const std::uint32_t pref = inter & h.preferred_profiles & p.preferred_profiles;
  const std::uint32_t pool = pref != 0 ? pref : inter;
  RC_ASSERT((sel & pool) == sel);
  RC_ASSERT((pool & ~(sel | (sel - 1))) == 0u);  // no higher bit of the pool is set
}

RC_GTEST_PROP(DecideProperty, AProposalAboveTheMaximumIsAlwaysLimitExceeded,
              (Hello h, ServerPolicy p)) {
  p.max_request_payload_bytes = *rc::gen::inRange<std::uint32_t>(0, UINT32_MAX);
  if (offered_profiles(p) == 0) p.supported_profiles |= profile::kBaseline;
  h = passing_auth_and_profiles(h, p);
  h.max_request_payload_bytes = static_cast<std::uint32_t>(
      *rc::gen::inRange<std::uint64_t>(std::uint64_t{p.max_request_payload_bytes} + 1,
                                       std::uint64_t{UINT32_MAX} + 1));
  const HandshakeDecision d = decide(h, p);
  RC_ASSERT(d.status == TransportStatus::kLimitExceeded);
  RC_ASSERT(d.ack == HelloAck{});
}

RC_GTEST_PROP(DecideProperty, NeverSelectsWaitAddrWhateverThePolicy,
              (const Hello& h, const ServerPolicy& p)) {
  const HandshakeDecision d = decide(h, p);
  RC_ASSERT((d.ack.selected_profile & profile::kShmWaitAddr) == 0u);
  RC_ASSERT((d.ack.server_supported_profiles & profile::kShmWaitAddr) == 0u);
}

// ---------------------------------------------------------------------------------------
// Both sides together

RC_GTEST_PROP(HandshakeProperty, TheClientAcceptsEveryOkAckDecideProduces,
              (Hello h, ServerPolicy p)) {
  make_valid(&p);
  RC_ASSERT(validate_policy(p).ok());
  make_acceptable(&h, &p);
  const HandshakeDecision d = decide(h, p);
  RC_ASSERT(d.status == TransportStatus::kOk);
  RC_ASSERT(check_ack(h, d.ack).ok());
  const auto packet = encode_ack_packet(d);
  auto r = check_ack_packet(h, ConstBytes(packet));
  RC_ASSERT(r.ok());
  RC_ASSERT(*r == d.ack);
}

RC_GTEST_PROP(HandshakeProperty, TheClientReportsEveryRejectionDecideProduces,
              (Hello h, const ServerPolicy& p)) {
  maybe_share_token(&h, p);
  const HandshakeDecision d = decide(h, p);
  RC_PRE(d.status != TransportStatus::kOk);
  const auto packet = encode_ack_packet(d);
  auto r = check_ack_packet(h, ConstBytes(packet));
  RC_ASSERT(!r.ok());
  switch (d.status) {
    case TransportStatus::kAuthFailed: RC_ASSERT(r.error() == Error::kAckRejectedAuth); break;
    case TransportStatus::kUnsupported:
      RC_ASSERT(r.error() == Error::kAckRejectedUnsupported);
      break;
    case TransportStatus::kLimitExceeded: RC_ASSERT(r.error() == Error::kAckRejectedLimit); break;
    case TransportStatus::kIncompatible:
      RC_ASSERT(r.error() == Error::kAckRejectedIncompatible);
      break;
    default: RC_FAIL("decide() produced a status outside the handshake's four");
  }
}

RC_GTEST_PROP(HandshakeProperty, AnEncodedHelloPacketIsDecidedLikeTheHello,
              (const Hello& h, const ServerPolicy& p)) {
  const auto packet = encode_hello_packet(h);
  const FirstPacketVerdict v = decide_first_packet(ConstBytes(packet), p);
  RC_ASSERT(!v.cause.has_value());
  RC_ASSERT(v.reply.has_value());
  RC_ASSERT(*v.reply == decide(h, p));
}

RC_GTEST_PROP(HandshakeProperty, AnyFirstPacketGetsAConsistentVerdict, (const ServerPolicy& p)) {
  // Near-valid HELLO packets: encoded, then a few bytes changed and the length cut.
  std::vector<std::size_t> hot = judged_bytes(header_layout::kSize, hello_layout::kReserved);
  for (std::size_t at = header_layout::kVersion; at < header_layout::kTransportStatus; ++at)
    hot.push_back(at);  // version, header_len, kind, flags, code
  const Bytes packet =
      *near_valid<Hello>([](const Hello& h) { return encode_hello_packet(h); }, hot);
  const FirstPacketVerdict v = decide_first_packet(ConstBytes(packet), p);
  RC_ASSERT(v.reply.has_value() || v.cause.has_value());  // a silent close has a reason
  if (v.reply && v.reply->status != TransportStatus::kOk) RC_ASSERT(v.reply->ack == HelloAck{});
  if (!v.cause) {
    // No codec error: the packet held a decodable HELLO and decide() answered it.
    auto hello = decode_hello(ConstBytes(packet).subspan(header_layout::kSize));
    RC_ASSERT(hello.ok());
    RC_ASSERT(*v.reply == decide(*hello, p));
  } else if (v.reply) {
    // A codec error earns a reply only with the table's status, or INCOMPATIBLE for a
    // HELLO on another envelope version.
    const auto status = *v.cause == Error::kHeaderBadVersion
                            ? std::optional<TransportStatus>(TransportStatus::kIncompatible)
                            : error_info(*v.cause).reply_status;
    RC_ASSERT(status.has_value());
    RC_ASSERT(v.reply->status == *status);
  }
}

}  // namespace
}  // namespace nipc
