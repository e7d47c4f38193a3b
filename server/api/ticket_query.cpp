#include "server/api/ticket_query.h"

#include <charconv>

#include "server/tickets/ticket_enums.h"

namespace helpline::relay::api {
namespace {

namespace t = tickets;

[[nodiscard]] Result<std::vector<t::Status>> statuses(const std::string& text) {
  if (text == "open" || text.empty()) return std::vector<t::Status>{};
  if (text == "all") return std::vector<t::Status>(t::kAllStatuses.begin(), t::kAllStatuses.end());
  std::vector<t::Status> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    auto status = t::parse_status(std::string_view(text).substr(start, comma - start));
    if (!status) return fail("bad_value", status.error().message + ", open or all");
    out.push_back(*status);
    start = comma + 1;
  }
  return out;
}

}  // namespace

Result<long long> parse_number(const std::string& name, const std::string& text, long long min,
                               long long max) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return fail("bad_value", name + ": expected a number from " + std::to_string(min) + " to " +
                                 std::to_string(max));
  }
  return value;
}

Result<TicketQuery> parse_ticket_query(const std::map<std::string, std::string>& query) {
  TicketQuery q;
  for (const auto& [name, value] : query) {
    if (name == "status") {
      auto list = statuses(value);
      if (!list) return fail(list.error());
      q.statuses = std::move(*list);
    } else if (name == "priority") {
      auto p = parse_number(name, value, 1, 6);
      if (!p) return fail(p.error());
      q.priority = static_cast<t::Priority>(*p);
    } else if (name == "assignee") {
      q.assignee = value;
    } else if (name == "device") {
      q.device_id = value;
    } else if (name == "breaching") {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        return fail("bad_value", "breaching: expected true or false");
      }
      q.breaching = value == "true" || value == "1";
    } else if (name == "limit") {
      auto limit = parse_number(name, value, 1, static_cast<long long>(TicketQuery::kMaxLimit));
      if (!limit) return fail(limit.error());
      q.limit = static_cast<std::size_t>(*limit);
    } else if (name == "cursor") {
      auto cursor = decode_cursor(value);
      if (!cursor) return fail(cursor.error());
      q.after = *cursor;
    } else {
      return fail("bad_value", name +
                                   ": unknown parameter; use status, priority, assignee, "
                                   "device, breaching, limit or cursor");
    }
  }
  return q;
}

}  // namespace helpline::relay::api
