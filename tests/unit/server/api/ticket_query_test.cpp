// The ticket list's query string and the HTTP answers of helpdesk errors.
#include "server/api/ticket_query.h"

#include <gtest/gtest.h>

#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"

namespace helpline::relay::api {
namespace {

namespace t = tickets;

[[nodiscard]] v1::api::ErrorBody body_of(const ApiResponse& response) {
  v1::api::ErrorBody body;
  EXPECT_TRUE(parse_json(response.body, body)) << response.body;
  return body;
}

TEST(TicketQuery, ReadsEveryParameter) {
  auto q = parse_ticket_query({{"status", "new,pending"},
                               {"priority", "5"},
                               {"assignee", "bob"},
                               {"device", "dev_a"},
                               {"breaching", "true"},
                               {"limit", "20"},
                               {"cursor", encode_cursor({3, 99, 7})}})
               .value();
  EXPECT_EQ(q.statuses, (std::vector<t::Status>{t::Status::kNew, t::Status::kPending}));
  EXPECT_EQ(q.priority, t::Priority::kVeryHigh);
  EXPECT_EQ(q.assignee, "bob");
  EXPECT_EQ(q.device_id, "dev_a");
  EXPECT_TRUE(q.breaching);
  EXPECT_EQ(q.limit, 20u);
  EXPECT_EQ(q.after, (TicketCursor{3, 99, 7}));
  EXPECT_TRUE(parse_ticket_query({}).value().statuses.empty()) << "open tickets by default";
  EXPECT_EQ(parse_ticket_query({{"status", "all"}}).value().statuses.size(), 6u);
}

TEST(TicketQuery, BadParametersNameTheirField) {
  for (auto [name, value] :
       {std::pair{"status", "sleeping"}, std::pair{"priority", "7"},
        std::pair{"breaching", "maybe"}, std::pair{"limit", "0"}, std::pair{"limit", "501"},
        std::pair{"cursor", "abc"}, std::pair{"colour", "red"}}) {
    auto q = parse_ticket_query({{name, value}});
    ASSERT_FALSE(q) << name << "=" << value;
    EXPECT_EQ(q.error().code, "bad_value");
    v1::api::ErrorBody body = body_of(ticket_error(q.error()));
    EXPECT_EQ(body.field(), name) << q.error().message;
  }
}

TEST(TicketErrors, MapToHttpStatuses) {
  EXPECT_EQ(ticket_error(Error{"bad_value", "impact: must be 1..5"}).status, 400u);
  EXPECT_EQ(body_of(ticket_error(Error{"bad_value", "impact: must be 1..5"})).field(), "impact");
  EXPECT_EQ(body_of(ticket_error(Error{"reason_required", "x"})).field(), "reason");
  EXPECT_EQ(ticket_error(Error{"insufficient_level", "x"}).status, 403u);
  EXPECT_EQ(ticket_error(Error{"forbidden", "x"}).status, 403u);
  EXPECT_EQ(ticket_error(Error{"not_found", "no ticket 9"}).status, 404u);
  EXPECT_EQ(body_of(ticket_error(Error{"not_found", "requester.device_id: no device"})).field(),
            "device_id");
  for (const char* code : {"illegal_transition", "not_allowed", "ticket_finished", "no_change",
                           "reopen_window_passed", "conflict"}) {
    EXPECT_EQ(ticket_error(Error{code, "x"}).status, 409u) << code;
  }
  EXPECT_EQ(ticket_error(Error{"store_error", "disk"}).status, 500u);
}

}  // namespace
}  // namespace helpline::relay::api
