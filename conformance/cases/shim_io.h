// Helpers of the shim-contract cases: the IUT's output lines and result line.
#ifndef NIPC_CONFORMANCE_CASES_SHIM_IO_H_
#define NIPC_CONFORMANCE_CASES_SHIM_IO_H_

#include <dirent.h>

#include <cstring>
#include <regex>
#include <sstream>
#include <thread>

#include "nipc/codec/cgroups_snapshot.h"
#include "nipc/testing/snapshot_fixture.h"
#include "common.h"

namespace nipc::peer::cases {

inline void need_shim(Ctx& c) {
  if (!c.shim()) c.not_applicable("the implementation is not driven through the shim contract");
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace nipc::peer::cases

#endif  // NIPC_CONFORMANCE_CASES_SHIM_IO_H_
