// Names of the Windows transport objects (spec/transport-windows.md): the named pipe of an
// endpoint and the kernel objects of a session's shared region. Pure functions, built on
// every platform so that POSIX hosts can test them and generate their vectors.
#ifndef NIPC_TRANSPORT_WIN_NAMES_H_
#define NIPC_TRANSPORT_WIN_NAMES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "nipc/transport/error.h"

namespace nipc::win {

/// FNV-1a 64 parameters (spec/transport-windows.md, "FNV-1a 64").
inline constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnvPrime = 0x00000100000001b3ULL;

/// Longest narrow name (WIN-NAME-LEN-001) and longest shared-memory hash input
/// (WIN-SHM-NAME-002), in bytes.
inline constexpr std::size_t kMaxNameLen = 255;
inline constexpr std::size_t kMaxHashInputLen = 511;

/// FNV-1a 64 of the bytes of `input`, exactly as given (no terminator, no normalisation).
std::uint64_t fnv1a64(std::string_view input) noexcept;

/// `hash` as 16 lower-case, zero-padded hexadecimal digits.
std::string hex16(std::uint64_t hash);

/// `\\.\pipe\netipc-` + hex16(fnv1a64(run_dir)) + "-" + service (WIN-PIPE-NAME-001).
/// kBadParameter for an invalid service name (UDS-NAME-001); kNameTooLong above 255 bytes.
TransportResult<std::string> pipe_name(std::string_view run_dir, std::string_view service);

/// The string hashed for a session's object names: run_dir + "\n" + service + "\n" +
/// decimal(auth_token) (WIN-SHM-NAME-001). Never fails; the length rule is checked by
/// shm_object_prefix.
std::string shm_hash_input(std::string_view run_dir, std::string_view service,
                           std::uint64_t auth_token);

/// "Local\netipc-" + hex16(hash) + "-" + service + "-p" + decimal(profile) + "-s" +
/// hex16(session_id), from an already computed hash. kNameHashZero when `hash` is 0
/// (WIN-SHM-NAME-003); kBadParameter for an invalid service name; kNameTooLong when the
/// longest derived name (prefix + "-resp_event") exceeds 255 bytes.
TransportResult<std::string> shm_prefix_from_hash(std::uint64_t hash, std::string_view service,
                                                  std::uint32_t profile,
                                                  std::uint64_t session_id);

/// The object-name prefix of a session: shm_hash_input is hashed, then shm_prefix_from_hash.
/// kNameInputTooLong when the hash input exceeds 511 bytes (WIN-SHM-NAME-002), else as
/// shm_prefix_from_hash.
TransportResult<std::string> shm_object_prefix(std::string_view run_dir, std::string_view service,
                                               std::uint64_t auth_token, std::uint32_t profile,
                                               std::uint64_t session_id);

/// The three kernel objects of a session's region.
struct ShmObjectNames {
  std::string mapping;         // prefix + "-mapping"
  std::string request_event;   // prefix + "-req_event"
  std::string response_event;  // prefix + "-resp_event"
};

/// The object names of a session; fails as shm_object_prefix.
TransportResult<ShmObjectNames> shm_object_names(std::string_view run_dir,
                                                 std::string_view service,
                                                 std::uint64_t auth_token, std::uint32_t profile,
                                                 std::uint64_t session_id);

/// A narrow name as the UTF-16 code units the system sees: each byte becomes one unit of the
/// same value (WIN-NAME-WIDEN-001). Returned as char16_t so that POSIX hosts can test it.
std::u16string widen(std::string_view narrow);

}  // namespace nipc::win

#endif  // NIPC_TRANSPORT_WIN_NAMES_H_
