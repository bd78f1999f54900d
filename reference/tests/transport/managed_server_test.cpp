// The managed server's learning rules end to end: the response room it grants a handler, a
// builder overflow (size unknown) against a measured oversized response, learned sizes that
// outlive sessions, the learned request size, and both on shared memory.
#include <array>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "nipc/transport/client.h"
#include "nipc/transport/server.h"
#include "nipc/transport/uds.h"
#include "transport/transport_support.h"

namespace nipc {
namespace {

using testing::RunDir;
using Bytes = std::vector<std::uint8_t>;
using K = TransportErrorKind;

constexpr std::uint16_t kMethod = 2;

/// "build:N" builds an N-byte answer into the room it is given and reports kOverflow when it
/// does not fit (a bounded builder); "emit:N" returns N bytes whatever the room; "room"
/// answers with the room as 8 decimal digits.
class RoomService final : public Service {
 public:
  std::uint16_t method() const override { return kMethod; }
  HandlerStatus handle(ConstBytes, std::vector<std::uint8_t>&) override {
    return HandlerStatus::kFailed;  // the server must call handle_bounded()
  }
  HandlerStatus handle_bounded(ConstBytes request, std::vector<std::uint8_t>& out,
                               std::size_t room) override {
    std::string s(reinterpret_cast<const char*>(request.data()), request.size());
    if (s.starts_with("build:")) {
      std::size_t n = std::stoul(s.substr(6));
      if (n > room) return HandlerStatus::kOverflow;
      out.assign(n, 0x42);
      return HandlerStatus::kOk;
    }
    if (s.starts_with("emit:")) {
      out.assign(std::stoul(s.substr(5)), 0x43);
      return HandlerStatus::kOk;
    }
    if (s == "room") {
      std::string r = std::to_string(room);
      r.insert(0, 8 - r.size(), '0');
      out.assign(r.begin(), r.end());
      return HandlerStatus::kOk;
    }
    out.assign(request.begin(), request.end());
    return HandlerStatus::kOk;
  }
};

using RunningServer = nipc::testing::BasicRunningServer<RoomService>;

ServerConfig server_config(const RunDir& dir, std::uint32_t response, std::uint32_t profiles = 1,
                           SpecRevision revision = kDefaultSpecRevision) {
  ServerConfig c;
  c.revision = revision;
  c.run_dir = dir.path();
  c.service = "svc";
  c.auth_token = 7;
  c.supported_profiles = profiles;
  c.max_response_payload_bytes = response;
  // The clients below propose 65536 request bytes; an unconfigured server's cap depends on
  // the revision (HS-REQ-003 / HS-REQ-004), which these tests are not about.
  c.max_request_payload_bytes = 65536;
  return c;
}

ClientConfig client_config(const RunDir& dir, std::uint32_t profiles = 1,
                           std::uint32_t request = 65536) {
  ClientConfig c;
  c.run_dir = dir.path();
  c.service = "svc";
  c.auth_token = 7;
  c.supported_profiles = profiles;
  c.preferred_profiles = profiles & ~1u;
  c.max_request_payload_bytes = request;
  return c;
}

Header request(std::uint64_t id) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = kMethod;
  h.message_id = id;
  return h;
}

Bytes text(std::string_view s) { return Bytes(s.begin(), s.end()); }

std::uint16_t status_of(ClientSession& s, std::string_view body, std::size_t* size = nullptr) {
  auto r = s.call(request(1), text(body), Deadline::after_ms(5000));
  if (!r.ok()) return 0xFFFF;
  if (size) *size = r->payload.size();
  return r->header.transport_status;
}

constexpr auto kLimit = static_cast<std::uint16_t>(TransportStatus::kLimitExceeded);

TEST(Defaults, AnUnconfiguredClientProposes1024AndHints65536AndAnUnconfiguredServerGrants65536) {
  REQUIREMENT("SVC-DEFAULT-001");
  ClientConfig client;
  EXPECT_EQ(client.max_request_payload_bytes, 1024u);
  EXPECT_EQ(client.max_response_payload_bytes, 65536u);
  RunDir dir;
  ServerConfig cfg;
  cfg.run_dir = dir.path();
  cfg.service = "svc";
  cfg.revision = SpecRevision::kNewest;
  RunningServer server(cfg);
  EXPECT_EQ(server->learned_response_payload(), 65536u);
}

TEST(ManagedServerRoom, HandlerGetsTheAgreedLimitWithAFloorOf1024) {
  REQUIREMENT("SVC-BUILDER-001");
  EXPECT_EQ(response_room(16), 1024u);
  EXPECT_EQ(response_room(1024), 1024u);
  EXPECT_EQ(response_room(65536), 65536u);
  for (std::uint32_t limit : {64u, 4096u}) {
    RunDir dir;
    RunningServer server(server_config(dir, limit));
    Client client(client_config(dir));
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    auto r = (*s)->call(request(1), text("room"), Deadline::after_ms(5000));
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->header.transport_status, 0);
    std::string got(r->payload.begin(), r->payload.end());
    EXPECT_EQ(std::stoul(got), limit < 1024 ? 1024u : limit);
  }
}

TEST(ManagedServerGrowth, BuilderOverflowAnswersLimitExceededClosesAndDoublesTheAgreedLimit) {
  REQUIREMENT("SVC-BUILDER-001");
  REQUIREMENT("SVC-GROWTH-002");
  RunDir dir;
  // Growth past the configured 1024 is seed behaviour; at newest 1024 is the ceiling.
  RunningServer server(server_config(dir, 1024, 1, SpecRevision::kSeed));
  Client client(client_config(dir));
  // A 5000-byte answer built into room 1024 → 2048 → 4096 → 8192: three overflows, then OK.
  std::uint32_t expect = 1024;
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, expect);
    EXPECT_EQ(status_of(**s, "build:5000"), kLimit);
    auto closed = (*s)->call(request(2), text("x"), Deadline::after_ms(5000));
    ASSERT_FALSE(closed.ok()) << "the session must close after a builder overflow";
    EXPECT_EQ(closed.error().kind, K::kPeerClosed);
    expect *= 2;
    EXPECT_EQ(server->learned_response_payload(), expect);
  }
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 8192u);
  std::size_t size = 0;
  EXPECT_EQ(status_of(**s, "build:5000", &size), 0);
  EXPECT_EQ(size, 5000u);
}

TEST(ManagedServerGrowth, MeasuredOversizedResponseGrowsToNextPow2OfItsSize) {
  REQUIREMENT("SVC-RESPLIMIT-001");
  REQUIREMENT("SVC-GROWTH-002");
  RunDir dir;
  RunningServer server(server_config(dir, 64, 1, SpecRevision::kSeed));
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  // 700 bytes fit the room (1024) but not the agreed 64: measured, next_pow2(700) = 1024.
  EXPECT_EQ(status_of(**s, "build:700"), kLimit);
  EXPECT_EQ(server->learned_response_payload(), 1024u);
  auto again = client.connect();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->ack().agreed_max_response_payload_bytes, 1024u);
  EXPECT_EQ(status_of(**again, "emit:1000"), 0);
}

TEST(ManagedServerGrowth, LearnedResponseSizeOutlivesTheSessionsThatTaughtIt) {
  REQUIREMENT("SVC-LEARN-001");
  RunDir dir;
  RunningServer server(server_config(dir, 128, 1, SpecRevision::kSeed));
  Client client(client_config(dir));
  {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(status_of(**s, "emit:3000"), kLimit);
  }
  for (int i = 0; i < 3; ++i) {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 4096u) << "session " << i;
    EXPECT_EQ(status_of(**s, "emit:10"), 0);
  }
  EXPECT_EQ(server->learned_response_payload(), 4096u);
}

TEST(ManagedServerGrowth, CeilingIsUnboundedAtSeedAndTheConfiguredValueOrOneMiBAtNewest) {
  REQUIREMENT("SVC-GROWTH-002");
  REQUIREMENT("SVC-GROWTH-003");
  struct Row {
    SpecRevision revision;
    std::uint32_t configured, response_ceiling, first_limit;
  };
  for (Row row : {Row{SpecRevision::kSeed, 64, UINT32_MAX, 64}, Row{SpecRevision::kSeed, 0, UINT32_MAX, 65536},
                  Row{SpecRevision::kNewest, 64, 64, 64}, Row{SpecRevision::kNewest, 0, 1048576, 65536}}) {
    RunDir dir;
    RunningServer server(server_config(dir, row.configured, 1, row.revision));
    EXPECT_EQ(server->response_ceiling(), row.response_ceiling) << revision_name(row.revision) << " " << row.configured;
    EXPECT_EQ(server->learned_response_payload(), row.first_limit);
    EXPECT_EQ(server->request_ceiling(), row.revision == SpecRevision::kSeed ? UINT32_MAX : 65536u);
  }
}

TEST(ManagedServerGrowth, AtNewestAConfiguredResponseLimitIsNeverPassed) {
  REQUIREMENT("SVC-GROWTH-003");
  RunDir dir;
  RunningServer server(server_config(dir, 64, 1, SpecRevision::kNewest));
  Client client(client_config(dir));
  for (int i = 0; i < 3; ++i) {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 64u) << "session " << i;
    EXPECT_EQ(status_of(**s, "emit:64"), 0);
    // Measured (700 fits the 1024 room) and unmeasured (5000 does not): refused, no growth.
    EXPECT_EQ(status_of(**s, i % 2 ? "build:5000" : "build:700"), kLimit);
    EXPECT_EQ(server->learned_response_payload(), 64u);
  }
}

TEST(ManagedServerGrowth, AtNewestAnUnconfiguredServerGrowsUpToOneMiB) {
  REQUIREMENT("SVC-GROWTH-003");
  REQUIREMENT("SVC-LEARN-001");
  RunDir dir;
  RunningServer server(server_config(dir, 0, 1, SpecRevision::kNewest));
  Client client(client_config(dir));
  {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 65536u);
    EXPECT_EQ(status_of(**s, "emit:70000"), kLimit);
  }
  EXPECT_EQ(server->learned_response_payload(), 131072u);
  {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 131072u);
    EXPECT_EQ(status_of(**s, "emit:70000"), 0);
    // Above 1 MiB: refused, and the learned limit stops at the ceiling.
    EXPECT_EQ(status_of(**s, "emit:3000000"), kLimit);
  }
  EXPECT_EQ(server->learned_response_payload(), 1048576u);
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 1048576u);
}

TEST(ManagedServerGrowth, LearnedRequestSizeFollowsAgreedLimitsRequestsAndAnnouncedOverflows) {
  REQUIREMENT("SVC-LEARN-002");
  RunDir dir;
  // At seed: the 70000 announced below passes the configured 65536, which is the request
  // ceiling at newest (SVC-GROWTH-003).
  RunningServer server(server_config(dir, 65536, 1, SpecRevision::kSeed));
  EXPECT_EQ(server->learned_request_payload(), 0u);
  Client client(client_config(dir, 1, 100));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(status_of(**s, "x"), 0);
  EXPECT_EQ(server->learned_request_payload(), 128u);  // next_pow2(agreed 100)
  Client bigger(client_config(dir, 1, 8192));
  auto b = bigger.connect();
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(status_of(**b, std::string(3000, 'y')), 0);
  EXPECT_EQ(server->learned_request_payload(), 8192u);  // next_pow2(agreed 8192) ≥ 4096
  // An over-limit request on a raw 8192-byte session announces 70000 bytes.
  auto ch = uds_connect(dir.path(), "svc");
  ASSERT_TRUE(ch.ok());
  Hello hello = make_hello(client_config(dir, 1, 8192), (*ch)->native_packet_size());
  auto ack = client_handshake(**ch, hello, Deadline::after_ms(5000));
  ASSERT_TRUE(ack.ok());
  Header h = request(9);
  h.payload_len = 70000;
  auto head = encode_header(h);
  Bytes body(64, 1);
  std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(body)};
  ASSERT_TRUE((*ch)->send_packet(parts).ok());
  std::array<std::uint8_t, 128> buf{};
  auto n = (*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr);
  ASSERT_TRUE(n.ok());
  auto rh = decode_header(ConstBytes(buf.data(), *n));
  ASSERT_TRUE(rh.ok());
  EXPECT_EQ(rh->transport_status, kLimit);
  EXPECT_EQ(rh->payload_len, 0u);
  EXPECT_EQ(rh->item_count, 1u);
  EXPECT_EQ(server->learned_request_payload(), 131072u);
}

TEST(ManagedServerGrowth, RegionOfTheNextShmSessionIsSizedFromTheGrownResponseLimit) {
  REQUIREMENT("SHM-SIZE-001");
  RunDir dir;
  std::vector<std::string> regions;
  std::mutex mu;
  // At seed, where the configured 256 may grow (SVC-GROWTH-002).
  ServerConfig cfg = server_config(dir, 256, 0x03, SpecRevision::kSeed);
  cfg.preferred_profiles = 0x02;
  cfg.on_region_created = [&](const std::string& p) {
    std::lock_guard<std::mutex> lock(mu);
    regions.push_back(p);
  };
  RunningServer server(cfg);
  Client client(client_config(dir, 0x03, 1024));
  {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    ASSERT_EQ((*s)->profile(), 0x02u);
    EXPECT_EQ(status_of(**s, "build:3000"), kLimit);  // room 1024: overflow, 256 → 512
  }
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->profile(), 0x02u);
  EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 512u);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(regions.size(), 2u);
  // The second region belongs to session 2 and is 64 + align64(1024 + 32) + align64(512 + 32).
  EXPECT_NE(regions[1].find("svc-0000000000000002.ipcshm"), std::string::npos) << regions[1];
  EXPECT_EQ(std::filesystem::file_size(regions[1]), 64u + 1088u + 576u);
}

// No requirement: spec/handshake.md leaves a busy server the choice between closing before
// the HELLO and closing after the HELLO_ACK; the reference does the latter.
TEST(ManagedServerWorkers, AConnectionBeyondTheWorkerLimitIsHandshakenThenClosed) {
  RunDir dir;
  ServerConfig cfg = server_config(dir, 65536);
  cfg.max_concurrent_sessions = 1;
  RunningServer server(cfg);
  Client client(client_config(dir));
  auto first = client.connect();
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(status_of(**first, "x"), 0);  // the one worker is busy with this session
  auto second = client.connect();
  ASSERT_TRUE(second.ok()) << "the handshake itself succeeds";
  auto r = (*second)->call(request(2), text("y"), Deadline::after_ms(5000));
  ASSERT_FALSE(r.ok()) << "a session over the worker limit is closed after its HELLO_ACK";
  EXPECT_EQ(r.error().kind, K::kPeerClosed);
  EXPECT_EQ(status_of(**first, "z"), 0);  // the served session is untouched
  first->reset();
  // Once the worker is free again, a new session is served.
  for (int i = 0; i < 100; ++i) {
    auto third = client.connect();
    ASSERT_TRUE(third.ok());
    auto ok = (*third)->call(request(3), text("w"), Deadline::after_ms(5000));
    if (ok.ok()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the worker is still ending
  }
  FAIL() << "no session was served after the first one ended";
}

TEST(ManagedServerShutdown, StopEndsIdleSessionsAndRemovesTheEndpointAndRegions) {
  REQUIREMENT("SHIM-STOP-001");
  RunDir dir;
  ServerConfig cfg = server_config(dir, 65536, 0x03);
  cfg.preferred_profiles = 0x02;
  std::vector<std::string> regions;
  std::mutex mu;
  cfg.on_region_created = [&](const std::string& p) {
    std::lock_guard<std::mutex> lock(mu);
    regions.push_back(p);
  };
  auto started = Server::start(cfg, std::make_shared<RoomService>());
  ASSERT_TRUE(started.ok());
  std::unique_ptr<Server> server = std::move(*started);
  std::thread loop([&] { server->run(); });
  Client client(client_config(dir, 0x03));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ(status_of(**s, "x"), 0);
  std::string endpoint = server->socket_path();
  EXPECT_TRUE(std::filesystem::exists(endpoint));
  auto t0 = std::chrono::steady_clock::now();
  server->stop();
  loop.join();  // run() returns only after every session thread joined
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  server.reset();
  EXPECT_FALSE(std::filesystem::exists(endpoint));
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(regions[0])) << "the session's region outlived the server";
}

}  // namespace
}  // namespace nipc
