// Transport throughput and latency, one client and one server process, with floors measured
// in the same run: every figure is printed as a ratio to its floor, because on small shared
// VMs absolute wake-up latency swings several times between runs.
//
//   reference: ping-pong, batch, pipeline (depth 16) and snapshot over UDS and SHM
//
//   floors:    blocking and busy-poll SEQPACKET ping-pong, SEQPACKET with 16 messages in
//              flight, raw shared-memory spin ping-pong, spin + one FUTEX_WAKE per message
//
// Usage: nipc_transport_bench [SECONDS] [--repeat N] [--only TEXT]   (--help). Not a test.
#include <signal.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "nipc/codec/batch.h"
#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/codec/increment.h"
#include "nipc/testing/snapshot_fixture.h"
#include "nipc/transport/client.h"
#include "nipc/transport/server.h"

namespace nipc {
namespace {

using Clock = std::chrono::steady_clock;
double g_seconds = 1.0;

struct Figures {
  double rate = 0;  // requests/s (items/s for batch)
  double p50_us = 0, p99_us = 0;
};

Figures summarize(std::vector<double>& lat_ns, double ops, double secs) {
  Figures f;
  f.rate = ops / secs;
  if (!lat_ns.empty()) {
    std::sort(lat_ns.begin(), lat_ns.end());
    f.p50_us = lat_ns[lat_ns.size() / 2] / 1000.0;
    f.p99_us = lat_ns[std::min(lat_ns.size() - 1, lat_ns.size() * 99 / 100)] / 1000.0;
  }
  return f;
}

double ns_since(Clock::time_point t) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t).count();
}

// --- floors --------------------------------------------------------------------------------

// Raw SEQPACKET echo with `depth` messages in flight. `busy_poll`: both ends read with
// MSG_DONTWAIT in a loop instead of blocking (the floor for an adaptive spin that never has to
// sleep).
Figures floor_seqpacket(int depth, bool busy_poll = false) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) std::abort();
  const int rflags = busy_poll ? MSG_DONTWAIT : 0;
  // A busy-polled read: EAGAIN means "again", anything else ends the loop.
  auto receive = [rflags](int fd, char* buf, std::size_t cap) {
    for (;;) {
      ssize_t n = ::recv(fd, buf, cap, rflags);
      if (n >= 0 || (errno != EAGAIN && errno != EINTR)) return n;
      __builtin_ia32_pause();
    }
  };
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(sv[0]);
    char buf[64];
    for (;;) {
      ssize_t n = receive(sv[1], buf, sizeof buf);
      if (n <= 0) ::_exit(0);
      if (::send(sv[1], buf, static_cast<size_t>(n), MSG_NOSIGNAL) != n) ::_exit(0);
    }
  }
  ::close(sv[1]);
  char msg[40] = {1};
  char in[64];
  std::vector<double> lat;
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(depth));
  std::uint64_t done = 0, issued = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(g_seconds);
  for (; issued < static_cast<std::uint64_t>(depth); ++issued) {
    sent[issued % depth] = Clock::now();
    (void)::send(sv[0], msg, sizeof msg, MSG_NOSIGNAL);
  }
  while (Clock::now() < end) {
    if (receive(sv[0], in, sizeof in) <= 0) break;
    lat.push_back(ns_since(sent[done % depth]));
    ++done;
    sent[issued % depth] = Clock::now();
    (void)::send(sv[0], msg, sizeof msg, MSG_NOSIGNAL);
    ++issued;
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(sv[0]);
  ::waitpid(pid, nullptr, 0);
  return summarize(lat, static_cast<double>(done), secs);
}

// Raw spin ping-pong over a shared mapping; with `wake`, each publication is also followed by
// the shared FUTEX_WAKE the protocol requires (SHM-PUB-001), which no peer can skip.
void wake(std::atomic<std::uint32_t>* word) {
  word->fetch_add(1, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

Figures floor_shm_spin(bool with_wake) {
  void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  auto* req = new (m) std::atomic<std::uint64_t>(0);
  auto* resp = new (static_cast<char*>(m) + 64) std::atomic<std::uint64_t>(0);
  auto* req_sig = new (static_cast<char*>(m) + 128) std::atomic<std::uint32_t>(0);
  auto* resp_sig = new (static_cast<char*>(m) + 192) std::atomic<std::uint32_t>(0);
  pid_t pid = ::fork();
  if (pid == 0) {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t v;
      while ((v = req->load(std::memory_order_acquire)) == seen) __builtin_ia32_pause();
      if (v == ~std::uint64_t{0}) ::_exit(0);
      seen = v;
      resp->store(v, std::memory_order_release);
      if (with_wake) wake(resp_sig);
    }
  }
  std::vector<double> lat;
  std::uint64_t i = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(g_seconds);
  while (Clock::now() < end) {
    auto t = Clock::now();
    req->store(++i, std::memory_order_release);
    if (with_wake) wake(req_sig);
    while (resp->load(std::memory_order_acquire) != i) __builtin_ia32_pause();
    lat.push_back(ns_since(t));
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  req->store(~std::uint64_t{0}, std::memory_order_release);
  ::waitpid(pid, nullptr, 0);
  ::munmap(m, 4096);
  return summarize(lat, static_cast<double>(i), secs);
}

// --- reference -----------------------------------------------------------------------------

class IncrementService final : public Service {
 public:
  std::uint16_t method() const override { return 1; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    auto v = decode_increment(request);
    if (!v) return HandlerStatus::kBadRequest;
    out.resize(8);
    (void)encode_increment(*v + 1, MutableBytes(out));
    return HandlerStatus::kOk;
  }
};

class SnapshotService final : public Service {
 public:
  explicit SnapshotService(std::size_t k) {
    GeneratedSnapshot s = generate_snapshot(42, k);
    auto views = s.views();
    bytes_.resize(snapshot_encoded_size(views));
    (void)encode_snapshot(s.systemd_enabled, s.generation, views, MutableBytes(bytes_));
  }
  std::uint16_t method() const override { return 2; }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    if (!decode_snapshot_request(request)) return HandlerStatus::kBadRequest;
    out = bytes_;
    return HandlerStatus::kOk;
  }
  std::vector<std::uint8_t> bytes_;
};

constexpr std::size_t kSnapshotItems = 100;

// Starts a server process for one session; returns its pid once it listens.
pid_t start_server(const std::string& dir, std::uint32_t profiles, bool snapshot) {
  int ready[2];
  if (::pipe(ready) != 0) std::abort();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(ready[0]);
    ServerConfig cfg;
    cfg.run_dir = dir;
    cfg.service = "bench";
    cfg.supported_profiles = profiles;
    cfg.max_response_payload_bytes = 1 << 20;
    cfg.max_request_payload_bytes = kRequestPayloadCap;  // configured: not a test of the default
    std::shared_ptr<Service> svc;
    if (snapshot) svc = std::make_shared<SnapshotService>(kSnapshotItems);
    else svc = std::make_shared<IncrementService>();
    auto s = Server::start(cfg, svc);
    if (!s) ::_exit(1);
    char c = 1;
    (void)::write(ready[1], &c, 1);
    (*s)->run(1);
    ::_exit(0);
  }
  ::close(ready[1]);
  char c;
  if (::read(ready[0], &c, 1) != 1) std::abort();
  ::close(ready[0]);
  return pid;
}

enum class Mode { kPingPong, kBatch, kPipeline, kSnapshot };
constexpr std::uint32_t kBatchItems = 64;
constexpr std::uint32_t kDepth = 16;

Figures run_reference(const std::string& dir, std::uint32_t profiles, Mode mode) {
  pid_t pid = start_server(dir, profiles, mode == Mode::kSnapshot);
  ClientConfig cfg;
  cfg.run_dir = dir;
  cfg.service = "bench";
  cfg.supported_profiles = profiles;
  cfg.max_request_batch_items = kBatchItems;
  cfg.max_request_payload_bytes = 4096;
  Client client(cfg);
  auto s = client.connect();
  if (!s) {
    std::fprintf(stderr, "connect: %s\n", s.error().describe().c_str());
    std::abort();
  }
  ClientSession& session = **s;
  std::vector<double> lat;
  double ops = 0;
  std::uint64_t id = 0;
  std::uint8_t inc[8];
  (void)encode_increment(7, MutableBytes(inc));
  std::vector<std::uint8_t> batch;
  {
    std::vector<ConstBytes> items(kBatchItems, ConstBytes(inc));
    batch.resize(batch_encoded_size(items));
    (void)encode_batch(items, MutableBytes(batch));
  }
  std::uint8_t snapreq[4];
  (void)encode_snapshot_request(MutableBytes(snapreq));
  Header h;
  h.kind = Kind::kRequest;
  h.code = mode == Mode::kSnapshot ? 2 : 1;
  auto fail = [](const TransportError& e) {
    std::fprintf(stderr, "bench: %s\n", e.describe().c_str());
    std::abort();
  };
  auto start = Clock::now();
  auto end = start + std::chrono::duration<double>(g_seconds);
  if (mode == Mode::kPipeline) {
    std::uint32_t depth = session.max_in_flight() ? session.max_in_flight() : kDepth;
    std::vector<Clock::time_point> sent(1024);
    for (std::uint32_t i = 0; i < depth; ++i) {
      h.message_id = ++id;
      sent[id % 1024] = Clock::now();
      if (auto r = session.send_request(h, ConstBytes(inc)); !r) fail(r.error());
    }
    while (Clock::now() < end) {
      auto r = session.receive_response(Deadline::after_ms(10000));
      if (!r) fail(r.error());
      lat.push_back(ns_since(sent[r->header.message_id % 1024]));
      ops += 1;
      h.message_id = ++id;
      sent[id % 1024] = Clock::now();
      if (auto q = session.send_request(h, ConstBytes(inc)); !q) fail(q.error());
    }
    while (session.in_flight() > 0) (void)session.receive_response(Deadline::after_ms(10000));
  } else {
    ConstBytes payload(inc);
    if (mode == Mode::kBatch) {
      payload = ConstBytes(batch);
      h.flags = kFlagBatch;
      h.item_count = kBatchItems;
    } else if (mode == Mode::kSnapshot) {
      payload = ConstBytes(snapreq);
    }
    while (Clock::now() < end) {
      h.message_id = ++id;
      auto t = Clock::now();
      auto r = session.call(h, payload, Deadline::after_ms(10000));
      if (!r) fail(r.error());
      lat.push_back(ns_since(t));
      ops += mode == Mode::kBatch ? kBatchItems : 1;
    }
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  s->reset();  // close the session: the server process exits
  ::waitpid(pid, nullptr, 0);
  return summarize(lat, ops, secs);
}

void print(const char* name, const char* unit, const Figures& f, const Figures* floor) {
  std::printf("%-34s %12.0f %-8s p50 %9.2f us  p99 %9.2f us", name, f.rate, unit, f.p50_us,
              f.p99_us);
  if (floor) std::printf("  = %6.2fx floor", f.rate / floor->rate);
  std::printf("\n");
  std::fflush(stdout);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

constexpr const char* kUsage =
    "usage: nipc_transport_bench [SECONDS] [--repeat N] [--only TEXT]\n"
    "\n"
    "Runs every case (or those whose name contains TEXT) N times (default 1), each run as its\n"
    "floor immediately followed by the reference, SECONDS each (default 1.0). Prints every\n"
    "run, then per case the median rate, the median p50/p99 latency and the median of the\n"
    "per-run ratios to the floor. Not a test: nothing fails on a low figure.\n";

int bench_main(int argc, char** argv) {
  int repeat = 1;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--repeat" && i + 1 < argc) {
      repeat = std::atoi(argv[++i]);
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (!a.empty() && a[0] != '-' && std::atof(a.c_str()) > 0) {
      g_seconds = std::atof(a.c_str());
    } else {
      std::fprintf(stderr, "nipc_transport_bench: bad argument '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (repeat < 1) {
    std::fprintf(stderr, "nipc_transport_bench: --repeat needs a number >= 1\n");
    return 2;
  }
  std::string dir = std::filesystem::temp_directory_path() / ("nipc-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::printf("netipc transport benchmark: %.2f s per case, %d run(s), %ld CPUs\n", g_seconds,
              repeat, ::sysconf(_SC_NPROCESSORS_ONLN));
  {
    std::ifstream load("/proc/loadavg");
    std::string l1;
    load >> l1;
    std::printf("load average (1 min) at start: %s — on a busy machine every figure is noise\n",
                l1.c_str());
  }
  // Each reference case runs right after the floor it is compared with, so both see the same
  // machine; the ratio is the figure that means something.
  struct Case {
    const char* name;
    const char* unit;
    std::uint32_t profiles;
    Mode mode;
    const char* floor_name;
    std::function<Figures()> floor;
  };
  auto uds_floor = [] { return floor_seqpacket(1); };
  auto poll_floor = [] { return floor_seqpacket(1, true); };
  auto pipe_floor = [] { return floor_seqpacket(16); };
  auto spin_floor = [] { return floor_shm_spin(false); };
  auto wake_floor = [] { return floor_shm_spin(true); };
  const Case cases[] = {
      {"uds ping-pong", "req/s", 0x01, Mode::kPingPong, "blocking seqpacket floor", uds_floor},
      {"uds ping-pong", "req/s", 0x01, Mode::kPingPong, "busy-poll seqpacket floor", poll_floor},
      {"shm ping-pong", "req/s", 0x02, Mode::kPingPong, "raw spin floor", spin_floor},
      {"shm ping-pong", "req/s", 0x02, Mode::kPingPong, "spin + futex-wake floor", wake_floor},
      {"uds pipeline depth 16", "req/s", 0x01, Mode::kPipeline, "16-in-flight seqpacket floor",
       pipe_floor},
      {"uds batch 64", "items/s", 0x01, Mode::kBatch, "blocking seqpacket floor", uds_floor},
      {"shm batch 64", "items/s", 0x02, Mode::kBatch, "spin + futex-wake floor", wake_floor},
      {"uds snapshot 100 items", "req/s", 0x01, Mode::kSnapshot, "blocking seqpacket floor",
       uds_floor},
      {"shm snapshot 100 items", "req/s", 0x02, Mode::kSnapshot, "spin + futex-wake floor",
       wake_floor},
  };
  struct Summary {
    std::string line;
  };
  std::vector<Summary> summary;
  for (const Case& c : cases) {
    if (!only.empty() && std::string(c.name).find(only) == std::string::npos) continue;
    std::vector<double> ratios, rates, p50s, p99s, frates;
    for (int r = 0; r < repeat; ++r) {
      Figures floor = c.floor();
      Figures ref = run_reference(dir, c.profiles, c.mode);
      std::string label = std::string("  floor: ") + c.floor_name;
      print(label.c_str(), "req/s", floor, nullptr);
      print(c.name, c.unit, ref, &floor);
      ratios.push_back(floor.rate > 0 ? ref.rate / floor.rate : 0);
      rates.push_back(ref.rate);
      p50s.push_back(ref.p50_us);
      p99s.push_back(ref.p99_us);
      frates.push_back(floor.rate);
    }
    char buf[512];
    std::snprintf(buf, sizeof buf,
                  "%-24s %11.0f %-7s p50 %8.2f us  p99 %8.2f us  = %6.2fx %s (%.0f)", c.name,
                  median(rates), c.unit, median(p50s), median(p99s), median(ratios),
                  c.floor_name, median(frates));
    summary.push_back({buf});
  }
  if (summary.empty()) {
    std::fprintf(stderr, "nipc_transport_bench: no case name contains '%s'\n", only.c_str());
    std::filesystem::remove_all(dir);
    return 2;
  }
  std::printf("\nmedians over %d run(s) (rate, latency, ratio of each run to its own floor):\n",
              repeat);
  for (const Summary& s : summary) std::printf("%s\n", s.line.c_str());
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace nipc

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  return nipc::bench_main(argc, argv);
}
