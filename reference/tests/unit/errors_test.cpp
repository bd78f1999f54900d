// The error table: one row per error, each naming a requirement and a distinct rule.
#include "nipc/codec/errors.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "support/test_support.h"

namespace nipc {
namespace {

TEST(ErrorTable, HasOneRowPerEnumValueInOrder) {
  auto table = error_table();
  ASSERT_FALSE(table.empty());
  for (std::size_t i = 0; i < table.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(table[i].error), i);
    EXPECT_EQ(&error_info(table[i].error), &table[i]);
  }
}

TEST(ErrorTable, NamesAreUniqueAndRoundTrip) {
  std::set<std::string_view> names;
  for (const ErrorInfo& row : error_table()) {
    EXPECT_TRUE(names.insert(row.name).second) << row.name;
    auto back = error_from_name(row.name);
    ASSERT_TRUE(back.has_value()) << row.name;
    EXPECT_EQ(*back, row.error);
  }
  EXPECT_FALSE(error_from_name("NoSuchError").has_value());
}

TEST(ErrorTable, EachErrorNamesItsOwnRequirement) {
  // One enum value per spec rule: two errors never share a requirement ID.
  std::set<std::string_view> ids;
  for (const ErrorInfo& row : error_table()) {
    EXPECT_FALSE(row.requirement.empty()) << row.name;
    EXPECT_FALSE(row.description.empty()) << row.name;
    EXPECT_TRUE(ids.insert(row.requirement).second)
        << row.requirement << " is named by two errors";
  }
}

TEST(ErrorTable, MapsHandshakeLayoutErrorsToTheStatusTheServerSends) {
  REQUIREMENT("HS-HELLO-LAYOUT-001");
  EXPECT_EQ(error_info(Error::kHelloBadLayout).reply_status, TransportStatus::kIncompatible);
  EXPECT_EQ(error_info(Error::kHelloNonzeroFlags).reply_status, TransportStatus::kBadEnvelope);
  EXPECT_EQ(error_info(Error::kHelloNonzeroReserved).reply_status, TransportStatus::kBadEnvelope);
  EXPECT_FALSE(error_info(Error::kHelloTruncated).reply_status.has_value());
  EXPECT_EQ(error_info(Error::kPayloadOverLimit).reply_status, TransportStatus::kLimitExceeded);
  EXPECT_EQ(error_info(Error::kStringMissingNul).reply_status, TransportStatus::kBadEnvelope);
}

}  // namespace
}  // namespace nipc
