#include "common/wire/liveness.h"

#include <algorithm>

namespace helpline::wire {

namespace {

// A zero or negative interval would ask for a heartbeat on every tick.
std::chrono::milliseconds sane_interval(std::chrono::milliseconds interval) {
  return std::max(interval, std::chrono::milliseconds(1));
}

}  // namespace

Liveness::Liveness(std::chrono::milliseconds interval, std::chrono::milliseconds dead_after)
    : interval_(sane_interval(interval)),
      dead_after_(dead_after.count() > 0 ? dead_after : 3 * interval_),
      explicit_dead_after_(dead_after.count() > 0) {}

void Liveness::start(TimePoint now) {
  last_receive_ = now;
  next_send_ = now + interval_;
}

void Liveness::on_receive(TimePoint now) { last_receive_ = std::max(last_receive_, now); }

void Liveness::on_send(TimePoint now) { next_send_ = std::max(next_send_, now + interval_); }

Liveness::Action Liveness::on_tick(TimePoint now) {
  if (now >= last_receive_ + dead_after_) return Action::kDead;
  if (now >= next_send_) {
    next_send_ = now + interval_;
    return Action::kSendHeartbeat;
  }
  return Action::kNone;
}

Liveness::TimePoint Liveness::next_deadline() const {
  return std::min(next_send_, last_receive_ + dead_after_);
}

void Liveness::set_interval(std::chrono::milliseconds interval) {
  interval = sane_interval(interval);
  // Keep the time of the last send: move the pending deadline by the change.
  next_send_ += interval - interval_;
  interval_ = interval;
  if (!explicit_dead_after_) dead_after_ = 3 * interval_;
}

v1::Frame heartbeat_ack(const v1::Heartbeat& heartbeat) {
  v1::Frame ack;
  ack.mutable_heartbeat_ack()->set_seq(heartbeat.seq());
  ack.mutable_heartbeat_ack()->set_sent_at_ms(heartbeat.sent_at_ms());
  return ack;
}

}  // namespace helpline::wire
