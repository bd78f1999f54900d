#include "names.h"

#include <cstdio>

namespace nipc::peer {

std::uint64_t fnv1a64(const std::string& bytes) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char b : bytes) h = (h ^ b) * 0x00000100000001b3ull;
  return h;
}

std::string hex16(std::uint64_t v) {
  char out[17];
  std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(v));
  return out;
}

std::string pipe_name(const std::string& run_dir, const std::string& service) {
  return "\\\\.\\pipe\\netipc-" + hex16(fnv1a64(run_dir)) + "-" + service;
}

std::string object_prefix(const std::string& run_dir, const std::string& service, std::uint64_t token,
                          std::uint32_t profile, std::uint64_t session_id) {
  std::string hashed = run_dir + "\n" + service + "\n" + std::to_string(token);
  return "Local\\netipc-" + hex16(fnv1a64(hashed)) + "-" + service + "-p" + std::to_string(profile) +
         "-s" + hex16(session_id);
}

}  // namespace nipc::peer
