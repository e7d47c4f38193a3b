// server/tickets: the helpdesk's domain logic, as a library with no I/O, no
// clock, no database. Callers (store, API, CLI, timers) load a Ticket, call
// an operation with the actor and the current time, and persist the
// returned Changes (the new ticket and its history entries) atomically.
// Everything is a value or a pure function: no shared state, safe from any
// thread.
//
// Public face of the module: include this header only. docs/helpdesk.md
// describes the model (statuses, matrix, SLA, escalation, statistics).
#pragma once

#include "server/tickets/acknowledgement.h"
#include "server/tickets/actor.h"
#include "server/tickets/assignment.h"
#include "server/tickets/business_calendar.h"
#include "server/tickets/category.h"
#include "server/tickets/classification.h"
#include "server/tickets/escalation.h"
#include "server/tickets/escalation_rule.h"
#include "server/tickets/helpdesk_rules.h"
#include "server/tickets/history.h"
#include "server/tickets/intake.h"
#include "server/tickets/priority_matrix.h"
#include "server/tickets/satisfaction.h"
#include "server/tickets/sla_clock.h"
#include "server/tickets/sla_policy.h"
#include "server/tickets/stats.h"
#include "server/tickets/ticket.h"
#include "server/tickets/ticket_enums.h"
#include "server/tickets/ticket_error.h"
#include "server/tickets/workflow.h"
