// nipc_bench_floor: one machine floor of `./cts bench`, measured for a given time and printed
// as one JSON line. A floor is the fastest a byte-moving pattern can go on this machine with
// no protocol at all, so an implementation's figure divided by it is comparable across runs
// on machines whose absolute speed swings (small shared VMs).
//
//   nipc_bench_floor FLOOR DURATION_MS
//
// FLOOR is one of:
//   seqpacket-blocking   SEQPACKET socketpair ping-pong, blocking recv on both sides
//   seqpacket-busypoll   the same, both sides polling with MSG_DONTWAIT instead of sleeping
//   seqpacket-depth16    SEQPACKET with 16 messages in flight, blocking
//   shm-spin             shared-memory ping-pong, both sides spinning on a counter
//   shm-spin-wake        shm-spin plus one shared FUTEX_WAKE per message, which every
//                        byte-compatible shared-memory peer must issue (the region has no
//                        waiter flag to skip it)
//
// Output (stdout, one line): {"floor", "rate" (messages/s), "p50_us", "p95_us", "p99_us",
// "requests", "seconds", "cpu_s" (both processes, user + system)}. Exit 0 on success, 2 on a
// usage error, 3 when a system call failed.
#include <linux/futex.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Sample {
  std::uint64_t messages = 0;
  double seconds = 0;
  std::vector<double> latency_us;
};

double ns_since(Clock::time_point t) {
  return std::chrono::duration<double, std::nano>(Clock::now() - t).count();
}

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

double cpu_of(int who) {
  rusage u{};
  if (::getrusage(who, &u) != 0) return 0;
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "nipc_bench_floor: %s: %s\n", what, std::strerror(errno));
  std::exit(3);
}

// Receives one message; with `poll`, by retrying a non-blocking receive instead of sleeping.
ssize_t receive(int fd, char* buf, std::size_t len, bool poll) {
  for (;;) {
    ssize_t n = ::recv(fd, buf, len, poll ? MSG_DONTWAIT : 0);
    if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return n;
  }
}

// The echo side runs in a child process; the measuring side keeps `depth` messages in flight.
Sample seqpacket(double seconds, int depth, bool poll) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) die("socketpair");
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::close(sv[0]);
    char buf[64];
    for (;;) {
      ssize_t n = receive(sv[1], buf, sizeof buf, poll);
      if (n <= 0) ::_exit(0);
      if (::send(sv[1], buf, static_cast<std::size_t>(n), MSG_NOSIGNAL) != n) ::_exit(0);
    }
  }
  ::close(sv[1]);
  // 40 bytes: a 32-byte netipc header plus an 8-byte INCREMENT payload.
  char msg[40] = {1};
  char in[64];
  Sample s;
  s.latency_us.reserve(1 << 20);
  std::vector<Clock::time_point> sent(static_cast<std::size_t>(depth));
  std::uint64_t issued = 0;
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (; issued < static_cast<std::uint64_t>(depth); ++issued) {
    sent[issued % depth] = Clock::now();
    if (::send(sv[0], msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg) die("send");
  }
  while (Clock::now() < end) {
    if (receive(sv[0], in, sizeof in, poll) <= 0) die("recv");
    s.latency_us.push_back(ns_since(sent[s.messages % depth]) / 1000.0);
    ++s.messages;
    sent[issued % depth] = Clock::now();
    if (::send(sv[0], msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg) die("send");
    ++issued;
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(sv[0]);
  ::waitpid(pid, nullptr, 0);
  return s;
}

void wake(std::atomic<std::uint32_t>* word) {
  word->fetch_add(1, std::memory_order_release);
  ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Two processes spinning on counters in one shared mapping, each on its own cache line.
Sample shm(double seconds, bool with_wake) {
  void* m = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) die("mmap");
  auto* req = new (m) std::atomic<std::uint64_t>(0);
  auto* resp = new (static_cast<char*>(m) + 64) std::atomic<std::uint64_t>(0);
  auto* req_sig = new (static_cast<char*>(m) + 128) std::atomic<std::uint32_t>(0);
  auto* resp_sig = new (static_cast<char*>(m) + 192) std::atomic<std::uint32_t>(0);
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t v;
      while ((v = req->load(std::memory_order_acquire)) == seen) relax();
      if (v == ~std::uint64_t{0}) ::_exit(0);
      seen = v;
      resp->store(v, std::memory_order_release);
      if (with_wake) wake(resp_sig);
    }
  }
  Sample s;
  s.latency_us.reserve(1 << 22);
  auto start = Clock::now();
  auto end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  while (Clock::now() < end) {
    auto t = Clock::now();
    req->store(++s.messages, std::memory_order_release);
    if (with_wake) wake(req_sig);
    while (resp->load(std::memory_order_acquire) != s.messages) relax();
    s.latency_us.push_back(ns_since(t) / 1000.0);
  }
  s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  req->store(~std::uint64_t{0}, std::memory_order_release);
  ::waitpid(pid, nullptr, 0);
  ::munmap(m, 4096);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  if (argc != 3) {
    std::fprintf(stderr, "usage: nipc_bench_floor FLOOR DURATION_MS\n  FLOOR: seqpacket-blocking | "
                         "seqpacket-busypoll | seqpacket-depth16 | shm-spin | shm-spin-wake\n");
    return 2;
  }
  std::string floor = argv[1];
  char* endp = nullptr;
  double ms = std::strtod(argv[2], &endp);
  if (*endp != '\0' || !(ms > 0)) {
    std::fprintf(stderr, "nipc_bench_floor: bad DURATION_MS %s\n", argv[2]);
    return 2;
  }
  double secs = ms / 1000.0;
  double cpu0 = cpu_of(RUSAGE_SELF) + cpu_of(RUSAGE_CHILDREN);
  Sample s;
  if (floor == "seqpacket-blocking") s = seqpacket(secs, 1, false);
  else if (floor == "seqpacket-busypoll") s = seqpacket(secs, 1, true);
  else if (floor == "seqpacket-depth16") s = seqpacket(secs, 16, false);
  else if (floor == "shm-spin") s = shm(secs, false);
  else if (floor == "shm-spin-wake") s = shm(secs, true);
  else {
    std::fprintf(stderr, "nipc_bench_floor: unknown floor %s\n", floor.c_str());
    return 2;
  }
  double cpu = cpu_of(RUSAGE_SELF) + cpu_of(RUSAGE_CHILDREN) - cpu0;
  std::sort(s.latency_us.begin(), s.latency_us.end());
  double rate = s.seconds > 0 ? static_cast<double>(s.messages) / s.seconds : 0;
  std::printf("{\"floor\":\"%s\",\"rate\":%.1f,\"p50_us\":%.3f,\"p95_us\":%.3f,\"p99_us\":%.3f,"
              "\"requests\":%llu,\"seconds\":%.6f,\"cpu_s\":%.6f}\n",
              floor.c_str(), rate, percentile(s.latency_us, 0.5), percentile(s.latency_us, 0.95),
              percentile(s.latency_us, 0.99), static_cast<unsigned long long>(s.messages),
              s.seconds, cpu);
  return 0;
}
