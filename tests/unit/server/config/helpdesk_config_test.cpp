// The [helpdesk] part of relay.toml: defaults, every part read, and errors
// that name the file and the key.
#include "server/config/helpdesk_config.h"

#include <gmock/gmock.h>

#include "server/config/relay_config.h"

namespace helpline::relay {
namespace {

namespace t = tickets;
using ::testing::HasSubstr;

TEST(HelpdeskConfig, DefaultsWithoutATable) {
  auto config = parse_relay_config("[api]\nmax_body = 2048\n", "relay.toml").value();
  EXPECT_EQ(config.helpdesk.rules.matrix, t::PriorityMatrix::glpi_default());
  EXPECT_TRUE(config.helpdesk.rules.sla.calendar().is_always_open());
  EXPECT_EQ(config.helpdesk.rules.reopen_window, t::HelpdeskRules::kDefaultReopenWindow);
  EXPECT_TRUE(config.helpdesk.rules.escalations.empty());
  EXPECT_EQ(config.helpdesk.sweep_interval, std::chrono::seconds(30));
}

TEST(HelpdeskConfig, ReadsEveryPart) {
  constexpr const char* kText = R"toml(
[helpdesk]
reopen_window = "0"
sweep_interval = "5s"
categories = ["printing"]
matrix = [1,1,1,1,1, 1,1,1,1,1, 1,1,1,1,1, 1,1,1,1,1, 1,1,1,1,5]

[helpdesk.sla]
name = "office"
p3 = ["2h", "20h"]
p1 = ["0", "0"]

[helpdesk.sla.calendar]
hours = "08:00-18:00"
sat = "09:00-12:00"
utc_offset_minutes = 60
holidays = ["2026-12-25"]

[[helpdesk.escalation]]
id = "warn"
deadline = "first_response"
offset = "-30m"
action = "notify duty-manager"
priorities = [4, 5]

[[helpdesk.escalation]]
id = "raise"
offset = "1h"
action = "raise_level +1"
)toml";
  auto config = parse_helpdesk_config(kText, "relay.toml");
  ASSERT_TRUE(config) << config.error().to_string();
  const t::HelpdeskRules& rules = config->rules;
  EXPECT_EQ(rules.reopen_window.count(), 0);
  EXPECT_EQ(config->sweep_interval, std::chrono::seconds(5));
  EXPECT_TRUE(rules.categories.contains("printing"));
  EXPECT_EQ(rules.matrix.compute(t::Impact::kVeryHigh, t::Urgency::kVeryHigh),
            t::Priority::kVeryHigh);
  EXPECT_EQ(rules.matrix.compute(t::Impact::kHigh, t::Urgency::kVeryHigh), t::Priority::kVeryLow);
  EXPECT_EQ(rules.sla.name(), "office");
  EXPECT_EQ(rules.sla.targets(t::Priority::kMedium).first_response, std::chrono::hours(2));
  EXPECT_EQ(rules.sla.targets(t::Priority::kVeryLow).resolve.count(), 0);
  EXPECT_EQ(rules.sla.targets(t::Priority::kHigh), t::SlaPolicy::default_targets()[3]);
  EXPECT_FALSE(rules.sla.calendar().is_always_open());
  EXPECT_EQ(rules.sla.calendar().utc_offset_minutes(), 60);
  EXPECT_TRUE(rules.sla.calendar().week()[5].has_value());
  EXPECT_FALSE(rules.sla.calendar().week()[6].has_value());
  ASSERT_EQ(rules.escalations.size(), 2u);
  EXPECT_EQ(rules.escalations[0].offset, -std::chrono::minutes(30));
  EXPECT_EQ(rules.escalations[0].deadline, t::SlaDeadline::kFirstResponse);
  EXPECT_EQ(rules.escalations[0].action, t::EscalationAction{t::NotifyAction{"duty-manager"}});
  EXPECT_EQ(rules.escalations[0].priorities.size(), 2u);
  EXPECT_EQ(rules.escalations[1].deadline, t::SlaDeadline::kResolve);
  EXPECT_EQ(rules.escalations[1].action, t::EscalationAction{t::RaiseLevelAction{}});
}

TEST(HelpdeskConfig, ErrorsNameTheFileAndKey) {
  struct Case {
    const char* text;
    const char* key;
  };
  for (auto c :
       {Case{"[helpdesk]\nmatrix = [1, 2]", "helpdesk.matrix"},
        Case{"[helpdesk]\nmatrix = [1,1,1,1,1, 1,1,1,1,1, 1,1,1,9,1, 1,1,1,1,1, 1,1,1,1,1]",
             "urgency 3, impact 4"},
        Case{"[helpdesk]\ncolour = 'blue'", "helpdesk.colour"},
        Case{"[helpdesk]\ncategories = ['Bad Name']", "helpdesk.categories"},
        Case{"[helpdesk]\nsweep_interval = '2h'", "helpdesk.sweep_interval"},
        Case{"[helpdesk.sla]\np3 = ['50h', '40h']", "helpdesk.sla"},
        Case{"[helpdesk.sla]\np9 = ['1h', '4h']", "helpdesk.sla.p9"},
        Case{"[helpdesk.sla]\np3 = '4h'", "helpdesk.sla.p3"},
        Case{"[helpdesk.sla.calendar]\nhours = '18:00-08:00'", "helpdesk.sla.calendar.hours"},
        Case{"[helpdesk.sla.calendar]\nhours = '08:00-18:00'\nholidays = ['2026-13-01']",
             "helpdesk.sla.calendar.holidays"},
        Case{"[[helpdesk.escalation]]\nid = 'x'\naction = 'explode'",
             "helpdesk.escalation[0].action"},
        Case{"[[helpdesk.escalation]]\naction = 'notify a'", "helpdesk.escalation[0].id"},
        Case{"[[helpdesk.escalation]]\nid = 'x'\naction = 'notify a'\noffset = '-40d'", "helpdesk"},
        Case{"[[helpdesk.escalation]]\nid = 'x'\naction = 'notify a'\npriorities = [7]",
             "helpdesk.escalation[0].priorities"}}) {
    auto parsed = parse_relay_config(c.text, "relay.toml");
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().code, "bad_config");
    EXPECT_THAT(parsed.error().message, HasSubstr("relay.toml: "));
    EXPECT_THAT(parsed.error().message, HasSubstr(c.key)) << c.text;
  }
}

}  // namespace
}  // namespace helpline::relay
