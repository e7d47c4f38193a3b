// `helpline tickets` and `helpline ticket ...` (ticket_commands.cpp): the
// technician's helpdesk queue and the workflow on one ticket, through the
// relay's /api/v1/tickets routes. main() registers the subcommands with
// add_ticket_commands() and, after parsing, runs the chosen one with
// run_ticket_commands().
#pragma once

#include <memory>
#include <optional>

#include "server/cli/commands.h"

namespace CLI {
class App;
}  // namespace CLI

namespace helpline::cli {

struct TicketCommands;

// Adds `tickets` and `ticket` to `app`. The returned object holds the
// parsed values: keep it alive until run_ticket_commands() returns.
[[nodiscard]] std::unique_ptr<TicketCommands, void (*)(TicketCommands*)> add_ticket_commands(
    CLI::App& app, Output& out);

// The exit code of the ticket command that was given, or nullopt when none was.
[[nodiscard]] std::optional<int> run_ticket_commands(const TicketCommands& commands,
                                                     const Output& out);

}  // namespace helpline::cli
