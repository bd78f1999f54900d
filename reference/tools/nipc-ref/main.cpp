// nipc-ref: the reference implementation behind the shim contract (spec/shim-contract.md).
//
//   nipc-ref server --run-dir D --service S --service-kind K [...]   prints one READY line
//   nipc-ref client --run-dir D --service S --service-kind K --scenario X [...]
//                                                                 prints one JSON result line
//
// Exit codes: 0 ok, 1 verification or protocol failure, 2 usage, 3 environment, 4 not
// supported, 5 handshake rejected by the server.
#if defined(_WIN32)
#define NOMINMAX
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>
#endif

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "codec_testee/codec_testee.h"
#include "nipc/codec/batch.h"
#include "nipc/transport/client.h"
#include "nipc/transport/server.h"
#include "services.h"

namespace nipc::ref {
namespace {

enum Exit : int {
  kOk = 0, kFailed = 1, kUsage = 2, kEnvironment = 3, kNotSupported = 4, kRejected = 5
};

using json = nlohmann::json;

// Numbers are accepted in decimal or 0x-hex (profile masks, tokens).
struct Common {
#if defined(_WIN32)
  std::string transport = "pipe";
#else
  std::string transport = "uds";
#endif
  std::string run_dir, service, kind_name = "increment";
  std::string auth_token = "0";
  std::string profiles = "0x01", preferred = "0";
  std::uint32_t max_request_payload = 0, max_request_batch = 0, max_response_payload = 0;
  std::uint32_t packet_size = 0;
  std::uint32_t snapshot_items = 16;
  std::uint64_t snapshot_seed = 1;
  std::uint16_t echo_method = 1;
  std::uint32_t timeout_ms = 10000;
};

std::optional<std::uint64_t> parse_u64(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || s[0] == '-') return std::nullopt;
  return v;
}

void add_common(CLI::App* app, Common& c) {
  app->add_option("--transport", c.transport, "uds (POSIX) or pipe (Windows)");
  app->add_option("--run-dir", c.run_dir, "directory of the endpoint and region files")->required();
  app->add_option("--service", c.service, "service name ([A-Za-z0-9._-])")->required();
  app->add_option("--service-kind", c.kind_name,
                  "increment | string-reverse | cgroups-snapshot | echo")->required();
  app->add_option("--auth-token", c.auth_token, "64-bit token (decimal or 0x-hex)");
  app->add_option("--profiles", c.profiles, "supported profile bits (e.g. 0x07)");
  app->add_option("--preferred", c.preferred, "preferred profile bits");
  app->add_option("--max-request-payload", c.max_request_payload,
                  "server: largest request proposal accepted; client: request proposal");
  app->add_option("--max-response-payload", c.max_response_payload,
                  "server: response limit granted; client: response hint");
  app->add_option("--packet-size", c.packet_size, "packet size (0: SO_SNDBUF - 32; pipe 65536)");
  app->add_option("--snapshot-items", c.snapshot_items, "cgroups-snapshot: items K");
  app->add_option("--snapshot-seed", c.snapshot_seed, "cgroups-snapshot: generator seed");
  app->add_option("--echo-method", c.echo_method, "echo: the method code served");
  app->add_option("--timeout-ms", c.timeout_ms, "per-response / handshake timeout (0: none)");
}

struct Parsed {
  ServiceOptions service;
  std::uint64_t token = 0;
  std::uint32_t profiles = 1, preferred = 0;
};

std::optional<Parsed> resolve(const Common& c, std::string* why) {
  Parsed p;
  auto kind = parse_service_kind(c.kind_name);
  if (!kind) return *why = "unknown --service-kind " + c.kind_name, std::nullopt;
  p.service.kind = *kind;
  p.service.echo_method = c.echo_method;
  p.service.snapshot_items = c.snapshot_items;
  p.service.snapshot_seed = c.snapshot_seed;
  auto token = parse_u64(c.auth_token);
  auto prof = parse_u64(c.profiles);
  auto pref = parse_u64(c.preferred);
  if (!token) return *why = "bad --auth-token", std::nullopt;
  if (!prof || *prof > 0xffffffffu) return *why = "bad --profiles", std::nullopt;
  if (!pref || *pref > 0xffffffffu) return *why = "bad --preferred", std::nullopt;
  p.token = *token;
  p.profiles = static_cast<std::uint32_t>(*prof);
  p.preferred = static_cast<std::uint32_t>(*pref);
  return p;
}

json error_json(const TransportError& e) {
  json j;
  j["kind"] = std::string(transport_error_name(e.kind));
  j["rule"] = e.rule ? json(std::string(error_name(*e.rule))) : json(nullptr);
  j["requirement"] = std::string(e.requirement());
  j["errno"] = e.sys_errno;
  j["text"] = e.describe();
  return j;
}

// Environment problems (nothing to talk to, files we cannot make) versus protocol outcomes.
bool is_environment(const TransportError& e) {
  switch (e.kind) {
    case TransportErrorKind::kNotFound:
    case TransportErrorKind::kAddressInUse:
    case TransportErrorKind::kPipeInUse:
    case TransportErrorKind::kPathTooLong:
    case TransportErrorKind::kSystem:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------
// server

#if defined(NIPC_REF_REPLY_DELAY_US)
// The slowed mutant of the benchmark (nipc-ref-slow, built with the tests only): the same
// service, but every answer waits NIPC_REF_REPLY_DELAY_US microseconds first. It answers
// correctly, so only a performance verdict can tell it from the reference.
class SlowedService final : public Service {
 public:
  explicit SlowedService(std::shared_ptr<Service> inner) : inner_(std::move(inner)) {}
  std::uint16_t method() const override { return inner_->method(); }
  HandlerStatus handle(ConstBytes request, std::vector<std::uint8_t>& out) override {
    std::this_thread::sleep_for(std::chrono::microseconds(NIPC_REF_REPLY_DELAY_US));
    return inner_->handle(request, out);
  }

 private:
  std::shared_ptr<Service> inner_;
};
std::shared_ptr<Service> served(const ServiceOptions& o) {
  return std::make_shared<SlowedService>(make_service(o));
}
#else
std::shared_ptr<Service> served(const ServiceOptions& o) { return make_service(o); }
#endif

// The transports this build has: UDS on POSIX, the named pipe on Windows.
bool transport_available(const Common& c) {
#if defined(_WIN32)
  return c.transport == "pipe";
#else
  return c.transport == "uds";
#endif
}

#if defined(_WIN32)
// The server a console control event stops (SHIM-STOP-002). Set before the handler is
// installed and cleared after it is removed; Server::stop() is safe from the handler's thread.
std::atomic<Server*> g_stoppable{nullptr};

BOOL WINAPI on_console_event(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
      // Acquire pairs with the release store in run_server: the server is fully started.
      if (Server* s = g_stoppable.load(std::memory_order_acquire)) s->stop();
      return TRUE;  // handled: the process ends by returning from main, with exit code 0
    default:
      return FALSE;
  }
}

unsigned long process_id() { return ::GetCurrentProcessId(); }

// The stop event of SHIM-STOP-002: a manual-reset event any process may signal, for callers
// that cannot deliver console control events (under wine a process without a console
// cannot).
std::wstring stop_event_name(unsigned long pid) {
  return L"Local\\netipc-shim-stop-" + std::to_wstring(pid);
}
#else
unsigned long process_id() { return static_cast<unsigned long>(::getpid()); }
#endif

int run_server(const Common& c, const std::string& sessions) {
  if (!transport_available(c))
    return std::cerr << "nipc-ref: transport " << c.transport << " not supported here\n", kNotSupported;
  std::string why;
  auto p = resolve(c, &why);
  if (!p) return std::cerr << "nipc-ref: " << why << "\n", kUsage;
  std::uint64_t max_sessions = 0;
  if (sessions != "forever") {
    auto n = parse_u64(sessions);
    if (!n || *n == 0) return std::cerr << "nipc-ref: bad --sessions\n", kUsage;
    max_sessions = *n;
  }
  ServerConfig cfg;
  cfg.run_dir = c.run_dir;
  cfg.service = c.service;
  cfg.auth_token = p->token;
  cfg.supported_profiles = p->profiles;
  cfg.preferred_profiles = p->preferred;
  cfg.max_request_payload_bytes = c.max_request_payload;
  cfg.max_response_payload_bytes = c.max_response_payload;
  cfg.packet_size = c.packet_size;
  cfg.handshake_timeout_ms = c.timeout_ms;
  auto server = Server::start(cfg, served(p->service));
  if (!server) {
    std::cerr << "nipc-ref server: " << server.error().describe() << "\n";
    return server.error().kind == TransportErrorKind::kBadParameter ? kUsage : kEnvironment;
  }
#if defined(_WIN32)
  // Console control events (Ctrl+C, Ctrl+Break, console close) stop the server like SIGTERM
  // does on POSIX (SHIM-STOP-002).
  Server* srv = server->get();
  g_stoppable.store(srv, std::memory_order_release);
  ::SetConsoleCtrlHandler(on_console_event, TRUE);
  // Manual-reset: main signals it too when the server stops by itself, to end the watcher.
  HANDLE stop_event = ::CreateEventW(nullptr, TRUE, FALSE, stop_event_name(process_id()).c_str());
  std::thread stop_watch([stop_event, srv] {
    if (stop_event && ::WaitForSingleObject(stop_event, INFINITE) == WAIT_OBJECT_0) srv->stop();
  });
#else
  // SIGTERM / SIGINT are taken by a dedicated thread; every other thread blocks them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  Server* srv = server->get();
  // The signal thread stops the server; it is joined before the server is destroyed. When
  // the server stops by itself (--sessions N) main wakes the thread with a signal of its own.
  std::thread signals([set, srv] {
    int sig = 0;
    sigwait(&set, &sig);
    srv->stop();
  });
#endif
  json ready = {{"role", "server"}, {"pid", process_id()}, {"socket", (*server)->socket_path()},
                {"service", c.service}, {"service_kind", c.kind_name},
                {"profiles", p->profiles}};
  std::cout << "READY " << ready.dump() << std::endl;
  (*server)->run(max_sessions);
#if defined(_WIN32)
  ::SetConsoleCtrlHandler(on_console_event, FALSE);
  g_stoppable.store(nullptr, std::memory_order_release);
  if (stop_event) ::SetEvent(stop_event);
  stop_watch.join();
  if (stop_event) ::CloseHandle(stop_event);
#else
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
#endif
  ServerStats s = (*server)->stats();
  json summary = {{"accepted", s.accepted}, {"sessions_ok", s.sessions_ok},
                  {"sessions_shm", s.sessions_shm}, {"rejected", s.handshakes_rejected},
                  {"requests", s.requests}, {"error_responses", s.error_responses},
                  {"stale_regions_removed", s.stale_regions_removed}};
  std::cerr << "nipc-ref server: done " << summary.dump() << "\n";
  return kOk;
}

// ---------------------------------------------------------------------------------------
// client

struct ClientArgs {
  std::string scenario = "single";
  std::uint64_t count = 1;
  std::uint32_t items = 4;      // batch
  std::uint32_t depth = 16;     // pipeline
  std::uint64_t size = 0;       // large (0: 4 packets' worth)
  std::uint64_t duration_ms = 1000;  // bench: how long to measure
  double rate = 0;                   // bench: target requests/s, 0 = as fast as possible
  std::string expect_error;     // exit 0 only if the run fails with this kind or rule
};

struct Outcome {
  std::uint64_t requests = 0, items = 0, verified = 0;
  std::uint32_t effective_depth = 1;
  std::optional<TransportError> error;
  std::string failure;  // verification failure text
};

Header request_header(std::uint16_t method, std::uint64_t id) {
  Header h;
  h.kind = Kind::kRequest;
  h.code = method;
  h.item_count = 1;
  h.message_id = id;
  return h;
}

std::uint32_t native_packet_size() { return platform::native_packet_size(); }

bool status_ok(const InboundMessage& m, Outcome& o) {
  if (m.header.transport_status == 0) return true;
  o.failure = "response status " + std::to_string(m.header.transport_status);
  return false;
}

// Sends `count` requests of `size`-sized items one after another.
void scenario_sequential(ClientSession& s, const Workload& w, std::uint64_t count,
                         std::size_t size, Deadline::Clock::duration timeout, Outcome& o) {
  for (std::uint64_t i = 0; i < count; ++i) {
    auto req = w.request(i, size);
    auto r = s.call(request_header(w.method(), i + 1), *req, Deadline::after(timeout));
    if (!r) return void(o.error = r.error());
    ++o.requests;
    ++o.items;
    if (!status_ok(*r, o)) return;
    if (r->header.code != w.method() || r->header.flags != 0 || r->header.item_count != 1 ||
        !w.verify(i, size, r->payload)) {
      o.failure = "response " + std::to_string(i) + " did not verify";
      return;
    }
    ++o.verified;
  }
}

void scenario_batch(ClientSession& s, const Workload& w, std::uint64_t count, std::uint32_t n,
                    Deadline::Clock::duration timeout, Outcome& o) {
  std::vector<std::vector<std::uint8_t>> items(n);
  std::vector<ConstBytes> views(n);
  std::vector<std::uint8_t> payload;
  for (std::uint64_t r = 0; r < count; ++r) {
    for (std::uint32_t k = 0; k < n; ++k) {
      items[k] = *w.request(r * n + k, 0);
      views[k] = ConstBytes(items[k]);
    }
    payload.resize(batch_encoded_size(views));
    auto len = encode_batch(views, MutableBytes(payload));
    if (!len) return void(o.failure = "batch encode failed");
    Header h = request_header(w.method(), r + 1);
    h.flags = kFlagBatch;
    h.item_count = n;
    auto resp = s.call(h, ConstBytes(payload.data(), *len), Deadline::after(timeout));
    if (!resp) return void(o.error = resp.error());
    ++o.requests;
    o.items += n;
    if (!status_ok(*resp, o)) return;
    if (!resp->header.is_batch() || resp->header.item_count != n)
      return void(o.failure = "batch response is not a batch of " + std::to_string(n));
    auto view = BatchView::parse(resp->payload, n);
    for (std::uint32_t k = 0; k < n; ++k) {
      if (!w.verify(r * n + k, 0, *view->item(k)))
        return void(o.failure = "batch item " + std::to_string(k) + " did not verify");
      ++o.verified;
    }
  }
}

void scenario_pipeline(ClientSession& s, const Workload& w, std::uint64_t count,
                       std::uint32_t depth, Deadline::Clock::duration timeout, Outcome& o) {
  std::uint32_t limit = s.max_in_flight();
  o.effective_depth = (limit != 0 && limit < depth) ? limit : depth;
  std::map<std::uint64_t, std::uint64_t> pending;  // message_id -> index
  std::uint64_t next = 0;
  while (o.verified < count) {
    while (next < count && pending.size() < o.effective_depth) {
      auto req = w.request(next, 0);
      if (auto r = s.send_request(request_header(w.method(), next + 1), *req); !r)
        return void(o.error = r.error());
      pending[next + 1] = next;
      ++next;
      ++o.requests;
      ++o.items;
    }
    auto resp = s.receive_response(Deadline::after(timeout));
    if (!resp) return void(o.error = resp.error());
    if (!status_ok(*resp, o)) return;
    auto it = pending.find(resp->header.message_id);
    if (it == pending.end() || !w.verify(it->second, 0, resp->payload))
      return void(o.failure = "pipelined response did not verify");
    pending.erase(it);
    ++o.verified;
  }
}

// Wrong method code: UNSUPPORTED with an empty payload, and the session stays usable.
void scenario_wrong_method(ClientSession& s, const Workload& w, std::uint64_t count,
                           Deadline::Clock::duration timeout, Outcome& o) {
  std::uint16_t wrong = static_cast<std::uint16_t>(w.method() == 1 ? 3 : 1);
  for (std::uint64_t i = 0; i < count; ++i) {
    auto req = w.request(i, 0);
    auto r = s.call(request_header(wrong, 2 * i + 1), *req, Deadline::after(timeout));
    if (!r) return void(o.error = r.error());
    ++o.requests;
    if (r->header.transport_status != static_cast<std::uint16_t>(TransportStatus::kUnsupported) ||
        r->header.code != wrong || !r->payload.empty() || r->header.item_count != 1)
      return void(o.failure = "wrong method was not answered UNSUPPORTED");
    auto ok = s.call(request_header(w.method(), 2 * i + 2), *req, Deadline::after(timeout));
    if (!ok) return void(o.error = ok.error());
    ++o.requests;
    if (!status_ok(*ok, o)) return;
    if (!w.verify(i, 0, ok->payload)) return void(o.failure = "request after UNSUPPORTED failed");
    ++o.verified;
  }
}

// --- bench -------------------------------------------------------------------------------

struct BenchFigures {
  std::uint64_t requests = 0, items = 0;
  double seconds = 0;
  std::vector<double> latency_us;  // one entry per request (a batch request is one entry)
};

double cpu_seconds() {
#if defined(_WIN32)
  FILETIME created, exited, kernel, user;
  if (!::GetProcessTimes(::GetCurrentProcess(), &created, &exited, &kernel, &user)) return -1;
  auto secs = [](const FILETIME& f) {
    return static_cast<double>((static_cast<std::uint64_t>(f.dwHighDateTime) << 32) | f.dwLowDateTime) / 1e7;
  };
  return secs(kernel) + secs(user);
#else
  rusage u{};
  if (::getrusage(RUSAGE_SELF, &u) != 0) return -1;
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
#endif
}

// The nearest-rank percentile of sorted values; 0 for none.
double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

// Runs requests for `duration` with up to `depth` in flight (1: ping-pong), each of `n` items
// (n > 1: BATCH requests), every response verified as in the other scenarios. With a target
// rate, request i is not sent before start + i / rate. Stops at the first failure.
void scenario_bench(ClientSession& s, const Workload& w, const ClientArgs& a, std::uint32_t n,
                    std::size_t size, Deadline::Clock::duration timeout, Outcome& o,
                    BenchFigures& f) {
  using Clock = std::chrono::steady_clock;
  std::uint32_t limit = s.max_in_flight();
  std::uint32_t depth = std::max<std::uint32_t>(1, a.depth);
  o.effective_depth = (limit != 0 && limit < depth) ? limit : depth;
  // Requests are prepared before the clock starts: the figure is the IPC's, not the encoder's.
  constexpr std::uint64_t kDistinct = 64;
  std::vector<std::vector<std::uint8_t>> payloads(kDistinct);
  for (std::uint64_t r = 0; r < kDistinct; ++r) {
    if (n <= 1) {
      payloads[r] = *w.request(r, size);
      continue;
    }
    std::vector<std::vector<std::uint8_t>> items(n);
    std::vector<ConstBytes> views(n);
    for (std::uint32_t k = 0; k < n; ++k) {
      items[k] = *w.request(r * n + k, size);
      views[k] = ConstBytes(items[k]);
    }
    payloads[r].resize(batch_encoded_size(views));
    auto len = encode_batch(views, MutableBytes(payloads[r]));
    if (!len) return void(o.failure = "batch encode failed");
    payloads[r].resize(*len);
  }
  auto header = [&](std::uint64_t index) {
    Header h = request_header(w.method(), index + 1);
    if (n > 1) {
      h.flags = kFlagBatch;
      h.item_count = n;
    }
    return h;
  };
  auto check = [&](const InboundMessage& m, std::uint64_t index) {
    if (!status_ok(m, o)) return false;
    std::uint64_t r = index % kDistinct;
    if (n <= 1) {
      if (m.header.code != w.method() || m.header.flags != 0 || m.header.item_count != 1 ||
          !w.verify(r, size, m.payload))
        return o.failure = "response " + std::to_string(index) + " did not verify", false;
      ++o.verified;
      return true;
    }
    if (!m.header.is_batch() || m.header.item_count != n)
      return o.failure = "batch response is not a batch of " + std::to_string(n), false;
    auto view = BatchView::parse(m.payload, n);
    if (!view) return o.failure = "batch response does not parse", false;
    for (std::uint32_t k = 0; k < n; ++k) {
      auto item = view->item(k);
      if (!item || !w.verify(r * n + k, size, *item))
        return o.failure = "batch item " + std::to_string(k) + " did not verify", false;
      ++o.verified;
    }
    return true;
  };
  f.latency_us.reserve(1 << 20);
  // Request i occupies slot i % depth until its response arrives; the response is matched by
  // message_id (i + 1) in any order (SESS-PIPELINE-001).
  const std::uint32_t depth_n = o.effective_depth;
  std::vector<Clock::time_point> sent(depth_n);
  std::vector<std::uint64_t> slot_index(depth_n);
  std::vector<bool> busy(depth_n, false);
  auto start = Clock::now();
  auto end = start + std::chrono::milliseconds(a.duration_ms);
  auto due = [&](std::uint64_t i) {
    return start + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(static_cast<double>(i) / a.rate));
  };
  std::uint64_t next = 0, in_flight = 0;
  for (;;) {
    // Fill the window while there is time left; with a target rate, only requests that are due.
    while (in_flight < depth_n && Clock::now() < end) {
      std::uint64_t slot = next % depth_n;
      if (busy[slot]) break;
      if (a.rate > 0) {
        auto when = due(next);
        if (when >= end || (in_flight > 0 && Clock::now() < when)) break;
        std::this_thread::sleep_until(when);
      }
      sent[slot] = Clock::now();
      slot_index[slot] = next;
      busy[slot] = true;
      if (auto r = s.send_request(header(next), ConstBytes(payloads[next % kDistinct])); !r)
        return void(o.error = r.error());
      ++next;
      ++in_flight;
      ++o.requests;
      o.items += n;
    }
    if (in_flight == 0) break;
    auto resp = s.receive_response(Deadline::after(timeout));
    if (!resp) return void(o.error = resp.error());
    auto now = Clock::now();
    std::uint64_t id = resp->header.message_id;
    std::uint64_t slot = id == 0 ? 0 : (id - 1) % depth_n;
    if (id == 0 || !busy[slot] || slot_index[slot] != id - 1)
      return void(o.failure = "response with unexpected message_id " + std::to_string(id));
    if (!check(*resp, id - 1)) return;
    f.latency_us.push_back(std::chrono::duration<double, std::micro>(now - sent[slot]).count());
    busy[slot] = false;
    --in_flight;
  }
  f.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  f.requests = o.requests;
  f.items = o.items;
}

int run_client(const Common& c, const ClientArgs& a) {
  if (!transport_available(c)) {
    std::cout << json{{"role", "client"}, {"ok", false}, {"scenario", a.scenario},
                      {"service_kind", c.kind_name}, {"requests", 0}, {"verified", 0},
                      {"error", nullptr}, {"not_supported", "transport " + c.transport}}.dump()
              << std::endl;
    return kNotSupported;
  }
  std::string why;
  auto p = resolve(c, &why);
  if (!p) return std::cerr << "nipc-ref: " << why << "\n", kUsage;
  static const char* kScenarios[] = {"single", "batch", "pipeline", "large", "snapshot",
                                     "wrong-method", "connect", "bench"};
  if (std::find(std::begin(kScenarios), std::end(kScenarios), a.scenario) == std::end(kScenarios))
    return std::cerr << "nipc-ref: unknown --scenario " << a.scenario << "\n", kUsage;
  auto workload = make_workload(p->service);
  json out = {{"role", "client"}, {"scenario", a.scenario}, {"service_kind", c.kind_name},
              {"count", a.count}};
  auto not_supported = [&](const std::string& reason) {
    // SHIM-RESULT-001: the required fields are present for every outcome, "not supported" too.
    out["ok"] = false;
    out["requests"] = 0;
    out["verified"] = 0;
    out["error"] = nullptr;
    out["not_supported"] = reason;
    std::cout << out.dump() << std::endl;
    return kNotSupported;
  };
  if (a.scenario == "snapshot" && p->service.kind != ServiceKind::kCgroupsSnapshot)
    return not_supported("snapshot needs --service-kind cgroups-snapshot");

  // What the scenario sends decides the proposals, unless a flag fixes them.
  std::size_t item_size = 0;
  std::uint64_t largest = workload->request(0, 0) ? workload->request(0, 0)->size() : 0;
  for (std::uint64_t i = 1; i < 64; ++i) largest = std::max<std::uint64_t>(largest, workload->request(i, 0)->size());
  std::uint32_t batch_items = 1;
  if (a.scenario == "batch" || (a.scenario == "bench" && a.items > 1)) {
    batch_items = a.items;
    largest = 8ull * a.items + a.items * (align8(largest));
  }
  ClientConfig cfg;
  cfg.run_dir = c.run_dir;
  cfg.service = c.service;
  cfg.auth_token = p->token;
  cfg.supported_profiles = p->profiles;
  cfg.preferred_profiles = p->preferred;
  cfg.packet_size = c.packet_size;
  cfg.handshake_timeout_ms = c.timeout_ms;
  cfg.max_request_batch_items = c.max_request_batch ? c.max_request_batch : batch_items;
  cfg.max_response_payload_bytes = c.max_response_payload ? c.max_response_payload : 65536;

  if (a.scenario == "bench" && a.size > 0) {
    item_size = a.size;
    if (!workload->request(0, item_size)) return not_supported("this service kind has fixed-size requests");
    largest = a.items > 1 ? 8ull * a.items + a.items * align8(item_size) : item_size;
  }
  if (a.scenario == "large") {
    // By default four of this side's packets: the agreed size is at most that, so it chunks.
    item_size = a.size;
    if (item_size == 0) item_size = 4ull * (c.packet_size ? c.packet_size : native_packet_size()) + 100;
    if (!workload->request(0, item_size)) return not_supported("this service kind has fixed-size requests");
    largest = item_size;
  }
  cfg.max_request_payload_bytes =
      c.max_request_payload ? c.max_request_payload
                            : static_cast<std::uint32_t>(std::max<std::uint64_t>(largest, 1024));
  Client client(cfg);

  auto start = std::chrono::steady_clock::now();
  auto session = client.connect();
  Outcome o;
  BenchFigures bench;
  double cpu_before = cpu_seconds();
  if (session) {
    auto& s = **session;
    out["profile"] = s.profile();
    out["session_id"] = s.ack().session_id;
    out["packet_size"] = s.ack().agreed_packet_size;
    out["agreed_max_request_payload"] = s.ack().agreed_max_request_payload_bytes;
    out["agreed_max_response_payload"] = s.ack().agreed_max_response_payload_bytes;
    auto timeout = std::chrono::duration_cast<Deadline::Clock::duration>(
        std::chrono::milliseconds(c.timeout_ms ? c.timeout_ms : 24u * 3600u * 1000u));
    if (a.scenario == "single" || a.scenario == "snapshot")
      scenario_sequential(s, *workload, a.count, 0, timeout, o);
    else if (a.scenario == "large")
      scenario_sequential(s, *workload, a.count, item_size, timeout, o);
    else if (a.scenario == "batch")
      scenario_batch(s, *workload, a.count, a.items, timeout, o);
    else if (a.scenario == "pipeline")
      scenario_pipeline(s, *workload, a.count, a.depth, timeout, o);
    else if (a.scenario == "wrong-method")
      scenario_wrong_method(s, *workload, a.count, timeout, o);
    else if (a.scenario == "bench")
      scenario_bench(s, *workload, a, std::max<std::uint32_t>(1, a.items), item_size, timeout, o, bench);
    // "connect": the handshake (and SHM attach) is the whole scenario.
    if (auto* pl = dynamic_cast<PacketLink*>(&s.link())) out["chunked_messages"] = pl->chunked_messages();
    else out["chunked_messages"] = 0;
  } else {
    o.error = session.error();
  }
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  out["requests"] = o.requests;
  out["items"] = o.items;
  out["verified"] = o.verified;
  out["effective_depth"] = o.effective_depth;
  out["shm_attach_failures"] = client.shm_attach_failures();
  if (client.last_attach_error()) out["shm_attach_error"] = error_json(*client.last_attach_error());
  out["elapsed_ms"] = ms;
  if (a.scenario == "bench") {
    // SHIM-BENCH-001: figures of the measured window only (the handshake is outside it).
    std::sort(bench.latency_us.begin(), bench.latency_us.end());
    double secs = bench.seconds > 0 ? bench.seconds : 1e-9;
    out["duration_ms"] = a.duration_ms;
    out["target_rate"] = a.rate;
    out["depth"] = a.depth;
    out["batch_items"] = std::max<std::uint32_t>(1, a.items);
    out["size"] = item_size;
    out["seconds"] = bench.seconds;
    out["rate"] = static_cast<double>(bench.requests) / secs;
    out["items_rate"] = static_cast<double>(bench.items) / secs;
    out["p50_us"] = percentile(bench.latency_us, 0.50);
    out["p95_us"] = percentile(bench.latency_us, 0.95);
    out["p99_us"] = percentile(bench.latency_us, 0.99);
    double cpu_after = cpu_seconds();
    out["client_cpu_s"] = cpu_before >= 0 && cpu_after >= 0 ? json(cpu_after - cpu_before) : json(nullptr);
  }
  out["error"] = o.error ? error_json(*o.error) : json(nullptr);
  out["failure"] = o.failure.empty() ? json(nullptr) : json(o.failure);

  int code = kOk;
  if (!a.expect_error.empty()) {
    bool matched = o.error && (a.expect_error == transport_error_name(o.error->kind) ||
                               (o.error->rule && a.expect_error == error_name(*o.error->rule)));
    out["expected_error"] = a.expect_error;
    code = matched ? kOk : kFailed;
  } else if (o.error) {
    code = is_environment(*o.error)                              ? kEnvironment
           : o.error->kind == TransportErrorKind::kNotSupported ? kNotSupported
           : o.error->kind == TransportErrorKind::kRejected     ? kRejected
                                                                : kFailed;
  } else if (a.scenario == "bench") {
    code = (o.failure.empty() && o.requests > 0 && o.verified == o.items) ? kOk : kFailed;
  } else if (!o.failure.empty() || o.verified < (a.scenario == "connect" ? 0 : a.count * (a.scenario == "batch" ? a.items : 1))) {
    code = kFailed;
  }
  out["ok"] = code == kOk;
  std::cout << out.dump() << std::endl;
  return code;
}

}  // namespace
}  // namespace nipc::ref

int main(int argc, char** argv) {
  using namespace nipc::ref;
  // A vanished peer must be an error value, never a signal.
#if !defined(_WIN32)
  ::signal(SIGPIPE, SIG_IGN);
#endif
  CLI::App app{"nipc-ref: netipc reference server and client (shim contract)"};
  app.require_subcommand(1);
  Common sc, cc;
  std::string sessions = "forever";
  auto* server = app.add_subcommand("server", "serve one service until SIGTERM/SIGINT (Windows: Ctrl+C/Ctrl+Break)");
  add_common(server, sc);
  server->add_option("--sessions", sessions, "sessions to serve before exiting, or 'forever'");
  ClientArgs ca;
  auto* client = app.add_subcommand("client", "run one scenario and print one JSON line");
  add_common(client, cc);
  client->add_option("--max-request-batch", cc.max_request_batch, "request batch items proposed");
  client->add_option("--scenario", ca.scenario,
                     "single | batch | pipeline | large | snapshot | wrong-method | connect");
  client->add_option("--count", ca.count, "requests (batch: batch requests)");
  auto* items_opt = client->add_option("--items", ca.items, "batch: items per request (bench: 1 = no batch)");
  auto* depth_opt = client->add_option("--depth", ca.depth, "pipeline, bench: requests in flight");
  client->add_option("--size", ca.size, "large: request payload bytes (0: 4 packets); bench: item bytes (0: small)");
  client->add_option("--duration-ms", ca.duration_ms, "bench: measuring time in milliseconds");
  client->add_option("--rate", ca.rate, "bench: target requests/s (0: as fast as possible)")
      ->check(CLI::NonNegativeNumber);
  client->add_option("--expect-error", ca.expect_error,
                     "succeed only if the run fails with this error kind or rule name");
  auto* codec = app.add_subcommand(
      "codec", "codec testee: length-prefixed JSON requests on stdin (vectors/README.md)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kUsage;
  }
  if (server->parsed()) return run_server(sc, sessions);
  // bench: one item per request and one request in flight unless the flags say otherwise.
  if (ca.scenario == "bench") {
    if (items_opt->count() == 0) ca.items = 1;
    if (depth_opt->count() == 0) ca.depth = 1;
    if (ca.duration_ms == 0) return std::cerr << "nipc-ref: --duration-ms must be > 0\n", kUsage;
  }
  if (codec->parsed()) return nipc::tools::run_codec_testee_on_stdio();
  return run_client(cc, ca);
}
