// The closed vocabularies of a ticket: channel, type, status, pending reason,
// support level, impact, urgency and priority.
//
// Every enum has to_string() (the stable token stored and sent over the API)
// and parse_*() (case-insensitive; errors are "bad_value" with a message that
// starts with the field name and lists the valid values). Impact, urgency and
// priority are numbers: to_string() gives "1".."6", parse also takes the
// names (very_low, low, medium, high, very_high, major), label() gives the
// words a person reads ("very high").
#pragma once

#include <array>
#include <string_view>

#include "common/core/result.h"

namespace helpline::relay::tickets {

enum class Channel { kAgent, kPortal, kApi, kEmail, kPhone, kChat };
enum class TicketType { kIncident, kRequest, kProblem };
enum class Status { kNew, kAssigned, kInProgress, kPending, kResolved, kClosed };
enum class PendingReason { kWaitingForUser, kWaitingForVendor, kWaitingForChange, kOther };
// L0 self-service, L1 first line, L2 experienced, L3 experts/developers, L4 external vendor.
enum class SupportLevel { kL0, kL1, kL2, kL3, kL4 };
enum class Impact { kVeryLow = 1, kLow, kMedium, kHigh, kVeryHigh };
enum class Urgency { kVeryLow = 1, kLow, kMedium, kHigh, kVeryHigh };
// 1..5 come from the impact x urgency matrix; 6 (major) is only ever set by hand.
enum class Priority { kVeryLow = 1, kLow, kMedium, kHigh, kVeryHigh, kMajor };

inline constexpr std::array kAllChannels{Channel::kAgent, Channel::kPortal, Channel::kApi,
                                         Channel::kEmail, Channel::kPhone,  Channel::kChat};
inline constexpr std::array kAllTypes{TicketType::kIncident, TicketType::kRequest,
                                      TicketType::kProblem};
inline constexpr std::array kAllStatuses{Status::kNew,     Status::kAssigned, Status::kInProgress,
                                         Status::kPending, Status::kResolved, Status::kClosed};
inline constexpr std::array kAllPendingReasons{
    PendingReason::kWaitingForUser, PendingReason::kWaitingForVendor,
    PendingReason::kWaitingForChange, PendingReason::kOther};
inline constexpr std::array kAllLevels{SupportLevel::kL0, SupportLevel::kL1, SupportLevel::kL2,
                                       SupportLevel::kL3, SupportLevel::kL4};
inline constexpr std::array kAllPriorities{Priority::kVeryLow,  Priority::kLow,
                                           Priority::kMedium,   Priority::kHigh,
                                           Priority::kVeryHigh, Priority::kMajor};

// "agent", "portal", "api", "email", "phone", "chat".
[[nodiscard]] const char* to_string(Channel value);
// "incident", "request", "problem".
[[nodiscard]] const char* to_string(TicketType value);
// "new", "assigned", "in_progress", "pending", "resolved", "closed".
[[nodiscard]] const char* to_string(Status value);
// "waiting_for_user", "waiting_for_vendor", "waiting_for_change", "other".
[[nodiscard]] const char* to_string(PendingReason value);
// "L0".."L4".
[[nodiscard]] const char* to_string(SupportLevel value);
// "1".."5" / "1".."6".
[[nodiscard]] const char* to_string(Impact value);
[[nodiscard]] const char* to_string(Urgency value);
[[nodiscard]] const char* to_string(Priority value);

// "very low", "low", "medium", "high", "very high" and, for priority 6, "major".
[[nodiscard]] const char* label(Impact value);
[[nodiscard]] const char* label(Urgency value);
[[nodiscard]] const char* label(Priority value);

[[nodiscard]] Result<Channel> parse_channel(std::string_view text);
[[nodiscard]] Result<TicketType> parse_type(std::string_view text);
[[nodiscard]] Result<Status> parse_status(std::string_view text);
[[nodiscard]] Result<PendingReason> parse_pending_reason(std::string_view text);
// "L2", "l2" or "2".
[[nodiscard]] Result<SupportLevel> parse_level(std::string_view text);
// "4", "high", "very_high" or "very high".
[[nodiscard]] Result<Impact> parse_impact(std::string_view text);
[[nodiscard]] Result<Urgency> parse_urgency(std::string_view text);
[[nodiscard]] Result<Priority> parse_priority(std::string_view text);

// For numbers that arrive as integers (JSON, CLI flags). "bad_value" outside
// 1..5 (impact, urgency) or 1..6 (priority) / 0..4 (level).
[[nodiscard]] Result<Impact> impact_from_int(long long value);
[[nodiscard]] Result<Urgency> urgency_from_int(long long value);
[[nodiscard]] Result<Priority> priority_from_int(long long value);
[[nodiscard]] Result<SupportLevel> level_from_int(long long value);

[[nodiscard]] constexpr int to_int(Impact value) { return static_cast<int>(value); }
[[nodiscard]] constexpr int to_int(Urgency value) { return static_cast<int>(value); }
[[nodiscard]] constexpr int to_int(Priority value) { return static_cast<int>(value); }
[[nodiscard]] constexpr int to_int(SupportLevel value) { return static_cast<int>(value); }

// True for resolved and closed: no SLA clock runs, nothing escalates.
[[nodiscard]] constexpr bool is_finished(Status value) {
  return value == Status::kResolved || value == Status::kClosed;
}

}  // namespace helpline::relay::tickets
