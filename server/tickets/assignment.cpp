#include "server/tickets/assignment.h"

#include "server/tickets/checks.h"
#include "server/tickets/ticket_editor.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

Result<void> check_open_for_staff(const Ticket& ticket, const Actor& actor) {
  if (actor.kind == ActorKind::kRequester) {
    return fail(make_error(TicketError::kNotAllowed,
                           "requesters cannot assign tickets or change their group"));
  }
  if (auto ok = detail::require_open(ticket); !ok) return ok;
  return {};
}

}  // namespace

Result<Changes> assign(const Ticket& ticket, const std::string& assignee, const Actor& actor,
                       UnixMillis now) {
  if (auto ok = check_open_for_staff(ticket, actor); !ok) return fail(ok.error());
  if (auto ok = detail::check_line("assignee", assignee, detail::kMaxName, true); !ok) {
    return fail(ok.error());
  }
  detail::TicketEditor editor(ticket, actor, now);
  Ticket& t = editor.ticket();
  editor.set_text("assignee", t.assignee, assignee);
  if (t.status == Status::kNew) editor.set_enum("status", t.status, Status::kAssigned);
  return std::move(editor).finish();
}

Result<Changes> assign_group(const Ticket& ticket, const std::string& group, const Actor& actor,
                             UnixMillis now, const std::string& reason) {
  if (auto ok = check_open_for_staff(ticket, actor); !ok) return fail(ok.error());
  if (auto ok = detail::check_line("group", group, detail::kMaxName, false); !ok) {
    return fail(ok.error());
  }
  detail::TicketEditor editor(ticket, actor, now, reason);
  editor.set_text("group", editor.ticket().group, group);
  return std::move(editor).finish();
}

}  // namespace helpline::relay::tickets
