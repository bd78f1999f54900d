// Helpers of the Windows transport cases: pipes, regions and replies (Windows build).
#ifndef NIPC_CONFORMANCE_CASES_WINDOWS_OBJECTS_H_
#define NIPC_CONFORMANCE_CASES_WINDOWS_OBJECTS_H_

#ifdef _WIN32
#ifndef NOMINMAX
#define NOMINMAX
#endif
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>
#endif

#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "../peer/names.h"
#include "common.h"

namespace nipc::peer::cases {

constexpr std::uint32_t kHybrid = 2, kBusyWait = 4;  // the Windows SHM profile bits

#ifdef _WIN32
namespace W = win_region_layout;

constexpr unsigned long kErrorPipeBusy = 231;

/// The SHM profile of this run (the case is registered for SHM runs only).
inline std::uint32_t shm_profile(Ctx& c) { return c.run_profile(); }

/// Connects to the IUT server's pipe, retrying while the pipe has no free instance or is not
/// there yet, until `deadline`; nullptr then.
inline std::unique_ptr<Session> connect_retrying(Ctx& c, const std::string& name, Deadline deadline) {
  for (;;) {
    std::string why;
    auto conn = connect_endpoint(c.endpoint(), &c.transcript(), name, &why);
    if (conn) return std::make_unique<Session>(c, std::move(conn), true);
    if (deadline.expired()) {
      c.note("no connection to " + c.endpoint() + ": " + why);
      return nullptr;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

/// Where the system ignores FILE_FLAG_FIRST_PIPE_INSTANCE (wine), a server must find the
/// owner by probing the name first (spec/transport-windows.md, "First instance"): a failure
/// says so.
inline std::string first_instance_hint() {
  return first_instance_enforced() ? ""
                                   : " (this system ignores FILE_FLAG_FIRST_PIPE_INSTANCE: a server must "
                                     "probe the name before it creates its first instance)";
}

/// Waits until the session's pipe reports the other side gone; false at the deadline.
inline bool wait_hung_up(Session& s, Deadline deadline) {
  while (!s.conn().hung_up()) {
    if (deadline.expired()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// The correct INCREMENT answer to `req` as a whole message (header + payload).
inline Packet increment_reply(const Message& req) {
  std::uint64_t v = req.payload.size() == 8 ? load_u64le(req.payload.data()) : 0;
  Bytes p = increment_payload(v + 1);
  RawHeader h;
  h.kind = 2;
  h.code = req.h.code;
  h.message_id = req.h.message_id;
  h.payload_len = static_cast<std::uint32_t>(p.size());
  return message_packet(h, p);
}

/// A request message for the configured service, as published bytes.
inline Packet request_message(Ctx& c, std::uint64_t id) {
  auto [payload, answer] = c.sample_request(id);
  return message_packet(request(c, id, payload.size()), payload);
}
#endif

}  // namespace nipc::peer::cases

#endif  // NIPC_CONFORMANCE_CASES_WINDOWS_OBJECTS_H_
