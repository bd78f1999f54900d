// Session rules checked at the packet level: what a client or server puts on the wire and
// how each end treats a peer that breaks the session rules.
#include <sys/socket.h>

#include <array>
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
using K = TransportErrorKind;
using Bytes = std::vector<std::uint8_t>;

constexpr std::uint64_t kToken = 0x5eed;

class EchoService final : public Service {
 public:
  std::uint16_t method() const override { return 1; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    out.assign(request.begin(), request.end());
    return HandlerStatus::kOk;
  }
};

ClientConfig client_config(const RunDir& dir, std::uint32_t profiles = profile::kBaseline) {
  ClientConfig c;
  c.run_dir = dir.path();
  c.service = "svc";
  c.auth_token = kToken;
  c.supported_profiles = profiles;
  c.max_request_batch_items = 8;
  c.max_request_payload_bytes = 8192;
  return c;
}

// A raw server end: accepts one connection and runs the server handshake on it, leaving the
// packet channel for the test to drive.
struct RawServer {
  std::unique_ptr<UdsListener> listener;
  std::unique_ptr<PacketChannel> channel;
  HandshakeDecision decision;

  explicit RawServer(const RunDir& dir) : listener(*UdsListener::listen(dir.path(), "svc")) {}
  void accept(std::uint32_t packet_size = 65536, std::uint64_t token = kToken) {
    auto ch = listener->accept(Deadline::after_ms(5000), nullptr);
    ASSERT_TRUE(ch.ok());
    channel = std::move(*ch);
    ServerPolicy policy;
    policy.auth_token = token;
    policy.packet_size = packet_size;
    auto hs = server_handshake(*channel, policy, Deadline::after_ms(5000), nullptr, nullptr);
    ASSERT_TRUE(hs.ok());
    decision = hs->decision;
  }
  std::optional<Bytes> packet(int timeout_ms = 5000) {
    Bytes buf(1 << 20);
    auto n = channel->recv_packet(buf, Deadline::after_ms(timeout_ms), nullptr);
    if (!n) return std::nullopt;
    buf.resize(*n);
    return buf;
  }
  void send(const Header& h, const Bytes& payload = {}) {
    auto head = encode_header(h);
    std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(payload)};
    ASSERT_TRUE(channel->send_packet(parts).ok());
  }
};

Header request(std::uint64_t id, std::uint16_t code = 1) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = code;
  h.message_id = id;
  return h;
}

Header response_to(const Header& req) {
  Header h = req;
  h.kind = Kind::kResponse;
  h.payload_len = 0;
  return h;
}

TEST(ClientRules, ProposesTheLargestSendablePacket) {
  REQUIREMENT("HS-CLI-PKT-003");
  RunDir dir;
  RawServer server(dir);
  auto ch = uds_connect(dir.path(), "svc");
  ASSERT_TRUE(ch.ok());
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  ASSERT_EQ(::getsockopt((*ch)->native_handle(), SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
  Hello h = make_hello(client_config(dir), (*ch)->native_packet_size());
  EXPECT_EQ(h.packet_size, static_cast<std::uint32_t>(sndbuf) - 32);
  EXPECT_EQ(h.max_response_batch_items, h.max_request_batch_items);
}

TEST(ClientRules, UsesSeqpacketSockets) {
  REQUIREMENT("UDS-SOCK-001");
  RunDir dir;
  RawServer server(dir);
  auto ch = uds_connect(dir.path(), "svc");
  ASSERT_TRUE(ch.ok());
  int type = 0;
  socklen_t len = sizeof type;
  ASSERT_EQ(::getsockopt((*ch)->native_handle(), SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_SEQPACKET);
}

TEST(ClientRules, SendsNothingAfterARejection) {
  REQUIREMENT("HS-CLI-ABORT-001");
  RunDir dir;
  RawServer server(dir);
  std::thread t([&] {
    server.accept(65536, /*token=*/1);  // wrong token: AUTH_FAILED
    EXPECT_EQ(server.decision.status, TransportStatus::kAuthFailed);
    // The client closes without sending anything else.
    Bytes buf(256);
    auto n = server.channel->recv_packet(buf, Deadline::after_ms(5000), nullptr);
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().kind, K::kPeerClosed);
  });
  Client client(client_config(dir));
  auto s = client.connect();
  t.join();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().rule, Error::kAckRejectedAuth);
}

TEST(ClientRules, ChunksByTheAgreedPacketSize) {
  REQUIREMENT("HS-CLI-USE-001");
  RunDir dir;
  RawServer server(dir);
  std::vector<std::size_t> sizes;
  std::thread t([&] {
    server.accept(/*packet_size=*/512);
    for (int i = 0; i < 3; ++i) sizes.push_back(server.packet()->size());
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->ack().agreed_packet_size, 512u);
  ASSERT_TRUE((*s)->send_request(request(1), Bytes(1000, 7)).ok());  // 480 + 480 + 40
  t.join();
  EXPECT_EQ(sizes, (std::vector<std::size_t>{512, 512, 72}));
}

TEST(ClientRules, RequestsCarryStatusZero) {
  REQUIREMENT("ENV-STATUS-001");
  RunDir dir;
  RawServer server(dir);
  std::optional<Header> got;
  std::thread t([&] {
    server.accept();
    got = *decode_header(*server.packet());
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  Header h = request(1);
  h.transport_status = 5;
  ASSERT_TRUE((*s)->send_request(h, Bytes(4)).ok());
  t.join();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->transport_status, 0);
}

TEST(ClientRules, ResponseWithAnotherCodeIsAProtocolError) {
  REQUIREMENT("SESS-CODE-001");
  RunDir dir;
  RawServer server(dir);
  std::thread t([&] {
    server.accept();
    Header req = *decode_header(*server.packet());
    Header resp = response_to(req);
    resp.code = 3;
    server.send(resp);
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  auto r = (*s)->call(request(1), Bytes(4), Deadline::after_ms(5000));
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule, Error::kResponseCodeMismatch);
}

TEST(ClientRules, OnlyResponsesAreAccepted) {
  REQUIREMENT("SESS-KIND-001");
  RunDir dir;
  RawServer server(dir);
  std::thread t([&] {
    server.accept();
    Header req = *decode_header(*server.packet());
    Header other = response_to(req);
    other.kind = Kind::kControl;  // a CONTROL message after the handshake
    server.send(other);
  });
  Client client(client_config(dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  auto r = (*s)->call(request(1), Bytes(4), Deadline::after_ms(5000));
  t.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule, Error::kUnexpectedKind);
  EXPECT_TRUE((*s)->broken());
}

// --- server side, driven by a raw client ------------------------------------------------

struct RawClient {
  std::unique_ptr<UdsChannel> channel;
  HelloAck ack;
  explicit RawClient(const RunDir& dir, std::uint32_t profiles = 1) {
    channel = std::move(*uds_connect(dir.path(), "svc"));
    Hello hello = make_hello(client_config(dir, profiles), channel->native_packet_size());
    ack = *client_handshake(*channel, hello, Deadline::after_ms(5000));
  }
  void send(const Header& h, const Bytes& payload = {}) {
    Header x = h;
    x.payload_len = static_cast<std::uint32_t>(payload.size());
    auto head = encode_header(x);
    std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(payload)};
    ASSERT_TRUE(channel->send_packet(parts).ok());
  }
  // The next packet's header, or the error (kPeerClosed when the server closed).
  TransportResult<Header> reply() {
    Bytes buf(1 << 18);
    auto n = channel->recv_packet(buf, Deadline::after_ms(5000), nullptr);
    if (!n) return n.error();
    return *decode_header(ConstBytes(buf.data(), *n));
  }
};

struct ServerFixture {
  RunDir dir;
  std::unique_ptr<Server> server;
  std::thread thread;
  explicit ServerFixture(std::uint32_t profiles = 1, std::uint32_t response_limit = 65536) {
    ServerConfig c;
    c.run_dir = dir.path();
    c.service = "svc";
    c.auth_token = kToken;
    c.supported_profiles = profiles;
    c.max_response_payload_bytes = response_limit;
    // A configured cap: these tests are not about the unconfigured default (HS-REQ-003/004).
    c.max_request_payload_bytes = kRequestPayloadCap;
    c.on_region_created = [this](const std::string& path) { region_path = path; };
    server = std::move(*Server::start(c, std::make_shared<EchoService>()));
    thread = std::thread([this] { server->run(); });
  }
  ~ServerFixture() {
    server->stop();
    thread.join();
  }
  std::string region_path;
};

TEST(ServerRules, ASecondHelloEndsTheSession) {
  REQUIREMENT("HS-ONCE-001");
  ServerFixture f;
  RawClient c(f.dir);
  Hello hello = make_hello(client_config(f.dir), 4096);
  auto pkt = encode_hello_packet(hello);
  std::array<ConstBytes, 1> parts{ConstBytes(pkt)};
  ASSERT_TRUE(c.channel->send_packet(parts).ok());
  auto r = c.reply();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kPeerClosed);
}

TEST(ServerRules, OnlyRequestsAreAccepted) {
  REQUIREMENT("SESS-KIND-001");
  ServerFixture f;
  RawClient c(f.dir);
  Header h = request(1);
  h.kind = Kind::kResponse;
  c.send(h, Bytes(4));
  auto r = c.reply();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kPeerClosed);
}

TEST(ServerRules, ResponsesEchoIdAndCode) {
  REQUIREMENT("SESS-MSGID-003");
  ServerFixture f;
  RawClient c(f.dir);
  c.send(request(0xfedcba9876543210ull), Bytes{1, 2, 3});
  auto r = c.reply();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Kind::kResponse);
  EXPECT_EQ(r->message_id, 0xfedcba9876543210ull);
  EXPECT_EQ(r->code, 1);
  EXPECT_EQ(r->payload_len, 3u);
}

TEST(ServerRules, ErrorResponsesHaveTheFixedShape) {
  REQUIREMENT("SVC-ERRRESP-001");
  ServerFixture f;
  RawClient c(f.dir);
  Header h = request(77, 3);  // a method this endpoint does not serve
  h.flags = kFlagBatch;
  h.item_count = 2;
  std::vector<ConstBytes> items{ConstBytes(), ConstBytes()};
  Bytes payload(batch_encoded_size(items));
  ASSERT_TRUE(encode_batch(items, MutableBytes(payload)).ok());
  c.send(h, payload);
  auto r = c.reply();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->kind, Kind::kResponse);
  EXPECT_EQ(r->code, 3);
  EXPECT_EQ(r->message_id, 77u);
  EXPECT_EQ(r->flags, 0);
  EXPECT_EQ(r->item_count, 1u);
  EXPECT_EQ(r->payload_len, 0u);
  EXPECT_EQ(r->transport_status, static_cast<std::uint16_t>(TransportStatus::kUnsupported));
}

TEST(ServerRules, BadBatchDirectoryIsBadEnvelope) {
  REQUIREMENT("BATCH-PRESENT-001");
  ServerFixture f;
  RawClient c(f.dir);
  Header h = request(5);
  h.flags = kFlagBatch;
  h.item_count = 1;  // one item still needs a directory
  c.send(h, Bytes{});
  auto r = c.reply();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->transport_status, static_cast<std::uint16_t>(TransportStatus::kBadEnvelope));
  EXPECT_EQ(r->message_id, 5u);
  EXPECT_EQ(c.reply().error().kind, K::kPeerClosed);
}

TEST(ServerRules, EveryBatchItemIsAnsweredByTheHeaderMethod) {
  REQUIREMENT("BATCH-HOMO-001");
  ServerFixture f;
  Client client(client_config(f.dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  std::vector<Bytes> items{{1}, {2, 2}, {3, 3, 3}};
  std::vector<ConstBytes> views(items.begin(), items.end());
  Bytes payload(batch_encoded_size(views));
  ASSERT_TRUE(encode_batch(views, MutableBytes(payload)).ok());
  Header h = request(1);
  h.flags = kFlagBatch;
  h.item_count = 3;
  auto r = (*s)->call(h, payload, Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.code, 1);
  auto view = BatchView::parse(r->payload, 3);
  ASSERT_TRUE(view.ok());
  for (std::uint32_t i = 0; i < 3; ++i) EXPECT_EQ(view->item(i)->size(), i + 1u);
}

TEST(ServerRules, HandlerOutcomesTravelInThePayload) {
  REQUIREMENT("SVC-BUSINESS-001");
  ServerFixture f;
  Client client(client_config(f.dir));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  // An empty answer ("nothing to report") is still status OK.
  auto r = (*s)->call(request(1), Bytes{}, Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.transport_status, 0);
  EXPECT_TRUE(r->payload.empty());
}

TEST(ServerRules, GrowthFollowsNextPowerOfTwo) {
  REQUIREMENT("SVC-GROWTH-001");
  EXPECT_EQ(next_pow2(0), 16u);
  EXPECT_EQ(next_pow2(15), 16u);
  EXPECT_EQ(next_pow2(16), 16u);
  EXPECT_EQ(next_pow2(17), 32u);
  EXPECT_EQ(next_pow2(65536), 65536u);
  EXPECT_EQ(next_pow2(65537), 131072u);
  EXPECT_EQ(next_pow2(0xffffffffull), 0x80000000u);
}

TEST(ServerRules, RegionAreasHoldEveryAllowedMessage) {
  REQUIREMENT("SHM-SIZE-001");
  ServerFixture f(0x03, 1000);
  Client client(client_config(f.dir, 0x02));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->profile(), 0x02u);
  auto& link = dynamic_cast<ShmLink&>((*s)->link());
  EXPECT_GE(link.region().capacity(ShmDirection::kRequest), 32u + 8192u);
  EXPECT_GE(link.region().capacity(ShmDirection::kResponse), 32u + 1000u);
  // The largest request the session allows goes through.
  Bytes big(8192, 9);
  auto r = (*s)->call(request(1), big, Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->header.transport_status, static_cast<std::uint16_t>(TransportStatus::kLimitExceeded));
}

TEST(ServerRules, ShmMessageLengthMustMatchItsHeader) {
  REQUIREMENT("SHM-MSGLEN-001");
  ServerFixture f(0x03);
  RawClient c(f.dir, 0x02);
  ASSERT_EQ(c.ack.selected_profile, 0x02u);
  auto region = ShmRegion::attach(*region_path(f.dir.path(), "svc", c.ack.session_id));
  ASSERT_TRUE(region.ok());
  // A header announcing 10 payload bytes, published with 4.
  Header h = request(1);
  h.payload_len = 10;
  auto head = encode_header(h);
  Bytes four(4);
  std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(four)};
  ASSERT_TRUE((*region)->publish(ShmDirection::kRequest, parts).ok());
  // The server ends the session: its socket closes, no response is published.
  auto r = c.reply();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kPeerClosed);
  Bytes out(128);
  auto resp = (*region)->consume(ShmDirection::kResponse, out, Deadline::after_ms(50), nullptr, nullptr);
  EXPECT_EQ(resp.error().kind, K::kTimeout);
}

TEST(ServerRules, ShmSessionNeverFallsBackToTheSocket) {
  REQUIREMENT("PROF-LOCK-001");
  ServerFixture f(0x03);
  Client client(client_config(f.dir, 0x02));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  ASSERT_EQ((*s)->profile(), 0x02u);
  // A request written to the socket of an SHM session is never answered there.
  Header h = request(1);
  h.payload_len = 1;
  auto head = encode_header(h);
  Bytes one{1};
  std::array<ConstBytes, 2> parts{ConstBytes(head), ConstBytes(one)};
  UdsChannel raw{UniqueFd(::dup((*s)->native_handle()))};
  ASSERT_TRUE(raw.send_packet(parts).ok());
  Bytes buf(128);
  auto n = raw.recv_packet(buf, Deadline::after_ms(200), nullptr);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, K::kTimeout);
  // The session keeps working over the region.
  auto r = (*s)->call(request(2), Bytes{5}, Deadline::after_ms(5000));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->payload.size(), 1u);
}

}  // namespace
}  // namespace nipc
