#include "server/tickets/ticket_editor.h"

namespace helpline::relay::tickets::detail {

TicketEditor::TicketEditor(const Ticket& ticket, Actor actor, UnixMillis now, std::string reason)
    : changes_{ticket, {}}, actor_(std::move(actor)), now_(now), reason_(std::move(reason)) {}

void TicketEditor::record(std::string_view field, std::string old_value, std::string new_value) {
  changes_.history.push_back(HistoryEntry{std::string(field), std::move(old_value),
                                          std::move(new_value), actor_, now_, reason_});
}

void TicketEditor::set_text(std::string_view field, std::string& slot, std::string value) {
  if (slot == value) return;
  record(field, slot, value);
  slot = std::move(value);
}

void TicketEditor::set_time(std::string_view field, UnixMillis& slot, UnixMillis value) {
  if (slot == value) return;
  record(field, format_rfc3339(slot), format_rfc3339(value));
  slot = value;
}

void TicketEditor::set_int(std::string_view field, int& slot, int value) {
  if (slot == value) return;
  record(field, std::to_string(slot), std::to_string(value));
  slot = value;
}

void TicketEditor::set_flag(std::string_view field, bool& slot, bool value) {
  if (slot == value) return;
  record(field, slot ? "true" : "false", value ? "true" : "false");
  slot = value;
}

void TicketEditor::set_pending_reason(std::optional<PendingReason> value) {
  auto& slot = changes_.ticket.pending_reason;
  if (slot == value) return;
  record("pending_reason", slot ? to_string(*slot) : "", value ? to_string(*value) : "");
  slot = value;
}

void TicketEditor::set_category(Category value) {
  auto& slot = changes_.ticket.category;
  if (slot == value) return;
  record("category", slot.name(), value.name());
  slot = std::move(value);
}

void TicketEditor::note(std::string_view field, std::string old_value, std::string new_value) {
  record(field, std::move(old_value), std::move(new_value));
}

void TicketEditor::record_sla(const SlaClock& before) {
  const SlaClock& after = changes_.ticket.sla;
  if (before.first_response_due != after.first_response_due) {
    record("first_response_due", format_rfc3339(before.first_response_due),
           format_rfc3339(after.first_response_due));
  }
  if (before.resolve_due != after.resolve_due) {
    record("resolve_due", format_rfc3339(before.resolve_due), format_rfc3339(after.resolve_due));
  }
}

Changes TicketEditor::finish() && {
  if (touched_ || !changes_.history.empty()) changes_.ticket.updated_at = now_;
  return std::move(changes_);
}

}  // namespace helpline::relay::tickets::detail
