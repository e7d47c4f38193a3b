#include "common/wire/backoff.h"

#include <algorithm>

namespace helpline::wire {

namespace {

// Past this many doublings every sane cap is reached; stops the shift from
// overflowing on a link that stays down for days.
constexpr unsigned kMaxDoublings = 30;

}  // namespace

Backoff::Backoff(BackoffConfig config) : config_(config) {}

std::chrono::milliseconds Backoff::current_cap() const {
  const auto initial = std::max<std::int64_t>(config_.initial.count(), 1);
  const auto max = std::max<std::int64_t>(config_.max.count(), initial);
  const unsigned doublings = std::min(attempt_, kMaxDoublings);
  const std::int64_t cap = initial << doublings;
  return std::chrono::milliseconds(std::min(cap, max));
}

std::chrono::milliseconds Backoff::next_delay(std::uint64_t random) {
  const auto cap = static_cast<std::uint64_t>(current_cap().count());
  const auto floor = static_cast<std::uint64_t>(std::max<std::int64_t>(config_.floor.count(), 0));
  // Full jitter: uniform in [0, cap], then lifted to the floor. The modulo
  // bias is below 2^-40 for caps of minutes.
  std::uint64_t delay = random % (cap + 1);
  delay = std::max(delay, floor);
  if (attempt_ < kMaxDoublings) ++attempt_;
  return std::chrono::milliseconds(static_cast<std::int64_t>(delay));
}

void Backoff::on_link_lost(std::chrono::milliseconds up_for) {
  if (up_for >= config_.stable_after) attempt_ = 0;
}

}  // namespace helpline::wire
