// Who asks for a change: the ticket's requester, a technician with a support
// level, or the relay itself (timers, rules, gateways).
//
// The tickets library does not authenticate anyone: the API layer has already
// checked that the caller may act on this ticket (a device only on its own
// tickets, a viewer on none) and maps roles to actors (l1..l3 -> technician
// L1..L3, admin -> technician L3).
#pragma once

#include <string>

#include "server/tickets/ticket_enums.h"

namespace helpline::relay::tickets {

enum class ActorKind { kRequester, kTechnician, kSystem };

inline constexpr std::array kAllActorKinds{ActorKind::kRequester, ActorKind::kTechnician,
                                           ActorKind::kSystem};

// "requester", "technician", "system".
[[nodiscard]] const char* to_string(ActorKind kind);

struct Actor {
  ActorKind kind = ActorKind::kSystem;
  std::string name = "helpline";
  SupportLevel level = SupportLevel::kL1;  // meaningful for technicians only

  [[nodiscard]] static Actor requester(std::string name);
  [[nodiscard]] static Actor technician(std::string name, SupportLevel level);
  [[nodiscard]] static Actor system(std::string name = "helpline");

  friend bool operator==(const Actor&, const Actor&) = default;
};

// "requester alice", "technician bob (L2)", "system helpline".
[[nodiscard]] std::string to_string(const Actor& actor);

}  // namespace helpline::relay::tickets
