// Mapping between server/tickets' Ticket and the tickets table (schema v3),
// private to server/store.
#pragma once

#include <cstdint>
#include <limits>

#include "common/core/result.h"
#include "server/store/sqlite_db.h"
#include "server/store/ticket_store.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::sqlite {

// queue_due of a ticket without a running deadline: sorts after every time.
inline constexpr std::int64_t kNoDue = std::numeric_limits<std::int64_t>::max();

// The SELECT column list read_full_ticket() expects.
extern const char* const kFullTicketColumns;
// The writable columns, in bind_ticket()'s order (40 of them).
extern const char* const kWritableTicketColumns;
inline constexpr int kWritableTicketColumnCount = 40;

// Errors: "store_error" for a value no Helpline wrote.
[[nodiscard]] Result<tickets::Ticket> read_full_ticket(const Statement& row);
// Binds parameters first .. first + 39.
void bind_ticket(Statement& stmt, int first, const tickets::Ticket& ticket);

// The earliest deadline that still runs: the first response while
// unanswered, the resolve deadline while its clock runs; kNoDue otherwise.
[[nodiscard]] std::int64_t queue_due(const tickets::Ticket& ticket);

[[nodiscard]] Result<tickets::ActorKind> parse_actor_kind(std::string_view text);

}  // namespace helpline::relay::sqlite
