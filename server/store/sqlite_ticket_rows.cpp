#include "server/store/sqlite_ticket_rows.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "common/core/encoding.h"
#include "server/store/sqlite_rows.h"

namespace helpline::relay::sqlite {
namespace {

using tickets::Ticket;

// A value that does not parse was not written by Helpline: say which ticket
// and column rather than guessing.
template <class T>
[[nodiscard]] Result<T> column_value(Result<T> parsed, std::int64_t id, const char* column) {
  if (parsed) return parsed;
  return fail("store_error", "ticket " + std::to_string(id) + " has an invalid " + column +
                                 " in the database: " + parsed.error().message);
}

}  // namespace

const char* const kFullTicketColumns =
    "id, title, description, requester, device_id, channel, category, type, impact, urgency, "
    "priority, priority_overridden, level, assignee, group_name, status, pending_reason, "
    "started, started_at, frequency, affected, symptoms, business_impact, finding_ids, "
    "solution, created_at, updated_at, first_response_at, resolved_at, closed_at, sla_start, "
    "sla_first_response_target, sla_resolve_target, first_response_due, resolve_due, "
    "sla_paused_since, sla_paused_total, rating, rating_comment, rated_at, reopen_count";

// The same order as kFullTicketColumns without the id.
const char* const kWritableTicketColumns =
    "title, description, requester, device_id, channel, category, type, impact, urgency, "
    "priority, priority_overridden, level, assignee, group_name, status, pending_reason, "
    "started, started_at, frequency, affected, symptoms, business_impact, finding_ids, "
    "solution, created_at, updated_at, first_response_at, resolved_at, closed_at, sla_start, "
    "sla_first_response_target, sla_resolve_target, first_response_due, resolve_due, "
    "sla_paused_since, sla_paused_total, rating, rating_comment, rated_at, reopen_count";

Result<tickets::ActorKind> parse_actor_kind(std::string_view text) {
  for (auto kind : tickets::kAllActorKinds) {
    if (text == tickets::to_string(kind)) return kind;
  }
  return fail("bad_value", "actor kind '" + std::string(text) + "' is unknown");
}

Result<Ticket> read_full_ticket(const Statement& row) {
  Ticket t;
  int c = 0;
  t.id = row.column_int64(c++);
  t.title = row.column_text(c++);
  t.description = row.column_text(c++);
  t.requester.name = row.column_text(c++);
  t.requester.device_id = row.column_text(c++);
  auto channel = column_value(tickets::parse_channel(row.column_text(c++)), t.id, "channel");
  if (!channel) return fail(channel.error());
  t.channel = *channel;
  t.category = tickets::Category::from_storage(row.column_text(c++));
  auto type = column_value(tickets::parse_type(row.column_text(c++)), t.id, "type");
  if (!type) return fail(type.error());
  t.type = *type;
  auto impact = column_value(tickets::impact_from_int(row.column_int64(c++)), t.id, "impact");
  if (!impact) return fail(impact.error());
  t.impact = *impact;
  auto urgency = column_value(tickets::urgency_from_int(row.column_int64(c++)), t.id, "urgency");
  if (!urgency) return fail(urgency.error());
  t.urgency = *urgency;
  auto priority = column_value(tickets::priority_from_int(row.column_int64(c++)), t.id, "priority");
  if (!priority) return fail(priority.error());
  t.priority = *priority;
  t.priority_overridden = row.column_bool(c++);
  auto level = column_value(tickets::parse_level(row.column_text(c++)), t.id, "level");
  if (!level) return fail(level.error());
  t.level = *level;
  t.assignee = row.column_text(c++);
  t.group = row.column_text(c++);
  auto status = column_value(tickets::parse_status(row.column_text(c++)), t.id, "status");
  if (!status) return fail(status.error());
  t.status = *status;
  std::string pending = row.column_text(c++);
  if (!pending.empty()) {
    auto reason = column_value(tickets::parse_pending_reason(pending), t.id, "pending_reason");
    if (!reason) return fail(reason.error());
    t.pending_reason = *reason;
  }
  t.facts.started = row.column_text(c++);
  t.facts.started_at = row.column_int64(c++);
  t.facts.frequency = row.column_text(c++);
  t.facts.affected = row.column_text(c++);
  t.facts.symptoms = row.column_text(c++);
  t.facts.business_impact = row.column_text(c++);
  t.finding_ids = split_list(row.column_text(c++));
  t.solution = row.column_text(c++);
  t.created_at = row.column_int64(c++);
  t.updated_at = row.column_int64(c++);
  t.first_response_at = row.column_int64(c++);
  t.resolved_at = row.column_int64(c++);
  t.closed_at = row.column_int64(c++);
  t.sla.start = row.column_int64(c++);
  t.sla.targets.first_response = std::chrono::milliseconds(row.column_int64(c++));
  t.sla.targets.resolve = std::chrono::milliseconds(row.column_int64(c++));
  t.sla.first_response_due = row.column_int64(c++);
  t.sla.resolve_due = row.column_int64(c++);
  t.sla.paused_since = row.column_int64(c++);
  t.sla.paused_total = std::chrono::milliseconds(row.column_int64(c++));
  t.satisfaction.rating = static_cast<int>(std::clamp<std::int64_t>(row.column_int64(c++), 0, 5));
  t.satisfaction.comment = row.column_text(c++);
  t.satisfaction.rated_at = row.column_int64(c++);
  t.reopen_count = static_cast<int>(std::clamp<std::int64_t>(row.column_int64(c++), 0, 1'000'000));
  return t;
}

void bind_ticket(Statement& stmt, int first, const Ticket& t) {
  int i = first;
  stmt.bind(i++, std::string_view(t.title));
  stmt.bind(i++, std::string_view(t.description));
  stmt.bind(i++, std::string_view(t.requester.name));
  stmt.bind(i++, std::string_view(t.requester.device_id));
  stmt.bind(i++, std::string_view(tickets::to_string(t.channel)));
  stmt.bind(i++, std::string_view(t.category.name()));
  stmt.bind(i++, std::string_view(tickets::to_string(t.type)));
  stmt.bind(i++, std::int64_t{tickets::to_int(t.impact)});
  stmt.bind(i++, std::int64_t{tickets::to_int(t.urgency)});
  stmt.bind(i++, std::int64_t{tickets::to_int(t.priority)});
  stmt.bind(i++, t.priority_overridden);
  stmt.bind(i++, std::string_view(tickets::to_string(t.level)));
  stmt.bind(i++, std::string_view(t.assignee));
  stmt.bind(i++, std::string_view(t.group));
  stmt.bind(i++, std::string_view(tickets::to_string(t.status)));
  stmt.bind(i++, std::string_view(t.pending_reason ? tickets::to_string(*t.pending_reason) : ""));
  stmt.bind(i++, std::string_view(t.facts.started));
  stmt.bind(i++, t.facts.started_at);
  stmt.bind(i++, std::string_view(t.facts.frequency));
  stmt.bind(i++, std::string_view(t.facts.affected));
  stmt.bind(i++, std::string_view(t.facts.symptoms));
  stmt.bind(i++, std::string_view(t.facts.business_impact));
  stmt.bind(i++, std::string_view(join_list(t.finding_ids)));
  stmt.bind(i++, std::string_view(t.solution));
  stmt.bind(i++, t.created_at);
  stmt.bind(i++, t.updated_at);
  stmt.bind(i++, t.first_response_at);
  stmt.bind(i++, t.resolved_at);
  stmt.bind(i++, t.closed_at);
  stmt.bind(i++, t.sla.start);
  stmt.bind(i++, static_cast<std::int64_t>(t.sla.targets.first_response.count()));
  stmt.bind(i++, static_cast<std::int64_t>(t.sla.targets.resolve.count()));
  stmt.bind(i++, t.sla.first_response_due);
  stmt.bind(i++, t.sla.resolve_due);
  stmt.bind(i++, t.sla.paused_since);
  stmt.bind(i++, static_cast<std::int64_t>(t.sla.paused_total.count()));
  stmt.bind(i++, std::int64_t{t.satisfaction.rating});
  stmt.bind(i++, std::string_view(t.satisfaction.comment));
  stmt.bind(i++, t.satisfaction.rated_at);
  stmt.bind(i++, std::int64_t{t.reopen_count});
}

std::int64_t queue_due(const Ticket& ticket) {
  if (tickets::is_finished(ticket.status)) return kNoDue;
  std::int64_t due = kNoDue;
  if (ticket.first_response_at == 0 && ticket.sla.first_response_due != 0) {
    due = ticket.sla.first_response_due;
  }
  if (ticket.sla.resolve_due != 0 && !ticket.sla.paused()) {
    due = std::min(due, ticket.sla.resolve_due);
  }
  return due;
}

}  // namespace helpline::relay::sqlite

namespace helpline::relay {

// The cursor is "c1" and the hex of "<priority>.<queue_due>.<id>": opaque
// to clients, so the order can change without breaking their code.
std::string encode_cursor(const TicketCursor& cursor) {
  std::string plain = std::to_string(cursor.priority) + "." + std::to_string(cursor.queue_due) +
                      "." + std::to_string(cursor.id);
  return "c1" + to_hex(plain);
}

Result<TicketCursor> decode_cursor(std::string_view text) {
  auto bad = [] {
    return fail("bad_value",
                "cursor: not a cursor this relay handed out; use the next_cursor of a previous "
                "page, or leave it out for the first page");
  };
  if (text.size() < 4 || text.size() > 140 || text.substr(0, 2) != "c1" || text.size() % 2 != 0) {
    return bad();
  }
  auto decoded = from_hex(text.substr(2));
  if (!decoded) return bad();
  const std::string& plain = *decoded;
  std::int64_t parts[3] = {0, 0, 0};
  const char* at = plain.data();
  const char* const stop = plain.data() + plain.size();
  for (int part = 0; part < 3; ++part) {
    auto [end, ec] = std::from_chars(at, stop, parts[part]);
    if (ec != std::errc()) return bad();
    if (part < 2) {
      if (end == stop || *end != '.') return bad();
      at = end + 1;
    } else if (end != stop) {
      return bad();
    }
  }
  if (parts[0] < 1 || parts[0] > 6 || parts[2] < 1) return bad();
  return TicketCursor{static_cast<int>(parts[0]), parts[1], parts[2]};
}

bool is_attachment_kind(std::string_view kind) {
  return kind == "bundle" || kind == "action_result" || kind == "recording" || kind == "file";
}

}  // namespace helpline::relay
