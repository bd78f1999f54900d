// The typed service client against the reference server over real sockets and shared memory:
// typed calls on every run profile, and the states a vanished server leaves (SVC-STATE-001,
// SVC-RETRY-001). The scripted tests in service_client_test.cpp pin every rule exactly; these
// show the same client working through the transport Client it is built on.
#include <gtest/gtest.h>

#include <thread>

#include "nipc/codec/increment.h"
#include "nipc/service/client.h"
#include "nipc/transport/server.h"
#include "transport/transport_support.h"

namespace nipc::service {
namespace {

using nipc::testing::RunDir;

constexpr std::uint64_t kToken = 0x7e57;

class IncrementService final : public Service {
 public:
  std::uint16_t method() const override { return static_cast<std::uint16_t>(Method::kIncrement); }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    auto v = decode_increment(request);
    if (!v) return HandlerStatus::kBadRequest;
    out.resize(8);
    (void)encode_increment(increment_answer(*v), MutableBytes(out));
    return HandlerStatus::kOk;
  }
};

ServerConfig live_server_config(const RunDir& dir, std::uint32_t profiles) {
  ServerConfig c;
  c.run_dir = dir.path();
  c.service = "svc";
  c.auth_token = kToken;
  c.supported_profiles = profiles;
  return c;
}

/// An increment server on `dir` for the test's duration.
class Running : public nipc::testing::BasicRunningServer<IncrementService> {
 public:
  Running(const RunDir& dir, std::uint32_t profiles)
      : BasicRunningServer(live_server_config(dir, profiles)) {}
};

ServiceClientConfig config(const RunDir& dir, std::uint32_t profiles) {
  ServiceClientConfig c;
  c.transport.run_dir = dir.path();
  c.transport.service = "svc";
  c.transport.auth_token = kToken;
  c.transport.supported_profiles = profiles;
  c.transport.preferred_profiles = profiles & kShmProfiles;
  c.response_timeout_ms = 5000;
  return c;
}

class ServiceClientLive : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(ServiceClientLive, TypedCallsAnswerOnTheSelectedProfile) {
  RunDir dir;
  Running server(dir, profile::kBaseline | GetParam());
  ServiceClient client(config(dir, profile::kBaseline | GetParam()));
  EXPECT_TRUE(client.refresh());
  ASSERT_TRUE(client.ready());
  EXPECT_EQ(client.session()->profile(), GetParam());
  for (std::uint64_t v : {0ull, 41ull, ~0ull}) {
    auto r = client.increment(v);
    ASSERT_TRUE(ok(r)) << std::get<CallError>(r).describe();
    EXPECT_EQ(std::get<std::uint64_t>(r), v + 1);
  }
  EXPECT_EQ(client.counters().calls, 3u);
  EXPECT_EQ(client.counters().connects, 1u);
  EXPECT_EQ(client.counters().reconnects, 0u);
}

TEST_P(ServiceClientLive, AVanishedServerLeavesNotFoundAfterTheOneRetryConnect) {
  RunDir dir;
  auto server = std::make_unique<Running>(dir, profile::kBaseline | GetParam());
  ServiceClient client(config(dir, profile::kBaseline | GetParam()));
  client.refresh();
  ASSERT_TRUE(ok(client.increment(1)));
  server->stop();
  auto r = client.increment(2);
  ASSERT_FALSE(ok(r));
  EXPECT_EQ(client.state(), ClientState::kNotFound);
  EXPECT_EQ(client.counters().errors, 1u);
  // A server that comes back is found by the next refresh.
  server = std::make_unique<Running>(dir, profile::kBaseline | GetParam());
  EXPECT_TRUE(client.refresh());
  ASSERT_TRUE(ok(client.increment(3)));
  EXPECT_EQ(client.counters().connects, 2u);
}

TEST(ServiceClientLiveState, NothingListeningIsNotFound) {
  RunDir dir;
  ServiceClient client(config(dir, profile::kBaseline));
  client.refresh();
  EXPECT_EQ(client.state(), ClientState::kNotFound);
}

TEST(ServiceClientLiveState, AWrongTokenIsAuthFailedAndStaysSo) {
  RunDir dir;
  Running server(dir, profile::kBaseline);
  ServiceClientConfig c = config(dir, profile::kBaseline);
  c.transport.auth_token = kToken + 1;
  ServiceClient client(c);
  client.refresh();
  EXPECT_EQ(client.state(), ClientState::kAuthFailed);
  EXPECT_FALSE(client.refresh());
  EXPECT_EQ(std::get<CallError>(client.increment(1)).failure, CallFailure::kNotReady);
}

INSTANTIATE_TEST_SUITE_P(Profiles, ServiceClientLive,
                         ::testing::Values(profile::kBaseline, profile::kShmHybrid, profile::kShmFutex),
                         [](const auto& p) {
                           return p.param == profile::kBaseline   ? std::string("uds")
                                  : p.param == profile::kShmHybrid ? std::string("shm_hybrid")
                                                                       : std::string("shm_futex");
                         });

}  // namespace
}  // namespace nipc::service
