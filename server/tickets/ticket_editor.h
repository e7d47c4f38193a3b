// Internal to server/tickets: applies field changes to a copy of a ticket
// and writes one HistoryEntry per field that actually changed, so every
// operation records history the same way.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "server/tickets/history.h"

namespace helpline::relay::tickets::detail {

class TicketEditor {
 public:
  TicketEditor(const Ticket& ticket, Actor actor, UnixMillis now, std::string reason = {});

  // The copy being edited. The `slot` arguments below must be fields of it.
  [[nodiscard]] Ticket& ticket() { return changes_.ticket; }
  [[nodiscard]] const Actor& actor() const { return actor_; }
  [[nodiscard]] UnixMillis now() const { return now_; }
  void set_reason(std::string reason) { reason_ = std::move(reason); }

  void set_text(std::string_view field, std::string& slot, std::string value);
  void set_time(std::string_view field, UnixMillis& slot, UnixMillis value);
  void set_int(std::string_view field, int& slot, int value);
  void set_flag(std::string_view field, bool& slot, bool value);
  template <class E>
  void set_enum(std::string_view field, E& slot, E value) {
    if (slot == value) return;
    record(field, to_string(slot), to_string(value));
    slot = value;
  }
  void set_pending_reason(std::optional<PendingReason> value);
  void set_category(Category value);

  // An event that changes no field ("created", "escalation").
  void note(std::string_view field, std::string old_value, std::string new_value);
  // Records deadline changes between `before` and the ticket's SLA clock.
  void record_sla(const SlaClock& before);
  // The ticket counts as updated even if no field changed (a reply).
  void touch() { touched_ = true; }

  // Sets updated_at when anything happened and hands the result over.
  [[nodiscard]] Changes finish() &&;

 private:
  void record(std::string_view field, std::string old_value, std::string new_value);

  Changes changes_;
  Actor actor_;
  UnixMillis now_ = 0;
  std::string reason_;
  bool touched_ = false;
};

}  // namespace helpline::relay::tickets::detail
