// Human output of the ticket commands, private to server/cli.
#pragma once

#include "helpline/v1/api.pb.h"

namespace helpline::cli {

// ID, priority, status, level, assignee, next deadline, breach, title.
void print_ticket_table(const v1::api::TicketList& list);
// Fields, SLA, attachments, conversation and history of one ticket.
void print_ticket(const v1::api::Ticket& ticket);
// Counts, times, compliance, satisfaction and recurring incidents.
void print_stats(const v1::api::TicketStats& stats);

}  // namespace helpline::cli
