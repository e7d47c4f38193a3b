// The consent broker: who may answer, approve, deny, timeout and close,
// each answered to the executor exactly once. The timeouts are real libuv
// timers of 1 ms: the loop runs until the broker has answered, so the
// assertions do not depend on timing.
#include "agent/consent/consent_broker.h"

#include <gtest/gtest.h>

#include <list>
#include <optional>
#include <string>

namespace helpline::agent::consent {
namespace {

struct Answer {
  int calls = 0;
  bool approved = false;
  std::string reason;
};

class ConsentBrokerTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }
  void TearDown() override {
    if (broker_) {
      bool closed = false;
      broker_->close([&] { closed = true; });
      uv_run(&loop_, UV_RUN_DEFAULT);
      EXPECT_TRUE(closed);
      broker_.reset();
    }
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was left open";
  }

  void make(std::chrono::milliseconds timeout = kDefaultTimeout) {
    ConsentOptions options;
    options.timeout = timeout;
    options.logged_in_user = [this] { return seat_user_; };
    options.notify = [this](const actions::ConsentRequest&, bool) { ++notified_; };
    options.clock = [] { return UnixMillis{1000}; };
    broker_ = std::make_unique<ConsentBroker>(&loop_, std::move(options));
  }

  // The answer lives in the fixture: requests still pending at TearDown
  // are answered there.
  Answer& ask() {
    Answer& answer = answers_.emplace_back();
    actions::ConsentRequest request;
    request.action_id = "print.cancel_jobs";
    request.title = "Cancel stuck print jobs";
    request.requested_by = "tech1";
    request.ticket_id = 7;
    request.argv = {"/usr/bin/cancel", "-a"};
    broker_->ask(request, [&answer](bool approved, std::string reason) {
      ++answer.calls;
      answer.approved = approved;
      answer.reason = std::move(reason);
    });
    return answer;
  }

  uv_loop_t loop_{};
  std::optional<std::string> seat_user_ = "alice";
  int notified_ = 0;
  std::list<Answer> answers_;
  std::unique_ptr<ConsentBroker> broker_;
};

TEST(ConsentPolicy, RootAndTheSeatUserMayAnswerNobodyElse) {
  EXPECT_TRUE(may_answer(0, "root", std::nullopt));
  EXPECT_TRUE(may_answer(1000, "alice", std::string("alice")));
  EXPECT_FALSE(may_answer(1001, "bob", std::string("alice")));
  EXPECT_FALSE(may_answer(1000, "alice", std::nullopt)) << "nobody at the seat: root only";
  EXPECT_FALSE(may_answer(1000, "", std::string("")));
}

TEST_F(ConsentBrokerTest, PendingRequestShowsWhoWhatAndWhyUntilApproved) {
  make();
  Answer& answer = ask();
  EXPECT_EQ(notified_, 1);
  auto pending = broker_->pending();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].request.requested_by, "tech1");
  EXPECT_EQ(pending[0].request.ticket_id, 7);
  EXPECT_EQ(pending[0].id.size(), 16u);
  EXPECT_EQ(pending[0].expires_at, 1000 + kDefaultTimeout.count());
  EXPECT_EQ(answer.calls, 0);

  ASSERT_TRUE(broker_->answer(pending[0].id, true, 1000, "alice"));
  EXPECT_EQ(answer.calls, 1);
  EXPECT_TRUE(answer.approved);
  EXPECT_TRUE(broker_->pending().empty());
  auto again = broker_->answer(pending[0].id, false, 1000, "alice");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "not_found");
  EXPECT_EQ(answer.calls, 1) << "answered exactly once";
}

TEST_F(ConsentBrokerTest, DeniedRequestNamesWhoDeclined) {
  make();
  Answer& answer = ask();
  ASSERT_TRUE(broker_->answer(broker_->pending()[0].id, false, 0, "root"));
  EXPECT_EQ(answer.calls, 1);
  EXPECT_FALSE(answer.approved);
  EXPECT_EQ(answer.reason, "declined by root");
}

TEST_F(ConsentBrokerTest, AnotherLocalUserCannotAnswer) {
  make();
  Answer& answer = ask();
  auto refused = broker_->answer(broker_->pending()[0].id, true, 1001, "bob");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "forbidden");
  EXPECT_EQ(answer.calls, 0);
  EXPECT_EQ(broker_->pending().size(), 1u) << "still waiting for the seat user";
}

TEST_F(ConsentBrokerTest, NoAnswerWithinTheTimeoutIsARefusal) {
  make(std::chrono::milliseconds(1));
  Answer& answer = ask();
  uv_run(&loop_, UV_RUN_DEFAULT);  // ends once the timer fired and closed
  EXPECT_EQ(answer.calls, 1);
  EXPECT_FALSE(answer.approved);
  EXPECT_NE(answer.reason.find("timeout"), std::string::npos) << answer.reason;
  EXPECT_TRUE(broker_->pending().empty());
}

TEST_F(ConsentBrokerTest, CloseRefusesEverythingPending) {
  make();
  Answer& first = ask();
  Answer& second = ask();
  bool closed = false;
  broker_->close([&] { closed = true; });
  uv_run(&loop_, UV_RUN_DEFAULT);
  EXPECT_TRUE(closed);
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(second.calls, 1);
  EXPECT_FALSE(first.approved);
  Answer& late = ask();
  EXPECT_EQ(late.calls, 1) << "a request after close is refused at once";
  broker_.reset();
}

TEST_F(ConsentBrokerTest, TooManyPendingRequestsAreRefusedAtOnce) {
  make();
  for (std::size_t i = 0; i < kMaxPending; ++i) (void)ask();
  Answer& extra = ask();
  EXPECT_EQ(extra.calls, 1);
  EXPECT_FALSE(extra.approved);
  EXPECT_EQ(broker_->pending().size(), kMaxPending);
}

}  // namespace
}  // namespace helpline::agent::consent
