#include "tests/bench/loadgen/controller.h"

#include <algorithm>
#include <iostream>
#include <sstream>

#include "common/core/json_writer.h"
#include "tests/bench/loadgen/bulk_bundle.h"
#include "tests/bench/loadgen/enroller.h"
#include "tests/bench/percentile.h"

namespace helpline::loadgen {

namespace {

[[nodiscard]] Result<asio::ip::tcp::endpoint> endpoint_of(const HostPort& where, std::string_view what) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (ec) return fail("bad_address", std::string(what) + ": '" + where.host + "' is not an IP address");
  return asio::ip::tcp::endpoint(address, where.port);
}

// base, base+1, ... as IPv4 loopback addresses.
[[nodiscard]] Result<std::vector<asio::ip::address>> source_addresses(const std::string& base,
                                                                      unsigned count) {
  boost::system::error_code ec;
  auto first = asio::ip::make_address_v4(base, ec);
  if (ec || !first.is_loopback()) {
    return fail("bad_address", "--source-base '" + base + "' must be an IPv4 loopback address");
  }
  std::vector<asio::ip::address> out;
  for (unsigned i = 0; i < std::max(count, 1u); ++i) {
    auto next = asio::ip::address_v4(first.to_uint() + i);
    if (!next.is_loopback()) return fail("bad_address", "--sources runs past 127.255.255.255");
    out.emplace_back(next);
  }
  return out;
}

void add_percentiles(JsonWriter& json, std::string_view name, std::vector<double> values) {
  std::sort(values.begin(), values.end());
  json.key(name).begin_object()
      .field("p50", bench::nearest_rank(values, 50))
      .field("p90", bench::nearest_rank(values, 90))
      .field("p99", bench::nearest_rank(values, 99))
      .field("max", values.empty() ? 0.0 : values.back())
      .end_object();
}

[[nodiscard]] std::int64_t as_int(std::uint64_t n) { return static_cast<std::int64_t>(n); }

}  // namespace

Result<std::unique_ptr<Controller>> Controller::create(LoadgenOptions options) {
  auto pin = tls::normalize_pin(options.ca_pin);
  if (!pin) return fail(pin.error());
  options.ca_pin = *pin;
  auto relay = endpoint_of(options.relay, "--relay");
  if (!relay) return fail(relay.error());
  auto sources = source_addresses(options.source_base, options.sources);
  if (!sources) return fail(sources.error());
  std::unique_ptr<Controller> controller(new Controller(std::move(options)));
  auto& self = *controller;
  tls::ClientConfig trust;
  trust.ca_pin = self.options_.ca_pin;
  auto enroll_tls = tls::make_client_context(trust);
  if (!enroll_tls) return fail(enroll_tls.error());
  self.enroll_tls_ = std::move(*enroll_tls);
  auto cache = IdentityCache::open(self.options_.state_dir, self.options_.ca_pin, self.options_.max_load);
  if (!cache) return fail(cache.error());
  self.cache_ = std::make_unique<IdentityCache>(std::move(*cache));
  auto technician = Technician::create(self.options_.api, self.options_.ca_pin);
  if (!technician) return fail(technician.error());
  self.technician_ = std::move(*technician);
  self.agent_config_.relay = *relay;
  self.agent_config_.heartbeat = self.options_.heartbeat;
  self.swarm_ = std::make_unique<Swarm>(self.options_.threads, self.agent_config_, std::move(*sources));
  return controller;
}

Controller::Controller(LoadgenOptions options) : options_(std::move(options)) {}

Result<void> Controller::ensure_login() {
  if (logged_in_) return {};
  if (options_.password.empty()) {
    return fail("no_password", "the API password is needed (--password-file or HELPLINE_PASSWORD)");
  }
  if (auto r = technician_->login(options_.user, options_.password); !r) return r;
  logged_in_ = true;
  return {};
}

Result<void> Controller::ensure_identities(std::size_t n) {
  std::size_t have = cache_->identities().size();
  if (have < n) {
    if (auto r = ensure_login(); !r) return r;
    auto token = technician_->create_enroll_token(static_cast<std::uint32_t>(n - have));
    if (!token) return fail(token.error());
    EnrollPlan plan;
    plan.relay = agent_config_.relay;
    plan.sources = swarm_->sources();
    plan.tls_context = enroll_tls_.get();
    plan.token = *token;
    plan.ca_pin = options_.ca_pin;
    plan.count = n - have;
    plan.concurrency = options_.enroll_concurrency;
    std::cerr << "loadgen: enrolling " << plan.count << " agents (cached in "
              << options_.state_dir.string() << ")\n";
    auto enrolled = enroll(swarm_->contexts(), plan, *cache_);
    if (!enrolled) return fail(enrolled.error());
    std::cerr << "loadgen: enrolled " << enrolled->enrolled << " in " << enrolled->seconds << " s\n";
  }
  if (!agent_tls_) {
    tls::ClientConfig trust;
    trust.ca_pem = cache_->ca_pem();
    trust.ca_pin = options_.ca_pin;
    auto ctx = tls::make_client_context(trust);
    if (!ctx) return fail(ctx.error());
    tls::release_buffers_when_idle(ctx->get());  // as the agent does
    agent_tls_ = std::move(*ctx);
    swarm_->set_tls_context(agent_tls_.get());
  }
  return {};
}

Result<std::string> Controller::connect(std::size_t n) {
  if (auto r = ensure_identities(n); !r) return fail(r.error());
  auto report = swarm_->ramp_to(n, options_.ramp, cache_->identities(), options_.ramp_timeout);
  JsonWriter json;
  json.begin_object()
      .field("command", "connect")
      .field("target", static_cast<std::int64_t>(report.target))
      .field("online", static_cast<std::int64_t>(report.online))
      .field("seconds", report.seconds)
      .field("handshakes_per_s", report.handshakes_per_s)
      .field("failures", as_int(report.failures))
      .field("timed_out", report.timed_out)
      .end_object();
  return json.str();
}

Result<std::string> Controller::ping(std::size_t count, std::size_t index) {
  if (index >= swarm_->started()) {
    return fail("bad_command", "agent " + std::to_string(index) + " is not running (" +
                                   std::to_string(swarm_->started()) + " are)");
  }
  if (auto r = ensure_login(); !r) return fail(r.error());
  const std::string& device = cache_->identities()[index].device_id;
  std::uint64_t answered_before = swarm_->stats().pings_answered.load();
  auto series = technician_->ping(device, count);
  std::uint64_t answered = swarm_->stats().pings_answered.load() - answered_before;
  JsonWriter json;
  json.begin_object()
      .field("command", "ping")
      .field("device", device)
      .field("sent", static_cast<std::int64_t>(series.sent))
      .field("ok", static_cast<std::int64_t>(series.ok))
      .field("lost", static_cast<std::int64_t>(series.lost))
      .field("answered_by_agent", as_int(answered))
      .field("seconds", series.seconds)
      .field("first_error", series.first_error);
  add_percentiles(json, "round_trip_us", std::move(series.round_trip_us));
  add_percentiles(json, "tunnel_us", std::move(series.tunnel_us));
  json.end_object();
  return json.str();
}

Result<std::string> Controller::throughput(std::size_t mib, std::size_t runs, std::size_t index) {
  if (index >= swarm_->started()) {
    return fail("bad_command", "agent " + std::to_string(index) + " is not running");
  }
  if (auto r = ensure_login(); !r) return fail(r.error());
  const std::string& device = cache_->identities()[index].device_id;
  auto made = make_bulk_bundle(device, mib << 20);
  if (!made) return fail(made.error());
  auto bundle = std::make_shared<const BulkBundle>(std::move(*made));
  swarm_->agent(index).set_bundle(bundle);
  std::vector<double> rates, upload, download;
  for (std::size_t i = 0; i < std::max<std::size_t>(runs, 1); ++i) {
    auto transfer = technician_->transfer_bundle(device, bundle->id);
    if (!transfer) {
      swarm_->agent(index).set_bundle(nullptr);
      return fail(transfer.error());
    }
    double total = transfer->upload_seconds + transfer->download_seconds;
    rates.push_back(static_cast<double>(transfer->bytes) / total / (1024.0 * 1024.0));
    upload.push_back(transfer->upload_seconds);
    download.push_back(transfer->download_seconds);
  }
  swarm_->agent(index).set_bundle(nullptr);
  for (auto* series : {&rates, &upload, &download}) std::sort(series->begin(), series->end());
  JsonWriter json;
  json.begin_object()
      .field("command", "throughput")
      .field("bytes", static_cast<std::int64_t>(bundle->encoded.size()))
      .field("raw_bytes", static_cast<std::int64_t>(bundle->raw_size))
      .field("runs", static_cast<std::int64_t>(rates.size()))
      .field("mib_per_s", bench::nearest_rank(rates, 50))
      .field("upload_seconds", bench::nearest_rank(upload, 50))
      .field("download_seconds", bench::nearest_rank(download, 50))
      .end_object();
  return json.str();
}

std::string Controller::stats_json() {
  SwarmStats& s = swarm_->stats();
  JsonWriter json;
  json.begin_object()
      .field("command", "stats")
      .field("running", static_cast<std::int64_t>(swarm_->started()))
      .field("online", static_cast<std::int64_t>(s.online.load()))
      .field("handshakes", as_int(s.handshakes.load()))
      .field("links_lost", as_int(s.links_lost.load()))
      .field("failed_refused", as_int(s.failed_refused.load()))
      .field("failed_timeout", as_int(s.failed_timeout.load()))
      .field("failed_tls", as_int(s.failed_tls.load()))
      .field("failed_other", as_int(s.failed_other.load()))
      .field("heartbeats_sent", as_int(s.heartbeats_sent.load()))
      .field("heartbeat_acks", as_int(s.heartbeat_acks.load()))
      .field("pings_answered", as_int(s.pings_answered.load()))
      .field("requests_refused", as_int(s.requests_refused.load()))
      .end_object();
  return json.str();
}

Result<std::string> Controller::run(const std::string& line) {
  std::istringstream in(line);
  std::string command;
  in >> command;
  auto number = [&](std::size_t fallback, bool required) -> Result<std::size_t> {
    long long n = -1;
    if (!(in >> n)) {
      if (required) return fail("bad_command", "'" + command + "' needs a number");
      return fallback;
    }
    if (n < 0) return fail("bad_command", "'" + command + "' needs a number >= 0");
    return static_cast<std::size_t>(n);
  };
  if (command == "connect") {
    auto n = number(0, true);
    if (!n) return fail(n.error());
    return connect(*n);
  }
  if (command == "shrink") {
    auto n = number(0, true);
    if (!n) return fail(n.error());
    swarm_->shrink_to(*n);
    return stats_json();
  }
  if (command == "mark") {
    swarm_->mark();
    return std::string(R"({"command":"mark"})");
  }
  if (command == "wait-back") {
    auto secs = number(60, false);
    if (!secs) return fail(secs.error());
    auto report = swarm_->wait_back(std::chrono::seconds(*secs));
    JsonWriter json;
    json.begin_object()
        .field("command", "wait-back")
        .field("expected", static_cast<std::int64_t>(report.expected))
        .field("back", static_cast<std::int64_t>(report.back))
        .field("seconds", report.seconds)
        .field("failures", as_int(report.failures))
        .field("refused", as_int(report.refused))
        .field("timeouts", as_int(report.timeouts))
        .field("tls", as_int(report.tls))
        .field("other", as_int(report.other))
        .field("timed_out", report.timed_out)
        .end_object();
    return json.str();
  }
  if (command == "ping") {
    auto count = number(0, true);
    if (!count) return fail(count.error());
    auto index = number(0, false);
    if (!index) return fail(index.error());
    return ping(*count, *index);
  }
  if (command == "throughput") {
    auto mib = number(0, true);
    if (!mib) return fail(mib.error());
    auto runs = number(3, false);
    if (!runs) return fail(runs.error());
    auto index = number(0, false);
    if (!index) return fail(index.error());
    return throughput(*mib, *runs, *index);
  }
  if (command == "token") {
    auto uses = number(1, false);
    if (!uses) return fail(uses.error());
    if (auto r = ensure_login(); !r) return fail(r.error());
    auto token = technician_->create_enroll_token(static_cast<std::uint32_t>(*uses));
    if (!token) return fail(token.error());
    JsonWriter json;
    json.begin_object().field("command", "token").field("token", *token).end_object();
    return json.str();
  }
  if (command == "stats") return stats_json();
  return fail("bad_command", "unknown command '" + command +
                                 "' (connect N, shrink N, mark, wait-back SECS, ping COUNT [I], "
                                 "throughput MIB [RUNS] [I], token USES, stats, quit)");
}

}  // namespace helpline::loadgen
