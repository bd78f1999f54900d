// UDS SEQPACKET endpoint: names, listen/connect, stale recovery, packets, descriptor hygiene.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <poll.h>
#include <unistd.h>

#include <array>
#include <fstream>
#include <thread>

#include "nipc/transport/paths.h"
#include "nipc/transport/session.h"
#include "nipc/transport/uds.h"
#include "transport/transport_support.h"

namespace nipc {
namespace {

using testing::RunDir;
using testing::open_fd_count;
using K = TransportErrorKind;

TEST(ServiceName, AcceptsTheAllowedCharacters) {
  REQUIREMENT("UDS-NAME-001");
  EXPECT_TRUE(is_valid_service_name("cgroups-snapshot"));
  EXPECT_TRUE(is_valid_service_name("a.b_C-9"));
  EXPECT_TRUE(is_valid_service_name("..."));
}

TEST(ServiceName, RejectsEmptyDotsAndOtherCharacters) {
  REQUIREMENT("UDS-NAME-001");
  for (const char* bad : {"", ".", "..", "a/b", "a b", "ä", "x\n", "semi;colon", "a\\b"})
    EXPECT_FALSE(is_valid_service_name(bad)) << bad;
  auto r = socket_path("/run", "../etc");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kBadParameter);
}

TEST(SocketPath, IsRunDirSlashServiceDotSock) {
  REQUIREMENT("UDS-PATH-001");
  auto r = socket_path("/run/netdata", "cgroups-snapshot");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "/run/netdata/cgroups-snapshot.sock");
  // run_dir is used verbatim, not normalised.
  EXPECT_EQ(*socket_path("run//x/", "s"), "run//x//s.sock");
}

TEST(SocketPath, FitsSunPathOrFailsPathTooLong) {
  REQUIREMENT("UDS-SUN-001");
  std::string dir(107 - 7, 'd');  // dir + "/s.sock" = 107 bytes
  ASSERT_TRUE(socket_path(dir, "s").ok());
  auto r = socket_path(dir + "d", "s");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kPathTooLong);
}

TEST(RegionPath, IsServiceDashHex16DotIpcshm) {
  REQUIREMENT("SHM-PATH-001");
  EXPECT_EQ(*region_path("/run/netdata", "cgroups-snapshot", 1),
            "/run/netdata/cgroups-snapshot-0000000000000001.ipcshm");
  EXPECT_EQ(*region_path("/r", "s", 0xABCDEF0123456789ull), "/r/s-abcdef0123456789.ipcshm");
  EXPECT_EQ(region_path("/r", "a/b", 1).error().kind, K::kBadParameter);
  EXPECT_EQ(region_path(std::string(250, 'd'), "s", 1).error().kind, K::kPathTooLong);
}

TEST(RegionPath, ScanMatchesPrefixAndSuffix) {
  REQUIREMENT("SHM-STALE-002");
  EXPECT_TRUE(is_region_file_name("svc-0000000000000001.ipcshm", "svc"));
  EXPECT_TRUE(is_region_file_name("svc-x.ipcshm", "svc"));
  EXPECT_FALSE(is_region_file_name("svc-.ipcshm", "svc"));
  EXPECT_FALSE(is_region_file_name("svc.sock", "svc"));
  EXPECT_FALSE(is_region_file_name("other-1.ipcshm", "svc"));
  EXPECT_FALSE(is_region_file_name("svc-1.ipcshm.tmp", "svc"));
}

TEST(UdsListen, CreatesOwnerOnlySocketAndRemovesItOnClose) {
  REQUIREMENT("UDS-CLOSE-001");
  RunDir dir;
  {
    auto l = UdsListener::listen(dir.path(), "svc");
    ASSERT_TRUE(l.ok()) << l.error();
    struct stat st;
    ASSERT_EQ(::stat(dir.file("svc.sock").c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
  EXPECT_TRUE(dir.entries().empty());
}

TEST(UdsListen, LiveOwnerGivesAddressInUseAndKeepsTheSocket) {
  REQUIREMENT("UDS-LIVE-001");
  RunDir dir;
  auto first = UdsListener::listen(dir.path(), "svc");
  ASSERT_TRUE(first.ok());
  auto second = UdsListener::listen(dir.path(), "svc");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, K::kAddressInUse);
  // The first listener still works.
  auto c = uds_connect(dir.path(), "svc");
  ASSERT_TRUE(c.ok()) << c.error();
  auto a = (*first)->accept(Deadline::after_ms(1000), nullptr);
  EXPECT_TRUE(a.ok());
}

TEST(UdsListen, RecoversStaleSocketOfDeadServer) {
  REQUIREMENT("UDS-STALE-001");
  RunDir dir;
  // A child process listens and dies without cleaning up.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = dir.file("svc.sock");
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) ::_exit(1);
    ::listen(fd, 1);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_EQ(WEXITSTATUS(status), 0);
  ASSERT_EQ(dir.entries(), std::vector<std::string>{"svc.sock"});
  auto l = UdsListener::listen(dir.path(), "svc");
  ASSERT_TRUE(l.ok()) << l.error();
  auto c = uds_connect(dir.path(), "svc");
  EXPECT_TRUE(c.ok());
}

TEST(UdsListen, RemovesAForeignFileAtTheSocketPath) {
  REQUIREMENT("UDS-STALE-001");
  RunDir dir;
  std::ofstream(dir.file("svc.sock")) << "junk";
  auto l = UdsListener::listen(dir.path(), "svc");
  ASSERT_TRUE(l.ok()) << l.error();
}

TEST(UdsListen, UnremovableEntryIsAddressInUse) {
  REQUIREMENT("UDS-STALE-002");
  RunDir dir;
  // A directory at the socket path: the probe fails (not a socket) and unlink cannot remove it.
  ASSERT_EQ(::mkdir(dir.file("svc.sock").c_str(), 0700), 0);
  auto l = UdsListener::listen(dir.path(), "svc");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind, K::kAddressInUse);
  EXPECT_EQ(dir.entries(), std::vector<std::string>{"svc.sock"});
}

TEST(UdsListen, SocketIsOwnerOnlyEvenUnderAPermissiveUmask) {
  REQUIREMENT("UDS-MODE-001");
  RunDir dir;
  mode_t old = ::umask(0);
  auto l = UdsListener::listen(dir.path(), "svc");
  ::umask(old);
  ASSERT_TRUE(l.ok());
  struct stat st;
  ASSERT_EQ(::stat(dir.file("svc.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(UdsListen, DefaultBacklogHoldsSixteenPendingConnections) {
  REQUIREMENT("UDS-LISTEN-001");
  RunDir dir;
  auto l = UdsListener::listen(dir.path(), "svc");
  ASSERT_TRUE(l.ok());
  std::vector<UniqueFd> pending;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string p = dir.file("svc.sock");
  std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
  for (int i = 0; i < 16; ++i) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0));
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0) << i;
    pending.push_back(std::move(fd));
  }
}

TEST(UdsConnect, NothingListeningIsNotFound) {
  REQUIREMENT("UDS-CONNECT-001");
  RunDir dir;
  auto c = uds_connect(dir.path(), "svc");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().kind, K::kNotFound);
}

TEST(UdsPacket, NativePacketSizeIsTheLargestSendableDatagram) {
  REQUIREMENT("UDS-PKT-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel a{UniqueFd(sv[0])};
  UdsChannel b{UniqueFd(sv[1])};
  std::uint32_t p = a.native_packet_size();
  int sndbuf = 0;
  socklen_t len = sizeof sndbuf;
  ASSERT_EQ(::getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sndbuf, &len), 0);
  EXPECT_EQ(p, static_cast<std::uint32_t>(sndbuf) - 32);
  std::vector<std::uint8_t> big(p + 1, 0x5a);
  // Exactly the native size goes through; one byte more is refused by the kernel.
  std::array<ConstBytes, 1> exact{ConstBytes(big.data(), p)};
  ASSERT_TRUE(a.send_packet(exact).ok());
  std::vector<std::uint8_t> in(p + 1);
  auto got = b.recv_packet(in, Deadline::after_ms(1000), nullptr);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, p);
  std::array<ConstBytes, 1> over{ConstBytes(big.data(), p + 1)};
  auto r = a.send_packet(over);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().sys_errno, EMSGSIZE);
}

TEST(UdsPacket, GatherSendIsOnePacketAndOversizePacketIsRefused) {
  REQUIREMENT("UDS-SEND-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel a{UniqueFd(sv[0])};
  UdsChannel b{UniqueFd(sv[1])};
  std::array<std::uint8_t, 3> x{1, 2, 3};
  std::array<std::uint8_t, 2> y{4, 5};
  std::array<ConstBytes, 2> parts{ConstBytes(x), ConstBytes(y)};
  ASSERT_TRUE(a.send_packet(parts).ok());
  ASSERT_TRUE(a.send_packet(parts).ok());
  std::array<std::uint8_t, 8> in{};
  auto got = b.recv_packet(in, Deadline::after_ms(1000), nullptr);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, 5u);
  EXPECT_EQ(in[4], 5);
  std::array<std::uint8_t, 4> small{};
  auto cut = b.recv_packet(small, Deadline::after_ms(1000), nullptr);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().kind, K::kPacketTooLarge);
  EXPECT_EQ(cut.error().requirement(), "UDS-RECV-001");
}

TEST(UdsPacket, ReceiveTimesOutAndSeesPeerClose) {
  REQUIREMENT("UDS-TIMEOUT-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel b{UniqueFd(sv[1])};
  std::array<std::uint8_t, 8> in{};
  auto t0 = std::chrono::steady_clock::now();
  auto r = b.recv_packet(in, Deadline::after_ms(50), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kTimeout);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
  EXPECT_FALSE(b.peer_hung_up());
  ::close(sv[0]);
  EXPECT_TRUE(b.peer_hung_up());
  auto eof = b.recv_packet(in, Deadline::after_ms(1000), nullptr);
  ASSERT_FALSE(eof.ok());
  EXPECT_EQ(eof.error().kind, K::kPeerClosed);
}

TEST(UdsPacket, EndOfStreamAndResetArePeerClosed) {
  REQUIREMENT("UDS-EOF-001");
  for (bool reset : {false, true}) {
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    UdsChannel a{UniqueFd(sv[0])};
    std::array<std::uint8_t, 4> x{1, 2, 3, 4};
    std::array<ConstBytes, 1> parts{ConstBytes(x)};
    if (reset) {
      ASSERT_EQ(::send(sv[1], "q", 1, 0), 1);  // unread data: the close resets
    }
    ::close(sv[1]);
    auto s = a.send_packet(parts);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().kind, K::kPeerClosed);  // EPIPE, and no SIGPIPE
    std::array<std::uint8_t, 8> in{};
    if (reset) {
      ASSERT_TRUE(a.recv_packet(in, Deadline::after_ms(100), nullptr).ok());
    }
    auto r = a.recv_packet(in, Deadline::after_ms(1000), nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().kind, K::kPeerClosed);
  }
}

TEST(UdsPacket, NativeHandleIsReadableWhenAPacketIsQueued) {
  REQUIREMENT("UDS-WAIT-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel a{UniqueFd(sv[0])};
  UdsChannel b{UniqueFd(sv[1])};
  pollfd p{b.native_handle(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 0), 0);
  std::array<std::uint8_t, 1> x{9};
  std::array<ConstBytes, 1> parts{ConstBytes(x)};
  ASSERT_TRUE(a.send_packet(parts).ok());
  EXPECT_EQ(::poll(&p, 1, 1000), 1);
  EXPECT_TRUE(p.revents & POLLIN);
}

TEST(UdsPacket, CancelStopsABlockedReceive) {
  REQUIREMENT("UDS-TIMEOUT-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel b{UniqueFd(sv[1])};
  Canceller cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel.cancel();
  });
  std::array<std::uint8_t, 8> in{};
  auto r = b.recv_packet(in, Deadline::never(), &cancel);
  t.join();
  ::close(sv[0]);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, K::kCancelled);
}

TEST(UdsPacket, WaitAfterAnEmptyQueueGetsQueuedAndLaterPacketsTimesOutAndCancels) {
  REQUIREMENT("UDS-TIMEOUT-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel a{UniqueFd(sv[0])};
  UdsChannel b{UniqueFd(sv[1])};
  Canceller cancel;
  std::array<std::uint8_t, 8> in{};
  std::array<std::uint8_t, 1> x{7};
  std::array<ConstBytes, 1> parts{ConstBytes(x)};
  const std::array<const Canceller*, 2> cancellers{nullptr, &cancel};
  // Already queued: the wait sees it at once.
  ASSERT_TRUE(a.send_packet(parts).ok());
  for (const Canceller* c : cancellers) {
    if (c) {
      ASSERT_TRUE(a.send_packet(parts).ok());
    }
    auto r = b.wait_packet(in, Deadline::after_ms(1000), c);
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(*r, 1u);
  }
  // Sent while waiting: both with and without a canceller.
  for (const Canceller* c : cancellers) {
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      (void)a.send_packet(parts);
    });
    auto r = b.wait_packet(in, Deadline::after_ms(5000), c);
    t.join();
    ASSERT_TRUE(r.ok()) << r.error();
    EXPECT_EQ(in[0], 7);
  }
  auto timeout = b.wait_packet(in, Deadline::after_ms(30), &cancel);
  ASSERT_FALSE(timeout.ok());
  EXPECT_EQ(timeout.error().kind, K::kTimeout);
  cancel.cancel();
  auto cancelled = b.wait_packet(in, Deadline::never(), &cancel);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().kind, K::kCancelled);
}

TEST(PacketLinkStream, QueuedMessagesArriveInOrderAndALaterOneStillWakesTheReceiver) {
  REQUIREMENT("SESS-PIPELINE-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  const DirectionLimits limits{1024, 1};
  PacketLink tx(std::make_unique<UdsChannel>(UniqueFd(sv[0])), 4096, limits);
  PacketLink rx(std::make_unique<UdsChannel>(UniqueFd(sv[1])), 4096, limits);
  Canceller cancel;
  std::array<std::uint8_t, 8> body{1, 2, 3, 4, 5, 6, 7, 8};
  auto send = [&](std::uint64_t id) {
    Header h;
    h.kind = Kind::kRequest;
    h.code = 1;
    h.item_count = 1;
    h.message_id = id;
    h.payload_len = static_cast<std::uint32_t>(body.size());
    return tx.send_message(h, ConstBytes(body));
  };
  // A stream: sixteen messages queued before the receiver looks (it then never spins).
  for (std::uint64_t id = 1; id <= 16; ++id) ASSERT_TRUE(send(id).ok());
  for (std::uint64_t id = 1; id <= 16; ++id) {
    auto m = rx.receive_message(Deadline::after_ms(1000), &cancel);
    ASSERT_TRUE(m.ok()) << m.error();
    EXPECT_EQ(m->header.message_id, id);
  }
  // The stream has run dry: the receiver blocks, and a message sent later still wakes it.
  for (std::uint64_t id = 17; id <= 18; ++id) {
    std::thread t([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      (void)send(id);
    });
    auto m = rx.receive_message(Deadline::after_ms(5000), id == 17 ? &cancel : nullptr);
    t.join();
    ASSERT_TRUE(m.ok()) << m.error();
    EXPECT_EQ(m->header.message_id, id);
  }
  auto idle = rx.receive_message(Deadline::after_ms(30), &cancel);
  ASSERT_FALSE(idle.ok());
  EXPECT_EQ(idle.error().kind, K::kTimeout);
}

TEST(UdsHygiene, ListenConnectAcceptCloseLeaksNoDescriptor) {
  REQUIREMENT("UDS-CLOSE-001");
  RunDir dir;
  int before = open_fd_count();
  for (int i = 0; i < 20; ++i) {
    auto l = UdsListener::listen(dir.path(), "svc");
    ASSERT_TRUE(l.ok());
    auto c = uds_connect(dir.path(), "svc");
    ASSERT_TRUE(c.ok());
    auto a = (*l)->accept(Deadline::after_ms(1000), nullptr);
    ASSERT_TRUE(a.ok());
    auto second = UdsListener::listen(dir.path(), "svc");  // fails: live owner
    ASSERT_FALSE(second.ok());
  }
  auto nf = uds_connect(dir.path(), "svc");
  ASSERT_FALSE(nf.ok());
  EXPECT_EQ(open_fd_count(), before);
}

}  // namespace
}  // namespace nipc
