// The session vectors (vectors/sessions.json, vectors/README.md "Session vectors"): whole
// conversations a test peer replays against a live implementation, each a sequence of
// labelled packets and the reaction the spec demands. The reactions are written here from the
// spec's rules, never obtained by running the reference's transports; only the packets' codec
// annotations ("decode") are checked against the reference codec.
#ifndef NIPC_TOOLS_NIPC_VECTORS_SESSIONS_H_
#define NIPC_TOOLS_NIPC_VECTORS_SESSIONS_H_

#include <string>
#include <vector>

#include "common/fields_json.h"

namespace nipc::vectors {

/// The sessions.json document. Appends one line per problem to `problems` (a packet whose
/// labels do not tile its bytes, a decode annotation the reference codec disagrees with, a
/// malformed name); the caller writes nothing when there is any.
tools::Json sessions_document(std::vector<std::string>* problems);

/// The bytes of sessions.json: two-space indentation and a final newline.
std::string render_sessions(const tools::Json& document);

}  // namespace nipc::vectors

#endif  // NIPC_TOOLS_NIPC_VECTORS_SESSIONS_H_
