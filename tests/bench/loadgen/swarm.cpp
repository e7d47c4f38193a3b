#include "tests/bench/loadgen/swarm.h"

#include <algorithm>

namespace helpline::loadgen {

namespace {

constexpr auto kPoll = std::chrono::milliseconds(10);

[[nodiscard]] double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

Swarm::Swarm(unsigned threads, AgentConfig config, std::vector<asio::ip::address> sources)
    : config_(std::move(config)), sources_(std::move(sources)) {
  threads = std::max(threads, 1u);
  for (unsigned i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<asio::io_context>(1));
    guards_.push_back(asio::make_work_guard(*contexts_.back()));
  }
  for (auto& io : contexts_) {
    threads_.emplace_back([ctx = io.get()] { ctx->run(); });
  }
}

Swarm::~Swarm() {
  shrink_to(0);
  // Give the Goodbyes a moment to leave; the threads end when idle.
  for (auto& guard : guards_) guard.reset();
  auto deadline = Clock::now() + std::chrono::seconds(5);
  while (stats_.online.load() > 0 && Clock::now() < deadline) std::this_thread::sleep_for(kPoll);
  for (auto& io : contexts_) io->stop();
  for (auto& thread : threads_) thread.join();
}

std::vector<asio::io_context*> Swarm::contexts() {
  std::vector<asio::io_context*> out;
  for (auto& io : contexts_) out.push_back(io.get());
  return out;
}

RampReport Swarm::ramp_to(std::size_t target, double rate,
                          const std::deque<AgentIdentity>& identities,
                          std::chrono::seconds timeout) {
  RampReport report;
  report.target = target;
  auto started = Clock::now();
  auto deadline = started + timeout;
  std::uint64_t handshakes_before = stats_.handshakes.load();
  std::uint64_t failures_before = stats_.failures();
  std::size_t first = agents_.size();
  target = std::min(target, identities.size());
  rate = std::max(rate, 1.0);
  while (Clock::now() < deadline) {
    // Start as many as the rate allows by now, then poll.
    auto due = first + static_cast<std::size_t>(seconds_since(started) * rate) + 1;
    while (agents_.size() < std::min(due, target)) {
      std::size_t i = agents_.size();
      auto& io = *contexts_[i % contexts_.size()];
      auto agent = std::make_shared<SimAgent>(io.get_executor(), identities[i],
                                              sources_[i % sources_.size()], config_, stats_, i);
      agent->start();
      agents_.push_back(std::move(agent));
    }
    if (agents_.size() >= target && static_cast<std::size_t>(stats_.online.load()) >= target) break;
    std::this_thread::sleep_for(kPoll);
  }
  report.seconds = seconds_since(started);
  report.online = static_cast<std::size_t>(std::max<std::int64_t>(stats_.online.load(), 0));
  report.timed_out = report.online < report.target;
  report.handshakes_per_s =
      static_cast<double>(stats_.handshakes.load() - handshakes_before) / std::max(report.seconds, 1e-9);
  report.failures = stats_.failures() - failures_before;
  return report;
}

void Swarm::shrink_to(std::size_t target) {
  while (agents_.size() > target) {
    agents_.back()->stop();
    agents_.pop_back();
  }
}

Swarm::Snapshot Swarm::failures_now() const {
  return {stats_.failed_refused.load(), stats_.failed_timeout.load(), stats_.failed_tls.load(),
          stats_.failed_other.load()};
}

void Swarm::mark() {
  mark_time_ = Clock::now();
  mark_failures_ = failures_now();
  stats_.back_since_mark = 0;
  ++stats_.epoch;
}

StormReport Swarm::wait_back(std::chrono::seconds timeout) {
  StormReport report;
  report.expected = agents_.size();
  auto deadline = Clock::now() + timeout;
  // Every agent must have gone offline and come back since mark(), and be
  // online now.
  while (Clock::now() < deadline) {
    if (stats_.back_since_mark.load() >= report.expected &&
        static_cast<std::size_t>(stats_.online.load()) >= report.expected) {
      break;
    }
    std::this_thread::sleep_for(kPoll);
  }
  report.seconds = seconds_since(mark_time_);
  report.back = static_cast<std::size_t>(stats_.back_since_mark.load());
  report.timed_out = report.back < report.expected;
  Snapshot now = failures_now();
  report.refused = now.refused - mark_failures_.refused;
  report.timeouts = now.timeouts - mark_failures_.timeouts;
  report.tls = now.tls - mark_failures_.tls;
  report.other = now.other - mark_failures_.other;
  report.failures = report.refused + report.timeouts + report.tls + report.other;
  return report;
}

}  // namespace helpline::loadgen
