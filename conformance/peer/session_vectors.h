// Session vectors (vectors/sessions.json, vectors/README.md "Session vectors"): conversations
// given as data. The peer loads them strictly, registers each as a catalogue case
// (vec.srv.<name> when the IUT is the server, vec.cli.<name> when it is the client) and
// replays it: it sends the labelled packets, with the run's values written over the fields
// the vector marks, and judges every expected reaction with its own wire layouts.
#ifndef NIPC_PEER_SESSION_VECTORS_H_
#define NIPC_PEER_SESSION_VECTORS_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "catalogue.h"
#include "wire.h"

namespace nipc::peer {

class Ctx;

/// A session vector file the peer refuses; the message names the case, step and key.
class SessionVectorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One labelled field of a sent packet.
struct VectorField {
  std::string name;  // "header.magic", "hello.auth_token", "dir[1].length", "payload.value"
  std::size_t at = 0, size = 0;
  std::optional<std::uint64_t> value;  // integer fields (1, 2, 4 or 8 bytes); none for opaque bytes
};

struct VectorPacket {
  std::string what;
  Bytes bytes;
  std::vector<VectorField> fields;     // tile `bytes` in order
  std::vector<std::string> run_values; // fields the replay overwrites with the run's values
};

/// A reaction the implementation under test owes.
struct VectorExpect {
  std::string reaction;  // accept | reject | close | error | reply | silence | client-fails
  std::string requirement;
  std::string why;                                 // close
  std::optional<std::uint16_t> status;             // reject, error
  std::vector<std::pair<std::string, std::uint64_t>> ack;     // accept: HELLO_ACK fields to match
  std::vector<std::pair<std::string, std::uint64_t>> header;  // reply: header fields to match
  Bytes payload;                                   // reply
  int ms = 0;                                      // silence
  std::string rule;                                // client-fails
};

struct VectorStep {
  enum class Kind { kSend, kReceiveHello, kExpect } kind = Kind::kSend;
  VectorPacket packet;
  VectorExpect expect;
  unsigned on = kOnAny;  // a send step may be limited to the baseline or to shared memory
};

struct SessionVector {
  int id = 0;
  std::string name, comment, equivalent;
  Role role = Role::kServer;  // the IUT's role: "peer": "client" makes the IUT the server
  std::vector<std::string> requirements;
  unsigned on = kOnAny;
  Needs needs;
  std::vector<VectorStep> steps;
};

/// Parses a sessions.json document. Strict: unknown or missing keys, malformed hex, labels
/// that do not tile their packet or disagree with its bytes or with the peer's own layouts,
/// unknown run values, reactions out of order — each is a SessionVectorError naming the case.
std::vector<SessionVector> load_session_vectors(std::string_view json_text);

/// The vectors built into this peer (vectors/sessions.json at build time). A built-in file
/// the loader refuses stops the peer at start-up with the loader's message.
const std::vector<SessionVector>& builtin_session_vectors();

/// Runs one vector against the IUT in `c` (the case's step program).
void replay_session_vector(Ctx& c, const SessionVector& v);

/// The catalogue id of a vector: "vec.srv.<name>" or "vec.cli.<name>".
std::string session_vector_case_id(const SessionVector& v);

}  // namespace nipc::peer

#endif  // NIPC_PEER_SESSION_VECTORS_H_
