// Helpers of the transport cases with the IUT as server: files of the run directory.
#ifndef NIPC_CONFORMANCE_CASES_TRANSPORT_FILES_H_
#define NIPC_CONFORMANCE_CASES_TRANSPORT_FILES_H_

#ifndef _WIN32
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

#include <cstring>
#include <functional>
#include <thread>
#include <vector>

#include "common.h"

namespace nipc::peer::cases {

#ifndef _WIN32
inline bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Waits until `path` is gone; false at the deadline.
inline bool wait_removed(Ctx& c, const std::string& path) {
  Deadline d = c.step();
  while (file_exists(path)) {
    if (d.expired()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline std::string region_of(Ctx& c, std::uint64_t sid) { return region_file(c.cfg().run_dir, c.cfg().service, sid); }
#endif

}  // namespace nipc::peer::cases

#endif  // NIPC_CONFORMANCE_CASES_TRANSPORT_FILES_H_
