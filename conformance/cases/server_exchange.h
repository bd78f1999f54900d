// Helpers of the established-session cases with the IUT as server: small sessions, raw
// sends and request builders shared by several chapters.
#ifndef NIPC_CONFORMANCE_CASES_SERVER_EXCHANGE_H_
#define NIPC_CONFORMANCE_CASES_SERVER_EXCHANGE_H_

#include <algorithm>
#include <functional>
#include <map>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {

inline Bytes increment_of_size(std::uint64_t value, std::size_t size) {
  Bytes b = increment_payload(value);
  b.resize(size, 0);
  return b;
}

// Sends raw message bytes on the session's transport: one packet, or one SHM publication.
inline void send_raw(Session& s, const Packet& p) {
  if (s.on_shm()) s.publish(p.bytes);
  else s.send(p);
}

inline Packet valid_request(Ctx& c, std::uint64_t id) {
  auto [payload, answer] = c.sample_request(id);
  return message_packet(request(c, id, payload.size()), payload);
}

}  // namespace nipc::peer::cases

#endif  // NIPC_CONFORMANCE_CASES_SERVER_EXCHANGE_H_
