#include "server/tickets/satisfaction.h"

#include "server/tickets/checks.h"
#include "server/tickets/ticket_editor.h"
#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {

Result<Changes> rate(const Ticket& ticket, int rating, const std::string& comment,
                     const Actor& actor, UnixMillis now) {
  if (actor.kind != ActorKind::kRequester) {
    return fail(make_error(TicketError::kNotAllowed, "only the requester rates a ticket"));
  }
  if (!is_finished(ticket.status)) {
    return fail(make_error(TicketError::kIllegalTransition, ticket.display_id() + " is " +
                                                                to_string(ticket.status) +
                                                                "; it can be rated once resolved"));
  }
  if (rating < 1 || rating > 5) {
    return fail(make_error(TicketError::kBadValue,
                           "rating: " + std::to_string(rating) + " is not valid; use 1-5"));
  }
  if (auto ok = detail::check_multiline("comment", comment, detail::kMaxShortText, false); !ok) {
    return fail(ok.error());
  }
  detail::TicketEditor editor(ticket, actor, now);
  Satisfaction& s = editor.ticket().satisfaction;
  editor.set_int("satisfaction", s.rating, rating);
  editor.set_text("satisfaction_comment", s.comment, comment);
  if (editor.ticket().satisfaction != ticket.satisfaction) s.rated_at = now;
  return std::move(editor).finish();
}

}  // namespace helpline::relay::tickets
