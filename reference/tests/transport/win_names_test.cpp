// Windows pipe and kernel object names (spec/transport-windows.md). Pure functions, so they
// are tested on every host; check values come from the spec and the protocol facts.
#include "nipc/transport/win_names.h"

#include <gtest/gtest.h>

#include <string>

#include "support/test_support.h"

namespace nipc::win {
namespace {

TEST(Fnv1a64, MatchesTheSpecCheckValues) {
  REQUIREMENT("WIN-PIPE-NAME-001");
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
  EXPECT_EQ(fnv1a64("/run/netdata"), 0xefc07ed598ac339bULL);
  EXPECT_EQ(fnv1a64("/run/netdata\ncgroups-snapshot\n0"), 0x90a72e535d3026edULL);
  EXPECT_EQ(fnv1a64("/run/netdata\ncgroups-snapshot\n12345"), 0x2095084fdb90921eULL);
}

TEST(Fnv1a64, HashesHighBytesAsUnsigned) {
  REQUIREMENT("WIN-PIPE-NAME-001");
  // One step by hand: (basis XOR 0xff) * prime mod 2^64.
  EXPECT_EQ(fnv1a64("\xff"), (kFnvOffsetBasis ^ 0xffULL) * kFnvPrime);
}

TEST(Hex16, IsLowerCaseAndZeroPadded) {
  EXPECT_EQ(hex16(0x1a), "000000000000001a");
  EXPECT_EQ(hex16(0xABCDEF0123456789ULL), "abcdef0123456789");
}

TEST(PipeName, MatchesTheSpecExample) {
  REQUIREMENT("WIN-PIPE-NAME-001");
  auto name = pipe_name("/run/netdata", "cgroups-snapshot");
  ASSERT_TRUE(name.ok());
  EXPECT_EQ(*name, R"(\\.\pipe\netipc-efc07ed598ac339b-cgroups-snapshot)");
}

TEST(PipeName, HashesTheRunDirVerbatim) {
  REQUIREMENT("WIN-PIPE-NAME-001");
  // No normalisation: a trailing slash is a different run_dir.
  EXPECT_NE(*pipe_name("/run/netdata/", "s"), *pipe_name("/run/netdata", "s"));
  // The service name is not part of the hash.
  EXPECT_EQ(pipe_name("/r", "a")->substr(0, 32), pipe_name("/r", "b")->substr(0, 32));
}

TEST(PipeName, RejectsAnInvalidServiceName) {
  REQUIREMENT("UDS-NAME-001");
  EXPECT_EQ(pipe_name("/r", "a/b").error().kind, TransportErrorKind::kBadParameter);
  EXPECT_EQ(pipe_name("/r", "").error().kind, TransportErrorKind::kBadParameter);
}

TEST(PipeName, RejectsANameLongerThan255Bytes) {
  REQUIREMENT("WIN-NAME-LEN-001");
  // 9 + 7 + 16 + 1 = 33 bytes before the service name.
  EXPECT_TRUE(pipe_name("/r", std::string(255 - 33, 's')).ok());
  EXPECT_EQ(pipe_name("/r", std::string(256 - 33, 's')).error().kind,
            TransportErrorKind::kNameTooLong);
}

TEST(PipeName, DoesNotDependOnRunDirLength) {
  REQUIREMENT("WIN-NAME-LEN-001");
  EXPECT_TRUE(pipe_name(std::string(10000, 'r'), "s").ok());
}

TEST(ShmObjectNames, MatchTheSpecExample) {
  REQUIREMENT("WIN-SHM-NAME-001");
  auto names = shm_object_names("/run/netdata", "cgroups-snapshot", 0, 2, 0x1f);
  ASSERT_TRUE(names.ok());
  const std::string prefix = R"(Local\netipc-90a72e535d3026ed-cgroups-snapshot-p2-s000000000000001f)";
  EXPECT_EQ(names->mapping, prefix + "-mapping");
  EXPECT_EQ(names->request_event, prefix + "-req_event");
  EXPECT_EQ(names->response_event, prefix + "-resp_event");
}

TEST(ShmObjectNames, CarryTheTokenProfileAndSession) {
  REQUIREMENT("WIN-SHM-NAME-001");
  auto base = *shm_object_prefix("/r", "s", 1, 2, 1);
  EXPECT_NE(base, *shm_object_prefix("/r", "s", 2, 2, 1));
  EXPECT_NE(base, *shm_object_prefix("/r", "s", 1, 4, 1));
  EXPECT_NE(base, *shm_object_prefix("/r", "s", 1, 2, 2));
  EXPECT_EQ(*shm_object_prefix("/r", "s", 18446744073709551615ULL, 4, 1),
            "Local\\netipc-" + hex16(fnv1a64("/r\ns\n18446744073709551615")) + "-s-p4-s0000000000000001");
}

TEST(ShmObjectNames, AcceptAHashInputOf511Bytes) {
  REQUIREMENT("WIN-SHM-NAME-002");
  // "\n" + "s" + "\n" + "0" = 4 bytes after the run dir.
  EXPECT_TRUE(shm_object_prefix(std::string(507, 'r'), "s", 0, 2, 1).ok());
}

TEST(ShmObjectNames, RejectAHashInputOf512Bytes) {
  REQUIREMENT("WIN-SHM-NAME-002");
  EXPECT_EQ(shm_object_prefix(std::string(508, 'r'), "s", 0, 2, 1).error().kind,
            TransportErrorKind::kNameInputTooLong);
}

TEST(ShmObjectNames, RejectAZeroHash) {
  REQUIREMENT("WIN-SHM-NAME-003");
  EXPECT_EQ(shm_prefix_from_hash(0, "s", 2, 1).error().kind, TransportErrorKind::kNameHashZero);
  EXPECT_TRUE(shm_prefix_from_hash(1, "s", 2, 1).ok());
}

TEST(ShmObjectNames, RejectANameLongerThan255Bytes) {
  REQUIREMENT("WIN-NAME-LEN-001");
  // "Local\netipc-" (13) + 16 + "-" + service + "-p2" + "-s" + 16 + "-resp_event" (11) = 62 + service.
  EXPECT_TRUE(shm_prefix_from_hash(1, std::string(255 - 62, 's'), 2, 1).ok());
  EXPECT_EQ(shm_prefix_from_hash(1, std::string(256 - 62, 's'), 2, 1).error().kind,
            TransportErrorKind::kNameTooLong);
}

TEST(Widen, MapsEachByteToOneCodeUnit) {
  REQUIREMENT("WIN-NAME-WIDEN-001");
  EXPECT_EQ(widen("a\\b"), u"a\\b");
  const std::u16string high = widen("\xe9\xff");
  ASSERT_EQ(high.size(), 2u);
  EXPECT_EQ(high[0], 0xe9);
  EXPECT_EQ(high[1], 0xff);
}

}  // namespace
}  // namespace nipc::win
