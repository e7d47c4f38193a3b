// The escalation sweep: tickets whose next_check_at has come are loaded,
// their due escalation rules applied (server/tickets decides which, and the
// fired set persisted with the change makes each fire once), deadlines
// breached since the last look recorded once in the history, and resolved
// tickets whose reopen window has passed closed.
#include <spdlog/spdlog.h>

#include <utility>

#include "server/helpdesk/helpdesk_service.h"

namespace helpline::relay::helpdesk {

namespace t = tickets;

namespace {

[[nodiscard]] t::HistoryEntry breach_entry(const char* deadline, UnixMillis due, UnixMillis now) {
  t::HistoryEntry entry;
  entry.field = "sla_breach";
  entry.new_value = deadline;
  entry.actor = t::Actor::system();
  entry.at = now;
  entry.reason = std::string(deadline) + " was due at " + format_rfc3339(due);
  return entry;
}

}  // namespace

Result<bool> HelpdeskService::sweep_one(std::int64_t id, UnixMillis now, SweepReport& report) {
  auto ticket = load(id);
  if (!ticket) return fail(ticket.error());
  auto stored_fired = tickets_.fired(id);
  if (!stored_fired) return fail(stored_fired.error());
  t::FiredSet fired = *stored_fired;
  const t::Actor system = t::Actor::system();

  if (ticket->status == t::Status::kResolved) {
    const UnixMillis close_at = t::auto_close_at(*ticket, rules_);
    if (close_at == 0 || now < close_at) {
      // Not yet: persisting the unchanged ticket recomputes when to look again.
      auto saved = persist(t::Changes{*ticket, {}}, TicketWrite{}, fired);
      if (!saved) return fail(saved.error());
      return true;
    }
    auto closed = t::change_status(
        *ticket, t::StatusChange{t::Status::kClosed, "the reopen window has passed"}, system,
        rules_, now);
    if (!closed) return fail(closed.error());
    auto saved = persist(std::move(*closed), TicketWrite{}, fired);
    if (!saved) return fail(saved.error());
    ++report.closed;
    return true;
  }

  t::Changes changes{*ticket, {}};
  TicketWrite write;
  ExtraEvents notifications;
  auto due = t::evaluate_escalations(changes.ticket, rules_.escalations, fired,
                                     rules_.sla.calendar(), now);
  for (const t::DueEscalation& escalation : due) {
    t::Changes step = t::apply_escalation(changes.ticket, escalation, system, now);
    changes.ticket = std::move(step.ticket);
    for (auto& entry : step.history) changes.history.push_back(std::move(entry));
    write.fired.push_back(escalation.rule_id);
    if (const auto* notify = std::get_if<t::NotifyAction>(&escalation.action)) {
      spdlog::info("ticket {}: escalation {} notifies {}", changes.ticket.display_id(),
                   escalation.rule_id, notify->target);
      TicketEvent event;
      event.kind = "notify";
      event.detail = notify->target;
      event.actor = t::to_string(system);
      event.reason = escalation.rule_id;
      event.at = now;
      notifications.push_back(std::move(event));
    }
    ++report.escalations;
  }
  if (!t::is_finished(changes.ticket.status)) {
    const t::SlaState state =
        t::sla_state(changes.ticket.sla, changes.ticket.first_response_at, now);
    auto record = [&](bool breached, const char* key, const char* name, UnixMillis deadline) {
      if (!breached || fired.contains(key)) return;
      fired.insert(key);
      write.fired.emplace_back(key);
      changes.history.push_back(breach_entry(name, deadline, now));
      ++report.breaches;
    };
    record(state.first_response_breached && changes.ticket.first_response_at == 0,
           kFirstResponseBreach, "first_response", changes.ticket.sla.first_response_due);
    record(state.resolve_breached && !changes.ticket.sla.paused(), kResolveBreach, "resolve",
           changes.ticket.sla.resolve_due);
  }
  if (!changes.history.empty()) changes.ticket.updated_at = now;
  auto saved = persist(std::move(changes), std::move(write), fired, std::move(notifications));
  if (!saved) return fail(saved.error());
  return true;
}

SweepReport HelpdeskService::sweep(UnixMillis now) {
  SweepReport report;
  auto ids = tickets_.due_checks(now, kSweepBatch);
  if (!ids) {
    spdlog::error("escalation sweep: {}", ids.error().to_string());
    ++report.failed;
    return report;
  }
  for (std::int64_t id : *ids) {
    ++report.checked;
    if (auto done = sweep_one(id, now, report); !done) {
      ++report.failed;
      spdlog::error("escalation sweep: ticket {}: {}", t::format_display_id(id),
                    done.error().to_string());
    }
  }
  return report;
}

void HelpdeskService::start_sweep(boost::asio::io_context& io, std::chrono::milliseconds interval) {
  interval_ = interval;
  timer_ = std::make_unique<boost::asio::steady_timer>(io);
  schedule_sweep();
}

void HelpdeskService::stop_sweep() {
  *alive_ = false;
  if (timer_) timer_->cancel();
  alive_ = std::make_shared<bool>(true);
}

void HelpdeskService::schedule_sweep() {
  if (!timer_) return;
  timer_->expires_after(interval_);
  timer_->async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (ec || !*alive) return;
    SweepReport report = sweep(clock_());
    if (report.escalations + report.breaches + report.closed + report.failed > 0) {
      spdlog::info(
          "escalation sweep: {} tickets, {} escalations, {} breaches, {} closed, {} failures",
          report.checked, report.escalations, report.breaches, report.closed, report.failed);
    }
    schedule_sweep();
  });
}

}  // namespace helpline::relay::helpdesk
