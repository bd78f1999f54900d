// The Windows names of a netipc service, computed by the peer itself (spec/transport-windows.md)
// so that it judges the implementation's names instead of sharing its code. Pure functions:
// they build on every system.
#ifndef NIPC_PEER_NAMES_H_
#define NIPC_PEER_NAMES_H_

#include <cstdint>
#include <string>

namespace nipc::peer {

/// FNV-1a 64 of `bytes`.
std::uint64_t fnv1a64(const std::string& bytes);
/// 16 lowercase hexadecimal digits, zero-padded.
std::string hex16(std::uint64_t v);
/// `\\.\pipe\netipc-<hex16(FNV-1a(run_dir))>-<service>` (WIN-PIPE-NAME-001).
std::string pipe_name(const std::string& run_dir, const std::string& service);
/// `Local\netipc-<hex16(FNV-1a(run_dir \n service \n token))>-<service>-p<profile>-s<hex16(sid)>`,
/// the prefix of a session's mapping and events (WIN-SHM-NAME-001).
std::string object_prefix(const std::string& run_dir, const std::string& service, std::uint64_t token,
                          std::uint32_t profile, std::uint64_t session_id);

}  // namespace nipc::peer

#endif  // NIPC_PEER_NAMES_H_
