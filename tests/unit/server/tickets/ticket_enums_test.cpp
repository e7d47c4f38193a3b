#include "server/tickets/ticket_enums.h"

#include <gtest/gtest.h>

#include "server/tickets/category.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::tickets {
namespace {

template <class E, std::size_t N, class Parse>
void expect_round_trip(const std::array<E, N>& all, Parse parse) {
  for (E value : all) {
    auto parsed = parse(to_string(value));
    ASSERT_TRUE(parsed.has_value()) << to_string(value);
    EXPECT_EQ(*parsed, value);
  }
}

TEST(TicketEnums, EveryValueRoundTrips) {
  expect_round_trip(kAllChannels, parse_channel);
  expect_round_trip(kAllTypes, parse_type);
  expect_round_trip(kAllStatuses, parse_status);
  expect_round_trip(kAllPendingReasons, parse_pending_reason);
  expect_round_trip(kAllLevels, parse_level);
  expect_round_trip(kAllPriorities, parse_priority);
}

TEST(TicketEnums, StableTokens) {
  EXPECT_STREQ(to_string(Status::kInProgress), "in_progress");
  EXPECT_STREQ(to_string(Channel::kEmail), "email");
  EXPECT_STREQ(to_string(PendingReason::kWaitingForUser), "waiting_for_user");
  EXPECT_STREQ(to_string(SupportLevel::kL2), "L2");
  EXPECT_STREQ(to_string(Priority::kMajor), "6");
  EXPECT_STREQ(to_string(Impact::kHigh), "4");
}

TEST(TicketEnums, ErrorsNameTheFieldAndTheValidValues) {
  auto channel = parse_channel("fax");
  ASSERT_FALSE(channel.has_value());
  EXPECT_EQ(channel.error().to_string(),
            "bad_value: channel: 'fax' is not valid; use one of agent, portal, api, email, phone, "
            "chat");
  auto status = parse_status("open");
  ASSERT_FALSE(status.has_value());
  EXPECT_NE(status.error().message.find("new, assigned, in_progress, pending, resolved, closed"),
            std::string::npos);
  auto impact = parse_impact("6");
  ASSERT_FALSE(impact.has_value());
  EXPECT_EQ(impact.error().message,
            "impact: '6' is not valid; use 1-5 or one of very_low, low, medium, high, very_high");
  EXPECT_FALSE(parse_urgency("major").has_value());
  EXPECT_TRUE(parse_level("L5").error().message.starts_with("level:"));
  EXPECT_EQ(priority_from_int(7).error().message,
            "priority: '7' is not valid; use 1-6 or one of very_low, low, medium, high, "
            "very_high, major");
  EXPECT_FALSE(impact_from_int(0).has_value());
  EXPECT_FALSE(level_from_int(5).has_value());
}

TEST(TicketEnums, ScalesAcceptNumbersAndNames) {
  EXPECT_EQ(parse_impact("4").value(), Impact::kHigh);
  EXPECT_EQ(parse_impact("very high").value(), Impact::kVeryHigh);
  EXPECT_EQ(parse_urgency("Very_Low").value(), Urgency::kVeryLow);
  EXPECT_EQ(parse_priority("major").value(), Priority::kMajor);
  EXPECT_EQ(parse_level("l3").value(), SupportLevel::kL3);
  EXPECT_EQ(parse_level("0").value(), SupportLevel::kL0);
  EXPECT_EQ(parse_status("IN_PROGRESS").value(), Status::kInProgress);
}

TEST(TicketEnums, PriorityLabels) {
  const char* expected[] = {"very low", "low", "medium", "high", "very high", "major"};
  for (Priority p : kAllPriorities) EXPECT_STREQ(label(p), expected[to_int(p) - 1]);
  EXPECT_STREQ(label(Urgency::kVeryHigh), "very high");
}

TEST(DisplayId, FormatsAndParses) {
  EXPECT_EQ(format_display_id(1042), "HL-1042");
  Ticket t;
  t.id = 5;
  EXPECT_EQ(t.display_id(), "HL-5");
  EXPECT_EQ(parse_display_id("HL-1042").value(), 1042);
  EXPECT_EQ(parse_display_id("hl-7").value(), 7);
  EXPECT_EQ(parse_display_id("42").value(), 42);
  for (const char* bad : {"HL-", "HL-0", "HL--1", "XX-5", "HL-12a", "", "9999999999999999999"}) {
    auto parsed = parse_display_id(bad);
    ASSERT_FALSE(parsed.has_value()) << bad;
    EXPECT_EQ(parsed.error().code, "bad_value");
  }
}

TEST(Category, BuiltinsByDefault) {
  const CategoryCatalog catalog;
  EXPECT_EQ(catalog.names(), (std::vector<std::string>{"hardware", "software", "network", "access",
                                                       "request", "other"}));
  EXPECT_EQ(catalog.parse("Network").value().name(), "network");
  EXPECT_EQ(Category().name(), "other");
  auto bad = catalog.parse("printing");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message,
            "category: 'printing' is not valid; use one of hardware, software, network, access, "
            "request, other");
}

TEST(Category, ExtrasAreValidated) {
  auto catalog = CategoryCatalog::with_extras({"printing", "telephony"});
  ASSERT_TRUE(catalog.has_value());
  EXPECT_EQ(catalog->parse("printing").value().name(), "printing");
  EXPECT_EQ(catalog->names().size(), 8u);
  EXPECT_EQ(CategoryCatalog::with_extras({"network"}).error().code, "bad_config");
  EXPECT_EQ(CategoryCatalog::with_extras({"a", "a"}).error().code, "bad_config");
  EXPECT_EQ(CategoryCatalog::with_extras({"Has Space"}).error().code, "bad_config");
  EXPECT_EQ(CategoryCatalog::with_extras({""}).error().code, "bad_config");
  EXPECT_EQ(CategoryCatalog::with_extras(std::vector<std::string>(65, "x")).error().code,
            "bad_config");
  EXPECT_EQ(Category::from_storage("retired").name(), "retired");
}

}  // namespace
}  // namespace helpline::relay::tickets
