#include "nipc/transport/win_names.h"

#include <cstdio>

#include "nipc/transport/paths.h"

namespace nipc::win {

std::uint64_t fnv1a64(std::string_view input) noexcept {
  std::uint64_t h = kFnvOffsetBasis;
  for (char c : input) {
    h ^= static_cast<std::uint8_t>(c);
    h *= kFnvPrime;  // unsigned: wraps mod 2^64 as the algorithm requires
  }
  return h;
}

std::string hex16(std::uint64_t hash) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(buf, 16);
}

TransportResult<std::string> pipe_name(std::string_view run_dir, std::string_view service) {
  if (!is_valid_service_name(service)) return TransportError::of(TransportErrorKind::kBadParameter);
  std::string hashed(run_dir);
  std::string name = R"(\\.\pipe\netipc-)";
  name.append(hex16(fnv1a64(hashed))).append("-").append(service);
  if (name.size() > kMaxNameLen) return TransportError::of(TransportErrorKind::kNameTooLong);
  return name;
}

std::string shm_hash_input(std::string_view run_dir, std::string_view service,
                           std::uint64_t auth_token) {
  std::string input(run_dir);
  input.append("\n").append(service).append("\n").append(std::to_string(auth_token));
  return input;
}

TransportResult<std::string> shm_prefix_from_hash(std::uint64_t hash, std::string_view service,
                                                  std::uint32_t profile,
                                                  std::uint64_t session_id) {
  if (hash == 0) return TransportError::of(TransportErrorKind::kNameHashZero);
  if (!is_valid_service_name(service)) return TransportError::of(TransportErrorKind::kBadParameter);
  std::string prefix = R"(Local\netipc-)";
  prefix.append(hex16(hash)).append("-").append(service);
  prefix.append("-p").append(std::to_string(profile));
  prefix.append("-s").append(hex16(session_id));
  constexpr std::string_view kLongestSuffix = "-resp_event";
  if (prefix.size() + kLongestSuffix.size() > kMaxNameLen) {
    return TransportError::of(TransportErrorKind::kNameTooLong);
  }
  return prefix;
}

TransportResult<std::string> shm_object_prefix(std::string_view run_dir, std::string_view service,
                                               std::uint64_t auth_token, std::uint32_t profile,
                                               std::uint64_t session_id) {
  std::string input = shm_hash_input(run_dir, service, auth_token);
  if (input.size() > kMaxHashInputLen) {
    return TransportError::of(TransportErrorKind::kNameInputTooLong);
  }
  return shm_prefix_from_hash(fnv1a64(input), service, profile, session_id);
}

TransportResult<ShmObjectNames> shm_object_names(std::string_view run_dir,
                                                 std::string_view service,
                                                 std::uint64_t auth_token, std::uint32_t profile,
                                                 std::uint64_t session_id) {
  auto prefix = shm_object_prefix(run_dir, service, auth_token, profile, session_id);
  if (!prefix) return prefix.error();
  ShmObjectNames names;
  names.mapping = *prefix + "-mapping";
  names.request_event = *prefix + "-req_event";
  names.response_event = *prefix + "-resp_event";
  return names;
}

std::u16string widen(std::string_view narrow) {
  std::u16string wide;
  wide.reserve(narrow.size());
  for (char c : narrow) wide.push_back(static_cast<char16_t>(static_cast<std::uint8_t>(c)));
  return wide;
}

}  // namespace nipc::win
