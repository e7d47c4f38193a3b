// The HelpdeskService fixture: a real SQLite store in a temporary
// directory, two devices, a fake clock and the events the service emitted.
#pragma once

#include <gmock/gmock.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "server/helpdesk/helpdesk_service.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay::helpdesk::testing {

namespace t = tickets;

constexpr UnixMillis kStart = 1'800'000'000'000;
constexpr UnixMillis kMinute = 60'000;
constexpr UnixMillis kHour = 60 * kMinute;

class HelpdeskServiceTest : public relay::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    raw_exec("INSERT INTO devices (id, hostname) VALUES ('dev_a', 'pc-a'), ('dev_b', 'pc-b')");
    make_service({});
  }

  void make_service(std::vector<t::EscalationRule> escalations) {
    t::HelpdeskRules rules;
    rules.escalations = std::move(escalations);
    use_rules(std::move(rules));
  }

  void use_rules(t::HelpdeskRules rules) {
    service_ =
        std::make_unique<HelpdeskService>(*store_, std::move(rules), [this] { return now_; });
    service_->set_event_sink([this](const TicketEvent& e) { events_.push_back(e.kind); });
  }

  [[nodiscard]] t::Ticket create(int impact = 3, int urgency = 3, const std::string& device = "") {
    t::NewTicket n;
    n.title = "VPN drops every hour";
    n.requester = {"alice", device};
    n.impact = t::impact_from_int(impact).value();
    n.urgency = t::urgency_from_int(urgency).value();
    auto created = service_->create(n, tech_);
    EXPECT_TRUE(created) << created.error().to_string();
    return created.value_or(t::Ticket{});
  }

  [[nodiscard]] static Device device(const std::string& id) {
    Device d;
    d.id = id;
    d.hostname = "pc";
    return d;
  }

  [[nodiscard]] static v1::TicketReport report() {
    v1::TicketReport r;
    r.set_title("Outlook crashes");
    r.set_since("this morning");
    r.set_impact(4);
    r.set_urgency(4);
    r.set_requester("carol");
    return r;
  }

  [[nodiscard]] static long count_history(const TicketView& view, const std::string& field) {
    return std::count_if(view.history.begin(), view.history.end(),
                         [&](const t::HistoryEntry& h) { return h.field == field; });
  }

  UnixMillis now_ = kStart;
  t::Actor tech_ = t::Actor::technician("bob", t::SupportLevel::kL1);
  std::unique_ptr<HelpdeskService> service_;
  std::vector<std::string> events_;
};

}  // namespace helpline::relay::helpdesk::testing
