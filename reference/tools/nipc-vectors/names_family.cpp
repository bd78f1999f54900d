// windows_names: the names of the Windows transport objects (spec/transport-windows.md).
// A case has no bytes: its context holds the inputs (run_dir, service, token, profile,
// session id, or a hash given directly) and its fields the derived names.
#include <limits>
#include <string>

#include "nipc-vectors/families.h"
#include "nipc/transport/win_names.h"

namespace nipc::vectors {
namespace {

constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

// Fixed parts of the names, counted once so the boundary cases sit exactly on 255 bytes.
constexpr std::size_t kPipeFixedLen = 33;      // "\\.\pipe\netipc-" + 16 hex digits + "-"
constexpr std::size_t kShmPrefixFixedLen = 51;  // "Local\netipc-" + hash + "-" + "-pN" + "-s" + id
constexpr std::size_t kLongestObjectSuffix = 11;  // "-resp_event"

Json pipe_context(std::string_view run_dir, std::string_view service) {
  return Json{{"object", "pipe"}, {"run_dir", run_dir}, {"service", service}};
}

Json shm_context(std::string_view run_dir, std::string_view service, std::uint64_t token,
                 std::uint32_t profile, std::uint64_t session_id) {
  return Json{{"object", "shm"},
              {"run_dir", run_dir},
              {"service", service},
              {"auth_token", tools::u64_json(token)},
              {"profile", profile},
              {"session_id", tools::u64_json(session_id)}};
}

Json hash_context(std::uint64_t hash, std::string_view service, std::uint32_t profile,
                  std::uint64_t session_id) {
  return Json{{"object", "shm_from_hash"},
              {"hash", win::hex16(hash)},
              {"service", service},
              {"profile", profile},
              {"session_id", tools::u64_json(session_id)}};
}

Json pipe_fields(std::string_view run_dir_hash, std::string_view pipe_name) {
  return Json{{"run_dir_hash", run_dir_hash}, {"pipe_name", pipe_name}};
}

// The fields of a shared-memory case whose hash the spec does not list: computed from the
// reference's name functions (verify() then asks the testee the same question).
Json shm_fields(std::string_view run_dir, std::string_view service, std::uint64_t token,
                std::uint32_t profile, std::uint64_t session_id) {
  const std::string input = win::shm_hash_input(run_dir, service, token);
  const std::string hash = win::hex16(win::fnv1a64(input));
  const std::string prefix = std::string(R"(Local\netipc-)") + hash + "-" + std::string(service) +
                             "-p" + std::to_string(profile) + "-s" + win::hex16(session_id);
  return Json{{"hash_input", input},
              {"hash", hash},
              {"mapping", prefix + "-mapping"},
              {"request_event", prefix + "-req_event"},
              {"response_event", prefix + "-resp_event"}};
}

Json pipe_fields_of(std::string_view run_dir, std::string_view service) {
  const std::string hash = win::hex16(win::fnv1a64(run_dir));
  return pipe_fields(hash, std::string(R"(\\.\pipe\netipc-)") + hash + "-" + std::string(service));
}

void add_pipe_cases(Family& f) {
  f.valid_context("pipe-spec-example", "the spec's example: /run/netdata, cgroups-snapshot",
                  pipe_context("/run/netdata", "cgroups-snapshot"),
                  pipe_fields("efc07ed598ac339b",
                              R"(\\.\pipe\netipc-efc07ed598ac339b-cgroups-snapshot)"))
      .reqs({"WIN-PIPE-NAME-001", "WIN-NAME-LEN-001"});
  f.valid_context("pipe-empty-run-dir", "an empty run_dir hashes to the FNV-1a offset basis",
                  pipe_context("", "svc"),
                  pipe_fields("cbf29ce484222325", R"(\\.\pipe\netipc-cbf29ce484222325-svc)"))
      .req("WIN-PIPE-NAME-001")
      .flag("ZeroLength");
  f.valid_context("pipe-high-bytes",
                  "run_dir with bytes above 0x7f (UTF-8 of e-acute): hashed as unsigned bytes",
                  pipe_context("/run/n\xc3\xa9tdata", "svc"),
                  pipe_fields_of("/run/n\xc3\xa9tdata", "svc"))
      .req("WIN-PIPE-NAME-001")
      .flag("HighBytes");
  f.valid_context("pipe-trailing-slash",
                  "run_dir /run/netdata/ is hashed verbatim: not the hash of /run/netdata",
                  pipe_context("/run/netdata/", "cgroups-snapshot"),
                  pipe_fields_of("/run/netdata/", "cgroups-snapshot"))
      .req("WIN-PIPE-NAME-001");
  f.valid_context("pipe-name-255-bytes", "a service name that makes the pipe name exactly 255 bytes",
                  pipe_context("/run/netdata", std::string(win::kMaxNameLen - kPipeFixedLen, 's')),
                  pipe_fields_of("/run/netdata", std::string(win::kMaxNameLen - kPipeFixedLen, 's')))
      .reqs({"WIN-PIPE-NAME-001", "WIN-NAME-LEN-001"})
      .flag("MaxLength");
}

void add_shm_cases(Family& f) {
  Json token0 = shm_fields("/run/netdata", "cgroups-snapshot", 0, 2, 1);
  token0["hash"] = "90a72e535d3026ed";  // the spec's check value, written out
  f.valid_context("shm-token-0-check-value",
                  "the spec's check value: /run/netdata, cgroups-snapshot, token 0, profile 2",
                  shm_context("/run/netdata", "cgroups-snapshot", 0, 2, 1), token0)
      .req("WIN-SHM-NAME-001");
  Json token12345 = shm_fields("/run/netdata", "cgroups-snapshot", 12345, 4, 1);
  token12345["hash"] = "2095084fdb90921e";
  f.valid_context("shm-token-12345-check-value",
                  "the spec's check value with token 12345, profile 4",
                  shm_context("/run/netdata", "cgroups-snapshot", 12345, 4, 1), token12345)
      .req("WIN-SHM-NAME-001");
  f.valid_context("shm-token-max", "token 2^64-1 is written as its 20 decimal digits",
                  shm_context("/run/netdata", "cgroups-snapshot", kU64Max, 2, 7),
                  shm_fields("/run/netdata", "cgroups-snapshot", kU64Max, 2, 7))
      .req("WIN-SHM-NAME-001")
      .flag("MaxValue");
  f.valid_context("shm-profile-4-session-max",
                  "busy-wait profile 4, session id 2^64-1 as 16 hex digits",
                  shm_context("/run/netdata", "svc", 42, 4, kU64Max),
                  shm_fields("/run/netdata", "svc", 42, 4, kU64Max))
      .req("WIN-SHM-NAME-001")
      .flag("MaxValue");
  const std::string run_dir_507(507, 'r');  // + "\ns\n0" = 511 bytes
  f.valid_context("shm-hash-input-511-bytes", "a hash input of exactly 511 bytes is accepted",
                  shm_context(run_dir_507, "s", 0, 2, 1), shm_fields(run_dir_507, "s", 0, 2, 1))
      .reqs({"WIN-SHM-NAME-001", "WIN-SHM-NAME-002"})
      .flag("MaxLength");
  const std::string longest_service(
      win::kMaxNameLen - kShmPrefixFixedLen - kLongestObjectSuffix, 's');
  f.valid_context("shm-name-255-bytes", "a service name that makes -resp_event exactly 255 bytes",
                  shm_context("/r", longest_service, 1, 2, 1),
                  shm_fields("/r", longest_service, 1, 2, 1))
      .reqs({"WIN-SHM-NAME-001", "WIN-NAME-LEN-001"})
      .flag("MaxLength");
  f.valid_context("shm-from-hash-one", "a hash given directly: 1 is the smallest accepted",
                  hash_context(1, "svc", 2, 1),
                  Json{{"prefix", R"(Local\netipc-0000000000000001-svc-p2-s0000000000000001)"}})
      .reqs({"WIN-SHM-NAME-001", "WIN-SHM-NAME-003"});
}

void add_error_cases(Family& f) {
  using K = TransportErrorKind;
  const std::string over_pipe(win::kMaxNameLen - kPipeFixedLen + 1, 's');
  f.invalid_context("pipe-name-256-bytes", "a pipe name of 256 bytes is refused, not truncated",
                    pipe_context("/run/netdata", over_pipe), K::kNameTooLong)
      .req("WIN-PIPE-NAME-001")
      .flag("OverLength");
  const std::string over_shm(win::kMaxNameLen - kShmPrefixFixedLen - kLongestObjectSuffix + 1, 's');
  f.invalid_context("shm-name-256-bytes", "-resp_event would be 256 bytes",
                    shm_context("/r", over_shm, 1, 2, 1), K::kNameTooLong)
      .req("WIN-SHM-NAME-001")
      .flag("OverLength");
  f.invalid_context("shm-from-hash-name-256-bytes", "the same length rule for a given hash",
                    hash_context(0x1234, over_shm, 4, 9), K::kNameTooLong)
      .req("WIN-SHM-NAME-001")
      .flag("OverLength");

  f.invalid_context("shm-hash-input-512-bytes", "a hash input of 512 bytes is refused",
                    shm_context(std::string(508, 'r'), "s", 0, 2, 1), K::kNameInputTooLong)
      .flag("OverLength");
  f.invalid_context("shm-hash-input-512-bytes-by-token",
                    "489 bytes of run_dir reach 512 only through the 20 digits of 2^64-1",
                    shm_context(std::string(489, 'r'), "s", kU64Max, 2, 1), K::kNameInputTooLong)
      .flag("OverLength");
  f.invalid_context("shm-hash-input-far-over", "a 1000-byte run_dir",
                    shm_context(std::string(1000, 'r'), "svc", 1, 4, 1), K::kNameInputTooLong)
      .flag("OverLength");

  f.invalid_context("shm-zero-hash-profile-2", "a hash of 0 is refused (given directly)",
                    hash_context(0, "svc", 2, 1), K::kNameHashZero);
  f.invalid_context("shm-zero-hash-profile-4", "a hash of 0 is refused for profile 4 too",
                    hash_context(0, "cgroups-snapshot", 4, kU64Max), K::kNameHashZero);
  f.invalid_context("shm-zero-hash-session-0", "a hash of 0 with session id 0",
                    hash_context(0, "s", 2, 0), K::kNameHashZero);

  f.invalid_context("pipe-empty-service", "an empty service name",
                    pipe_context("/run/netdata", ""), K::kBadParameter)
      .req("WIN-PIPE-NAME-001")
      .flag("ZeroLength");
  f.invalid_context("pipe-service-with-backslash", "a service name with a backslash",
                    pipe_context("/run/netdata", R"(a\b)"), K::kBadParameter)
      .req("WIN-PIPE-NAME-001");
  f.invalid_context("pipe-service-dot-dot", "the service name ..",
                    pipe_context("/run/netdata", ".."), K::kBadParameter)
      .req("WIN-PIPE-NAME-001");
  f.invalid_context("shm-service-with-slash", "a service name with a slash",
                    shm_context("/run/netdata", "a/b", 1, 2, 1), K::kBadParameter)
      .req("WIN-SHM-NAME-001");
  f.invalid_context("shm-from-hash-service-with-space", "a service name with a space",
                    hash_context(1, "a b", 2, 1), K::kBadParameter)
      .req("WIN-SHM-NAME-001");
}

}  // namespace

Family windows_names_family() {
  Family f("windows_names",
           "Names of the Windows transport objects: the named pipe of an endpoint and the "
           "kernel objects of a session's shared region, derived from the context alone.");
  add_pipe_cases(f);
  add_shm_cases(f);
  add_error_cases(f);
  return f;
}

}  // namespace nipc::vectors
