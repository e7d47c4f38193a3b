#include "server/tickets/ticket_enums.h"

#include <cstddef>
#include <string>

#include "server/tickets/ticket_error.h"

namespace helpline::relay::tickets {
namespace {

using Names6 = std::array<const char*, 6>;

constexpr Names6 kChannelNames{"agent", "portal", "api", "email", "phone", "chat"};
constexpr std::array<const char*, 3> kTypeNames{"incident", "request", "problem"};
constexpr Names6 kStatusNames{"new", "assigned", "in_progress", "pending", "resolved", "closed"};
constexpr std::array<const char*, 4> kPendingNames{"waiting_for_user", "waiting_for_vendor",
                                                   "waiting_for_change", "other"};
constexpr std::array<const char*, 5> kLevelNames{"L0", "L1", "L2", "L3", "L4"};
constexpr Names6 kNumberNames{"1", "2", "3", "4", "5", "6"};
constexpr Names6 kScaleTokens{"very_low", "low", "medium", "high", "very_high", "major"};
constexpr Names6 kScaleLabels{"very low", "low", "medium", "high", "very high", "major"};

// Enum values outside the declared range can only come from a bad cast by a
// caller; they print as "?" rather than reading past the table.
template <std::size_t N>
const char* name_at(const std::array<const char*, N>& names, int index) {
  if (index < 0 || static_cast<std::size_t>(index) >= N) return "?";
  return names[static_cast<std::size_t>(index)];
}

// Lower case, and "very high" reads like "very_high".
std::string normalise(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == ' ' || c == '-') c = '_';
  }
  return out;
}

template <std::size_t N>
std::string join(const std::array<const char*, N>& names, std::size_t count = N) {
  std::string out;
  for (std::size_t i = 0; i < count && i < N; ++i) {
    if (i != 0) out += ", ";
    out += names[i];
  }
  return out;
}

tl::unexpected<Error> bad(const char* field, std::string_view text, const std::string& valid) {
  return fail(make_error(TicketError::kBadValue, std::string(field) + ": '" + std::string(text) +
                                                     "' is not valid; use " + valid));
}

// Looks `text` up among the first `count` names; the enum value of names[i]
// is first + i.
template <class E, std::size_t N>
Result<E> parse_named(std::string_view text, const std::array<const char*, N>& names,
                      std::size_t count, int first, const char* field, const std::string& valid) {
  const std::string key = normalise(text);
  for (std::size_t i = 0; i < count && i < N; ++i) {
    if (key == normalise(names[i])) return static_cast<E>(first + static_cast<int>(i));
  }
  return bad(field, text, valid);
}

template <class E>
Result<E> from_int(long long value, int first, int last, const char* field,
                   const std::string& valid) {
  if (value < first || value > last) return bad(field, std::to_string(value), valid);
  return static_cast<E>(static_cast<int>(value));
}

// Impact, urgency and priority: a number or a name of the scale.
template <class E>
Result<E> parse_scale(std::string_view text, int last, const char* field) {
  const std::string valid = "1-" + std::to_string(last) + " or one of " +
                            join(kScaleTokens, static_cast<std::size_t>(last));
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '9') {
    return from_int<E>(text[0] - '0', 1, last, field, valid);
  }
  return parse_named<E>(text, kScaleTokens, static_cast<std::size_t>(last), 1, field, valid);
}

template <class E>
Result<E> scale_from_int(long long value, int last, const char* field) {
  return from_int<E>(value, 1, last, field,
                     "1-" + std::to_string(last) + " or one of " +
                         join(kScaleTokens, static_cast<std::size_t>(last)));
}

}  // namespace

const char* to_string(Channel value) { return name_at(kChannelNames, static_cast<int>(value)); }
const char* to_string(TicketType value) { return name_at(kTypeNames, static_cast<int>(value)); }
const char* to_string(Status value) { return name_at(kStatusNames, static_cast<int>(value)); }
const char* to_string(PendingReason value) {
  return name_at(kPendingNames, static_cast<int>(value));
}
const char* to_string(SupportLevel value) { return name_at(kLevelNames, static_cast<int>(value)); }
const char* to_string(Impact value) { return name_at(kNumberNames, to_int(value) - 1); }
const char* to_string(Urgency value) { return name_at(kNumberNames, to_int(value) - 1); }
const char* to_string(Priority value) { return name_at(kNumberNames, to_int(value) - 1); }

const char* label(Impact value) { return name_at(kScaleLabels, to_int(value) - 1); }
const char* label(Urgency value) { return name_at(kScaleLabels, to_int(value) - 1); }
const char* label(Priority value) { return name_at(kScaleLabels, to_int(value) - 1); }

Result<Channel> parse_channel(std::string_view text) {
  return parse_named<Channel>(text, kChannelNames, kChannelNames.size(), 0, "channel",
                              "one of " + join(kChannelNames));
}

Result<TicketType> parse_type(std::string_view text) {
  return parse_named<TicketType>(text, kTypeNames, kTypeNames.size(), 0, "type",
                                 "one of " + join(kTypeNames));
}

Result<Status> parse_status(std::string_view text) {
  return parse_named<Status>(text, kStatusNames, kStatusNames.size(), 0, "status",
                             "one of " + join(kStatusNames));
}

Result<PendingReason> parse_pending_reason(std::string_view text) {
  return parse_named<PendingReason>(text, kPendingNames, kPendingNames.size(), 0, "pending_reason",
                                    "one of " + join(kPendingNames));
}

Result<SupportLevel> parse_level(std::string_view text) {
  const std::string valid = "one of " + join(kLevelNames);
  if (text.size() == 1 && text[0] >= '0' && text[0] <= '9') {
    return from_int<SupportLevel>(text[0] - '0', 0, 4, "level", valid);
  }
  return parse_named<SupportLevel>(text, kLevelNames, kLevelNames.size(), 0, "level", valid);
}

Result<Impact> parse_impact(std::string_view text) {
  return parse_scale<Impact>(text, 5, "impact");
}
Result<Urgency> parse_urgency(std::string_view text) {
  return parse_scale<Urgency>(text, 5, "urgency");
}
Result<Priority> parse_priority(std::string_view text) {
  return parse_scale<Priority>(text, 6, "priority");
}

Result<Impact> impact_from_int(long long value) {
  return scale_from_int<Impact>(value, 5, "impact");
}
Result<Urgency> urgency_from_int(long long value) {
  return scale_from_int<Urgency>(value, 5, "urgency");
}
Result<Priority> priority_from_int(long long value) {
  return scale_from_int<Priority>(value, 6, "priority");
}
Result<SupportLevel> level_from_int(long long value) {
  return from_int<SupportLevel>(value, 0, 4, "level", "one of " + join(kLevelNames));
}

}  // namespace helpline::relay::tickets
