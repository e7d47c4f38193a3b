#include "server/tickets/actor.h"

#include <utility>

namespace helpline::relay::tickets {

const char* to_string(ActorKind kind) {
  switch (kind) {
    case ActorKind::kRequester:
      return "requester";
    case ActorKind::kTechnician:
      return "technician";
    case ActorKind::kSystem:
      return "system";
  }
  return "?";
}

Actor Actor::requester(std::string name) {
  return Actor{ActorKind::kRequester, std::move(name), SupportLevel::kL0};
}

Actor Actor::technician(std::string name, SupportLevel level) {
  return Actor{ActorKind::kTechnician, std::move(name), level};
}

Actor Actor::system(std::string name) {
  return Actor{ActorKind::kSystem, std::move(name), SupportLevel::kL4};
}

std::string to_string(const Actor& actor) {
  std::string out = std::string(to_string(actor.kind)) + " " + actor.name;
  if (actor.kind == ActorKind::kTechnician) out += std::string(" (") + to_string(actor.level) + ")";
  return out;
}

}  // namespace helpline::relay::tickets
