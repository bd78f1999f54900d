// The handshake decisions (spec/handshake.md, spec/profiles.md): the server's answer to a
// first packet, field by field and in check order, and the client's checks of the ACK.
#include "nipc/codec/handshake.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <optional>

#include "support/test_support.h"

namespace nipc {
namespace {

using testing::Bytes;
using testing::from_hex;

using testing::error_of;

// The facts-sheet HELLO packet: outer header (kind 3, code 1, payload 44, item_count 1)
// followed by the 44-byte HELLO.
const char* const kHelloPacketHex =
    "43 50 49 4e 01 00 20 00 03 00 00 00 01 00 00 00 "
    "2c 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00 "
    "01 00 00 00 03 00 00 00 02 00 00 00 00 04 00 00 "
    "01 00 00 00 00 00 01 00 01 00 00 00 00 00 00 00 "
    "08 07 06 05 04 03 02 01 00 40 03 00";

constexpr std::uint64_t kToken = 0x0102030405060708ULL;

// The HELLO of the facts-sheet vector.
Hello good_hello() {
  Hello h;
  h.supported_profiles = 0x03;
  h.preferred_profiles = 0x02;
  h.max_request_payload_bytes = 1024;
  h.max_request_batch_items = 1;
  h.max_response_payload_bytes = 65536;
  h.max_response_batch_items = 1;
  h.auth_token = kToken;
  h.packet_size = 212992;
  return h;
}

// A server that accepts good_hello().
ServerPolicy good_policy() {
  ServerPolicy p;
  p.auth_token = kToken;
  p.supported_profiles = 0x03;
  p.preferred_profiles = 0x02;
  p.max_request_payload_bytes = kRequestPayloadCap;
  p.response_payload_bytes = 4096;
  p.packet_size = 65536;
  p.session_id = 7;
  return p;
}

Bytes hello_packet(const Hello& h) {
  const auto packet = encode_hello_packet(h);
  return Bytes(packet.begin(), packet.end());
}

// Expects a rejection: the given status and the all-zero ACK (HS-REJECT-001).
void expect_rejected(const HandshakeDecision& d, TransportStatus status) {
  EXPECT_EQ(d.status, status);
  EXPECT_EQ(d.ack, HelloAck{}) << "a rejection ACK carries no field but layout_version";
}

void expect_accepted(const HandshakeDecision& d) {
  EXPECT_EQ(d.status, TransportStatus::kOk);
  EXPECT_NE(d.ack.session_id, 0u);
}

// Expects the verdict of a first packet that earns a rejection ACK.
void expect_reply(const FirstPacketVerdict& v, TransportStatus status, Error cause) {
  ASSERT_TRUE(v.reply.has_value())
      << "closed silently; cause " << (v.cause ? error_name(*v.cause) : "none");
  expect_rejected(*v.reply, status);
  ASSERT_TRUE(v.cause.has_value());
  EXPECT_EQ(*v.cause, cause);
}

// Expects a silent close with the given cause.
void expect_silent_close(const FirstPacketVerdict& v, Error cause) {
  EXPECT_FALSE(v.reply.has_value())
      << "replied with status " << (v.reply ? static_cast<int>(v.reply->status) : -1);
  ASSERT_TRUE(v.cause.has_value());
  EXPECT_EQ(*v.cause, cause);
}

// =======================================================================================
// Packet encoders

TEST(HelloPacket, EncodesTheFactsSheetPacketByteExactly) {
  REQUIREMENT("HS-HELLO-HDR-001");
  EXPECT_EQ(testing::to_hex(hello_packet(good_hello())),
            testing::to_hex(from_hex(kHelloPacketHex)));
}

TEST(HelloPacket, HeaderIsControlHelloWithFixedFields) {
  REQUIREMENT("HS-HELLO-HDR-001");
  const auto b = encode_hello_packet(good_hello());
  auto h = decode_header(ConstBytes(b));
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->kind, Kind::kControl);
  EXPECT_EQ(h->code, 1);
  EXPECT_EQ(h->flags, 0);
  EXPECT_EQ(h->transport_status, 0);
  EXPECT_EQ(h->payload_len, 44u);
  EXPECT_EQ(h->item_count, 1u);
  EXPECT_EQ(h->message_id, 0u);
  auto hello = decode_hello(ConstBytes(b).subspan(32));
  ASSERT_TRUE(hello.ok());
  EXPECT_EQ(*hello, good_hello());
}

TEST(AckPacket, HeaderIsControlHelloAckWithTheDecisionStatus) {
  REQUIREMENT("HS-ACK-HDR-001");
  for (std::uint16_t s = 0; s <= 6; ++s) {
    HandshakeDecision d;
    d.status = static_cast<TransportStatus>(s);
    d.ack.session_id = 99;
    const auto b = encode_ack_packet(d);
    auto h = decode_header(ConstBytes(b));
    ASSERT_TRUE(h.ok());
    EXPECT_EQ(h->kind, Kind::kControl);
    EXPECT_EQ(h->code, 2);
    EXPECT_EQ(h->flags, 0);
    EXPECT_EQ(h->transport_status, s);
    EXPECT_EQ(h->payload_len, 48u);
    EXPECT_EQ(h->item_count, 1u);
    EXPECT_EQ(h->message_id, 0u);
    auto ack = decode_hello_ack(ConstBytes(b).subspan(32));
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->session_id, 99u);
  }
}

TEST(AckPacket, ARejectionPacketIsTheStatusAndAZeroPayload) {
  REQUIREMENT("HS-REJECT-001");
  Hello wrong_token = good_hello();
  wrong_token.auth_token ^= 1;
  const auto verdict = decide_first_packet(ConstBytes(hello_packet(wrong_token)), good_policy());
  ASSERT_TRUE(verdict.reply.has_value());
  const auto b = encode_ack_packet(*verdict.reply);
  Bytes want = from_hex(
      "43 50 49 4e 01 00 20 00 03 00 00 00 02 00 02 00 "
      "30 00 00 00 01 00 00 00 00 00 00 00 00 00 00 00");
  want.resize(80, 0);
  want[32] = 0x01;  // layout_version; every other payload byte zero
  EXPECT_EQ(testing::to_hex(Bytes(b.begin(), b.end())), testing::to_hex(want));
}

TEST(HandshakePackets, FitTheHandshakeReadBuffer) {
  REQUIREMENT("HS-FLOW-001");
  EXPECT_EQ(sizeof(HelloPacket), 76u);
  EXPECT_EQ(sizeof(AckPacket), 80u);
  EXPECT_LE(sizeof(HelloPacket), kHandshakeReadSize);
  EXPECT_LE(sizeof(AckPacket), kHandshakeReadSize);
}

// =======================================================================================
// Server: the first packet

TEST(FirstPacket, AcceptsTheFactsSheetHello) {
  REQUIREMENT("HS-FLOW-001");
  Bytes packet = from_hex(kHelloPacketHex);
  const auto v = decide_first_packet(ConstBytes(packet), good_policy());
  EXPECT_FALSE(v.cause.has_value());
  ASSERT_TRUE(v.reply.has_value());
  EXPECT_EQ(*v.reply, decide(good_hello(), good_policy()));
  expect_accepted(*v.reply);
}

TEST(FirstPacket, AnswersIncompatibleToAHelloOnAnotherEnvelopeVersion) {
  REQUIREMENT("HS-VERSION-001");
  for (std::uint16_t version : {0, 2, 0x0100, 0xFFFF}) {
    Bytes packet = hello_packet(good_hello());
    store_u16le(&packet[header_layout::kVersion], version);
    SCOPED_TRACE(version);
    expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
                 TransportStatus::kIncompatible, Error::kHeaderBadVersion);
  }
}

TEST(FirstPacket, AnswersIncompatibleToABadVersionEvenWithABrokenPayload) {
  REQUIREMENT("HS-ORDER-001");
  // The header version is judged before the HELLO is looked at: no payload at all, or a
  // payload with a bad layout, still gets INCOMPATIBLE for the version.
  Bytes packet = hello_packet(good_hello());
  store_u16le(&packet[header_layout::kVersion], 2);
  expect_reply(decide_first_packet(ConstBytes(packet.data(), 32), good_policy()),
               TransportStatus::kIncompatible, Error::kHeaderBadVersion);
  store_u16le(&packet[32 + hello_layout::kFlags], 1);
  expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
               TransportStatus::kIncompatible, Error::kHeaderBadVersion);
}

TEST(FirstPacket, ClosesSilentlyOnABadVersionWhenTheRestIsNotAHelloHeader) {
  REQUIREMENT("HS-VERSION-001");
  struct Case {
    std::size_t offset;
    std::uint16_t value;
  };
  for (Case c : {Case{header_layout::kHeaderLen, 33}, Case{header_layout::kHeaderLen, 0},
                 Case{header_layout::kKind, 1}, Case{header_layout::kKind, 2},
                 Case{header_layout::kKind, 9}, Case{header_layout::kCode, 2},
                 Case{header_layout::kCode, 0}}) {
    Bytes packet = hello_packet(good_hello());
    store_u16le(&packet[header_layout::kVersion], 2);
    store_u16le(&packet[c.offset], c.value);
    SCOPED_TRACE(::testing::Message() << "offset " << c.offset << " value " << c.value);
    expect_silent_close(decide_first_packet(ConstBytes(packet), good_policy()),
                        Error::kHeaderBadVersion);
  }
}

TEST(FirstPacket, ClosesSilentlyOnEveryTruncatedHeaderPrefix) {
  REQUIREMENT("HS-NOTHELLO-001");
  Bytes packet = hello_packet(good_hello());
  for (std::size_t n = 0; n < 32; ++n) {
    SCOPED_TRACE(n);
    expect_silent_close(decide_first_packet(ConstBytes(packet.data(), n), good_policy()),
                        Error::kHeaderTruncated);
  }
}

TEST(FirstPacket, ClosesSilentlyOnOtherUndecodableHeaders) {
  REQUIREMENT("HS-NOTHELLO-001");
  Bytes packet = hello_packet(good_hello());
  store_u32le(&packet[header_layout::kMagic], kChunkMagic);
  expect_silent_close(decide_first_packet(ConstBytes(packet), good_policy()),
                      Error::kHeaderBadMagic);
  packet = hello_packet(good_hello());
  store_u16le(&packet[header_layout::kHeaderLen], 48);
  expect_silent_close(decide_first_packet(ConstBytes(packet), good_policy()),
                      Error::kHeaderBadHeaderLen);
  packet = hello_packet(good_hello());
  store_u16le(&packet[header_layout::kKind], 4);
  expect_silent_close(decide_first_packet(ConstBytes(packet), good_policy()),
                      Error::kHeaderBadKind);
}

TEST(FirstPacket, ClosesSilentlyOnAPacketThatIsNotAControlHello) {
  REQUIREMENT("HS-NOTHELLO-001");
  struct Case {
    Kind kind;
    std::uint16_t code;
  };
  for (Case c : {Case{Kind::kRequest, 1}, Case{Kind::kRequest, 3}, Case{Kind::kResponse, 1},
                 Case{Kind::kControl, 2}, Case{Kind::kControl, 0}, Case{Kind::kControl, 3},
                 Case{Kind::kControl, 0xFFFF}}) {
    Bytes packet = hello_packet(good_hello());
    store_u16le(&packet[header_layout::kKind], static_cast<std::uint16_t>(c.kind));
    store_u16le(&packet[header_layout::kCode], c.code);
    SCOPED_TRACE(::testing::Message() << "kind " << static_cast<int>(c.kind) << " code "
                                      << c.code);
    expect_silent_close(decide_first_packet(ConstBytes(packet), good_policy()),
                        Error::kFirstPacketNotHello);
  }
}

TEST(FirstPacket, ClosesSilentlyOnARequestBeforeTheHello) {
  REQUIREMENT("HS-NOTHELLO-001");
  Header h;
  h.kind = Kind::kRequest;
  h.code = static_cast<std::uint16_t>(Method::kIncrement);
  h.payload_len = 8;
  h.message_id = 1;
  const auto header = encode_header(h);
  Bytes packet(header.begin(), header.end());
  packet.resize(40, 0);
  expect_silent_close(decide_first_packet(ConstBytes(packet), good_policy()),
                      Error::kFirstPacketNotHello);
}

TEST(FirstPacket, ClosesSilentlyOnEveryTruncatedHelloPayload) {
  REQUIREMENT("HS-HELLO-LEN-001");
  Bytes packet = hello_packet(good_hello());
  for (std::size_t n = 32; n < packet.size(); ++n) {
    SCOPED_TRACE(n);
    expect_silent_close(decide_first_packet(ConstBytes(packet.data(), n), good_policy()),
                        Error::kHelloTruncated);
  }
}

TEST(FirstPacket, IgnoresBytesAfterTheHelloUpToTheReadBuffer) {
  REQUIREMENT("HS-HELLO-LEN-001");
  Bytes packet = hello_packet(good_hello());
  packet.resize(kHandshakeReadSize, 0xEE);
  const auto v = decide_first_packet(ConstBytes(packet), good_policy());
  EXPECT_FALSE(v.cause.has_value());
  ASSERT_TRUE(v.reply.has_value());
  EXPECT_EQ(*v.reply, decide(good_hello(), good_policy()));
}

TEST(FirstPacket, TakesTheHelloFromThePacketBytesNotFromPayloadLen) {
  REQUIREMENT("HS-HELLO-LEN-001");
  for (std::uint32_t payload_len : {0u, 1u, 43u, 45u, 1000u, UINT32_MAX}) {
    Bytes packet = hello_packet(good_hello());
    store_u32le(&packet[header_layout::kPayloadLen], payload_len);
    const auto v = decide_first_packet(ConstBytes(packet), good_policy());
    ASSERT_TRUE(v.reply.has_value()) << payload_len;
    EXPECT_EQ(v.reply->status, TransportStatus::kOk) << payload_len;
  }
  // A header claiming 44 bytes does not make a short packet acceptable.
  Bytes packet = hello_packet(good_hello());
  expect_silent_close(decide_first_packet(ConstBytes(packet.data(), 70), good_policy()),
                      Error::kHelloTruncated);
}

TEST(FirstPacket, DoesNotJudgeTheOtherHelloHeaderFields) {
  REQUIREMENT("HS-ORDER-001");
  Bytes packet = hello_packet(good_hello());
  store_u16le(&packet[header_layout::kFlags], 0xFFFF);
  store_u16le(&packet[header_layout::kTransportStatus], 5);
  store_u32le(&packet[header_layout::kItemCount], 0);
  store_u64le(&packet[header_layout::kMessageId], UINT64_MAX);
  const auto v = decide_first_packet(ConstBytes(packet), good_policy());
  EXPECT_FALSE(v.cause.has_value());
  ASSERT_TRUE(v.reply.has_value());
  EXPECT_EQ(v.reply->status, TransportStatus::kOk);
}

TEST(FirstPacket, AnswersIncompatibleToALayoutOtherThanOne) {
  REQUIREMENT("HS-HELLO-LAYOUT-001");
  for (std::uint16_t layout : {0, 2, 0xFFFF}) {
    Bytes packet = hello_packet(good_hello());
    store_u16le(&packet[32 + hello_layout::kLayoutVersion], layout);
    SCOPED_TRACE(layout);
    expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
                 TransportStatus::kIncompatible, Error::kHelloBadLayout);
  }
}

TEST(FirstPacket, AnswersBadEnvelopeToNonzeroHelloFlags) {
  REQUIREMENT("HS-HELLO-FLAGS-001");
  for (std::uint16_t flags : {0x0001, 0x0080, 0xFFFF}) {
    Bytes packet = hello_packet(good_hello());
    store_u16le(&packet[32 + hello_layout::kFlags], flags);
    SCOPED_TRACE(flags);
    expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
                 TransportStatus::kBadEnvelope, Error::kHelloNonzeroFlags);
  }
}

TEST(FirstPacket, AnswersBadEnvelopeToNonzeroHelloReserved) {
  REQUIREMENT("HS-HELLO-RESERVED-001");
  for (std::uint32_t reserved : {0x00000001u, 0x01000000u, 0xFFFFFFFFu}) {
    Bytes packet = hello_packet(good_hello());
    store_u32le(&packet[32 + hello_layout::kReserved], reserved);
    SCOPED_TRACE(reserved);
    expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
                 TransportStatus::kBadEnvelope, Error::kHelloNonzeroReserved);
  }
}

TEST(FirstPacket, PassesADecodedHelloToDecide) {
  REQUIREMENT("HS-AUTH-001");
  Hello h = good_hello();
  h.auth_token = 0;
  const auto v = decide_first_packet(ConstBytes(hello_packet(h)), good_policy());
  EXPECT_FALSE(v.cause.has_value()) << "a decision is not a codec error";
  ASSERT_TRUE(v.reply.has_value());
  expect_rejected(*v.reply, TransportStatus::kAuthFailed);
}

// =======================================================================================
// Server: check order (HS-ORDER-001): two things wrong at once, the earlier check wins.

TEST(HandshakeOrder, HeaderVersionBeatsHelloLength) {
  REQUIREMENT("HS-ORDER-001");
  Bytes packet = hello_packet(good_hello());
  store_u16le(&packet[header_layout::kVersion], 3);
  expect_reply(decide_first_packet(ConstBytes(packet.data(), 40), good_policy()),
               TransportStatus::kIncompatible, Error::kHeaderBadVersion);
}

TEST(HandshakeOrder, HelloLengthBeatsLayout) {
  REQUIREMENT("HS-ORDER-001");
  Bytes packet = hello_packet(good_hello());
  store_u16le(&packet[32 + hello_layout::kLayoutVersion], 2);
  expect_silent_close(decide_first_packet(ConstBytes(packet.data(), 75), good_policy()),
                      Error::kHelloTruncated);
}

TEST(HandshakeOrder, LayoutBeatsFlags) {
  REQUIREMENT("HS-ORDER-001");
  Bytes packet = hello_packet(good_hello());
  store_u16le(&packet[32 + hello_layout::kLayoutVersion], 2);
  store_u16le(&packet[32 + hello_layout::kFlags], 1);
  expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
               TransportStatus::kIncompatible, Error::kHelloBadLayout);
}

TEST(HandshakeOrder, FlagsBeatReserved) {
  REQUIREMENT("HS-ORDER-001");
  Bytes packet = hello_packet(good_hello());
  store_u16le(&packet[32 + hello_layout::kFlags], 1);
  store_u32le(&packet[32 + hello_layout::kReserved], 1);
  expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
               TransportStatus::kBadEnvelope, Error::kHelloNonzeroFlags);
}

TEST(HandshakeOrder, ReservedBeatsAuth) {
  REQUIREMENT("HS-ORDER-001");
  Hello h = good_hello();
  h.auth_token = 0xBAD;
  Bytes packet = hello_packet(h);
  store_u32le(&packet[32 + hello_layout::kReserved], 1);
  expect_reply(decide_first_packet(ConstBytes(packet), good_policy()),
               TransportStatus::kBadEnvelope, Error::kHelloNonzeroReserved);
}

TEST(HandshakeOrder, AuthBeatsProfiles) {
  REQUIREMENT("HS-ORDER-001");
  // Decision: auth first (documented order); existing peers answer UNSUPPORTED here.
  Hello h = good_hello();
  h.auth_token = 0xBAD;
  h.supported_profiles = 0x04;  // nothing in common with the server's 0x03
  expect_rejected(decide(h, good_policy()), TransportStatus::kAuthFailed);
}

TEST(HandshakeOrder, ProfilesBeatRequestCap) {
  REQUIREMENT("HS-ORDER-001");
  Hello h = good_hello();
  h.supported_profiles = 0x04;
  h.max_request_payload_bytes = UINT32_MAX;
  expect_rejected(decide(h, good_policy()), TransportStatus::kUnsupported);
}

TEST(HandshakeOrder, RequestCapBeatsPacketSize) {
  REQUIREMENT("HS-ORDER-001");
  Hello h = good_hello();
  h.max_request_payload_bytes = kRequestPayloadCap + 1;
  h.packet_size = 0;
  expect_rejected(decide(h, good_policy()), TransportStatus::kLimitExceeded);
}

TEST(HandshakeOrder, EverythingWrongAtOnceIsAnAuthFailure) {
  REQUIREMENT("HS-ORDER-001");
  Hello h;
  h.auth_token = ~kToken;
  h.supported_profiles = 0;
  h.max_request_payload_bytes = UINT32_MAX;
  h.packet_size = 1;
  expect_rejected(decide(h, good_policy()), TransportStatus::kAuthFailed);
}

// =======================================================================================
// Server: auth token (HS-AUTH-001)

TEST(HandshakeAuth, AcceptsTheExactToken) {
  REQUIREMENT("HS-AUTH-001");
  expect_accepted(decide(good_hello(), good_policy()));
}

TEST(HandshakeAuth, RejectsATokenWithAnyOneBitFlipped) {
  REQUIREMENT("HS-AUTH-001");
  for (int bit = 0; bit < 64; ++bit) {
    Hello h = good_hello();
    h.auth_token ^= std::uint64_t{1} << bit;
    SCOPED_TRACE(bit);
    expect_rejected(decide(h, good_policy()), TransportStatus::kAuthFailed);
  }
}

TEST(HandshakeAuth, RejectsZeroAllOnesAndAnotherToken) {
  REQUIREMENT("HS-AUTH-001");
  for (std::uint64_t token : {std::uint64_t{0}, UINT64_MAX, std::uint64_t{0x0807060504030201}}) {
    Hello h = good_hello();
    h.auth_token = token;
    SCOPED_TRACE(token);
    expect_rejected(decide(h, good_policy()), TransportStatus::kAuthFailed);
  }
}

TEST(HandshakeAuth, ComparesAllSixtyFourBitsAgainstAZeroToken) {
  REQUIREMENT("HS-AUTH-001");
  ServerPolicy p = good_policy();
  p.auth_token = 0;
  Hello h = good_hello();
  h.auth_token = 0;
  expect_accepted(decide(h, p));
  h.auth_token = std::uint64_t{1} << 63;  // only the top half differs
  expect_rejected(decide(h, p), TransportStatus::kAuthFailed);
}

// =======================================================================================
// Server: profiles (HS-PROF-*, PROF-*)

TEST(HandshakeProfiles, RejectsAnEmptyIntersectionAsUnsupported) {
  REQUIREMENT("HS-PROF-001");
  for (std::uint32_t client : {0x00u, 0x04u, 0x08u, 0x0Cu, 0xFFFFFFF0u}) {
    Hello h = good_hello();
    h.supported_profiles = client;
    SCOPED_TRACE(client);
    expect_rejected(decide(h, good_policy()), TransportStatus::kUnsupported);
  }
}

TEST(HandshakeProfiles, AckCarriesTheServerSetAndTheIntersection) {
  REQUIREMENT("HS-PROF-003");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0x06;
  Hello h = good_hello();
  h.supported_profiles = 0x03;
  const auto d = decide(h, p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.server_supported_profiles, 0x06u);
  EXPECT_EQ(d.ack.intersection_profiles, 0x02u);
  EXPECT_EQ(d.ack.selected_profile, 0x02u);
}

TEST(HandshakeProfiles, AServerConfiguredWithZeroOffersBaseline) {
  REQUIREMENT("HS-PROF-003");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0;
  EXPECT_EQ(offered_profiles(p), profile::kBaseline);
  const auto d = decide(good_hello(), p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.server_supported_profiles, 0x01u);
  EXPECT_EQ(d.ack.intersection_profiles, 0x01u);
  EXPECT_EQ(d.ack.selected_profile, 0x01u);
}

TEST(HandshakeProfiles, WithoutACommonPreferenceTheHighestCommonBitWins) {
  REQUIREMENT("HS-PROF-002");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0x07;
  p.preferred_profiles = 0x02;
  Hello h = good_hello();
  h.supported_profiles = 0x07;
  h.preferred_profiles = 0x01;  // preferences do not meet
  const auto d = decide(h, p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.selected_profile, 0x04u);
}

TEST(HandshakeProfiles, ThePreferredCommonBitWinsEvenOverAHigherCommonBit) {
  REQUIREMENT("HS-PROF-002");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0x07;
  p.preferred_profiles = 0x03;
  Hello h = good_hello();
  h.supported_profiles = 0x07;
  h.preferred_profiles = 0x03;
  const auto d = decide(h, p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.selected_profile, 0x02u);  // highest of the common preference 0x03
}

TEST(HandshakeProfiles, PreferencesOutsideTheIntersectionDoNotCount) {
  REQUIREMENT("HS-PROF-002");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0x03;
  p.preferred_profiles = 0x04;
  Hello h = good_hello();
  h.supported_profiles = 0x07;
  h.preferred_profiles = 0x04;  // both prefer 0x04, which the server cannot serve
  const auto d = decide(h, p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.intersection_profiles, 0x03u);
  EXPECT_EQ(d.ack.selected_profile, 0x02u);
}

TEST(HandshakeProfiles, OnlyOneSidePreferringIsNoPreference) {
  REQUIREMENT("HS-PROF-002");
  ServerPolicy p = good_policy();
  p.preferred_profiles = 0;
  Hello h = good_hello();
  h.supported_profiles = 0x03;
  h.preferred_profiles = 0x01;
  const auto d = decide(h, p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.selected_profile, 0x02u);
}

TEST(SelectProfile, FollowsTheFormula) {
  REQUIREMENT("HS-PROF-002");
  EXPECT_EQ(select_profile(0, 0xFF, 0xFF), 0u);
  EXPECT_EQ(select_profile(0x01, 0, 0), 0x01u);
  EXPECT_EQ(select_profile(0x03, 0, 0), 0x02u);          // POSIX: SHM even unpreferred
  EXPECT_EQ(select_profile(0x07, 0, 0), 0x04u);          // Windows: busy-wait wins
  EXPECT_EQ(select_profile(0x07, 0x03, 0x01), 0x01u);    // common preference 0x01
  EXPECT_EQ(select_profile(0x07, 0x03, 0x06), 0x02u);    // common preference 0x02
  EXPECT_EQ(select_profile(0x05, 0x02, 0x02), 0x04u);    // preference outside intersection
  EXPECT_EQ(select_profile(0x80000001u, 0, 0), 0x80000000u);  // formula alone, any bit
}

TEST(Profiles, BitValuesAreTheSpecifiedOnes) {
  REQUIREMENT("PROF-BITS-001");
  EXPECT_EQ(profile::kBaseline, 0x01u);
  EXPECT_EQ(profile::kShmHybrid, 0x02u);
  EXPECT_EQ(profile::kShmFutex, 0x04u);
  EXPECT_EQ(profile::kShmBusywait, 0x04u);
  EXPECT_EQ(profile::kShmWaitAddr, 0x08u);
  EXPECT_EQ(profile::kShmAny, 0x06u);
}

TEST(Profiles, UnknownBitsOfferedAreOutsideTheIntersection) {
  REQUIREMENT("PROF-UNKNOWN-001");
  Hello h = good_hello();
  h.supported_profiles = 0xFFFFFFF1u;
  h.preferred_profiles = 0xFFFFFFF0u;
  const auto d = decide(h, good_policy());
  expect_accepted(d);
  EXPECT_EQ(d.ack.intersection_profiles, 0x01u);
  EXPECT_EQ(d.ack.selected_profile, 0x01u);
}

TEST(Profiles, OnlyUnknownBitsIsUnsupportedNotAnError) {
  REQUIREMENT("PROF-UNKNOWN-001");
  Hello h = good_hello();
  h.supported_profiles = 0xFFFFFF00u;
  const auto v = decide_first_packet(ConstBytes(hello_packet(h)), good_policy());
  EXPECT_FALSE(v.cause.has_value());
  ASSERT_TRUE(v.reply.has_value());
  expect_rejected(*v.reply, TransportStatus::kUnsupported);
}

TEST(Profiles, TheServerNeverOffersOrSelectsWaitAddr) {
  REQUIREMENT("PROF-WAITADDR-001");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0x0F;  // misconfigured: validate_policy refuses it (below)
  p.preferred_profiles = 0x08;
  Hello h = good_hello();
  h.supported_profiles = 0x0F;  // a peer may offer it; the server does not serve it
  h.preferred_profiles = 0x08;
  EXPECT_EQ(offered_profiles(p), 0x07u);
  const auto d = decide(h, p);
  expect_accepted(d);
  EXPECT_EQ(d.ack.server_supported_profiles, 0x07u);
  EXPECT_EQ(d.ack.intersection_profiles, 0x07u);
  EXPECT_EQ(d.ack.selected_profile, 0x04u);
}

TEST(Profiles, AServerOfferingOnlyWaitAddrHasNothingInCommon) {
  REQUIREMENT("PROF-WAITADDR-001");
  ServerPolicy p = good_policy();
  p.supported_profiles = 0x08;
  Hello h = good_hello();
  h.supported_profiles = 0x08;
  EXPECT_EQ(offered_profiles(p), 0u);
  expect_rejected(decide(h, p), TransportStatus::kUnsupported);
}

TEST(Profiles, SelectProfileAloneWouldPickWaitAddrSoDecideKeepsItOut) {
  REQUIREMENT("PROF-WAITADDR-001");
  // The formula is bit arithmetic; 0x08 never reaches it because decide() never offers it.
  EXPECT_EQ(select_profile(0x0F, 0, 0), 0x08u);
}

// =======================================================================================
// Server: policy validation

TEST(ServerPolicyValidation, AcceptsTheDefaultsAndGoodPolicies) {
  REQUIREMENT("HS-SID-001");
  EXPECT_TRUE(validate_policy(ServerPolicy{}).ok());
  EXPECT_TRUE(validate_policy(good_policy()).ok());
  ServerPolicy p = good_policy();
  p.supported_profiles = 0;
  p.session_id = UINT64_MAX;
  EXPECT_TRUE(validate_policy(p).ok());
}

TEST(ServerPolicyValidation, RefusesAnOfferOfWaitAddr) {
  REQUIREMENT("PROF-WAITADDR-001");
  for (std::uint32_t supported : {0x08u, 0x09u, 0x0Fu, 0xFFFFFFFFu}) {
    ServerPolicy p = good_policy();
    p.supported_profiles = supported;
    auto r = validate_policy(p);
    ASSERT_FALSE(r.ok()) << supported;
    EXPECT_EQ(r.error(), Error::kPolicyOffersWaitAddr) << supported;
  }
}

TEST(ServerPolicyValidation, RefusesSessionIdZero) {
  REQUIREMENT("HS-SID-001");
  ServerPolicy p = good_policy();
  p.session_id = 0;
  auto r = validate_policy(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kPolicyZeroSessionId);
  p.supported_profiles = 0x08;  // both wrong: the profile rule comes first
  EXPECT_EQ(error_of(validate_policy(p)), Error::kPolicyOffersWaitAddr);
}

// =======================================================================================
// Server: request payload cap (HS-REQ-001, HS-REQ-002)

TEST(HandshakeRequestCap, TheDefaultMaximumIsOneMebibyte) {
  REQUIREMENT("HS-REQ-001");
  EXPECT_EQ(ServerPolicy{}.max_request_payload_bytes, 1048576u);
}

TEST(HandshakeRequestCap, EchoesProposalsUpToTheCapUnchanged) {
  REQUIREMENT("HS-REQ-002");
  for (std::uint32_t proposal : {0u, 1u, 1024u, kRequestPayloadCap - 1, kRequestPayloadCap}) {
    Hello h = good_hello();
    h.max_request_payload_bytes = proposal;
    const auto d = decide(h, good_policy());
    expect_accepted(d);
    EXPECT_EQ(d.ack.agreed_max_request_payload_bytes, proposal);
  }
}

TEST(HandshakeRequestCap, RejectsProposalsAboveTheCapWithoutClamping) {
  REQUIREMENT("HS-REQ-001");
  for (std::uint32_t proposal : {kRequestPayloadCap + 1, 2 * kRequestPayloadCap, UINT32_MAX}) {
    Hello h = good_hello();
    h.max_request_payload_bytes = proposal;
    SCOPED_TRACE(proposal);
    expect_rejected(decide(h, good_policy()), TransportStatus::kLimitExceeded);
  }
}

TEST(HandshakeRequestCap, UsesTheConfiguredMaximum) {
  REQUIREMENT("HS-REQ-001");
  ServerPolicy p = good_policy();
  p.max_request_payload_bytes = 1024;
  Hello h = good_hello();
  h.max_request_payload_bytes = 1024;
  expect_accepted(decide(h, p));
  h.max_request_payload_bytes = 1025;
  expect_rejected(decide(h, p), TransportStatus::kLimitExceeded);
  p.max_request_payload_bytes = 0;
  h.max_request_payload_bytes = 1;
  expect_rejected(decide(h, p), TransportStatus::kLimitExceeded);
}

// =======================================================================================
// Server: batches and the response limit (HS-BATCH-001/002, HS-RESP-001)

TEST(HandshakeBatch, EchoesTheRequestBatchProposalUnchanged) {
  REQUIREMENT("HS-BATCH-001");
  for (std::uint32_t items : {0u, 1u, 1000u, UINT32_MAX}) {
    Hello h = good_hello();
    h.max_request_batch_items = items;
    const auto d = decide(h, good_policy());
    expect_accepted(d);
    EXPECT_EQ(d.ack.agreed_max_request_batch_items, items);
  }
}

TEST(HandshakeBatch, ResponseBatchEqualsRequestBatchWhateverTheHint) {
  REQUIREMENT("HS-BATCH-002");
  for (std::uint32_t items : {1u, 1000u, UINT32_MAX}) {
    for (std::uint32_t hint : {0u, 1u, 7u, UINT32_MAX}) {
      Hello h = good_hello();
      h.max_request_batch_items = items;
      h.max_response_batch_items = hint;
      const auto d = decide(h, good_policy());
      expect_accepted(d);
      EXPECT_EQ(d.ack.agreed_max_response_batch_items, items) << "hint " << hint;
    }
  }
}

TEST(HandshakeResponse, UsesTheServerValueAndIgnoresTheClientHint) {
  REQUIREMENT("HS-RESP-001");
  for (std::uint32_t hint : {0u, 1u, 4096u, 65536u, UINT32_MAX}) {
    Hello h = good_hello();
    h.max_response_payload_bytes = hint;
    const auto d = decide(h, good_policy());
    expect_accepted(d);
    EXPECT_EQ(d.ack.agreed_max_response_payload_bytes, 4096u) << "hint " << hint;
  }
  ServerPolicy p = good_policy();
  p.response_payload_bytes = 123;
  EXPECT_EQ(decide(good_hello(), p).ack.agreed_max_response_payload_bytes, 123u);
}

// =======================================================================================
// Server: packet size (HS-PKT-001, HS-PKT-002)

TEST(HandshakePacketSize, AgreesOnTheSmallerOfTheTwo) {
  REQUIREMENT("HS-PKT-001");
  struct Case {
    std::uint32_t client, server, agreed;
  };
  for (Case c : {Case{33, 65536, 33}, Case{65536, 65536, 65536}, Case{212992, 65536, 65536},
                 Case{UINT32_MAX, 65536, 65536}, Case{4096, UINT32_MAX, 4096},
                 Case{65536, 33, 33}}) {
    ServerPolicy p = good_policy();
    p.packet_size = c.server;
    Hello h = good_hello();
    h.packet_size = c.client;
    const auto d = decide(h, p);
    expect_accepted(d);
    EXPECT_EQ(d.ack.agreed_packet_size, c.agreed) << c.client << " vs " << c.server;
  }
}

TEST(HandshakePacketSize, RejectsAnAgreedSizeOf32OrLessAsIncompatible) {
  REQUIREMENT("HS-PKT-002");
  for (std::uint32_t client : {0u, 1u, 31u, 32u}) {
    Hello h = good_hello();
    h.packet_size = client;
    SCOPED_TRACE(client);
    expect_rejected(decide(h, good_policy()), TransportStatus::kIncompatible);
  }
  ServerPolicy p = good_policy();
  p.packet_size = 32;  // the server's own size is too small: every HELLO fails
  expect_rejected(decide(good_hello(), p), TransportStatus::kIncompatible);
}

// =======================================================================================
// Server: the whole success ACK and session_id (HS-SID-001)

TEST(HandshakeDecide, BuildsTheSuccessAckFromHelloAndPolicy) {
  REQUIREMENT("HS-REQ-002");
  const auto d = decide(good_hello(), good_policy());
  ASSERT_EQ(d.status, TransportStatus::kOk);
  HelloAck want;
  want.server_supported_profiles = 0x03;
  want.intersection_profiles = 0x03;
  want.selected_profile = 0x02;
  want.agreed_max_request_payload_bytes = 1024;
  want.agreed_max_request_batch_items = 1;
  want.agreed_max_response_payload_bytes = 4096;
  want.agreed_max_response_batch_items = 1;
  want.agreed_packet_size = 65536;
  want.session_id = 7;
  EXPECT_EQ(d.ack, want);
}

TEST(HandshakeDecide, CarriesThePolicySessionId) {
  REQUIREMENT("HS-SID-001");
  for (std::uint64_t sid : {std::uint64_t{1}, std::uint64_t{2}, UINT64_MAX}) {
    ServerPolicy p = good_policy();
    p.session_id = sid;
    EXPECT_EQ(decide(good_hello(), p).ack.session_id, sid);
  }
}

TEST(HandshakeDecide, EveryRejectionCarriesAnAllZeroAck) {
  REQUIREMENT("HS-REJECT-001");
  Hello auth = good_hello();
  auth.auth_token = 1;
  Hello prof = good_hello();
  prof.supported_profiles = 0x04;
  Hello cap = good_hello();
  cap.max_request_payload_bytes = UINT32_MAX;
  Hello pkt = good_hello();
  pkt.packet_size = 32;
  ServerPolicy p = good_policy();
  p.session_id = 12345;  // must not leak into a rejection
  expect_rejected(decide(auth, p), TransportStatus::kAuthFailed);
  expect_rejected(decide(prof, p), TransportStatus::kUnsupported);
  expect_rejected(decide(cap, p), TransportStatus::kLimitExceeded);
  expect_rejected(decide(pkt, p), TransportStatus::kIncompatible);
}

// =======================================================================================
// Client: check_ack (HS-CLI-*)

// The ACK decide() gives good_hello() under good_policy().
HelloAck good_ack() { return decide(good_hello(), good_policy()).ack; }

TEST(ClientCheckAck, AcceptsTheAckTheServerDecided) {
  REQUIREMENT("HS-CLI-PROF-001");
  EXPECT_TRUE(check_ack(good_hello(), good_ack()).ok());
}

TEST(ClientCheckAck, RefusesAProfileTheServerDidNotAdvertise) {
  REQUIREMENT("HS-CLI-PROF-001");
  // The client offered 0x03; the server advertised baseline only, so the intersection is
  // 0x01, yet it "selected" SHM: offered by the client, never by the server.
  HelloAck a = good_ack();
  a.server_supported_profiles = 0x01;
  a.intersection_profiles = 0x01;
  a.selected_profile = 0x02;
  EXPECT_EQ(error_of(check_ack(good_hello(), a)), Error::kAckProfileNotOffered);
}

TEST(ClientCheckAck, RefusesASelectedProfileThatIsNotOneBit) {
  REQUIREMENT("HS-CLI-PROF-002");
  for (std::uint32_t selected : {0x00u, 0x03u, 0x06u, 0xFFFFFFFFu}) {
    HelloAck a = good_ack();
    a.selected_profile = selected;
    auto r = check_ack(good_hello(), a);
    ASSERT_FALSE(r.ok()) << selected;
    EXPECT_EQ(r.error(), Error::kAckProfileNotSingleBit) << selected;
  }
}

TEST(ClientCheckAck, RefusesASelectedProfileItDidNotOffer) {
  REQUIREMENT("HS-CLI-PROF-001");
  for (std::uint32_t selected : {0x04u, 0x08u, 0x80000000u}) {
    HelloAck a = good_ack();
    a.selected_profile = selected;
    auto r = check_ack(good_hello(), a);  // the client offered 0x03
    ASSERT_FALSE(r.ok()) << selected;
    EXPECT_EQ(r.error(), Error::kAckProfileNotOffered) << selected;
  }
}

TEST(ClientCheckAck, AcceptsEitherOfferedProfile) {
  REQUIREMENT("HS-CLI-PROF-001");
  for (std::uint32_t selected : {0x01u, 0x02u}) {
    HelloAck a = good_ack();
    a.selected_profile = selected;
    EXPECT_TRUE(check_ack(good_hello(), a).ok()) << selected;
  }
}

TEST(ClientCheckAck, RefusesAnInconsistentIntersection) {
  REQUIREMENT("HS-CLI-PROF-003");
  for (std::uint32_t intersection : {0x00u, 0x01u, 0x02u, 0x07u, 0x83u}) {
    HelloAck a = good_ack();  // client 0x03 & server 0x03 = 0x03
    a.intersection_profiles = intersection;
    auto r = check_ack(good_hello(), a);
    ASSERT_FALSE(r.ok()) << intersection;
    EXPECT_EQ(r.error(), Error::kAckIntersectionMismatch) << intersection;
  }
  HelloAck a = good_ack();
  a.server_supported_profiles = 0x07;  // the intersection must follow the server set
  EXPECT_TRUE(check_ack(good_hello(), a).ok());
  a.server_supported_profiles = 0x02;
  EXPECT_EQ(error_of(check_ack(good_hello(), a)), Error::kAckIntersectionMismatch);
}

TEST(ClientCheckAck, RefusesAChangedRequestPayloadLimit) {
  REQUIREMENT("HS-CLI-REQ-001");
  for (std::uint32_t agreed : {0u, 1023u, 1025u, 512u, UINT32_MAX}) {
    HelloAck a = good_ack();
    a.agreed_max_request_payload_bytes = agreed;
    auto r = check_ack(good_hello(), a);
    ASSERT_FALSE(r.ok()) << agreed;
    EXPECT_EQ(r.error(), Error::kAckRequestPayloadChanged) << agreed;
  }
}

TEST(ClientCheckAck, RefusesAChangedRequestBatchLimit) {
  REQUIREMENT("HS-CLI-BATCH-001");
  for (std::uint32_t agreed : {0u, 2u, UINT32_MAX}) {
    HelloAck a = good_ack();
    a.agreed_max_request_batch_items = agreed;
    a.agreed_max_response_batch_items = agreed;  // symmetric, so only the echo is wrong
    auto r = check_ack(good_hello(), a);
    ASSERT_FALSE(r.ok()) << agreed;
    EXPECT_EQ(r.error(), Error::kAckRequestBatchChanged) << agreed;
  }
}

TEST(ClientCheckAck, RefusesAsymmetricBatchLimits) {
  REQUIREMENT("HS-CLI-BATCH-002");
  for (std::uint32_t response : {0u, 2u, UINT32_MAX}) {
    HelloAck a = good_ack();
    a.agreed_max_response_batch_items = response;
    auto r = check_ack(good_hello(), a);
    ASSERT_FALSE(r.ok()) << response;
    EXPECT_EQ(r.error(), Error::kAckBatchAsymmetric) << response;
  }
}

TEST(ClientCheckAck, RefusesAnAgreedPacketSizeOf32OrLess) {
  REQUIREMENT("HS-CLI-PKT-001");
  for (std::uint32_t agreed : {0u, 1u, 32u}) {
    HelloAck a = good_ack();
    a.agreed_packet_size = agreed;
    auto r = check_ack(good_hello(), a);
    ASSERT_FALSE(r.ok()) << agreed;
    EXPECT_EQ(r.error(), Error::kAckPacketSizeTooSmall) << agreed;
  }
  HelloAck a = good_ack();
  a.agreed_packet_size = 33;
  EXPECT_TRUE(check_ack(good_hello(), a).ok());
}

TEST(ClientCheckAck, RefusesAnAgreedPacketSizeAboveItsProposal) {
  REQUIREMENT("HS-CLI-PKT-002");
  for (std::uint32_t agreed : {212993u, UINT32_MAX}) {
    HelloAck a = good_ack();
    a.agreed_packet_size = agreed;
    auto r = check_ack(good_hello(), a);  // proposed 212992
    ASSERT_FALSE(r.ok()) << agreed;
    EXPECT_EQ(r.error(), Error::kAckPacketSizeAboveProposal) << agreed;
  }
  HelloAck a = good_ack();
  a.agreed_packet_size = 212992;
  EXPECT_TRUE(check_ack(good_hello(), a).ok());
}

TEST(ClientCheckAck, RefusesSessionIdZero) {
  REQUIREMENT("HS-CLI-SID-001");
  HelloAck a = good_ack();
  a.session_id = 0;
  auto r = check_ack(good_hello(), a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::kAckZeroSessionId);
  a.session_id = UINT64_MAX;
  EXPECT_TRUE(check_ack(good_hello(), a).ok());
}

TEST(ClientCheckAck, DoesNotJudgeTheResponsePayloadLimit) {
  REQUIREMENT("HS-RESP-001");
  for (std::uint32_t response : {0u, 1u, UINT32_MAX}) {
    HelloAck a = good_ack();
    a.agreed_max_response_payload_bytes = response;
    EXPECT_TRUE(check_ack(good_hello(), a).ok()) << response;
  }
}

TEST(ClientCheckAck, ChecksItsRulesInTheDocumentedOrder) {
  REQUIREMENT("HS-CLI-PROF-002");
  // Start with every rule broken and repair them one at a time, in order.
  Hello sent = good_hello();
  sent.packet_size = 20;  // so that an agreed size can be both <= 32 and above it
  HelloAck a = good_ack();
  a.selected_profile = 0x0C;       // not one bit, and not offered
  a.intersection_profiles = 0x10;  // inconsistent
  a.agreed_max_request_payload_bytes = 1;
  a.agreed_max_request_batch_items = 5;
  a.agreed_max_response_batch_items = 6;
  a.agreed_packet_size = 30;  // too small and above the proposal
  a.session_id = 0;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckProfileNotSingleBit);
  a.selected_profile = 0x04;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckProfileNotOffered);
  a.selected_profile = 0x02;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckIntersectionMismatch);
  a.intersection_profiles = 0x03;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckRequestPayloadChanged);
  a.agreed_max_request_payload_bytes = 1024;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckRequestBatchChanged);
  a.agreed_max_request_batch_items = 1;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckBatchAsymmetric);
  a.agreed_max_response_batch_items = 1;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckPacketSizeTooSmall);
  a.agreed_packet_size = 40;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckPacketSizeAboveProposal);
  sent.packet_size = 40;
  EXPECT_EQ(error_of(check_ack(sent, a)), Error::kAckZeroSessionId);
  a.session_id = 1;
  EXPECT_TRUE(check_ack(sent, a).ok());
}

// =======================================================================================
// Client: check_ack_packet (header, kind, status, payload, then check_ack)

Bytes ack_packet(TransportStatus status, const HelloAck& ack) {
  const auto b = encode_ack_packet(HandshakeDecision{status, ack});
  return Bytes(b.begin(), b.end());
}

Bytes good_ack_packet() { return ack_packet(TransportStatus::kOk, good_ack()); }

TEST(ClientAckPacket, ReturnsTheAckOfAGoodPacket) {
  REQUIREMENT("HS-CLI-KIND-001");
  Bytes packet = good_ack_packet();
  auto r = check_ack_packet(good_hello(), ConstBytes(packet));
  ASSERT_TRUE(r.ok()) << error_name(r.error());
  EXPECT_EQ(*r, good_ack());
}

// Each status maps to its own error (one test per status below, one requirement each).
void expect_status_maps(std::uint16_t status, Error error) {
  Bytes packet = ack_packet(TransportStatus::kOk, HelloAck{});
  store_u16le(&packet[header_layout::kTransportStatus], status);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))), error);
  // Mapped before the payload is decoded: with no payload, or a broken one, the
  // rejection is still what the client reports.
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet.data(), 32))), error);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet.data(), 50))), error);
  store_u16le(&packet[32 + ack_layout::kLayoutVersion], 9);
  store_u16le(&packet[32 + ack_layout::kFlags], 9);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))), error);
  // A rejection whose payload would fail check_ack (session_id 0 etc.) is still a rejection.
  const Bytes rejection = ack_packet(static_cast<TransportStatus>(status), HelloAck{});
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(rejection))), error);
}

TEST(ClientAckPacket, ReportsAuthFailedBeforeLookingAtThePayload) {
  REQUIREMENT("HS-CLI-STATUS-001");
  expect_status_maps(2, Error::kAckRejectedAuth);
}

TEST(ClientAckPacket, ReportsUnsupportedBeforeLookingAtThePayload) {
  REQUIREMENT("HS-CLI-STATUS-002");
  expect_status_maps(4, Error::kAckRejectedUnsupported);
}

TEST(ClientAckPacket, ReportsIncompatibleBeforeLookingAtThePayload) {
  REQUIREMENT("HS-CLI-STATUS-003");
  expect_status_maps(3, Error::kAckRejectedIncompatible);
}

TEST(ClientAckPacket, ReportsLimitExceededBeforeLookingAtThePayload) {
  REQUIREMENT("HS-CLI-STATUS-004");
  expect_status_maps(5, Error::kAckRejectedLimit);
}

TEST(ClientAckPacket, ReportsAnyOtherStatusAsAGenericRejection) {
  REQUIREMENT("HS-CLI-STATUS-005");
  for (std::uint16_t status : {1, 6, 7, 0x100, 0xFFFF}) {
    SCOPED_TRACE(status);
    expect_status_maps(status, Error::kAckRejectedOther);
  }
}

TEST(ClientAckPacket, RefusesAReplyThatIsNotAControlHelloAck) {
  REQUIREMENT("HS-CLI-KIND-001");
  struct Case {
    Kind kind;
    std::uint16_t code;
  };
  for (Case c : {Case{Kind::kResponse, 2}, Case{Kind::kRequest, 2}, Case{Kind::kControl, 1},
                 Case{Kind::kControl, 0}, Case{Kind::kControl, 3}}) {
    Bytes packet = good_ack_packet();
    store_u16le(&packet[header_layout::kKind], static_cast<std::uint16_t>(c.kind));
    store_u16le(&packet[header_layout::kCode], c.code);
    auto r = check_ack_packet(good_hello(), ConstBytes(packet));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), Error::kAckNotControl)
        << "kind " << static_cast<int>(c.kind) << " code " << c.code;
  }
}

TEST(ClientAckPacket, JudgesKindBeforeStatus) {
  REQUIREMENT("HS-CLI-KIND-001");
  Bytes packet = ack_packet(TransportStatus::kAuthFailed, HelloAck{});
  store_u16le(&packet[header_layout::kKind], static_cast<std::uint16_t>(Kind::kResponse));
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))), Error::kAckNotControl);
}

TEST(ClientAckPacket, TreatsAnotherEnvelopeVersionAsIncompatible) {
  REQUIREMENT("HS-CLI-KIND-001");
  for (std::uint16_t version : {0, 2, 0xFFFF}) {
    Bytes packet = good_ack_packet();
    store_u16le(&packet[header_layout::kVersion], version);
    EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
              Error::kAckRejectedIncompatible)
        << version;
    // Whatever else the header says: the version is judged first.
    store_u16le(&packet[header_layout::kKind], 9);
    EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet.data(), 32))),
              Error::kAckRejectedIncompatible)
        << version;
  }
}

TEST(ClientAckPacket, ReturnsOtherHeaderErrorsAsTheyAre) {
  REQUIREMENT("HS-CLI-KIND-001");
  Bytes packet = good_ack_packet();
  for (std::size_t n = 0; n < 32; ++n)
    EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet.data(), n))),
              Error::kHeaderTruncated)
        << n;
  packet = good_ack_packet();
  store_u32le(&packet[header_layout::kMagic], 0);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))), Error::kHeaderBadMagic);
  packet = good_ack_packet();
  store_u16le(&packet[header_layout::kHeaderLen], 0);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
            Error::kHeaderBadHeaderLen);
  packet = good_ack_packet();
  store_u16le(&packet[header_layout::kKind], 0);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))), Error::kHeaderBadKind);
}

TEST(ClientAckPacket, RejectsEveryTruncatedOkPayload) {
  REQUIREMENT("HS-ACK-LEN-001");
  Bytes packet = good_ack_packet();
  for (std::size_t n = 32; n < packet.size(); ++n)
    EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet.data(), n))),
              Error::kAckTruncated)
        << n;
}

TEST(ClientAckPacket, IgnoresBytesAfterTheAckAndThePayloadLenField) {
  REQUIREMENT("HS-ACK-LEN-001");
  Bytes packet = good_ack_packet();
  store_u32le(&packet[header_layout::kPayloadLen], 0);
  packet.resize(kHandshakeReadSize, 0xEE);
  auto r = check_ack_packet(good_hello(), ConstBytes(packet));
  ASSERT_TRUE(r.ok()) << error_name(r.error());
  EXPECT_EQ(*r, good_ack());
}

TEST(ClientAckPacket, RejectsABadAckLayout) {
  REQUIREMENT("HS-ACK-LAYOUT-001");
  Bytes packet = good_ack_packet();
  store_u16le(&packet[32 + ack_layout::kLayoutVersion], 2);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))), Error::kAckBadLayout);
}

TEST(ClientAckPacket, RejectsNonzeroAckFlags) {
  REQUIREMENT("HS-ACK-FLAGS-001");
  Bytes packet = good_ack_packet();
  store_u16le(&packet[32 + ack_layout::kFlags], 1);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
            Error::kAckNonzeroFlags);
}

TEST(ClientAckPacket, RejectsNonzeroAckReserved) {
  REQUIREMENT("HS-ACK-RESERVED-001");
  Bytes packet = good_ack_packet();
  store_u32le(&packet[32 + ack_layout::kReserved], 1);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
            Error::kAckNonzeroReserved);
}

TEST(ClientAckPacket, AppliesCheckAckAfterDecoding) {
  REQUIREMENT("HS-CLI-SID-001");
  HelloAck a = good_ack();
  a.session_id = 0;
  Bytes packet = ack_packet(TransportStatus::kOk, a);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
            Error::kAckZeroSessionId);
  a = good_ack();
  a.agreed_packet_size = 32;
  packet = ack_packet(TransportStatus::kOk, a);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
            Error::kAckPacketSizeTooSmall);
}

TEST(ClientAckPacket, PayloadDecodeComesBeforeCheckAck) {
  REQUIREMENT("HS-ACK-RESERVED-001");
  HelloAck a = good_ack();
  a.session_id = 0;
  Bytes packet = ack_packet(TransportStatus::kOk, a);
  store_u32le(&packet[32 + ack_layout::kReserved], 1);
  EXPECT_EQ(error_of(check_ack_packet(good_hello(), ConstBytes(packet))),
            Error::kAckNonzeroReserved);
}

// =======================================================================================
// End to end, both sides' pure decisions over the facts-sheet HELLO.

TEST(HandshakeEndToEnd, TheClientAcceptsTheServersAnswerToTheFactsSheetHello) {
  REQUIREMENT("HS-FLOW-001");
  Bytes hello = from_hex(kHelloPacketHex);
  const auto v = decide_first_packet(ConstBytes(hello), good_policy());
  ASSERT_TRUE(v.reply.has_value());
  const auto ack = encode_ack_packet(*v.reply);
  auto r = check_ack_packet(good_hello(), ConstBytes(ack));
  ASSERT_TRUE(r.ok()) << error_name(r.error());
  EXPECT_EQ(r->selected_profile, profile::kShmHybrid);
  EXPECT_EQ(r->agreed_packet_size, 65536u);
  EXPECT_EQ(r->session_id, 7u);
}

}  // namespace
}  // namespace nipc
