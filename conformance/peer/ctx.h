// What a case's step program works with: the IUT process, sessions in which the peer plays
// the other side byte for byte, deadlines on every step, and the verdict being built.
#ifndef NIPC_PEER_CTX_H_
#define NIPC_PEER_CTX_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalogue.h"
#include "conn.h"
#include "iut.h"
#include "shm_raw.h"
#include "common/shim_knobs.h"
#include "win_region.h"
#include "wire.h"

namespace nipc::peer {

/// The IUT's effective configuration, as the driver expanded the manifest template. The
/// driver passes every field; the defaults are the suite's run values for a server
/// (spec/shim-knobs.json), so a hand-written --config means what a run would.
struct Config {
  std::string run_dir, service, service_kind = shim::run::server::kServiceKind;
  std::uint64_t auth_token = shim::run::kAuthToken;
  std::uint64_t other_token = 0x0123456789abcdefull;  // a valid token of another run
  std::uint32_t profiles = shim::run::server::kProfiles, preferred = shim::run::server::kPreferred;
  std::uint32_t max_request_payload = shim::run::server::kMaxRequestPayload;
  std::uint32_t max_request_batch = shim::run::server::kMaxRequestBatch;
  std::uint32_t max_response_payload = shim::run::server::kMaxResponsePayload;
  std::uint32_t packet_size = shim::run::server::kPacketSize;
  std::string scenario = shim::run::server::kScenario;
  std::uint64_t count = shim::run::server::kCount;
  std::uint32_t items = shim::run::server::kItems;
  std::uint32_t snapshot_items = shim::run::server::kSnapshotItems;  // cgroups-snapshot: the generator's K and seed
  std::uint64_t snapshot_seed = shim::run::server::kSnapshotSeed;
  /// The protocol revision the run judges ("seed" or "newest"): cases whose expectation
  /// differs between revisions read it (spec/README.md#revisions).
  std::string spec_revision = shim::run::server::kSpecRevision;
};

/// How the IUT shows it is ready and reports its outcome (the manifest's [server] and
/// [client] tables, spec/shim-contract.md).
struct RunOptions {
  Config iut;
  std::uint32_t profile = 1;  // the run's profile bit: 0x01, 0x02 or 0x04
  std::vector<std::string> argv;
  double timeout_scale = 1.0;
  int exit_unsupported = shim::kExitNotSupported;  // SHIM-EXIT-001
  std::string ready = "line";  // line | socket (the file appears) | connect | delay
  bool one_session = false;     // server: serves one session, then exits (sessions = "one")
  std::string ready_pattern = "^READY";
  int ready_delay_ms = 500;
  int ready_timeout_ms = 10000;
  std::string client_success = "exit-code";  // exit-code | line
  std::string client_success_pattern;
  bool shim = false;  // the IUT follows the shim contract (spec/shim-contract.md)
};

// The session's shared-memory region as the peer sees it on the system it was built for.
#ifdef _WIN32
using Region = WinRegion;
using RegionHdr = WinRegionHeader;
#else
using Region = RawRegion;
using RegionHdr = RegionHeader;
#endif

/// Thrown to end a step program early (the verdict is already recorded).
struct CaseStop {};

class Ctx;

/// A message as the peer received it: header, payload, and how many packets carried it.
struct Message {
  RawHeader h;
  Bytes payload;
  std::size_t packets = 1;
};

/// The first packet and continuations of a message split by the sender's rule
/// (CHUNK-SPLIT-001), editable before sending.
struct Split {
  Packet first;
  std::vector<std::pair<RawChunk, Bytes>> continuations;
};
Split split_message(const RawHeader& h, ConstBytes payload, std::uint32_t packet_size);
Packet chunk_packet(const RawChunk& c, ConstBytes payload);

/// One connection in which the peer plays the client (server under test) or the server
/// (client under test). Everything sent and received lands in the case's transcript.
class Session {
 public:
  Session(Ctx& ctx, std::unique_ptr<Conn> conn, bool peer_is_client);
  ~Session();

  Conn& conn() { return *conn_; }
  const std::string& name() const { return conn_->name(); }
  bool send(const Packet& p) { return conn_->send(p); }

  // --- handshake, peer as client -------------------------------------------------------
  struct Ack {
    RawHeader h;
    RawAck a;
    std::size_t len = 0;
  };
  /// Sends `hello` and reads the reply; nullopt when the IUT closed without one. Checks the
  /// ACK's header shape (HS-ACK-HDR-001) and single 80-byte packet (HS-FLOW-001).
  std::optional<Ack> handshake(const Packet& hello);
  /// The reply to a HELLO already sent: the second half of handshake(), with its checks.
  std::optional<Ack> read_ack();
  /// Handshake that must succeed; checks the success ACK's format and establishes the
  /// session (SHM: opens the region at once, PROF-SHM-READY-001).
  Ack accept(const RawHello& hello, std::string_view req = "HS-FLOW-001");
  /// Judges a reply read by read_ack() as accept() does: a close or a rejection fails `req`;
  /// on success the session is established for `hello`.
  Ack accepted(const std::optional<Ack>& ack, const RawHello& hello, std::string_view req);
  /// Handshake that must be rejected with `status` in the rejection form (HS-REJECT-001),
  /// followed by a close.
  void reject(const Packet& hello, std::uint16_t status, std::string_view req);
  /// Judges a reply read by read_ack() as reject() does, including the close that follows.
  void rejected(const std::optional<Ack>& ack, std::uint16_t status, std::string_view req);
  /// Sends `first` and expects the IUT to close without sending anything.
  void silent_close(const Packet& first, std::string_view req);

  // --- handshake, peer as server -------------------------------------------------------
  /// Reads the client's HELLO and checks the client's obligations on it (HS-FLOW-001,
  /// HS-HELLO-HDR-001, ENV-STATUS-001, HS-CLI-HELLO-001, PROF-WAITADDR-001).
  RawHello read_hello();
  /// A correct ACK for `hello` from the peer's server configuration.
  RawAck ack_for(const RawHello& hello);
  /// Sends an ACK. With status OK and an SHM profile selected, the region is created first
  /// unless `create_region` is false; `region_header` overrides what is written into it.
  void send_ack(const RawAck& ack, std::uint16_t status = 0,
                std::optional<RawHeader> header = std::nullopt, bool create_region = true,
                std::optional<RegionHdr> region_header = std::nullopt);
  /// Sends raw bytes as the reply to the HELLO (for malformed ACKs).
  void send_raw_reply(const Packet& p) { send(p); }

  // --- established session ---------------------------------------------------------------
  void establish(const RawHello& hello, const RawAck& ack);
  bool on_shm() const { return region_ != nullptr; }
  /// The session's SHM region. A session the IUT did not put on shared memory (it selected
  /// another profile) fails the case under PROF-BITS-001: the steps that follow need the
  /// region, and an IUT's choice must never leave the peer without one.
  Region* region();
  /// Fails the case (SHM-LAYOUT-001) when the IUT truncated the region file under the mapping.
  void check_region_intact();
  const RawAck& ack() const { return ack_; }
  const RawHello& hello() const { return hello_; }
  std::uint32_t packet_size() const { return ack_.packet_size; }

  /// Sends a whole message: chunked by the agreed packet size on UDS (the header's
  /// payload_len is sent as given; chunk headers describe the bytes actually sent), or
  /// published in the peer's SHM area.
  void send_message(const RawHeader& h, ConstBytes payload);
  /// Publishes raw bytes in the peer's SHM area with an optional length word that lies.
  void publish(ConstBytes msg, std::optional<std::uint32_t> len = std::nullopt);

  struct Incoming {
    Got got = Got::kTimeout;
    Message msg;
  };
  /// Receives one logical message, checking the IUT's sender obligations (chunking with the
  /// agreed packet size, limits of its direction, SHM length word).
  Incoming receive(Deadline deadline);
  /// A message that must arrive: a close or a timeout fails `req`.
  Message expect_message(std::string_view req, const std::string& what);
  /// The IUT must close the session without sending anything more.
  void expect_closed(std::string_view req, const std::string& why);
  /// An error response to `request` (SVC-ERRRESP-001) with `status`.
  Message expect_error(const RawHeader& request, std::uint16_t status, std::string_view req);
  /// A successful response to `request` whose payload is `payload` exactly.
  Message expect_answer(const RawHeader& request, ConstBytes payload, std::string_view req);

  /// Peer as server: answers requests correctly until the client closes; `respond` may take
  /// over a request (return true when it handled it). Returns the requests seen.
  std::vector<Message> serve(const std::function<bool(Session&, const Message&)>& respond = {});
  /// The correct answer to a request for the configured service kind.
  void answer(const Message& req);

  void close();

 private:
  Incoming receive_packets(Deadline deadline);
  Incoming receive_shm(Deadline deadline);
  void check_region_after_ack();
  void create_region(const RawAck& ack, std::optional<RegionHdr> region_header);
  void check_incoming(const Message& m);

  Ctx& ctx_;
  std::unique_ptr<Conn> conn_;
  bool peer_is_client_;
  RawHello hello_{};
  RawAck ack_{};
  bool established_ = false;
  std::unique_ptr<Region> region_;
};

class Ctx {
 public:
  Ctx(const CaseDef& def, const RunOptions& opt);
  ~Ctx();

  const CaseDef& def() const { return def_; }
  const Config& cfg() const { return opt_.iut; }
  const RunOptions& opt() const { return opt_; }
  std::uint32_t run_profile() const { return opt_.profile; }
  bool shm_run() const { return opt_.profile != 1; }
  /// The profile bits of this run's peer: 0x01, 0x03 or 0x05.
  std::uint32_t run_bits() const { return opt_.profile | 1u; }
  Transcript& transcript() { return transcript_; }

  // --- verdict -------------------------------------------------------------------------
  void check(bool ok, std::string_view req, const std::string& msg);
  [[noreturn]] void fail(std::string_view req, const std::string& msg);
  [[noreturn]] void timed_out(std::string_view req, const std::string& msg);
  [[noreturn]] void unsupported(const std::string& why);
  [[noreturn]] void error(const std::string& why);
  [[noreturn]] void not_applicable(const std::string& why);
  /// Judges a server that must refuse to start (`ready` as launch_iut() returned it): a server
  /// that became ready fails `req` with `started`; one still running after the step times out;
  /// one that exited must have refused: exit code 1, 2 or 3 (SHIM-EXIT-001). Exit 0 fails, and
  /// so do a signal, 126/127 (a shell that cannot execute or find the program) and any other
  /// code: a program that crashes or never ran refused nothing. Returns how it ended.
  ExitStatus expect_refusal(IutProcess::Ready ready, std::string_view req, const std::string& started);
  /// True when the IUT follows the shim contract, so its exit codes and result line are judged.
  bool shim() const { return opt_.shim; }
  void note(const std::string& text) { transcript_.note("case", text); }
  /// The deadline of one step (scaled for slow builds); `factor` stretches it.
  Deadline step(double factor = 1.0) const;
  int step_ms(double factor = 1.0) const;
  void sleep_ms(int ms);

  // --- the IUT process -----------------------------------------------------------------
  /// Starts the IUT; for a server, waits for READY (unsupported / error otherwise).
  void start_iut();
  /// Starts the IUT and reports whether it became ready, without judging (for cases where
  /// the IUT must refuse to start).
  IutProcess::Ready launch_iut();
  IutProcess* iut() { return iut_.get(); }
  /// Adds an argument to the IUT's command line before it starts.
  void add_iut_arg(const std::string& arg) { extra_args_.push_back(arg); }
  /// Stops the IUT (SIGTERM, then SIGKILL after `grace_ms`) and returns how it ended.
  ExitStatus stop_iut(int grace_ms = 5000);
  std::string socket_path() const { return cfg().run_dir + "/" + cfg().service + ".sock"; }
  /// Where the IUT server listens and the IUT client connects: the socket path on POSIX, the
  /// pipe name derived from run_dir and service on Windows (WIN-PIPE-NAME-001).
  std::string endpoint() const;
  /// The requirement a missing endpoint breaks: UDS-PATH-001, or WIN-PIPE-NAME-001.
  const char* endpoint_requirement() const;
  /// Windows: the name prefix of a session's mapping and events (WIN-SHM-NAME-001).
  std::string object_prefix_of(std::uint32_t profile, std::uint64_t session_id) const;

  // --- peer as client: server under test -----------------------------------------------
  /// A valid HELLO for this run: the run's profiles, the configured token, proposals that
  /// fit the IUT's configured maximum.
  RawHello hello() const;
  /// A new connection to the IUT (s1, s2, ...); fails the case if none can be made.
  std::unique_ptr<Session> connect();
  /// connect() + a successful handshake with `hello`.
  std::unique_ptr<Session> open(std::optional<RawHello> hello = std::nullopt);
  /// A correct request for the configured service and the exact payload of its answer.
  std::pair<Bytes, Bytes> sample_request(std::uint64_t n) const;
  std::uint16_t method() const;
  /// The liveness probe: the IUT process is alive and serves a fresh, valid session.
  void probe();

  // --- peer as server: client under test -----------------------------------------------
  void listen();
  /// Closes the peer's listening socket but leaves its file (a stale endpoint).
  void close_listener() {
    if (listener_) listener_->abandon();
    listener_.reset();
  }
  /// Listens at `path` instead of the configured socket path.
  void listen_at(const std::string& path);
  /// True when a client connection is waiting on the peer's listener.
  bool client_connected();
  /// Accepts the client's next connection; fails (timeout) when none comes.
  std::unique_ptr<Session> accept_client(double factor = 3.0);
  /// Accepts a connection if one comes within `ms`; nullptr otherwise.
  std::unique_ptr<Session> try_accept_client(int ms);
  /// Waits for the client to exit and reads its result line.
  struct ClientResult {
    ExitStatus exit;
    nlohmann::json result;  // null when the client printed no JSON line
  };
  ClientResult client_exit(bool unsupported_ends_case = true);
  /// The client must report failure; when the manifest says the client names codec rules,
  /// the rule must be `rule`.
  void expect_client_failed(std::string_view req, std::optional<std::string> rule = std::nullopt);
  void expect_client_ok(std::string_view req);
  /// Success as the manifest defines it: exit code 0, or a stdout line matching a pattern.
  bool client_succeeded(const ClientResult& r) const;
  std::uint64_t next_session_id() { return ++sid_; }
  /// The peer server's offer (the run's profile bits) and limits, changeable by a case.
  std::uint32_t server_profiles = 1, server_preferred = 0;
  std::uint32_t server_response_limit = 65536, server_packet_size = 65536;

  /// Runs the case and returns the result document.
  nlohmann::json run();

 private:
  friend class Session;
  std::string next_name() { return "s" + std::to_string(++conns_); }

  const CaseDef& def_;
  const RunOptions& opt_;
  Transcript transcript_;
  std::unique_ptr<IutProcess> iut_;
  std::unique_ptr<Listener> listener_;
  std::vector<std::string> extra_args_;
  std::optional<ExitStatus> client_exit_;
  /// The verdict once the case has ended, from the failures and the override recorded.
  std::string verdict_of();
  struct Failure {
    std::string requirement, message, kind;
  };
  std::vector<Failure> failures_;
  std::string verdict_override_, override_reason_;
  int conns_ = 0;
  int client_connections_ = 0;  // connections the IUT client made to the peer's listener
  // A negative client case passed only on the client's exit code or missing success line: the
  // client reported no reason, so its rejection is not verified ("failed, reason not reported").
  bool rejection_unreported_ = false;
  std::uint64_t sid_ = 0;
};

}  // namespace nipc::peer

#endif  // NIPC_PEER_CTX_H_
