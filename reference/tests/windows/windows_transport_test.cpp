// The Windows transports, run under wine (label windows): the named pipe, both shared-memory
// profiles, and whole sessions through the managed server and the client.
#include <windows.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "nipc/codec/bytes.h"
#include "nipc/codec/constants.h"
#include "nipc/transport/client.h"
#include "nipc/transport/pipe.h"
#include "nipc/transport/server.h"
#include "nipc/transport/win_names.h"
#include "nipc/transport/win_shm.h"
#include "support/test_support.h"

namespace nipc {
namespace {

using namespace std::chrono_literals;
namespace L = win_shm_layout;
using Bytes = std::vector<std::uint8_t>;

// A run_dir unique to this process and call: pipe and object names derive from it.
std::string fresh_run_dir() {
  static std::atomic<int> n{0};
  return "C:\\nipc-win-test-" + std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(++n);
}

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

TransportResult<void> send(PacketChannel& ch, const Bytes& b) {
  ConstBytes parts[1] = {ConstBytes(b)};
  return ch.send_packet(parts);
}

struct PipePair {
  std::unique_ptr<PipeListener> listener;
  std::unique_ptr<PacketChannel> server;
  std::unique_ptr<PipeChannel> client;
};

PipePair connected_pipe() {
  PipePair p;
  std::string dir = fresh_run_dir();
  auto l = PipeListener::listen(dir, "svc");
  EXPECT_TRUE(l.ok());
  p.listener = std::move(*l);
  auto c = pipe_connect(dir, "svc");
  EXPECT_TRUE(c.ok());
  p.client = std::move(*c);
  auto s = p.listener->accept(Deadline::after(5s), nullptr);
  EXPECT_TRUE(s.ok());
  p.server = std::move(*s);
  return p;
}

// ---------------------------------------------------------------------------------------
// Named pipe

TEST(Pipe, ASecondServerOnTheSameNameGetsAddressInUse) {
  REQUIREMENT("WIN-PIPE-FIRST-001");
  std::string dir = fresh_run_dir();
  auto first = PipeListener::listen(dir, "svc");
  ASSERT_TRUE(first.ok());
  auto second = PipeListener::listen(dir, "svc");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, TransportErrorKind::kPipeInUse);
  // ACCESS_DENIED from the flag on Windows; the name probe reports PIPE_BUSY.
  EXPECT_TRUE(second.error().sys_errno == ERROR_ACCESS_DENIED ||
              second.error().sys_errno == ERROR_PIPE_BUSY);
}

TEST(Pipe, ListensUnderTheDerivedPipeName) {
  REQUIREMENT("WIN-PIPE-NAME-001");
  std::string dir = fresh_run_dir();
  auto l = PipeListener::listen(dir, "svc");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)->name(), *win::pipe_name(dir, "svc"));
  std::u16string wide = win::widen((*l)->name());
  // The instance is there: the name answers a wait at once.
  EXPECT_TRUE(::WaitNamedPipeW(reinterpret_cast<const wchar_t*>(wide.c_str()), 1000));
}

TEST(Pipe, ConnectingToAMissingPipeIsNotFound) {
  REQUIREMENT("WIN-PIPE-CONNECT-001");
  auto c = pipe_connect(fresh_run_dir(), "nobody");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, TransportErrorKind::kNotFound);
}

TEST(Pipe, ABusyPipeIsNotFoundAndAcceptMakesTheNextInstanceAtOnce) {
  REQUIREMENT("WIN-PIPE-ACCEPT-001");
  REQUIREMENT("WIN-PIPE-CONNECT-001");
  std::string dir = fresh_run_dir();
  auto l = PipeListener::listen(dir, "svc");
  ASSERT_TRUE(l.ok());
  auto c1 = pipe_connect(dir, "svc");
  ASSERT_TRUE(c1.ok());
  // The only instance is taken and not accepted yet: busy, reported without waiting.
  auto busy = pipe_connect(dir, "svc");
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().kind, TransportErrorKind::kNotFound);
  EXPECT_EQ(busy.error().sys_errno, ERROR_PIPE_BUSY);
  auto s1 = (*l)->accept(Deadline::after(5s), nullptr);
  ASSERT_TRUE(s1.ok());
  // No handshake on s1 yet, and a second client connects already.
  auto c2 = pipe_connect(dir, "svc");
  ASSERT_TRUE(c2.ok());
  auto s2 = (*l)->accept(Deadline::after(5s), nullptr);
  ASSERT_TRUE(s2.ok());
  ASSERT_TRUE(send(**c2, bytes_of("second")).ok());
  Bytes buf(64);
  auto n = (*s2)->recv_packet(buf, Deadline::after(5s), nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 6u);
}

TEST(Pipe, EveryPacketArrivesWholeAndSeparate) {
  REQUIREMENT("WIN-PIPE-MODE-001");
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  Bytes a(1, 0xa1), b(3000, 0xb2), c(65536, 0xc3);
  ASSERT_TRUE(send(*p.client, a).ok());
  ASSERT_TRUE(send(*p.client, b).ok());
  std::thread writer([&] { EXPECT_TRUE(send(*p.client, c).ok()); });
  Bytes buf(70000);
  for (const Bytes* want : {&a, &b, &c}) {
    auto n = p.server->recv_packet(buf, Deadline::after(5s), nullptr);
    ASSERT_TRUE(n.ok());
    ASSERT_EQ(*n, want->size());
    EXPECT_EQ(std::memcmp(buf.data(), want->data(), *n), 0);
  }
  writer.join();
  // Two parts make one packet.
  Bytes head = bytes_of("head-"), tail = bytes_of("tail");
  ConstBytes parts[2] = {ConstBytes(head), ConstBytes(tail)};
  ASSERT_TRUE(p.server->send_packet(parts).ok());
  auto n = p.client->recv_packet(buf, Deadline::after(5s), nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + static_cast<long>(*n)), "head-tail");
}

TEST(Pipe, ProposesPacketSize65536) {
  REQUIREMENT("WIN-PKT-001");
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  EXPECT_EQ(p.client->native_packet_size(), 65536u);
  EXPECT_EQ(p.server->native_packet_size(), 65536u);
}

TEST(Pipe, APacketLargerThanTheBufferIsTooLarge) {
  REQUIREMENT("WIN-PIPE-MODE-001");
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  ASSERT_TRUE(send(*p.client, Bytes(100, 1)).ok());
  Bytes small(50);
  auto n = p.server->recv_packet(small, Deadline::after(5s), nullptr);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, TransportErrorKind::kPacketTooLarge);
}

TEST(Pipe, AClosedClientIsPeerClosedForTheServer) {
  REQUIREMENT("WIN-PIPE-EOF-001");
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  EXPECT_FALSE(p.server->peer_hung_up());
  p.client.reset();
  EXPECT_TRUE(p.server->peer_hung_up());
  Bytes buf(64);
  auto n = p.server->recv_packet(buf, Deadline::after(5s), nullptr);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, TransportErrorKind::kPeerClosed);
  auto s = send(*p.server, bytes_of("x"));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind, TransportErrorKind::kPeerClosed);
}

TEST(Pipe, AClosedServerIsPeerClosedForTheClientAfterItsLastPacket) {
  REQUIREMENT("WIN-PIPE-EOF-001");
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  ASSERT_TRUE(send(*p.server, bytes_of("last")).ok());
  // Closing flushes first: it waits until the client has read what was written.
  std::thread closer([&] { p.server.reset(); });
  Bytes buf(64);
  auto n = p.client->recv_packet(buf, Deadline::after(5s), nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 4u);
  auto eof = p.client->recv_packet(buf, Deadline::after(5s), nullptr);
  ASSERT_FALSE(eof.ok());
  EXPECT_EQ(eof.error().kind, TransportErrorKind::kPeerClosed);
  closer.join();
}

TEST(Pipe, AReceiveEndsAtItsDeadlineAndLosesNothing) {
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  Bytes buf(64);
  auto start = std::chrono::steady_clock::now();
  auto n = p.server->recv_packet(buf, Deadline::after(100ms), nullptr);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, TransportErrorKind::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 100ms);
  ASSERT_TRUE(send(*p.client, bytes_of("after")).ok());
  auto later = p.server->recv_packet(buf, Deadline::after(5s), nullptr);
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(*later, 5u);
}

TEST(Pipe, AReceiveAndAnAcceptStopWhenCancelled) {
  auto p = connected_pipe();
  ASSERT_TRUE(p.server);
  Canceller cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(100ms);
    cancel.cancel();
  });
  Bytes buf(64);
  auto n = p.server->recv_packet(buf, Deadline::never(), &cancel);
  t.join();
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, TransportErrorKind::kCancelled);
  auto a = p.listener->accept(Deadline::never(), &cancel);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().kind, TransportErrorKind::kCancelled);
  auto timed = p.listener->accept(Deadline::after(50ms), nullptr);
  ASSERT_FALSE(timed.ok());
  EXPECT_EQ(timed.error().kind, TransportErrorKind::kTimeout);
}

// ---------------------------------------------------------------------------------------
// Shared memory

struct Regions {
  explicit Regions(std::uint32_t p) : profile(p) {}
  std::string run_dir = fresh_run_dir();
  platform::RegionKey key() const { return {run_dir, "svc", 7, profile, 1}; }
  std::uint32_t profile;
  std::unique_ptr<WinShmRegion> server, client;
};

Regions make_regions(std::uint32_t prof, std::uint32_t req = 1000, std::uint32_t resp = 2000) {
  Regions r(prof);
  auto s = WinShmRegion::create(r.key(), req, resp);
  EXPECT_TRUE(s.ok());
  if (s.ok()) r.server = std::move(*s);
  auto c = WinShmRegion::attach(r.key());
  EXPECT_TRUE(c.ok());
  if (c.ok()) r.client = std::move(*c);
  return r;
}

bool event_exists(const std::string& name) {
  std::u16string w = win::widen(name);
  HANDLE h = ::OpenEventW(SYNCHRONIZE, FALSE, reinterpret_cast<const wchar_t*>(w.c_str()));
  if (h) ::CloseHandle(h);
  return h != nullptr;
}

void exchange_both_ways(Regions& r) {
  Bytes req = bytes_of("request"), resp(1500, 0x5a), buf(4096);
  ConstBytes rp[1] = {ConstBytes(req)};
  ASSERT_TRUE(r.client->send(WinShmDirection::kRequest, rp).ok());
  auto n = r.server->receive(WinShmDirection::kRequest, buf, Deadline::after(5s), nullptr, nullptr);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(buf.begin(), buf.begin() + static_cast<long>(*n)), "request");
  // The receiver blocks first, then the answer comes (the hybrid path through the event).
  std::thread answer([&] {
    std::this_thread::sleep_for(50ms);
    ConstBytes sp[1] = {ConstBytes(resp)};
    EXPECT_TRUE(r.server->send(WinShmDirection::kResponse, sp).ok());
  });
  auto m = r.client->receive(WinShmDirection::kResponse, buf, Deadline::after(5s), nullptr, nullptr);
  answer.join();
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(*m, 1500u);
  EXPECT_EQ(buf[1499], 0x5a);
}

TEST(WinShm, HybridCreatesTheHeaderAndBothEventsAndExchangesMessages) {
  REQUIREMENT("WIN-SHM-CREATE-001");
  REQUIREMENT("WIN-SHM-PUB-001");
  auto r = make_regions(profile::kShmHybrid);
  ASSERT_TRUE(r.server && r.client);
  auto names = *win::shm_object_names(r.run_dir, "svc", 7, profile::kShmHybrid, 1);
  EXPECT_EQ(r.server->name(), names.mapping);
  EXPECT_TRUE(event_exists(names.request_event));
  EXPECT_TRUE(event_exists(names.response_event));
  auto g = validate_win_shm_header(r.client->bytes(), profile::kShmHybrid);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, *win_shm_geometry(profile::kShmHybrid, 1000, 2000));
  exchange_both_ways(r);
  const std::uint8_t* h = r.server->bytes().data();
  EXPECT_EQ(load_u64le(h + L::kRequestSeq), 1u);
  EXPECT_EQ(load_u64le(h + L::kResponseSeq), 1u);
  EXPECT_EQ(load_u32le(h + L::kResponseLen), 1500u);
}

TEST(WinShm, BusyWaitHasNoEventsAndExchangesMessages) {
  REQUIREMENT("WIN-SHM-BUSYWAIT-001");
  auto r = make_regions(profile::kShmBusywait);
  ASSERT_TRUE(r.server && r.client);
  auto names = *win::shm_object_names(r.run_dir, "svc", 7, profile::kShmBusywait, 1);
  EXPECT_FALSE(event_exists(names.request_event));
  EXPECT_FALSE(event_exists(names.response_event));
  exchange_both_ways(r);
}

TEST(WinShm, ASecondCreateOfTheSameObjectsFails) {
  REQUIREMENT("WIN-SHM-CREATE-001");
  auto r = make_regions(profile::kShmHybrid);
  ASSERT_TRUE(r.server);
  auto again = WinShmRegion::create(r.key(), 1000, 2000);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, TransportErrorKind::kWinShmCreate);
  EXPECT_EQ(again.error().sys_errno, ERROR_ALREADY_EXISTS);
}

TEST(WinShm, AttachingWithoutAMappingIsOpenFailure) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  Regions r(profile::kShmHybrid);
  auto c = WinShmRegion::attach(r.key());
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, TransportErrorKind::kWinShmOpen);
}

TransportErrorKind attach_after_patch(std::size_t offset, std::uint32_t value) {
  Regions r(profile::kShmHybrid);
  auto s = WinShmRegion::create(r.key(), 1000, 2000);
  EXPECT_TRUE(s.ok());
  if (!s.ok()) return TransportErrorKind::kSystem;
  store_u32le((*s)->bytes().data() + offset, value);
  auto c = WinShmRegion::attach(r.key());
  EXPECT_FALSE(c.ok());
  return c.ok() ? TransportErrorKind::kSystem : c.error().kind;
}

TEST(WinShm, AttachValidatesTheHeader) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  EXPECT_EQ(attach_after_patch(L::kMagic, 0), TransportErrorKind::kWinShmBadMagic);
  EXPECT_EQ(attach_after_patch(L::kVersion, 4), TransportErrorKind::kWinShmBadVersion);
  EXPECT_EQ(attach_after_patch(L::kHeaderLen, 64), TransportErrorKind::kWinShmBadHeaderLen);
  EXPECT_EQ(attach_after_patch(L::kProfile, 4), TransportErrorKind::kWinShmBadProfile);
  EXPECT_EQ(attach_after_patch(L::kResponseOffset, 1153), TransportErrorKind::kWinShmBadLayout);
  EXPECT_EQ(attach_after_patch(L::kResponseCapacity, 1u << 20), TransportErrorKind::kWinShmBadLayout);
}

TEST(WinShm, TheClientAdoptsTheServersSpinTries) {
  REQUIREMENT("WIN-SHM-SPIN-001");
  Regions r(profile::kShmHybrid);
  auto s = WinShmRegion::create(r.key(), 1000, 2000);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->spin_tries(), 1024u);
  store_u32le((*s)->bytes().data() + L::kSpinTries, 7);
  auto c = WinShmRegion::attach(r.key());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->spin_tries(), 7u);
}

TEST(WinShm, TheClientStartsFromTheCurrentSequenceNumbers) {
  REQUIREMENT("WIN-SHM-ATTACH-001");
  Regions r(profile::kShmBusywait);
  auto s = WinShmRegion::create(r.key(), 1000, 2000);
  ASSERT_TRUE(s.ok());
  Bytes old = bytes_of("old");
  ConstBytes op[1] = {ConstBytes(old)};
  ASSERT_TRUE((*s)->send(WinShmDirection::kResponse, op).ok());
  auto c = WinShmRegion::attach(r.key());
  ASSERT_TRUE(c.ok());
  Bytes buf(64);
  // The message published before the attach is not delivered again.
  auto n = (*c)->receive(WinShmDirection::kResponse, buf, Deadline::after(50ms), nullptr, nullptr);
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.error().kind, TransportErrorKind::kTimeout);
}

TEST(WinShm, SendersRefuseEmptyAndOversizedMessages) {
  REQUIREMENT("WIN-SHM-LEN-001");
  auto r = make_regions(profile::kShmHybrid, 64, 64);
  ASSERT_TRUE(r.client);
  Bytes empty, big(65);
  ConstBytes e[1] = {ConstBytes(empty)};
  ConstBytes b[1] = {ConstBytes(big)};
  EXPECT_EQ(r.client->send(WinShmDirection::kRequest, e).error().kind,
            TransportErrorKind::kWinShmMessageTooLarge);
  EXPECT_EQ(r.client->send(WinShmDirection::kRequest, b).error().kind,
            TransportErrorKind::kWinShmMessageTooLarge);
  EXPECT_EQ(load_u64le(r.server->bytes().data() + L::kRequestSeq), 0u);  // nothing published
}

TEST(WinShm, AReceiverConsumesZeroAndOversizedLengths) {
  REQUIREMENT("WIN-SHM-LEN-001");
  for (std::uint32_t prof : {profile::kShmHybrid, profile::kShmBusywait}) {
    auto r = make_regions(prof);
    ASSERT_TRUE(r.server);
    std::uint8_t* h = r.client->bytes().data();
    Bytes buf(4096);
    // Length 0, published by hand.
    store_u32le(h + L::kRequestLen, 0);
    store_u64le(h + L::kRequestSeq, 1);
    auto zero = r.server->receive(WinShmDirection::kRequest, buf, Deadline::after(1s), nullptr, nullptr);
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().kind, TransportErrorKind::kWinShmZeroLength);
    // Larger than the receiver's buffer.
    store_u32le(h + L::kRequestLen, 900);
    store_u64le(h + L::kRequestSeq, 2);
    Bytes small(100);
    auto big = r.server->receive(WinShmDirection::kRequest, small, Deadline::after(1s), nullptr, nullptr);
    ASSERT_FALSE(big.ok());
    EXPECT_EQ(big.error().kind, TransportErrorKind::kWinShmMessageTooLarge);
    // Both were consumed: nothing is pending now.
    auto none = r.server->receive(WinShmDirection::kRequest, buf, Deadline::after(50ms), nullptr, nullptr);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.error().kind, TransportErrorKind::kTimeout);
  }
}

TEST(WinShm, ClosingSetsTheFlagAndEndsThePeersWait) {
  REQUIREMENT("WIN-SHM-CLOSE-001");
  for (std::uint32_t prof : {profile::kShmHybrid, profile::kShmBusywait}) {
    auto r = make_regions(prof);
    ASSERT_TRUE(r.server && r.client);
    std::thread closer([&] {
      std::this_thread::sleep_for(100ms);
      r.client->close_side();
    });
    Bytes buf(64);
    auto n = r.server->receive(WinShmDirection::kRequest, buf, Deadline::after(10s), nullptr, nullptr);
    closer.join();
    ASSERT_FALSE(n.ok());
    EXPECT_EQ(n.error().kind, TransportErrorKind::kPeerClosed);
    EXPECT_EQ(load_u32le(r.server->bytes().data() + L::kRequestClientClosed), 1u);
    r.server->close_side();
    EXPECT_EQ(load_u32le(r.client->bytes().data() + L::kResponseServerClosed), 1u);
  }
}

TEST(WinShm, AWaitEndsAtItsDeadlineOrWhenCancelled) {
  for (std::uint32_t prof : {profile::kShmHybrid, profile::kShmBusywait}) {
    auto r = make_regions(prof);
    ASSERT_TRUE(r.server);
    Bytes buf(64);
    auto t = r.server->receive(WinShmDirection::kRequest, buf, Deadline::after(50ms), nullptr, nullptr);
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.error().kind, TransportErrorKind::kTimeout);
    Canceller cancel;
    std::thread c([&] {
      std::this_thread::sleep_for(50ms);
      cancel.cancel();
    });
    auto k = r.server->receive(WinShmDirection::kRequest, buf, Deadline::never(), &cancel, nullptr);
    c.join();
    ASSERT_FALSE(k.ok());
    EXPECT_EQ(k.error().kind, TransportErrorKind::kCancelled);
  }
}

// ---------------------------------------------------------------------------------------
// Sessions through the managed server and the client

constexpr std::uint16_t kEchoMethod = static_cast<std::uint16_t>(Method::kIncrement);

// Answers every request with its payload.
class EchoService final : public Service {
 public:
  std::uint16_t method() const override { return kEchoMethod; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    out.assign(request.begin(), request.end());
    return HandlerStatus::kOk;
  }
};

struct Running {
  std::unique_ptr<Server> server;
  std::thread thread;
  ~Running() {
    if (server) server->stop();
    if (thread.joinable()) thread.join();
  }
};

void start_server(Running& r, const std::string& dir, std::uint32_t profiles) {
  ServerConfig cfg;
  cfg.max_request_payload_bytes = kRequestPayloadCap;  // configured: not a test of the default
  cfg.run_dir = dir;
  cfg.service = "echo";
  cfg.auth_token = 99;
  cfg.supported_profiles = profiles;
  cfg.max_response_payload_bytes = 262144;
  auto s = Server::start(cfg, std::make_shared<EchoService>());
  ASSERT_TRUE(s.ok()) << s.error().describe();
  r.server = std::move(*s);
  r.thread = std::thread([srv = r.server.get()] { srv->run(); });
}

ClientConfig client_config(const std::string& dir, std::uint32_t profiles) {
  ClientConfig c;
  c.run_dir = dir;
  c.service = "echo";
  c.auth_token = 99;
  c.supported_profiles = profiles;
  c.max_request_payload_bytes = 200000;
  c.max_response_payload_bytes = 200000;
  return c;
}

void call_and_check(ClientSession& s, std::uint64_t id, const Bytes& payload) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = kEchoMethod;
  h.item_count = 1;
  h.message_id = id;
  auto r = s.call(h, payload, Deadline::after(10s));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  EXPECT_EQ(r->header.transport_status, 0);
  ASSERT_EQ(r->payload.size(), payload.size());
  EXPECT_EQ(std::memcmp(r->payload.data(), payload.data(), payload.size()), 0);
}

TEST(WinSession, ServesEachProfile) {
  REQUIREMENT("WIN-PROF-001");
  for (std::uint32_t prof : {profile::kBaseline, profile::kShmHybrid, profile::kShmBusywait}) {
    SCOPED_TRACE(prof);
    std::string dir = fresh_run_dir();
    Running run;
    start_server(run, dir, profile::kBaseline | profile::kShmHybrid | profile::kShmBusywait);
    Client client(client_config(dir, profile::kBaseline | prof));
    auto s = client.connect();
    ASSERT_TRUE(s.ok()) << s.error().describe();
    EXPECT_EQ((*s)->profile(), prof);
    EXPECT_EQ(client.shm_attach_failures(), 0u);
    for (std::uint64_t i = 1; i <= 50; ++i) call_and_check(**s, i, Bytes(8, static_cast<std::uint8_t>(i)));
    call_and_check(**s, 51, Bytes(100000, 0x77));  // one message on SHM
    s->reset();
    run.server->stop();
    run.thread.join();
    EXPECT_EQ(run.server->stats().sessions_shm, prof == profile::kBaseline ? 0u : 1u);
  }
}

TEST(WinSession, BusyWaitWinsWhenBothSidesOfferBothProfiles) {
  REQUIREMENT("WIN-PROF-001");
  std::string dir = fresh_run_dir();
  Running run;
  start_server(run, dir, 0x07);
  Client client(client_config(dir, 0x07));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->profile(), profile::kShmBusywait);
}

TEST(WinSession, ALargeMessageTravelsInChunksOverThePipe) {
  REQUIREMENT("WIN-PIPE-MODE-001");
  std::string dir = fresh_run_dir();
  Running run;
  start_server(run, dir, profile::kBaseline);
  ClientConfig cfg = client_config(dir, profile::kBaseline);
  cfg.packet_size = 4096;
  Client client(cfg);
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->ack().agreed_packet_size, 4096u);
  Bytes big(150000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  call_and_check(**s, 1, big);
  auto* link = dynamic_cast<PacketLink*>(&(*s)->link());
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(link->chunked_messages(), 2u);  // the request and the response
}

TEST(WinSession, ASecondServerForTheSameServiceIsRefused) {
  REQUIREMENT("WIN-PIPE-FIRST-001");
  std::string dir = fresh_run_dir();
  Running run;
  start_server(run, dir, profile::kBaseline);
  ServerConfig cfg;
  cfg.max_request_payload_bytes = kRequestPayloadCap;  // configured: not a test of the default
  cfg.run_dir = dir;
  cfg.service = "echo";
  auto second = Server::start(cfg, std::make_shared<EchoService>());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, TransportErrorKind::kPipeInUse);
}

TEST(WinSession, AFailedRegionCreationWithdrawsSharedMemory) {
  REQUIREMENT("WIN-SHM-CREATE-001");
  std::string dir = fresh_run_dir();
  Running run;
  start_server(run, dir, profile::kBaseline | profile::kShmHybrid);
  // Occupy the mapping name the first session would get.
  auto names = *win::shm_object_names(dir, "echo", 99, profile::kShmHybrid, 1);
  std::u16string w = win::widen(names.mapping);
  HANDLE squat = ::CreateFileMappingW(INVALID_HANDLE_VALUE, nullptr, PAGE_READWRITE, 0, 4096,
                                      reinterpret_cast<const wchar_t*>(w.c_str()));
  ASSERT_NE(squat, nullptr);
  Client client(client_config(dir, profile::kBaseline | profile::kShmHybrid));
  auto s = client.connect();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->profile(), profile::kBaseline);
  call_and_check(**s, 1, Bytes(8, 1));
  ::CloseHandle(squat);
}

#if defined(NIPC_REF_EXE)
// The build path of nipc-ref.exe as Windows sees it: wine maps the Unix root to drive Z:.
std::string nipc_ref_path() {
  std::string p = NIPC_REF_EXE;
  if (!p.empty() && p[0] == '/') p = "Z:" + p;
  for (char& c : p)
    if (c == '/') c = '\\';
  return p;
}

TEST(NipcRefExe, StopsWithExitZeroWhenItsStopEventIsSet) {
  REQUIREMENT("SHIM-STOP-002");
  std::string cmd = "\"" + nipc_ref_path() + "\" server --run-dir " + fresh_run_dir() +
                    " --service stop --service-kind increment";
  SECURITY_ATTRIBUTES sa{sizeof sa, nullptr, TRUE};
  HANDLE out_read = nullptr, out_write = nullptr;
  ASSERT_TRUE(::CreatePipe(&out_read, &out_write, &sa, 0));
  ::SetHandleInformation(out_read, HANDLE_FLAG_INHERIT, 0);
  STARTUPINFOA si{};
  si.cb = sizeof si;
  si.dwFlags = STARTF_USESTDHANDLES;
  si.hStdOutput = out_write;
  si.hStdError = ::GetStdHandle(STD_ERROR_HANDLE);
  si.hStdInput = ::GetStdHandle(STD_INPUT_HANDLE);
  PROCESS_INFORMATION pi{};
  ASSERT_TRUE(::CreateProcessA(nullptr, cmd.data(), nullptr, nullptr, TRUE,
                               CREATE_NEW_PROCESS_GROUP, nullptr, nullptr, &si, &pi))
      << ::GetLastError();
  ::CloseHandle(out_write);
  // READY comes once the stop event exists.
  std::string line;
  char ch;
  DWORD got = 0;
  while (::ReadFile(out_read, &ch, 1, &got, nullptr) && got == 1 && ch != '\n') line += ch;
  EXPECT_EQ(line.rfind("READY", 0), 0u) << line;
  std::wstring name = L"Local\\netipc-shim-stop-" + std::to_wstring(pi.dwProcessId);
  HANDLE stop = ::OpenEventW(EVENT_MODIFY_STATE, FALSE, name.c_str());
  ASSERT_NE(stop, nullptr);
  EXPECT_TRUE(::SetEvent(stop));
  EXPECT_EQ(::WaitForSingleObject(pi.hProcess, 20000), WAIT_OBJECT_0);
  DWORD code = 99;
  EXPECT_TRUE(::GetExitCodeProcess(pi.hProcess, &code));
  EXPECT_EQ(code, 0u);
  ::CloseHandle(stop);
  ::CloseHandle(out_read);
  ::CloseHandle(pi.hThread);
  ::CloseHandle(pi.hProcess);
}
#endif

}  // namespace
}  // namespace nipc
