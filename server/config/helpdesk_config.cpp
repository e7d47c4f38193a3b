#include "server/config/helpdesk_config.h"

#include <toml++/toml.h>

#include <array>
#include <string>
#include <vector>

#include "common/core/duration.h"
#include "server/config/toml_text.h"

namespace helpline::relay {
namespace {

namespace t = tickets;
using std::chrono::milliseconds;

constexpr std::array<const char*, 7> kDayKeys{"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

class HelpdeskReader {
 public:
  explicit HelpdeskReader(std::string_view origin) : origin_(origin) {}

  [[nodiscard]] tl::unexpected<Error> bad(std::string_view path, std::string_view why) const {
    return fail("bad_config",
                std::string(origin_) + ": " + std::string(path) + ": " + std::string(why));
  }

  // "0" is zero; a leading '-' makes it negative; otherwise parse_duration.
  [[nodiscard]] Result<milliseconds> duration(std::string_view path, const toml::node& node,
                                              bool allow_negative) const {
    auto text = node.value<std::string>();
    if (!text) return bad(path, "expected a duration string such as \"4h\"");
    std::string_view body = *text;
    bool negative = false;
    if (allow_negative && !body.empty() && (body.front() == '-' || body.front() == '+')) {
      negative = body.front() == '-';
      body.remove_prefix(1);
    }
    if (body == "0") return milliseconds(0);
    auto parsed = parse_duration(body);
    if (!parsed) return bad(path, parsed.error().message);
    milliseconds value = std::chrono::duration_cast<milliseconds>(*parsed);
    return negative ? -value : value;
  }

  [[nodiscard]] Result<std::vector<std::string>> strings(std::string_view path,
                                                         const toml::node& node) const {
    const auto* array = node.as_array();
    if (array == nullptr) return bad(path, "expected an array of strings");
    std::vector<std::string> out;
    for (const auto& item : *array) {
      auto value = item.value<std::string>();
      if (!value) return bad(path, "expected an array of strings");
      out.push_back(*value);
    }
    return out;
  }

  [[nodiscard]] Result<t::PriorityMatrix> matrix(const toml::node& node) const {
    const auto* array = node.as_array();
    if (array == nullptr) return bad("helpdesk.matrix", "expected an array of 25 integers");
    std::vector<int> values;
    for (const auto& item : *array) {
      auto value = item.value<std::int64_t>();
      if (!value || *value < -1000 || *value > 1000) {
        return bad("helpdesk.matrix", "expected an array of 25 integers");
      }
      values.push_back(static_cast<int>(*value));
    }
    auto made = t::PriorityMatrix::from_values(values);
    if (!made) return bad("helpdesk.matrix", made.error().message);
    return *made;
  }

  [[nodiscard]] Result<t::BusinessCalendar> calendar(const toml::table& table) const {
    int offset = 0;
    if (const auto* node = table.get("utc_offset_minutes")) {
      auto value = node->value<std::int64_t>();
      if (!value || *value < -t::BusinessCalendar::kMaxOffsetMinutes ||
          *value > t::BusinessCalendar::kMaxOffsetMinutes) {
        return bad("helpdesk.sla.calendar.utc_offset_minutes", "expected minutes from -840 to 840");
      }
      offset = static_cast<int>(*value);
    }
    std::vector<std::chrono::year_month_day> holidays;
    if (const auto* node = table.get("holidays")) {
      auto texts = strings("helpdesk.sla.calendar.holidays", *node);
      if (!texts) return fail(texts.error());
      for (const auto& text : *texts) {
        auto date = t::parse_local_date(text);
        if (!date) return bad("helpdesk.sla.calendar.holidays", date.error().message);
        holidays.push_back(*date);
      }
    }
    t::BusinessCalendar::Week week{};
    bool any = false;
    if (const auto* node = table.get("hours")) {
      auto text = node->value<std::string>();
      if (!text) return bad("helpdesk.sla.calendar.hours", "expected \"08:00-18:00\"");
      auto hours = t::parse_day_hours(*text);
      if (!hours) return bad("helpdesk.sla.calendar.hours", hours.error().message);
      for (std::size_t day = 0; day < 5; ++day) week[day] = *hours;
      any = true;
    }
    for (std::size_t day = 0; day < kDayKeys.size(); ++day) {
      const auto* node = table.get(kDayKeys[day]);
      if (node == nullptr) continue;
      std::string path = std::string("helpdesk.sla.calendar.") + kDayKeys[day];
      auto text = node->value<std::string>();
      if (!text) return bad(path, "expected \"08:00-18:00\" or \"closed\"");
      any = true;
      if (*text == "closed") {
        week[day].reset();
        continue;
      }
      auto hours = t::parse_day_hours(*text);
      if (!hours) return bad(path, hours.error().message);
      week[day] = *hours;
    }
    if (!any) {
      if (!holidays.empty() || offset != 0) {
        return bad("helpdesk.sla.calendar",
                   "holidays and an offset need opening hours (hours = "
                   "\"08:00-18:00\")");
      }
      return t::BusinessCalendar::always_open();
    }
    auto made = t::BusinessCalendar::weekly(week, offset, std::move(holidays));
    if (!made) return bad("helpdesk.sla.calendar", made.error().message);
    return *made;
  }

  [[nodiscard]] Result<t::SlaPolicy> sla(const toml::table& table) const {
    t::SlaPolicy::Table targets = t::SlaPolicy::default_targets();
    std::string name = "default";
    t::BusinessCalendar cal;
    for (const auto& [key, node] : table) {
      std::string k(key.str());
      std::string path = "helpdesk.sla." + k;
      if (k == "name") {
        auto value = node.value<std::string>();
        if (!value || value->empty()) return bad(path, "expected a name");
        name = *value;
      } else if (k == "calendar") {
        if (!node.is_table()) return bad(path, "expected a table");
        auto made = calendar(*node.as_table());
        if (!made) return fail(made.error());
        cal = *made;
      } else if (k.size() == 2 && k[0] == 'p' && k[1] >= '1' && k[1] <= '6') {
        const auto* pair = node.as_array();
        if (pair == nullptr || pair->size() != 2) {
          return bad(path, "expected [first response, resolve], e.g. [\"4h\", \"40h\"]");
        }
        auto first = duration(path, *pair->get(0), false);
        if (!first) return fail(first.error());
        auto resolve = duration(path, *pair->get(1), false);
        if (!resolve) return fail(resolve.error());
        targets[static_cast<std::size_t>(k[1] - '1')] = t::SlaTargets{*first, *resolve};
      } else {
        return bad(path, "unknown key; use name, calendar or p1..p6");
      }
    }
    auto made = t::SlaPolicy::create(name, targets, cal);
    if (!made) return bad("helpdesk.sla", made.error().message);
    return *made;
  }

  [[nodiscard]] Result<t::EscalationAction> action(std::string_view path,
                                                   const std::string& text) const {
    auto space = text.find(' ');
    std::string verb = text.substr(0, space);
    std::string arg = space == std::string::npos ? "" : text.substr(space + 1);
    if (verb == "notify" && !arg.empty()) return t::NotifyAction{arg};
    if (verb == "reassign_group" && !arg.empty()) return t::ReassignGroupAction{arg};
    if (verb == "raise_level") {
      if (arg.empty() || arg == "+1") return t::RaiseLevelAction{};
      auto level = t::parse_level(arg);
      if (!level) return bad(path, level.error().message);
      return t::RaiseLevelAction{*level};
    }
    return bad(path,
               "expected \"notify TARGET\", \"raise_level Lx\", \"raise_level +1\" or "
               "\"reassign_group GROUP\"");
  }

  [[nodiscard]] Result<t::EscalationRule> rule(std::size_t index, const toml::node& node) const {
    std::string base = "helpdesk.escalation[" + std::to_string(index) + "]";
    const auto* table = node.as_table();
    if (table == nullptr) return bad(base, "expected a table");
    t::EscalationRule rule;
    for (const auto& [key, value] : *table) {
      std::string k(key.str());
      std::string path = base + "." + k;
      if (k == "id") {
        auto text = value.value<std::string>();
        if (!text) return bad(path, "expected a string");
        rule.id = *text;
      } else if (k == "deadline") {
        auto text = value.value<std::string>();
        auto deadline = t::parse_sla_deadline(text.value_or(""));
        if (!deadline) return bad(path, deadline.error().message);
        rule.deadline = *deadline;
      } else if (k == "offset") {
        auto offset = duration(path, value, true);
        if (!offset) return fail(offset.error());
        rule.offset = *offset;
      } else if (k == "action") {
        auto text = value.value<std::string>();
        if (!text) return bad(path, "expected a string");
        auto made = action(path, *text);
        if (!made) return fail(made.error());
        rule.action = *made;
      } else if (k == "priorities") {
        const auto* array = value.as_array();
        if (array == nullptr) return bad(path, "expected an array of priorities 1..6");
        for (const auto& item : *array) {
          auto number = item.value<std::int64_t>();
          auto priority = t::priority_from_int(number.value_or(0));
          if (!priority) return bad(path, priority.error().message);
          rule.priorities.push_back(*priority);
        }
      } else {
        return bad(path, "unknown key; use id, deadline, offset, action, priorities");
      }
    }
    if (rule.id.empty()) return bad(base + ".id", "required");
    if (!table->contains("action")) return bad(base + ".action", "required");
    return rule;
  }

 private:
  std::string_view origin_;
};

}  // namespace

Result<HelpdeskConfig> parse_helpdesk_config(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml_text(toml_text, origin);
  if (!parsed) return fail(parsed.error());
  const toml::table& root = *parsed;
  HelpdeskConfig config;
  const auto* helpdesk = root.get_as<toml::table>("helpdesk");
  if (helpdesk == nullptr) {
    if (root.contains("helpdesk"))
      return HelpdeskReader(origin).bad("helpdesk", "expected a table");
    return config;
  }
  HelpdeskReader r(origin);
  for (const auto& [key, node] : *helpdesk) {
    std::string k(key.str());
    std::string path = "helpdesk." + k;
    if (k == "reopen_window") {
      auto window = r.duration(path, node, false);
      if (!window) return fail(window.error());
      config.rules.reopen_window = *window;
    } else if (k == "sweep_interval") {
      auto interval = r.duration(path, node, false);
      if (!interval) return fail(interval.error());
      if (*interval < std::chrono::seconds(1) || *interval > std::chrono::hours(1)) {
        return r.bad(path, "expected 1s to 1h");
      }
      config.sweep_interval = std::chrono::duration_cast<std::chrono::seconds>(*interval);
    } else if (k == "max_attachment") {
      auto bytes = node.value<std::int64_t>();
      if (!bytes || *bytes < 1024 ||
          *bytes > static_cast<std::int64_t>(HelpdeskConfig::kMaxAttachmentCap)) {
        return r.bad(path, "expected a number of bytes from 1024 to 268435456");
      }
      config.max_attachment = static_cast<std::uint64_t>(*bytes);
    } else if (k == "categories") {
      auto names = r.strings(path, node);
      if (!names) return fail(names.error());
      auto catalog = t::CategoryCatalog::with_extras(*names);
      if (!catalog) return r.bad(path, catalog.error().message);
      config.rules.categories = *catalog;
    } else if (k == "matrix") {
      auto matrix = r.matrix(node);
      if (!matrix) return fail(matrix.error());
      config.rules.matrix = *matrix;
    } else if (k == "sla") {
      if (!node.is_table()) return r.bad(path, "expected a table");
      auto policy = r.sla(*node.as_table());
      if (!policy) return fail(policy.error());
      config.rules.sla = *policy;
    } else if (k == "escalation") {
      const auto* array = node.as_array();
      if (array == nullptr) return r.bad(path, "expected [[helpdesk.escalation]] tables");
      for (std::size_t i = 0; i < array->size(); ++i) {
        auto rule = r.rule(i, *array->get(i));
        if (!rule) return fail(rule.error());
        config.rules.escalations.push_back(std::move(*rule));
      }
    } else {
      return r.bad(path,
                   "unknown key; use reopen_window, sweep_interval, max_attachment, "
                   "categories, matrix, sla, escalation");
    }
  }
  if (auto valid = t::validate_rules(config.rules); !valid) {
    return r.bad("helpdesk", valid.error().message);
  }
  return config;
}

}  // namespace helpline::relay
