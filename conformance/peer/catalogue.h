// The conformance case catalogue: every case is a table row added by name, with the
// requirement IDs it checks, the role and profiles it applies to, the IUT configuration it
// needs, and a small step program run by the test peer (spec/overview.md: a case's verdict is
// that of the strictest requirement it saw broken).
#ifndef NIPC_PEER_CATALOGUE_H_
#define NIPC_PEER_CATALOGUE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace nipc::peer {

class Ctx;

/// The role the implementation under test plays in a case.
enum class Role { kServer, kClient };

/// Run profiles a case applies to: the baseline (UDS on POSIX, the named pipe on Windows), the
/// shared-memory profiles, or both.
inline constexpr unsigned kOnUds = 1;
inline constexpr unsigned kOnShm = 2;
inline constexpr unsigned kOnAny = kOnUds | kOnShm;

/// IUT configuration a case needs; unset values take the run's defaults. The driver expands
/// the manifest's command template with them, or reports the case not applicable when the
/// IUT's configuration is fixed to something else.
struct Needs {
  std::optional<std::string> service_kind;
  std::optional<std::uint32_t> profiles, preferred;
  std::optional<std::uint32_t> max_request_payload, max_request_batch, max_response_payload;
  std::optional<std::uint32_t> packet_size;
  std::optional<std::string> scenario;  // client role: what the client does
  std::optional<std::uint64_t> count;
  std::optional<std::uint32_t> items;
  std::optional<std::string> service;   // a deliberately invalid service name
  std::optional<std::string> sessions;  // server: sessions to serve before exiting
  bool long_run_dir = false;            // a run directory whose socket path exceeds sun_path
  nlohmann::json to_json() const;
};

/// The systems a case means something on. kAuto takes it from the chapter: "uds" and "shm"
/// cases observe POSIX objects (socket and region files, futexes), "win" cases Windows ones
/// (pipes, named mappings and events); every other chapter is transport-neutral.
enum class Platform { kAuto, kPosix, kWindows, kBoth };

/// "posix", "windows" or "both" (kAuto resolved through the chapter of `id`).
std::string platform_name(Platform p, const std::string& id);

/// The system this peer was built for: "posix" or "windows".
const char* host_platform();

struct CaseDef {
  std::string id;     // "<chapter>.<srv|cli>.<name>", e.g. "hs.srv.layout-0"
  std::string title;
  Role role = Role::kServer;
  std::vector<std::string> requirements;
  unsigned on = kOnAny;
  /// Non-zero: the case runs only under the run profiles whose bit is set (0x02 hybrid,
  /// 0x04 futex on POSIX or busy-wait on Windows); the runner does not plan it under the
  /// others, as with `on`. A case about one profile's objects says so here, never by
  /// declining at run time.
  std::uint32_t profile_bits = 0;
  Needs needs;
  bool start = true;  // server role: start the IUT and wait for READY before the steps
  bool probe = true;  // server role: end with the liveness probe (a fresh, valid session)
  /// Client role: a pass needs the client to have connected to the peer at least once (a
  /// client that never connected showed nothing). False only for cases whose correct client
  /// connects nowhere (a refused name, path or flag).
  bool client_connects = true;
  Platform platform = Platform::kAuto;
  std::function<void(Ctx&)> run;
  /// The case checks nothing of a particular service: it runs with whatever service kind the
  /// IUT offers (its requests come from Ctx::sample_request). Handshake cases, and server
  /// cases of the transport chapters, are neutral unless they need a service kind; other
  /// cases say so here.
  bool service_neutral = false;
  /// Whether the case runs with any service kind (the above, or its chapter's rule).
  bool any_service_kind() const;
  /// True when the case can run on the system this peer was built for.
  bool runs_here() const;
};

/// The case rows. The case files (cases/<chapter>_<role>.cpp) each have one function
/// add_<chapter>_<role>_cases(Catalogue&) that adds their rows; peer/main.cpp lists every
/// such function, so the whole catalogue reads from there.
class Catalogue {
 public:
  /// Adds one row, kept in id order. Ids are unique: a second row with an id already here
  /// is a mistake in the case tables, and the peer stops at once naming the id (a run must
  /// never pick one of two cases at random).
  void add(CaseDef def);
  /// Every row, sorted by id (the order of `nipc-peer list`).
  const std::vector<CaseDef>& cases() const { return rows_; }
  /// The row with this id, or nullptr when there is none.
  const CaseDef* find(const std::string& id) const;

 private:
  std::vector<CaseDef> rows_;
};

/// A step program that exists only in the POSIX build of the peer: on Windows the row is
/// still listed (so a Windows run reports it not applicable) but its body, which touches
/// POSIX objects, is not compiled.
#ifdef _WIN32
#define NIPC_POSIX_BODY(...) ([](::nipc::peer::Ctx&) {})
#define NIPC_WINDOWS_BODY(...) __VA_ARGS__
#else
#define NIPC_POSIX_BODY(...) __VA_ARGS__
#define NIPC_WINDOWS_BODY(...) ([](::nipc::peer::Ctx&) {})
#endif

/// The spec chapter a case belongs to, from its id prefix ("hs" -> "handshake").
std::string chapter_of(const std::string& id);

}  // namespace nipc::peer

#endif  // NIPC_PEER_CATALOGUE_H_
