// What the agent and the relay do in a benchmark scenario (see
// tunnel_scenario.h), as PeerHandlers. Any deviation from the script (an
// unexpected frame, a reset, corrupted bulk bytes) fails the link through
// TunnelPeer::fail_link: the benchmark measures only a link that works.
//
// Thread: each handler belongs to its peer's thread; read its results only
// after that thread has been joined.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "helpline/v1/tunnel.pb.h"
#include "tests/bench/tunnel_peer.h"
#include "tests/bench/tunnel_scenario.h"

namespace helpline::bench {

// The channel kind the agent opens for bulk data.
inline constexpr std::string_view kBulkKind = "bulk";

class AgentSide : public PeerHandler {
 public:
  explicit AgentSide(const ScenarioConfig& config) : config_(config) {}

  void on_established(TunnelPeer& peer) override;
  void on_event(TunnelPeer& peer, wire::MuxEvent& event) override;
  void on_tick(TunnelPeer& peer, Clock::time_point now) override;

 private:
  void on_control(TunnelPeer& peer, const v1::Frame& frame);
  void write_bulk(TunnelPeer& peer);

  const ScenarioConfig& config_;
  bool online_ = false;  // HelloAck received
  std::optional<std::uint32_t> channel_;
  bool blocked_ = false;  // write() took less: wait for kChannelWritable
  bool channel_closed_ = false;
  std::uint64_t written_ = 0;
};

class RelaySide : public PeerHandler {
 public:
  explicit RelaySide(const ScenarioConfig& config);

  void on_established(TunnelPeer& peer) override;
  void on_event(TunnelPeer& peer, wire::MuxEvent& event) override;
  void on_tick(TunnelPeer& peer, Clock::time_point now) override;
  [[nodiscard]] Clock::time_point next_timer() const override;

  // All pings answered and, for kFixed, every bulk byte received.
  [[nodiscard]] bool finished() const { return finished_; }
  // Valid once finished().
  [[nodiscard]] ScenarioResult result() const;

 private:
  void on_control(TunnelPeer& peer, const v1::Frame& frame);
  void on_hello(TunnelPeer& peer, const v1::Hello& hello);
  void on_response(TunnelPeer& peer, const v1::Response& response);
  void on_opened(TunnelPeer& peer, const wire::MuxEvent& event);
  void on_data(TunnelPeer& peer, const wire::MuxEvent& event);
  void on_bulk_closed(TunnelPeer& peer);
  void send_ping(TunnelPeer& peer, Clock::time_point now);
  void check_finished(TunnelPeer& peer, Clock::time_point now);

  const ScenarioConfig& config_;
  std::string cipher_;
  bool pinging_ = false;
  Clock::time_point next_ping_{};
  std::vector<Clock::time_point> sent_at_;            // index: request id - 1
  std::vector<std::optional<Clock::duration>> rtts_;  // index: request id - 1
  std::size_t answered_ = 0;
  std::optional<std::uint32_t> channel_;
  Clock::time_point opened_at_{};
  Clock::time_point bulk_end_{};
  std::uint64_t received_ = 0;
  bool bulk_closed_ = false;
  bool finished_ = false;
};

}  // namespace helpline::bench
