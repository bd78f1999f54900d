// Rules where the two protocol revisions disagree (spec/README.md#revisions): the library
// takes the revision as a run-time option and follows the rule of that revision.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <chrono>
#include <memory>
#include <thread>

#include "nipc/codec/revision.h"
#include "nipc/transport/client.h"
#include "nipc/transport/server.h"
#include "nipc/transport/uds.h"
#include "transport/transport_support.h"

namespace nipc {
namespace {

using testing::RunDir;
using K = TransportErrorKind;

class NoopService final : public Service {
 public:
  std::uint16_t method() const override { return 1; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    out.assign(request.begin(), request.end());
    return HandlerStatus::kOk;
  }
};

// Connects with a request proposal to a server whose request maximum is not configured.
TransportResult<std::unique_ptr<ClientSession>> propose(SpecRevision revision, std::uint32_t proposal) {
  RunDir dir;
  ServerConfig sc;
  sc.run_dir = dir.path();
  sc.service = "svc";
  sc.revision = revision;
  EXPECT_EQ(sc.max_request_payload_bytes, 0u) << "the cap is unconfigured by default";
  auto server = Server::start(sc, std::make_shared<NoopService>());
  EXPECT_TRUE(server.ok());
  std::thread t([&] { (*server)->run(); });
  ClientConfig cc;
  cc.run_dir = dir.path();
  cc.service = "svc";
  cc.max_request_payload_bytes = proposal;
  auto session = Client(cc).connect();
  if (session) (*session).reset();
  (*server)->stop();
  t.join();
  return session;
}

TEST(RevisionRequestCap, SeedUnconfiguredServerAccepts1MiBAndRefusesMore) {
  REQUIREMENT("HS-REQ-003");
  EXPECT_EQ(default_request_payload_max(SpecRevision::kSeed), 1048576u);
  EXPECT_TRUE(propose(SpecRevision::kSeed, 1048576).ok());
  auto r = propose(SpecRevision::kSeed, 1048577);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().rule, Error::kAckRejectedLimit);
}

TEST(RevisionRequestCap, NewestUnconfiguredServerAccepts1024AndRefusesMore) {
  REQUIREMENT("HS-REQ-004");
  EXPECT_EQ(default_request_payload_max(SpecRevision::kNewest), 1024u);
  EXPECT_TRUE(propose(SpecRevision::kNewest, 1024).ok());
  for (std::uint32_t p : {1025u, 1048576u}) {
    auto r = propose(SpecRevision::kNewest, p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.error().rule, Error::kAckRejectedLimit) << p;
  }
}

TEST(RevisionNames, ParseAndNameRoundTripAndUnknownIsRefused) {
  EXPECT_EQ(parse_revision("seed"), SpecRevision::kSeed);
  EXPECT_EQ(parse_revision("newest"), SpecRevision::kNewest);
  EXPECT_EQ(parse_revision("oldest"), std::nullopt);
  EXPECT_EQ(revision_name(SpecRevision::kSeed), "seed");
  EXPECT_EQ(kDefaultSpecRevision, SpecRevision::kNewest);
}

// A symbolic link to itself at the socket path: the probe's connect() fails with ELOOP.
bool symlink_loop(const RunDir& dir) {
  std::string p = dir.file("svc.sock");
  return ::symlink(p.c_str(), p.c_str()) == 0;
}

TEST(RevisionStaleSocket, SeedKeepsAnEntryWhoseProbeFailedOtherThanRefused) {
  REQUIREMENT("UDS-STALE-003");
  RunDir dir;
  ASSERT_TRUE(symlink_loop(dir));
  auto l = UdsListener::listen(dir.path(), "svc", kDefaultBacklog, SpecRevision::kSeed);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().kind, K::kAddressInUse);
  struct stat st;
  ASSERT_EQ(::lstat(dir.file("svc.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
}

TEST(RevisionStaleSocket, NewestRemovesAnEntryNoLiveOwnerAnswered) {
  REQUIREMENT("UDS-STALE-002");
  RunDir dir;
  ASSERT_TRUE(symlink_loop(dir));
  auto l = UdsListener::listen(dir.path(), "svc", kDefaultBacklog, SpecRevision::kNewest);
  ASSERT_TRUE(l.ok()) << l.error();
  struct stat st;
  ASSERT_EQ(::lstat(dir.file("svc.sock").c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
}

TEST(RevisionStaleSocket, BothRevisionsRemoveASocketNobodyListensOn) {
  REQUIREMENT("UDS-STALE-001");
  for (SpecRevision r : {SpecRevision::kSeed, SpecRevision::kNewest}) {
    RunDir dir;
    { auto first = UdsListener::listen(dir.path(), "svc", kDefaultBacklog, r); ASSERT_TRUE(first.ok()); }
    // The first listener's destructor removed its file; leave a refused one behind instead.
    int fd = ::socket(AF_UNIX, SOCK_SEQPACKET, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = dir.file("svc.sock");
    std::memcpy(addr.sun_path, p.c_str(), p.size() + 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ::close(fd);
    EXPECT_TRUE(UdsListener::listen(dir.path(), "svc", kDefaultBacklog, r).ok()) << revision_name(r);
  }
}

TEST(RevisionAbort, AnAbortedReceiveEndsAsCancelledNotAsTimeout) {
  REQUIREMENT("SVC-ABORT-001");
  REQUIREMENT("SVC-TIMEOUT-001");
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
  UdsChannel b{UniqueFd(sv[1])};
  std::array<std::uint8_t, 8> in{};
  // Nothing arrives: a bounded receive ends with a timeout.
  auto timed = b.recv_packet(in, Deadline::after(std::chrono::milliseconds(30)), nullptr);
  ASSERT_FALSE(timed.ok());
  EXPECT_EQ(timed.error().kind, K::kTimeout);
  // Aborted from another thread: it ends promptly as cancelled, long before its deadline.
  Canceller cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    cancel.cancel();
  });
  auto start = std::chrono::steady_clock::now();
  auto aborted = b.recv_packet(in, Deadline::after(std::chrono::seconds(30)), &cancel);
  t.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_FALSE(aborted.ok());
  EXPECT_EQ(aborted.error().kind, K::kCancelled);
  // The abort stays in force: the next receive ends at once as well.
  auto again = b.recv_packet(in, Deadline::after(std::chrono::seconds(30)), &cancel);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, K::kCancelled);
  ::close(sv[0]);
}

}  // namespace
}  // namespace nipc
