// Sessions end to end over real sockets and real shared memory: every handshake outcome,
// chunking around packet boundaries, pipelining, limits, concurrency, peer death, stale
// recovery, SHM attach fallback, and descriptor/mapping hygiene.
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "nipc/codec/batch.h"
#include "nipc/transport/client.h"
#include "nipc/transport/paths.h"
#include "nipc/transport/server.h"
#include "nipc/transport/shm.h"
#include "nipc/transport/uds.h"
#include "transport/transport_support.h"

namespace nipc {
namespace {

using testing::RunDir;
using testing::mapping_count;
using testing::open_fd_count;
using K = TransportErrorKind;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint16_t kEchoMethod = 1;

/// Answers every request with its own payload; "fail" and "bad" payloads exercise the error
/// statuses.
class EchoService final : public Service {
 public:
  std::uint16_t method() const override { return kEchoMethod; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    std::string_view s(reinterpret_cast<const char*>(request.data()), request.size());
    if (s == "bad") return HandlerStatus::kBadRequest;
    if (s == "fail") return HandlerStatus::kFailed;
    if (s.starts_with("grow:")) {  // a response of the requested size
      out.assign(std::stoul(std::string(s.substr(5))), 0x77);
      return HandlerStatus::kOk;
    }
    out.assign(request.begin(), request.end());
    return HandlerStatus::kOk;
  }
};

using RunningServer = nipc::testing::BasicRunningServer<EchoService>;

ServerConfig server_config(const RunDir& dir, std::uint32_t profiles = profile::kBaseline) {
  ServerConfig c;
  c.run_dir = dir.path();
  c.service = "svc";
  c.auth_token = 0x1122334455667788ull;
  c.supported_profiles = profiles;
  // A configured cap: these tests are not about the unconfigured default (HS-REQ-003/004).
  c.max_request_payload_bytes = kRequestPayloadCap;
  return c;
}

ClientConfig client_config(const RunDir& dir, std::uint32_t profiles = profile::kBaseline) {
  ClientConfig c;
  c.run_dir = dir.path();
  c.service = "svc";
  c.auth_token = 0x1122334455667788ull;
  c.supported_profiles = profiles;
  c.max_request_payload_bytes = 65536;
  c.max_request_batch_items = 16;
  return c;
}

Header request(std::uint64_t id, std::uint16_t code = kEchoMethod) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = code;
  h.message_id = id;
  return h;
}

Bytes pattern(std::size_t n, std::uint8_t seed = 1) {
  Bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + i * 31 + (i >> 8));
  return b;
}

Bytes as_bytes(std::string_view s) { return Bytes(s.begin(), s.end()); }

void expect_echo(ClientSession& s, std::uint64_t id, const Bytes& payload) {
  auto r = s.call(request(id), payload, Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->header.transport_status, 0);
  EXPECT_EQ(r->header.message_id, id);
  EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), payload);
}

// ---------------------------------------------------------------------------------------
// Handshake outcomes, end to end

TEST(SessionHandshake, BaselineSessionCarriesRequests) {
  REQUIREMENT("HS-FLOW-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->profile(), profile::kBaseline);
  EXPECT_EQ((*s)->ack().session_id, 1u);
  expect_echo(**s, 1, pattern(10));
}

TEST(SessionHandshake, SessionIdsStartAtOneAndIncrease) {
  REQUIREMENT("HS-SID-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  Client client(client_config(dir));
  for (std::uint64_t want = 1; want <= 4; ++want) {
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->ack().session_id, want);
  }
}

struct ProfileCase {
  std::uint32_t server, server_preferred, client, client_preferred, want;
};

TEST(SessionHandshake, ShmProfilesAreSelectedAndUsed) {
  REQUIREMENT("PROF-FUTEX-001");
  const ProfileCase cases[] = {
      {0x07, 0, 0x03, 0, 0x02},        // hybrid
      {0x07, 0, 0x05, 0, 0x04},        // futex: the same transport
      {0x07, 0, 0x07, 0, 0x04},        // highest common bit without preference
      {0x07, 0, 0x07, 0x02, 0x04},     // a preference only the client has does not count
      {0x07, 0x03, 0x07, 0x02, 0x02},  // a shared preference chooses
      {0x01, 0, 0x07, 0, 0x01},        // server without SHM
  };
  for (const ProfileCase& c : cases) {
    RunDir dir;
    ServerConfig sc = server_config(dir, c.server);
    sc.preferred_profiles = c.server_preferred;
    RunningServer server(sc);
    ClientConfig cc = client_config(dir, c.client);
    cc.preferred_profiles = c.client_preferred;
    Client client(cc);
    auto s = client.connect();
    ASSERT_TRUE(s.ok()) << s.error();
    EXPECT_EQ((*s)->profile(), c.want);
    EXPECT_EQ((*s)->max_in_flight(), (c.want & 0x06) ? 1u : 0u);
    expect_echo(**s, 7, pattern(100));
    expect_echo(**s, 8, pattern(60000));  // large: no chunking on SHM, one area copy
  }
}

TEST(SessionHandshake, RegionExistsBeforeTheAckAndGoesWithTheSession) {
  REQUIREMENT("PROF-SHM-READY-001");
  RunDir dir;
  std::atomic<int> seen{0};
  ServerConfig cfg = server_config(dir, 0x03);
  cfg.on_region_created = [&](const std::string& path) {
    // Called before the ACK is sent: the header is complete already.
    auto r = ShmRegion::attach(path);
    if (r.ok()) ++seen;
  };
  {
    RunningServer server(cfg);
    Client client(client_config(dir, 0x03));
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(seen.load(), 1);
    EXPECT_TRUE(std::filesystem::exists(*region_path(dir.path(), "svc", 1)));
    expect_echo(**s, 1, pattern(3));
  }
  EXPECT_TRUE(dir.entries().empty());
}

struct Rejection {
  const char* name;
  std::function<void(ClientConfig&)> tweak;
  Error want;
};

TEST(SessionHandshake, EveryRejectionReachesTheClient) {
  REQUIREMENT("HS-CLI-STATUS-001");
  RunDir dir;
  ServerConfig cfg = server_config(dir);
  cfg.max_request_payload_bytes = 4096;
  RunningServer server(cfg);
  const Rejection cases[] = {
      {"auth", [](ClientConfig& c) { c.auth_token = 1; }, Error::kAckRejectedAuth},
      {"profiles", [](ClientConfig& c) { c.supported_profiles = 0x04; }, Error::kAckRejectedUnsupported},
      {"packet", [](ClientConfig& c) { c.packet_size = 32; }, Error::kAckRejectedIncompatible},
      {"limit", [](ClientConfig& c) { c.max_request_payload_bytes = 4097; }, Error::kAckRejectedLimit},
  };
  for (const Rejection& r : cases) {
    ClientConfig cc = client_config(dir);
    cc.max_request_payload_bytes = 1024;
    r.tweak(cc);
    Client client(cc);
    auto s = client.connect();
    ASSERT_FALSE(s.ok()) << r.name;
    EXPECT_EQ(s.error().kind, K::kRejected) << r.name;
    EXPECT_EQ(s.error().rule, r.want) << r.name;
  }
  // The server counts a rejection after sending it: give its session threads a moment.
  for (int i = 0; i < 200 && server->stats().handshakes_rejected < 4; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server->stats().handshakes_rejected, 4u);
}

// Sends raw bytes as the first packet and returns what the server answered (nullopt: the
// server closed without answering).
std::optional<Bytes> raw_first_packet(const RunDir& dir, const Bytes& packet) {
  auto ch = uds_connect(dir.path(), "svc");
  if (!ch) throw std::runtime_error("connect failed");
  std::array<ConstBytes, 1> parts{ConstBytes(packet)};
  if (!(*ch)->send_packet(parts)) throw std::runtime_error("send failed");
  std::array<std::uint8_t, 256> buf{};
  auto n = (*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr);
  if (!n) {
    if (n.error().kind != K::kPeerClosed) throw std::runtime_error(n.error().describe());
    return std::nullopt;
  }
  return Bytes(buf.begin(), buf.begin() + *n);
}

Bytes hello_packet(std::uint64_t token) {
  Hello h;
  h.supported_profiles = 1;
  h.max_request_payload_bytes = 1024;
  h.max_request_batch_items = 1;
  h.max_response_payload_bytes = 1024;
  h.max_response_batch_items = 1;
  h.auth_token = token;
  h.packet_size = 4096;
  auto p = encode_hello_packet(h);
  return Bytes(p.begin(), p.end());
}

TEST(SessionHandshake, MalformedHellosGetTheirAnswerOrASilentClose) {
  REQUIREMENT("HS-NOTHELLO-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  const std::uint64_t token = 0x1122334455667788ull;
  auto status_of = [](const std::optional<Bytes>& ack) -> int {
    if (!ack) return -1;
    auto h = decode_header(*ack);
    return h.ok() ? h->transport_status : -2;
  };
  // A well-formed HELLO is answered OK.
  EXPECT_EQ(status_of(raw_first_packet(dir, hello_packet(token))), 0);
  // Header version 2 on a HELLO: INCOMPATIBLE (HS-VERSION-001).
  Bytes v2 = hello_packet(token);
  v2[4] = 2;
  EXPECT_EQ(status_of(raw_first_packet(dir, v2)), 3);
  // Layout version 2: INCOMPATIBLE (HS-HELLO-LAYOUT-001).
  Bytes layout = hello_packet(token);
  layout[32] = 2;
  EXPECT_EQ(status_of(raw_first_packet(dir, layout)), 3);
  // Non-zero HELLO flags: BAD_ENVELOPE (HS-HELLO-FLAGS-001).
  Bytes flags = hello_packet(token);
  flags[34] = 1;
  EXPECT_EQ(status_of(raw_first_packet(dir, flags)), 1);
  // Non-zero HELLO reserved field: BAD_ENVELOPE (HS-HELLO-RESERVED-001).
  Bytes reserved = hello_packet(token);
  reserved[32 + 28] = 1;
  EXPECT_EQ(status_of(raw_first_packet(dir, reserved)), 1);
  // A wrong token: AUTH_FAILED (HS-AUTH-001).
  EXPECT_EQ(status_of(raw_first_packet(dir, hello_packet(token + 1))), 2);
  // A REQUEST before the HELLO, garbage, and a truncated HELLO: closed without an answer.
  Bytes req = hello_packet(token);
  req[8] = 1;
  EXPECT_EQ(status_of(raw_first_packet(dir, req)), -1);
  EXPECT_EQ(status_of(raw_first_packet(dir, Bytes(40, 0xee))), -1);
  Bytes truncated = hello_packet(token);
  truncated.resize(32 + 43);
  EXPECT_EQ(status_of(raw_first_packet(dir, truncated)), -1);
}

TEST(SessionHandshake, ClientRefusesAnAckItCannotAccept) {
  REQUIREMENT("HS-CLI-SID-001");
  RunDir dir;
  auto listener = UdsListener::listen(dir.path(), "svc");
  ASSERT_TRUE(listener.ok());
  std::thread t([&] {
    auto ch = (*listener)->accept(Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(ch.ok());
    std::array<std::uint8_t, 128> buf{};
    auto n = (*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(n.ok());
    Hello hello = *decode_hello(ConstBytes(buf.data() + 32, 44));
    ServerPolicy policy;
    policy.auth_token = hello.auth_token;
    HandshakeDecision d = decide(hello, policy);
    d.ack.session_id = 0;  // an OK ACK must carry a session_id
    auto ack = encode_ack_packet(d);
    std::array<ConstBytes, 1> parts{ConstBytes(ack)};
    ASSERT_TRUE((*ch)->send_packet(parts).ok());
    // The client sends nothing more and closes (HS-CLI-ABORT-001).
    auto eof = (*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr);
    EXPECT_EQ(eof.error().kind, K::kPeerClosed);
  });
  Client client(client_config(dir));
  auto s = client.connect();
  t.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, K::kHandshakeFailed);
  EXPECT_EQ(s.error().rule, Error::kAckZeroSessionId);
}

// ---------------------------------------------------------------------------------------
// Chunking

TEST(SessionChunking, MessagesAtAndAroundPacketBoundariesRoundTrip) {
  REQUIREMENT("CHUNK-SPLIT-001");
  RunDir dir;
  ServerConfig cfg = server_config(dir);
  cfg.packet_size = 256;  // small packets: budget 224 bytes per packet
  cfg.max_response_payload_bytes = 65536;
  RunningServer server(cfg);
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->ack().agreed_packet_size, 256u);
  auto* link = dynamic_cast<PacketLink*>(&(*s)->link());
  ASSERT_NE(link, nullptr);
  const std::size_t b = 224;
  std::uint64_t id = 0;
  std::uint64_t chunked = 0;
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, b - 1, b, b + 1, 2 * b - 1, 2 * b,
                        2 * b + 1, 3 * b, 10 * b + 7, std::size_t{65536}}) {
    expect_echo(**s, ++id, pattern(n, static_cast<std::uint8_t>(n)));
    if (n > b) chunked += 2;  // the request and its echo
  }
  EXPECT_EQ(link->chunked_messages(), chunked);
}

TEST(SessionChunking, PeerDeathMidMessageIsPeerClosed) {
  REQUIREMENT("SESS-DEAD-001");
  RunDir dir;
  auto listener = UdsListener::listen(dir.path(), "svc");
  ASSERT_TRUE(listener.ok());
  std::thread peer([&] {
    auto ch = (*listener)->accept(Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(ch.ok());
    ServerPolicy policy;
    policy.auth_token = 0x1122334455667788ull;
    policy.packet_size = 128;
    auto hs = server_handshake(**ch, policy, Deadline::after_ms(5000), nullptr, nullptr);
    ASSERT_TRUE(hs.ok());
    std::array<std::uint8_t, 256> buf{};
    ASSERT_TRUE((*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr).ok());
    // The first packet of a 500-byte response, then the process "dies".
    Header h;
    h.kind = Kind::kResponse;
    h.code = kEchoMethod;
    h.payload_len = 500;
    h.message_id = 1;
    auto head = encode_header(h);
    Bytes body(96, 1);
    std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(body)};
    ASSERT_TRUE((*ch)->send_packet(parts).ok());
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->send_request(request(1), pattern(4)).ok());
  peer.join();
  auto r = (*s)->receive_response(Deadline::after_ms(5000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kPeerClosed);
  EXPECT_TRUE((*s)->broken());
}

// ---------------------------------------------------------------------------------------
// Pipelining and message ids

// A hand-driven server: one session, handshake done, for tests that script the server side.
struct ScriptedServer {
  std::unique_ptr<UdsListener> listener;
  std::unique_ptr<ServerSession> session;

  explicit ScriptedServer(const RunDir& dir) { listener = std::move(*UdsListener::listen(dir.path(), "svc")); }
  void accept() {
    auto ch = listener->accept(Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(ch.ok());
    ServerPolicy policy;
    policy.auth_token = 0x1122334455667788ull;
    auto hs = server_handshake(**ch, policy, Deadline::after_ms(5000), nullptr, nullptr);
    ASSERT_TRUE(hs.ok());
    const HelloAck& ack = hs->decision.ack;
    session = std::make_unique<ServerSession>(
        std::make_unique<PacketLink>(std::move(*ch), ack.agreed_packet_size, request_limits(ack)),
        ack);
  }
  void respond(std::uint64_t id, const Bytes& payload) {
    Header h;
    h.kind = Kind::kResponse;
    h.code = kEchoMethod;
    h.message_id = id;
    ASSERT_TRUE(session->send_response(h, payload).ok());
  }
};

TEST(SessionPipeline, ResponsesMayCompleteOutOfOrder) {
  REQUIREMENT("SESS-PIPELINE-001");
  RunDir dir;
  ScriptedServer server(dir);
  std::thread t([&] {
    server.accept();
    std::vector<std::pair<std::uint64_t, Bytes>> got;
    for (int i = 0; i < 16; ++i) {
      auto r = server.session->receive_request(Deadline::after_ms(5000), nullptr);
      ASSERT_TRUE(r.ok());
      got.emplace_back(r->header.message_id, Bytes(r->payload.begin(), r->payload.end()));
    }
    for (auto it = got.rbegin(); it != got.rend(); ++it) server.respond(it->first, it->second);
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  for (std::uint64_t id = 100; id < 116; ++id)
    ASSERT_TRUE((*s)->send_request(request(id), pattern(8, static_cast<std::uint8_t>(id))).ok());
  EXPECT_EQ((*s)->in_flight(), 16u);
  for (std::uint64_t want = 115; want >= 100; --want) {
    auto r = (*s)->receive_response(Deadline::after_ms(5000));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(r->header.message_id, want);
    EXPECT_EQ(Bytes(r->payload.begin(), r->payload.end()), pattern(8, static_cast<std::uint8_t>(want)));
  }
  EXPECT_EQ((*s)->in_flight(), 0u);
  t.join();
}

TEST(SessionPipeline, DuplicateInFlightIdIsRefusedBeforeSending) {
  REQUIREMENT("SESS-MSGID-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->send_request(request(5), pattern(4)).ok());
  auto dup = (*s)->send_request(request(5), pattern(4));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, K::kInFlight);
  EXPECT_EQ(dup.error().rule, Error::kDuplicateMessageId);
  EXPECT_FALSE((*s)->broken());
  auto r = (*s)->receive_response(Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.message_id, 5u);
  auto again = (*s)->receive_response(Deadline::after_ms(100));  // nothing else comes
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, K::kTimeout);
  expect_echo(**s, 5, pattern(4));  // the id is free again, and the session still works
}

TEST(SessionPipeline, UnknownResponseIdIsAProtocolError) {
  REQUIREMENT("SESS-MSGID-002");
  RunDir dir;
  ScriptedServer server(dir);
  std::thread t([&] {
    server.accept();
    auto r = server.session->receive_request(Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(r.ok());
    server.respond(999, {});
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  auto r = (*s)->call(request(1), pattern(4), Deadline::after_ms(5000));
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kProtocol);
  EXPECT_EQ(r.error().rule, Error::kUnknownMessageId);
  EXPECT_TRUE((*s)->broken());
  auto after = (*s)->send_request(request(2), pattern(4));
  EXPECT_FALSE(after.ok());  // a dead session stays dead
}

TEST(SessionPipeline, ShmAllowsOneRequestInFlight) {
  REQUIREMENT("SHM-ONEINFLIGHT-001");
  RunDir dir;
  RunningServer server(server_config(dir, 0x03));
  Client client(client_config(dir, 0x03));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->profile(), 0x02u);
  ASSERT_TRUE((*s)->send_request(request(1), pattern(4)).ok());
  auto second = (*s)->send_request(request(2), pattern(4));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, K::kInFlight);
  EXPECT_FALSE(second.error().rule.has_value());
  ASSERT_TRUE((*s)->receive_response(Deadline::after_ms(5000)).ok());
  expect_echo(**s, 2, pattern(4));
}

TEST(SessionTimeout, ReceiveTimesOutAndTheSessionLivesOn) {
  REQUIREMENT("UDS-TIMEOUT-001");
  RunDir dir;
  ScriptedServer server(dir);
  std::atomic<bool> go{false};
  std::thread t([&] {
    server.accept();
    auto r = server.session->receive_request(Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(r.ok());
    while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    server.respond(r->header.message_id, {});
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE((*s)->send_request(request(1), pattern(4)).ok());
  auto r = (*s)->receive_response(Deadline::after_ms(50));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kTimeout);
  EXPECT_FALSE((*s)->broken());
  go = true;
  auto late = (*s)->receive_response(Deadline::after_ms(5000));
  t.join();
  ASSERT_TRUE(late.ok());
  EXPECT_EQ(late->header.message_id, 1u);
}

// ---------------------------------------------------------------------------------------
// Limits and service statuses

TEST(SessionLimits, OutboundPayloadAndBatchAboveTheAgreedLimitAreNotSent) {
  REQUIREMENT("ENV-LIMIT-003");
  RunDir dir;
  RunningServer server(server_config(dir));
  ClientConfig cc = client_config(dir);
  cc.max_request_payload_bytes = 100;
  cc.max_request_batch_items = 2;
  Client client(cc);
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  auto big = (*s)->send_request(request(1), pattern(101));
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().kind, K::kLimitExceeded);
  EXPECT_EQ(big.error().rule, Error::kOutboundPayloadOverLimit);
  Header h = request(2);
  h.flags = kFlagBatch;
  h.item_count = 3;
  auto many = (*s)->send_request(h, pattern(24));
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.error().rule, Error::kOutboundItemCountOverLimit);
  EXPECT_EQ((*s)->in_flight(), 0u);
  expect_echo(**s, 3, pattern(100));
}

TEST(SessionLimits, ServerAnswersLimitExceededForAnOversizeRequestAndCloses) {
  REQUIREMENT("SVC-REQLIMIT-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  Client client(client_config(dir));
  auto ch = uds_connect(dir.path(), "svc");
  ASSERT_TRUE(ch.ok());
  Hello hello = make_hello(client_config(dir), (*ch)->native_packet_size());
  hello.max_request_payload_bytes = 16;
  auto ack = client_handshake(**ch, hello, Deadline::after_ms(5000));
  ASSERT_TRUE(ack.ok());
  // Bypass the client's own check: a 17-byte payload on a 16-byte session.
  Header h = request(42);
  h.payload_len = 17;
  auto head = encode_header(h);
  Bytes body(17, 3);
  std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(body)};
  ASSERT_TRUE((*ch)->send_packet(parts).ok());
  std::array<std::uint8_t, 128> buf{};
  auto n = (*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr);
  ASSERT_TRUE(n.ok());
  auto rh = decode_header(ConstBytes(buf.data(), *n));
  ASSERT_TRUE(rh.ok());
  EXPECT_EQ(rh->transport_status, static_cast<std::uint16_t>(TransportStatus::kLimitExceeded));
  EXPECT_EQ(rh->message_id, 42u);
  EXPECT_EQ(rh->payload_len, 0u);
  auto eof = (*ch)->recv_packet(buf, Deadline::after_ms(5000), nullptr);
  ASSERT_FALSE(eof.ok());
  EXPECT_EQ(eof.error().kind, K::kPeerClosed);
}

TEST(SessionLimits, OversizeResponseIsLimitExceededAndLaterSessionsGetMore) {
  REQUIREMENT("SVC-RESPLIMIT-001");
  RunDir dir;
  ServerConfig cfg = server_config(dir);
  cfg.revision = SpecRevision::kSeed;  // growth past a configured limit (SVC-GROWTH-002)
  cfg.max_response_payload_bytes = 1024;
  RunningServer server(cfg);
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->ack().agreed_max_response_payload_bytes, 1024u);
  auto r = (*s)->call(request(1), as_bytes("grow:3000"), Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.transport_status, static_cast<std::uint16_t>(TransportStatus::kLimitExceeded));
  EXPECT_TRUE(r->payload.empty());
  auto closed = (*s)->call(request(2), pattern(1), Deadline::after_ms(5000));
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().kind, K::kPeerClosed);
  EXPECT_EQ(server->learned_response_payload(), 4096u);
  auto again = client.connect();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->ack().agreed_max_response_payload_bytes, 4096u);
  auto ok = (*again)->call(request(1), as_bytes("grow:3000"), Deadline::after_ms(5000));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->header.transport_status, 0);
  EXPECT_EQ(ok->payload.size(), 3000u);
}

TEST(SessionService, WrongMethodIsUnsupportedAndTheSessionStaysOpen) {
  REQUIREMENT("SVC-KIND-001");
  for (std::uint32_t prof : {0x01u, 0x02u}) {
    RunDir dir;
    RunningServer server(server_config(dir, 0x03));
    Client client(client_config(dir, prof));
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    auto r = (*s)->call(request(1, 3), pattern(4), Deadline::after_ms(5000));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->header.transport_status, static_cast<std::uint16_t>(TransportStatus::kUnsupported));
    EXPECT_EQ(r->header.code, 3);
    EXPECT_EQ(r->header.item_count, 1u);
    EXPECT_EQ(r->header.flags, 0);
    EXPECT_TRUE(r->payload.empty());
    expect_echo(**s, 2, pattern(4));
  }
}

// Sends `text`, expects `status` in answer, and then a closed session.
void expect_status_then_close(const RunDir& dir, const char* text, TransportStatus status) {
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  auto r = (*s)->call(request(9), as_bytes(text), Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.transport_status, static_cast<std::uint16_t>(status));
  EXPECT_EQ(r->header.message_id, 9u);
  EXPECT_TRUE(r->payload.empty());
  auto next = (*s)->call(request(10), pattern(1), Deadline::after_ms(5000));
  ASSERT_FALSE(next.ok());
  EXPECT_EQ(next.error().kind, K::kPeerClosed);
}

TEST(SessionService, UndecodableRequestIsBadEnvelopeAndCloses) {
  REQUIREMENT("SVC-DECODE-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  expect_status_then_close(dir, "bad", TransportStatus::kBadEnvelope);
}

TEST(SessionService, HandlerFailureIsInternalErrorAndCloses) {
  REQUIREMENT("SVC-HANDLER-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  expect_status_then_close(dir, "fail", TransportStatus::kInternalError);
}

TEST(SessionService, BatchRequestsAreAnsweredItemByItem) {
  REQUIREMENT("BATCH-RESP-001");
  for (std::uint32_t prof : {0x01u, 0x04u}) {
    RunDir dir;
    RunningServer server(server_config(dir, 0x07));
    Client client(client_config(dir, prof));
    auto s = client.connect();
    ASSERT_TRUE(s.ok());
    std::vector<Bytes> items{pattern(3, 1), pattern(0), pattern(17, 2), pattern(8, 3)};
    std::vector<ConstBytes> views(items.begin(), items.end());
    Bytes payload(batch_encoded_size(views));
    ASSERT_TRUE(encode_batch(views, MutableBytes(payload)).ok());
    Header h = request(1);
    h.flags = kFlagBatch;
    h.item_count = 4;
    auto r = (*s)->call(h, payload, Deadline::after_ms(5000));
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_TRUE(r->header.is_batch());
    ASSERT_EQ(r->header.item_count, 4u);
    auto view = BatchView::parse(r->payload, 4);
    ASSERT_TRUE(view.ok());
    for (std::uint32_t i = 0; i < 4; ++i) {
      auto item = view->item(i);
      EXPECT_EQ(Bytes(item->begin(), item->end()), items[i]);
    }
  }
}

TEST(SessionService, AFailingBatchItemFailsTheWholeBatch) {
  REQUIREMENT("BATCH-FAIL-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  std::vector<Bytes> items{pattern(3), as_bytes("fail")};
  std::vector<ConstBytes> views(items.begin(), items.end());
  Bytes payload(batch_encoded_size(views));
  ASSERT_TRUE(encode_batch(views, MutableBytes(payload)).ok());
  Header h = request(1);
  h.flags = kFlagBatch;
  h.item_count = 2;
  auto r = (*s)->call(h, payload, Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.transport_status, static_cast<std::uint16_t>(TransportStatus::kInternalError));
  EXPECT_EQ(r->header.flags, 0);  // BATCH-ERR-001
  EXPECT_EQ(r->header.item_count, 1u);
  EXPECT_TRUE(r->payload.empty());
}

// ---------------------------------------------------------------------------------------
// Concurrency

// Runs 64 concurrent sessions of 40 calls each. Every session's id is recorded: they must be
// distinct and non-zero (HS-SID-001), and an SHM session's region must be the file named after
// its id while the session is open (SHM-PATH-001).
constexpr std::uint32_t kShmProfiles = 0x02 | 0x04;  // SHM hybrid, SHM futex

void run_concurrent(std::uint32_t server_profiles, std::uint32_t client_profiles,
                    std::uint32_t want_profile) {
  RunDir dir;
  RunningServer server(server_config(dir, server_profiles));
  constexpr int kSessions = 64;
  constexpr int kCalls = 40;
  std::atomic<int> ok{0};
  std::mutex ids_lock;
  std::vector<std::uint64_t> ids;
  std::vector<std::string> missing_regions;
  std::vector<std::thread> threads;
  for (int t = 0; t < kSessions; ++t) {
    threads.emplace_back([&, t] {
      Client client(client_config(dir, client_profiles));
      auto s = client.connect();
      if (!s.ok() || (*s)->profile() != want_profile) return;
      const std::uint64_t id = (*s)->ack().session_id;
      char hex[17];
      std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(id));
      const std::string region = dir.path() + "/svc-" + hex + ".ipcshm";
      const bool region_there = std::filesystem::is_regular_file(region);
      {
        std::lock_guard<std::mutex> lock(ids_lock);
        ids.push_back(id);
        if ((want_profile & kShmProfiles) && !region_there) missing_regions.push_back(region);
        if (!(want_profile & kShmProfiles) && region_there) missing_regions.push_back("UDS session has " + region);
      }
      for (int i = 0; i < kCalls; ++i) {
        Bytes p = pattern(static_cast<std::size_t>(8 + (t + i) % 300), static_cast<std::uint8_t>(t));
        auto r = (*s)->call(request(static_cast<std::uint64_t>(i) + 1), p, Deadline::after_ms(20000));
        if (!r.ok() || Bytes(r->payload.begin(), r->payload.end()) != p) return;
      }
      ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kSessions);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kSessions));
  std::sort(ids.begin(), ids.end());
  EXPECT_TRUE(std::adjacent_find(ids.begin(), ids.end()) == ids.end()) << "two sessions share a session_id";
  EXPECT_TRUE(ids.empty() || ids.front() != 0) << "a session has session_id 0";
  EXPECT_TRUE(missing_regions.empty()) << "region files not where SHM-PATH-001 puts them: " << missing_regions.front();
  for (int i = 0; i < 200 && server->stats().requests < kSessions * kCalls; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(server->stats().sessions_ok, static_cast<std::uint64_t>(kSessions));
  EXPECT_EQ(server->stats().requests, static_cast<std::uint64_t>(kSessions * kCalls));
}

TEST(SessionConcurrency, SixtyFourConcurrentUdsSessions) {
  REQUIREMENT("HS-SID-001");
  run_concurrent(0x01, 0x01, 0x01);
}

TEST(SessionConcurrency, SixtyFourConcurrentShmSessions) {
  REQUIREMENT("SHM-PATH-001");
  run_concurrent(0x07, 0x07, 0x04);
}

// ---------------------------------------------------------------------------------------
// Recovery and fallback

TEST(SessionRecovery, ServerStartRemovesStaleSocketAndRegions) {
  REQUIREMENT("SHM-STALE-002");
  RunDir dir;
  // Leave a dead server's socket and region behind.
  pid_t pid = ::fork();
  if (pid == 0) {
    auto l = UdsListener::listen(dir.path(), "svc");
    auto r = ShmRegion::create(*region_path(dir.path(), "svc", 1), 64, 64);
    if (!l.ok() || !r.ok()) ::_exit(1);
    ::_exit(0);  // no destructors: both files stay
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(dir.entries().size(), 2u);
  RunningServer server(server_config(dir, 0x03));
  EXPECT_EQ(server->stats().stale_regions_removed, 1u);
  Client client(client_config(dir, 0x03));
  auto s = client.connect();
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->profile(), 0x02u);
  expect_echo(**s, 1, pattern(5));
}

TEST(SessionRecovery, LiveServerGivesAddressInUse) {
  REQUIREMENT("UDS-LIVE-001");
  RunDir dir;
  RunningServer server(server_config(dir));
  auto second = Server::start(server_config(dir), std::make_shared<EchoService>());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, K::kAddressInUse);
  Client client(client_config(dir));
  EXPECT_TRUE(client.connect().ok());
}

TEST(SessionRecovery, ShmAttachFailureGivesANewBaselineSession) {
  REQUIREMENT("PROF-ATTACH-FAIL-001");
  RunDir dir;
  ServerConfig cfg = server_config(dir, 0x03);
  cfg.on_region_created = [](const std::string& path) {
    // Break the region after the server made it: the client's attach sees a bad magic.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(0);
    f.write("XXXX", 4);
  };
  RunningServer server(cfg);
  ClientConfig cc = client_config(dir, 0x03);
  cc.preferred_profiles = 0x02;
  cc.attach_timeout_ms = 50;
  Client client(cc);
  auto s = client.connect();
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->profile(), profile::kBaseline);
  EXPECT_EQ((*s)->ack().session_id, 2u);  // a new session
  EXPECT_EQ(client.shm_attach_failures(), 1u);
  EXPECT_EQ(client.last_attach_error()->kind, K::kShmBadMagic);
  EXPECT_EQ(client.config().supported_profiles, 0x01u);
  EXPECT_EQ(client.config().preferred_profiles, 0u);
  expect_echo(**s, 1, pattern(5));
  // The context remembers: the next connect does not offer SHM at all.
  auto again = client.connect();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)->profile(), profile::kBaseline);
  EXPECT_EQ(client.shm_attach_failures(), 1u);
}

TEST(SessionRecovery, ClientRetriesAttachWhileTheRegionIsNotThereYet) {
  REQUIREMENT("SHM-ATTACH-002");
  RunDir dir;
  std::thread mover;
  ServerConfig cfg = server_config(dir, 0x03);
  cfg.on_region_created = [&](const std::string& path) {
    // Hide the region for a moment: the client's first attach attempts find nothing.
    std::filesystem::rename(path, path + ".hidden");
    mover = std::thread([path] {
      std::this_thread::sleep_for(std::chrono::milliseconds(40));
      std::filesystem::rename(path + ".hidden", path);
    });
  };
  {
    RunningServer server(cfg);
    Client client(client_config(dir, 0x03));
    auto s = client.connect();
    mover.join();
    ASSERT_TRUE(s.ok()) << s.error();
    EXPECT_EQ((*s)->profile(), 0x02u);
    EXPECT_EQ(client.shm_attach_failures(), 0u);
    expect_echo(**s, 1, pattern(9));
  }
}

TEST(SessionRecovery, RegionCreationFailureWithdrawsShmFromTheOffer) {
  REQUIREMENT("PROF-OFFER-001");
  RunDir dir;
  // A live owner's file sits where session 1's region goes: creation fails for session 1.
  auto blocker = ShmRegion::create(*region_path(dir.path(), "svc", 1), 64, 64);
  ASSERT_TRUE(blocker.ok());
  RunningServer server(server_config(dir, 0x03));
  Client client(client_config(dir, 0x03));
  auto s = client.connect();
  ASSERT_TRUE(s.ok()) << s.error();
  EXPECT_EQ((*s)->ack().session_id, 1u);
  EXPECT_EQ((*s)->profile(), profile::kBaseline);
  EXPECT_EQ((*s)->ack().server_supported_profiles, 0x01u);
  auto next = client.connect();
  ASSERT_TRUE(next.ok());
  EXPECT_EQ((*next)->profile(), 0x02u);  // session 2's path is free
}

TEST(SessionRecovery, ShmSessionSeesServerDeath) {
  REQUIREMENT("SHM-SOCKET-001");
  RunDir dir;
  auto server = std::make_unique<RunningServer>(server_config(dir, 0x03));
  Client client(client_config(dir, 0x03));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->profile(), 0x02u);
  expect_echo(**s, 1, pattern(4));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    server.reset();  // stops and joins: the session's socket closes, its region goes
  });
  // A request the server never answers: the blocked receive notices the hang-up.
  Header h = request(2);
  auto t0 = std::chrono::steady_clock::now();
  auto sent = (*s)->send_request(h, as_bytes("grow:1"));
  auto r = (*s)->receive_response(Deadline::after_ms(5000));
  stopper.join();
  if (sent.ok() && r.ok()) {
    // The server answered before it stopped; the next receive must see the hang-up.
    ASSERT_TRUE((*s)->send_request(request(3), pattern(1)).ok());
    r = (*s)->receive_response(Deadline::after_ms(5000));
  }
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kPeerClosed);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

// ---------------------------------------------------------------------------------------
// Hygiene

TEST(SessionHygiene, NothingLeaksAcrossSessionsOfEveryKind) {
  REQUIREMENT("SHM-CLEAN-001");
  RunDir dir;
  int fds = open_fd_count();
  {
    ServerConfig cfg = server_config(dir, 0x07);
    cfg.max_request_payload_bytes = 4096;
    RunningServer server(cfg);
    for (int round = 0; round < 5; ++round) {
      for (std::uint32_t prof : {0x01u, 0x02u, 0x04u}) {
        ClientConfig cc = client_config(dir, prof);
        cc.max_request_payload_bytes = 4096;
        Client client(cc);
        auto s = client.connect();
        ASSERT_TRUE(s.ok());
        expect_echo(**s, 1, pattern(3000));
      }
      ClientConfig bad = client_config(dir, 0x07);
      bad.max_request_payload_bytes = 4096;
      bad.auth_token = 5;  // rejected
      EXPECT_FALSE(Client(bad).connect().ok());
      ClientConfig big = client_config(dir, 0x07);
      big.max_request_payload_bytes = 4097;  // rejected after the region was made
      EXPECT_FALSE(Client(big).connect().ok());
    }
    // Sessions end asynchronously on the server; wait until every region is gone.
    for (int i = 0; i < 200 && dir.entries().size() > 1; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"svc.sock"});
  }
  EXPECT_TRUE(dir.entries().empty());
  EXPECT_EQ(mapping_count(".ipcshm"), 0);
  EXPECT_EQ(open_fd_count(), fds);
}

}  // namespace
}  // namespace nipc
