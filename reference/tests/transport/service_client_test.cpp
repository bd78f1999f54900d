// The typed service client's rules (spec/service.md, SVC-STATE-*, SVC-CALL-001,
// SVC-RETRY-*, SVC-OVERFLOW-001, SVC-GROWTH-001, SVC-STATUS-001) against scripted sessions:
// every session the client opens and every answer it gets is written out by the test, so each
// transition and count is asserted exactly, with no sockets and no timing.
#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "nipc/codec/increment.h"
#include "nipc/service/client.h"
#include "support/test_support.h"

// The scripts name only the fields a test changes (designated initializers); the rest keep
// their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace nipc::service {
namespace {

using K = TransportErrorKind;

// What the scripted server does with one request: answer with a status and payload, or fail
// the receive with a transport error.
struct Reply {
  std::uint16_t status = 0;
  std::vector<std::uint8_t> payload;
  std::optional<TransportError> error;
};
using Responder = std::function<Reply(const Header&, ConstBytes)>;

Reply answer_increment(const Header&, ConstBytes req) {
  Reply r;
  r.payload.resize(8);
  (void)encode_increment(increment_answer(*decode_increment(req)), MutableBytes(r.payload));
  return r;
}
Reply status_only(std::uint16_t s) { return Reply{s, {}, std::nullopt}; }
Reply dropped() { return Reply{0, {}, TransportError::of(K::kPeerClosed)}; }

struct Log {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> opens;  // (request proposal, hint)
  std::vector<std::pair<std::size_t, Header>> requests;       // (session index, header)
};

class FakeLink final : public MessageLink {
 public:
  FakeLink(Log& log, std::size_t index, Responder r) : log_(log), index_(index), respond_(std::move(r)) {}
  TransportResult<void> send_message(const Header& h, ConstBytes payload) override {
    log_.requests.emplace_back(index_, h);
    pending_ = respond_(h, payload);
    pending_header_ = h;
    return {};
  }
  TransportResult<InboundMessage> receive_message(Deadline, const Canceller*) override {
    if (!pending_) return TransportError::of(K::kTimeout);
    Reply r = *pending_;
    pending_.reset();
    if (r.error) return *r.error;
    buffer_ = r.payload;
    Header h = pending_header_;
    h.kind = Kind::kResponse;
    h.transport_status = r.status;
    h.payload_len = static_cast<std::uint32_t>(buffer_.size());
    return InboundMessage{h, ConstBytes(buffer_)};
  }
  std::optional<Header> last_header() const override { return std::nullopt; }
  std::uint32_t max_in_flight() const override { return 0; }
  bool chunks() const override { return true; }
  NativeHandle native_handle() const override { return NativeHandle{}; }

 private:
  Log& log_;
  std::size_t index_;
  Responder respond_;
  std::optional<Reply> pending_;
  Header pending_header_;
  std::vector<std::uint8_t> buffer_;
};

// One scripted connect: either a refusal or a session with this response limit and responder.
struct Script {
  std::optional<TransportError> refuse;
  std::uint32_t response_limit = 65536;
  Responder respond = answer_increment;
};

class FakeSource final : public SessionSource {
 public:
  FakeSource(Log& log, std::deque<Script> scripts) : log_(log), scripts_(std::move(scripts)) {}
  TransportResult<std::unique_ptr<ClientSession>> open(std::uint32_t req, std::uint32_t hint) override {
    log_.opens.emplace_back(req, hint);
    if (scripts_.empty()) return TransportError::of(K::kNotFound);
    Script s = scripts_.front();
    scripts_.pop_front();
    if (s.refuse) return *s.refuse;
    Hello hello;
    hello.max_request_payload_bytes = req;
    hello.max_response_payload_bytes = hint;
    HelloAck ack;
    ack.selected_profile = profile::kBaseline;
    ack.agreed_max_request_payload_bytes = req;  // HS-REQ-002: the proposal
    ack.agreed_max_request_batch_items = 1;
    ack.agreed_max_response_payload_bytes = s.response_limit;
    ack.agreed_max_response_batch_items = 1;
    ack.agreed_packet_size = 65536;
    ack.session_id = log_.opens.size();
    auto link = std::make_unique<FakeLink>(log_, log_.opens.size(), s.respond);
    return std::make_unique<ClientSession>(std::move(link), hello, ack);
  }

 private:
  Log& log_;
  std::deque<Script> scripts_;
};

TransportError rejected(Error rule) { return TransportError::with_rule(K::kRejected, rule); }

struct Fixture {
  Log log;
  ServiceClient client;
  explicit Fixture(std::deque<Script> s, std::uint32_t req = 1024, std::uint32_t hint = 65536)
      : client(std::make_unique<FakeSource>(log, std::move(s)), req, hint) {}
};

CallFailure failure_of(const CallResult<std::uint64_t>& r) { return std::get<CallError>(r).failure; }

// --- states and refresh (SVC-STATE-001, SVC-STATE-002) --------------------------------------

TEST(ServiceClientState, ConstructionDoesNotConnectAndStartsDisconnected) {
  Fixture f({Script{}});
  EXPECT_EQ(f.client.state(), ClientState::kDisconnected);
  EXPECT_FALSE(f.client.ready());
  EXPECT_TRUE(f.log.opens.empty());
}

TEST(ServiceClientState, RefreshFromDisconnectedConnectsAndCountsAConnect) {
  Fixture f({Script{}});
  EXPECT_TRUE(f.client.refresh());
  EXPECT_EQ(f.client.state(), ClientState::kReady);
  EXPECT_EQ(f.client.counters().connects, 1u);
  EXPECT_EQ(f.client.counters().reconnects, 0u);
}

TEST(ServiceClientState, RefreshWhenReadyDoesNothing) {
  Fixture f({Script{}, Script{}});
  f.client.refresh();
  EXPECT_FALSE(f.client.refresh());
  EXPECT_EQ(f.log.opens.size(), 1u);
}

TEST(ServiceClientState, NothingListeningIsNotFoundAndTheNextRefreshTriesAgain) {
  Fixture f({Script{TransportError::of(K::kNotFound)}, Script{}});
  f.client.refresh();
  EXPECT_EQ(f.client.state(), ClientState::kNotFound);
  f.client.refresh();
  EXPECT_EQ(f.client.state(), ClientState::kReady);
  EXPECT_EQ(f.client.counters().connects, 1u);
  EXPECT_EQ(f.log.opens.size(), 2u);
}

TEST(ServiceClientState, AuthFailedIsStickyAcrossRefreshes) {
  Fixture f({Script{rejected(Error::kAckRejectedAuth)}, Script{}});
  f.client.refresh();
  EXPECT_EQ(f.client.state(), ClientState::kAuthFailed);
  EXPECT_FALSE(f.client.refresh());
  EXPECT_FALSE(f.client.refresh());
  EXPECT_EQ(f.log.opens.size(), 1u);
}

TEST(ServiceClientState, UnsupportedIncompatibleAndOtherLayoutsAreStickyIncompatible) {
  for (Error rule : {Error::kAckRejectedUnsupported, Error::kAckRejectedIncompatible, Error::kAckBadLayout}) {
    Fixture f({Script{rejected(rule)}, Script{}});
    f.client.refresh();
    EXPECT_EQ(f.client.state(), ClientState::kIncompatible) << error_name(rule);
    f.client.refresh();
    EXPECT_EQ(f.log.opens.size(), 1u) << error_name(rule);
  }
}

TEST(ServiceClientState, AHandshakeLimitRejectionOrAnIoErrorLeavesDisconnected) {
  Fixture f({Script{rejected(Error::kAckRejectedLimit)}, Script{TransportError::of(K::kPeerClosed)}, Script{}});
  f.client.refresh();
  EXPECT_EQ(f.client.state(), ClientState::kDisconnected);
  f.client.refresh();
  EXPECT_EQ(f.client.state(), ClientState::kDisconnected);
  f.client.refresh();
  EXPECT_EQ(f.client.state(), ClientState::kReady);
}

TEST(ServiceClientState, NoProfileLeftAfterAnAttachFailureLeavesDisconnected) {
  EXPECT_EQ(state_after_connect_failure(TransportError::of(K::kNotSupported)), ClientState::kDisconnected);
}

TEST(ServiceClientState, ACallWhenNotReadySendsNothingAndCountsAnError) {
  Fixture f({Script{}});
  auto r = f.client.increment(1);
  EXPECT_EQ(failure_of(r), CallFailure::kNotReady);
  EXPECT_TRUE(f.log.opens.empty());
  EXPECT_EQ(f.client.counters().errors, 1u);
}

TEST(ServiceClientState, RefreshFromBrokenReconnectsAndCountsAReconnect) {
  // Both attempts of the call fail, which leaves BROKEN; refresh() then reconnects.
  Fixture f({Script{.respond = [](const Header&, ConstBytes) { return dropped(); }},
             Script{.respond = [](const Header&, ConstBytes) { return dropped(); }}, Script{}});
  f.client.refresh();
  (void)f.client.increment(1);
  EXPECT_EQ(f.client.state(), ClientState::kBroken);
  const auto reconnects = f.client.counters().reconnects;
  EXPECT_TRUE(f.client.refresh());
  EXPECT_EQ(f.client.state(), ClientState::kReady);
  EXPECT_EQ(f.client.counters().reconnects, reconnects + 1);
}

// --- one call attempt (SVC-CALL-001, SVC-STATUS-001) ----------------------------------------

TEST(ServiceClientCall, ASuccessfulCallReturnsTheDecodedAnswerAndCountsIt) {
  Fixture f({Script{}});
  f.client.refresh();
  auto r = f.client.increment(41);
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(std::get<std::uint64_t>(r), 42u);
  EXPECT_EQ(f.client.counters().calls, 1u);
  ASSERT_EQ(f.log.requests.size(), 1u);
  const Header& h = f.log.requests[0].second;
  EXPECT_EQ(h.code, 1);
  EXPECT_EQ(h.flags, 0);
  EXPECT_EQ(h.item_count, 1u);
  EXPECT_EQ(h.message_id, 1u);
}

TEST(ServiceClientCall, MessageIdsAreTheSuccessfulCallCountPlusOne) {
  Fixture f({Script{}});
  f.client.refresh();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(ok(f.client.increment(i)));
  EXPECT_EQ(f.log.requests[2].second.message_id, 3u);
}

TEST(ServiceClientCall, ANonOkStatusIsNeverDecodedEvenWhenThePayloadWouldDecode) {
  for (std::uint16_t st : {1, 4, 6, 7, 0xffff}) {
    int decoded = 0;
    Fixture f({Script{.respond = [&](const Header& h, ConstBytes p) {
                 Reply r = answer_increment(h, p);
                 r.status = st;
                 return r;
               }},
               Script{.respond = [&](const Header& h, ConstBytes p) {
                 Reply r = answer_increment(h, p);
                 r.status = st;
                 return r;
               }}});
    f.client.refresh();
    auto r = f.client.call(1, ConstBytes(std::vector<std::uint8_t>(8).data(), 8), [&](ConstBytes) {
      ++decoded;
      return std::optional<Error>();
    });
    ASSERT_FALSE(ok(r)) << st;
    EXPECT_EQ(std::get<CallError>(r).failure, CallFailure::kStatus) << st;
    EXPECT_EQ(std::get<CallError>(r).status, st);
    EXPECT_EQ(decoded, 0) << st;
  }
}

TEST(ServiceClientCall, APayloadThatDoesNotDecodeIsAnOrdinaryFailure) {
  Fixture f({Script{.respond = [](const Header&, ConstBytes) { return Reply{0, {1, 2}, std::nullopt}; }},
             Script{.respond = [](const Header&, ConstBytes) { return Reply{0, {1, 2}, std::nullopt}; }}});
  f.client.refresh();
  auto r = f.client.increment(1);
  EXPECT_EQ(failure_of(r), CallFailure::kDecode);
  EXPECT_EQ(f.client.counters().retries, 1u);  // ordinary: retried once
}

// --- retry (SVC-RETRY-001, SVC-RETRY-002) ---------------------------------------------------

TEST(ServiceClientRetry, AnOrdinaryFailureIsRetriedOnceOnANewSessionWithTheSameRequest) {
  Fixture f({Script{.respond = [](const Header&, ConstBytes) { return dropped(); }}, Script{}});
  f.client.refresh();
  auto r = f.client.increment(7);
  ASSERT_TRUE(ok(r));
  EXPECT_EQ(std::get<std::uint64_t>(r), 8u);
  ASSERT_EQ(f.log.requests.size(), 2u);
  EXPECT_EQ(f.log.requests[0].first, 1u);
  EXPECT_EQ(f.log.requests[1].first, 2u);
  EXPECT_EQ(f.log.requests[1].second.message_id, f.log.requests[0].second.message_id);
  EXPECT_EQ(f.client.counters().reconnects, 1u);
  EXPECT_EQ(f.client.counters().calls, 1u);
  EXPECT_EQ(f.client.counters().errors, 0u);
  EXPECT_EQ(f.client.state(), ClientState::kReady);
}

TEST(ServiceClientRetry, ASecondOrdinaryFailureEndsTheCallBrokenWithoutAThirdSession) {
  auto drop = [](const Header&, ConstBytes) { return dropped(); };
  Fixture f({Script{.respond = drop}, Script{.respond = drop}, Script{}});
  f.client.refresh();
  auto r = f.client.increment(7);
  EXPECT_EQ(failure_of(r), CallFailure::kTransport);
  EXPECT_EQ(f.log.opens.size(), 2u);
  EXPECT_EQ(f.log.requests.size(), 2u);
  EXPECT_EQ(f.client.state(), ClientState::kBroken);
  EXPECT_EQ(f.client.counters().errors, 1u);
}

TEST(ServiceClientRetry, AFailedRetryConnectLeavesTheConnectResult) {
  Fixture f({Script{.respond = [](const Header&, ConstBytes) { return dropped(); }},
             Script{rejected(Error::kAckRejectedAuth)}});
  f.client.refresh();
  (void)f.client.increment(7);
  EXPECT_EQ(f.client.state(), ClientState::kAuthFailed);
  f.client.refresh();
  EXPECT_EQ(f.log.opens.size(), 2u);  // sticky: no connect after AUTH_FAILED
}

TEST(ServiceClientRetry, AnOverflowOnTheRetryIsNotRecovered) {
  Fixture f({Script{.respond = [](const Header&, ConstBytes) { return dropped(); }},
             Script{.respond = [](const Header&, ConstBytes) { return status_only(5); }}, Script{}});
  f.client.refresh();
  auto r = f.client.increment(7);
  EXPECT_EQ(failure_of(r), CallFailure::kOverflow);
  EXPECT_EQ(f.log.opens.size(), 2u);
  EXPECT_EQ(f.client.state(), ClientState::kBroken);
}

// --- overflow recovery and growth (SVC-OVERFLOW-001, SVC-GROWTH-001) -----------------------

TEST(ServiceClientGrowth, NextPow2IsSixteenBelowSixteenElseTheNextPowerOfTwo) {
  EXPECT_EQ(next_pow2(0), 16u);
  EXPECT_EQ(next_pow2(15), 16u);
  EXPECT_EQ(next_pow2(16), 16u);
  EXPECT_EQ(next_pow2(17), 32u);
  EXPECT_EQ(next_pow2(80000), 131072u);
  EXPECT_EQ(next_pow2(1048576), 1048576u);
}

TEST(ServiceClientOverflow, LimitExceededGrowsTheHintToNextPow2OfTwiceTheLimitAndTheCallSucceeds) {
  Fixture f({Script{.response_limit = 40000, .respond = [](const Header&, ConstBytes) { return status_only(5); }},
             Script{.response_limit = 131072}});
  f.client.refresh();
  auto r = f.client.increment(1);
  ASSERT_TRUE(ok(r));
  ASSERT_EQ(f.log.opens.size(), 2u);
  EXPECT_EQ(f.log.opens[1].second, 131072u);  // max(65536, next_pow2(80000))
  EXPECT_EQ(f.client.counters().reconnects, 1u);
  EXPECT_EQ(f.client.counters().overflow_reconnects, 1u);
  EXPECT_EQ(f.client.counters().retries, 0u);
}

TEST(ServiceClientOverflow, TheHintNeverGrowsBeyondOneMebibyte) {
  Fixture f({Script{.response_limit = 700000, .respond = [](const Header&, ConstBytes) { return status_only(5); }},
             Script{.response_limit = 1048576}});
  f.client.refresh();
  ASSERT_TRUE(ok(f.client.increment(1)));
  EXPECT_EQ(f.log.opens[1].second, 1048576u);
  EXPECT_EQ(f.client.response_hint(), 1048576u);
}

TEST(ServiceClientOverflow, ALocallyRefusedRequestGrowsTheProposalWithoutSendingAnything) {
  Fixture f({Script{}, Script{.respond = [](const Header&, ConstBytes) { return Reply{}; }}}, 1024);
  f.client.refresh();
  std::vector<std::uint8_t> big(3000);
  auto r = f.client.call(1, ConstBytes(big), [](ConstBytes) { return std::optional<Error>(); });
  ASSERT_TRUE(ok(r));
  ASSERT_EQ(f.log.opens.size(), 2u);
  EXPECT_EQ(f.log.opens[1].first, 4096u);
  ASSERT_EQ(f.log.requests.size(), 1u);  // the first session saw nothing
  EXPECT_EQ(f.log.requests[0].first, 2u);
}

TEST(ServiceClientOverflow, ASixteenByteProposalOfTheSeedEraGrowsThroughRecoveryOnTheFirstLargerRequest) {
  REQUIREMENT("SVC-DEFAULT-002");
  Fixture f({Script{}, Script{.respond = [](const Header&, ConstBytes) { return Reply{}; }}}, 16);
  f.client.refresh();
  std::vector<std::uint8_t> item(20);
  auto r = f.client.call(1, ConstBytes(item), [](ConstBytes) { return std::optional<Error>(); });
  ASSERT_TRUE(ok(r));
  ASSERT_EQ(f.log.opens.size(), 2u);
  EXPECT_EQ(f.log.opens[0].first, 16u);
  EXPECT_EQ(f.log.opens[1].first, 32u);  // next_pow2(20)
  ASSERT_EQ(f.log.requests.size(), 1u);  // the 16-byte session saw nothing
  EXPECT_EQ(f.log.requests[0].first, 2u);
}

TEST(ServiceClientOverflow, TheRequestProposalNeverGrowsBeyondOneMebibyteAndThenRecoveryStops) {
  Fixture f({Script{}, Script{}, Script{}}, 1024);
  f.client.refresh();
  std::vector<std::uint8_t> huge(1048577);
  auto r = f.client.call(1, ConstBytes(huge), [](ConstBytes) { return std::optional<Error>(); });
  ASSERT_FALSE(ok(r));
  EXPECT_EQ(std::get<CallError>(r).failure, CallFailure::kOverflow);
  ASSERT_EQ(f.log.opens.size(), 3u);  // 1024 → 1 MiB (grew) → 1 MiB (nothing grew): stop
  EXPECT_EQ(f.log.opens[1].first, 1048576u);
  EXPECT_EQ(f.log.opens[2].first, 1048576u);
  EXPECT_EQ(f.client.state(), ClientState::kBroken);
  EXPECT_TRUE(f.log.requests.empty());
}

TEST(ServiceClientOverflow, RecoveryStopsAtTheFirstSessionWhereNothingGrew) {
  auto limit = [](const Header&, ConstBytes) { return status_only(5); };
  // Hint 65536 already exceeds next_pow2(2 × 1024): the new session grows nothing.
  Fixture f({Script{.response_limit = 1024, .respond = limit}, Script{.response_limit = 1024, .respond = limit},
             Script{}});
  f.client.refresh();
  auto r = f.client.increment(1);
  EXPECT_EQ(failure_of(r), CallFailure::kOverflow);
  EXPECT_EQ(f.log.opens.size(), 2u);
  EXPECT_EQ(f.log.requests.size(), 1u);  // the second session is made but not used
  EXPECT_EQ(f.client.state(), ClientState::kBroken);
  EXPECT_EQ(f.client.counters().errors, 1u);
}

TEST(ServiceClientOverflow, AtMostEightAttemptsAndTheEighthReconnectIsNotUsed) {
  auto limit = [](const Header&, ConstBytes) { return status_only(5); };
  std::deque<Script> s;
  for (std::uint32_t k = 0; k < 12; ++k) s.push_back(Script{.response_limit = 1024u << k, .respond = limit});
  Fixture f(std::move(s), 1024, 1024);
  f.client.refresh();
  auto r = f.client.increment(1);
  EXPECT_EQ(failure_of(r), CallFailure::kOverflow);
  EXPECT_EQ(f.log.requests.size(), 8u);
  EXPECT_EQ(f.log.opens.size(), 9u);
  EXPECT_EQ(f.client.state(), ClientState::kBroken);
  // Each hint is next_pow2 of twice the previous session's limit.
  for (std::size_t k = 1; k < f.log.opens.size(); ++k)
    EXPECT_EQ(f.log.opens[k].second, std::min<std::uint32_t>(2048u << (k - 1), kGrowthCeiling)) << k;
}

TEST(ServiceClientOverflow, AFailedReconnectEndsRecoveryWithTheConnectResult) {
  Fixture f({Script{.response_limit = 40000, .respond = [](const Header&, ConstBytes) { return status_only(5); }},
             Script{rejected(Error::kAckRejectedIncompatible)}});
  f.client.refresh();
  auto r = f.client.increment(1);
  EXPECT_EQ(failure_of(r), CallFailure::kOverflow);
  EXPECT_EQ(f.client.state(), ClientState::kIncompatible);
  EXPECT_EQ(f.log.opens.size(), 2u);
}

TEST(ServiceClientOverflow, ProposalsPersistAcrossLaterSessions) {
  Fixture f({Script{.response_limit = 40000, .respond = [](const Header&, ConstBytes) { return status_only(5); }},
             Script{.response_limit = 131072, .respond = [](const Header&, ConstBytes) { return dropped(); }},
             Script{.response_limit = 131072}});
  f.client.refresh();
  auto r = f.client.increment(1);
  // Overflow recovered to session 2, which dropped: one retry on session 3 with the grown hint.
  ASSERT_TRUE(ok(r));
  ASSERT_EQ(f.log.opens.size(), 3u);
  EXPECT_EQ(f.log.opens[2].second, 131072u);
}

}  // namespace
}  // namespace nipc::service
