// tunnel_bench: throughput and channel-0 latency of the tunnel stack
// (common/tls's TlsSession + common/wire's Multiplexer) over a real loopback
// TCP connection with TLS 1.3 and mutual authentication. Figures are
// printed, never asserted; a failure of the link itself exits non-zero.
// See tests/bench/README.md.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/json_writer.h"
#include "common/core/result.h"
#include "common/wire/wire.h"
#include "tests/bench/bench_pki.h"
#include "tests/bench/tunnel_scenario.h"

namespace helpline::bench {
namespace {

constexpr std::uint64_t kMiB = 1024u * 1024u;
constexpr std::uint32_t kMaxChunk = wire::kDefaultMaxFrameSize - 1024;  // room for framing

struct Options {
  std::uint64_t bytes = 256 * kMiB;
  std::uint64_t pings = 2000;
  std::uint64_t chunk = 16u * 1024;
  std::uint64_t window = 256u * 1024;
  std::uint64_t timeout_s = 120;
  bool json = false;
};

constexpr std::string_view kUsage =
    "usage: tunnel_bench [--bytes N] [--pings N] [--chunk N] [--window N] [--timeout S] "
    "[--json]\n"
    "  --bytes N    bulk bytes for the throughput run (default 268435456)\n"
    "  --pings N    pings per latency run, one every ~2 ms; 0 skips them (default 2000)\n"
    "  --chunk N    largest ChannelData payload, 1..1047552 (default 16384)\n"
    "  --window N   per-channel receive window, 1024..67108864 (default 262144)\n"
    "  --timeout S  give up after S seconds in all (default 120)\n"
    "  --json       print one JSON object instead of a table\n";

[[nodiscard]] Result<std::uint64_t> parse_number(std::string_view flag, std::string_view text,
                                                 std::uint64_t min, std::uint64_t max) {
  std::uint64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value < min || value > max) {
    return fail("bad_option", std::string(flag) + " needs a whole number from " +
                                  std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                                  std::string(text) + "'");
  }
  return value;
}

// Parsed options, or nullopt after --help.
[[nodiscard]] Result<std::optional<Options>> parse_options(int argc, char** argv) {
  Options options;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") return std::nullopt;
    if (flag == "--json") {
      options.json = true;
      continue;
    }
    std::optional<std::string_view> value;
    if (const auto eq = flag.find('='); eq != std::string_view::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    }
    struct Numeric {
      std::string_view name;
      std::uint64_t* target;
      std::uint64_t min;
      std::uint64_t max;
    };
    const Numeric numerics[] = {
        {"--bytes", &options.bytes, 1, std::uint64_t{1} << 40},
        {"--pings", &options.pings, 0, 1'000'000},
        {"--chunk", &options.chunk, 1, kMaxChunk},
        {"--window", &options.window, 1024, 64 * kMiB},
        {"--timeout", &options.timeout_s, 1, 24 * 3600},
    };
    bool known = false;
    for (const auto& numeric : numerics) {
      if (flag != numeric.name) continue;
      known = true;
      if (!value) return fail("bad_option", std::string(flag) + " needs a value");
      auto parsed = parse_number(flag, *value, numeric.min, numeric.max);
      if (!parsed) return fail(parsed.error());
      *numeric.target = *parsed;
    }
    if (!known) return fail("bad_option", "unknown option '" + std::string(args[i]) + "'");
  }
  return options;
}

struct Summary {
  std::size_t count = 0;
  double p50_us = 0;
  double p90_us = 0;
  double p99_us = 0;
  double max_us = 0;
};

[[nodiscard]] double to_us(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

[[nodiscard]] double to_seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Nearest-rank percentiles.
[[nodiscard]] Summary summarize(std::vector<Clock::duration> rtts) {
  Summary s;
  s.count = rtts.size();
  if (rtts.empty()) return s;
  std::sort(rtts.begin(), rtts.end());
  const auto rank = [&](double p) {
    const auto index = static_cast<std::size_t>(std::ceil(p * static_cast<double>(rtts.size())));
    return to_us(rtts[std::min(rtts.size(), std::max<std::size_t>(index, 1)) - 1]);
  };
  s.p50_us = rank(0.50);
  s.p90_us = rank(0.90);
  s.p99_us = rank(0.99);
  s.max_us = to_us(rtts.back());
  return s;
}

[[nodiscard]] double bytes_per_second(const ScenarioResult& r) {
  const double seconds = to_seconds(r.bulk_duration);
  return seconds > 0 ? static_cast<double>(r.bulk_bytes) / seconds : 0.0;
}

struct Report {
  std::string cipher;
  std::optional<ScenarioResult> throughput;
  std::optional<ScenarioResult> idle;
  std::optional<ScenarioResult> loaded;
};

[[nodiscard]] std::string rtt_line(std::string_view label, const Summary& s) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(0) << "channel-0 ping RTT " << label << " (" << s.count
      << " pings): p50 " << s.p50_us << " us  p90 " << s.p90_us << " us  p99 " << s.p99_us
      << " us  max " << s.max_us << " us";
  return out.str();
}

[[nodiscard]] std::string throughput_line(const ScenarioResult& r) {
  const double rate = bytes_per_second(r);
  std::ostringstream out;
  out << std::fixed << std::setprecision(1)
      << "tunnel throughput (1 channel, agent->relay, TLS 1.3 mTLS over loopback, "
      << static_cast<double>(r.bulk_bytes) / static_cast<double>(kMiB) << " MiB in "
      << std::setprecision(3) << to_seconds(r.bulk_duration) << " s): " << std::setprecision(1)
      << rate / static_cast<double>(kMiB) << " MiB/s (" << std::setprecision(0) << rate
      << " bytes/s)";
  return out.str();
}

[[nodiscard]] std::int64_t rounded(double value) { return std::llround(value); }

void write_rtt_json(JsonWriter& json, std::string_view key, const Summary& s) {
  json.key(key).begin_object();
  json.field("count", static_cast<std::int64_t>(s.count));
  json.field("p50", rounded(s.p50_us));
  json.field("p90", rounded(s.p90_us));
  json.field("p99", rounded(s.p99_us));
  json.field("max", rounded(s.max_us));
  json.end_object();
}

[[nodiscard]] std::string report_json(const Options& options, const Report& report,
                                      Clock::duration elapsed) {
  JsonWriter json;
  json.begin_object();
  json.field("benchmark", "tunnel");
  json.field("transport", "TLS 1.3 mutual TLS over loopback TCP");
  json.field("cipher", std::string_view(report.cipher));
  json.field("max_data_chunk", static_cast<std::int64_t>(options.chunk));
  json.field("window", static_cast<std::int64_t>(options.window));
  if (report.throughput) {
    const double rate = bytes_per_second(*report.throughput);
    json.key("throughput").begin_object();
    json.field("bytes", static_cast<std::int64_t>(report.throughput->bulk_bytes));
    json.field("duration_us", rounded(to_us(report.throughput->bulk_duration)));
    json.field("bytes_per_s", rounded(rate));
    json.field("mib_per_s", rounded(rate / static_cast<double>(kMiB)));
    json.end_object();
  }
  if (report.idle) write_rtt_json(json, "rtt_idle_us", summarize(report.idle->rtts));
  if (report.loaded) {
    write_rtt_json(json, "rtt_with_bulk_us", summarize(report.loaded->rtts));
    json.field("bulk_during_pings_bytes_per_s", rounded(bytes_per_second(*report.loaded)));
  }
  json.field("elapsed_ms", rounded(to_seconds(elapsed) * 1000.0));
  json.end_object();
  return json.str();
}

// Runs one scenario; prints a failure and returns nullopt if the link failed.
[[nodiscard]] std::optional<ScenarioResult> run_named(std::string_view name,
                                                      const BenchContexts& contexts,
                                                      const ScenarioConfig& config) {
  auto result = run_scenario(contexts, config);
  if (!result) {
    std::cerr << "tunnel_bench: " << name << " failed: " << result.error().to_string() << "\n";
    return std::nullopt;
  }
  return std::move(*result);
}

int run(const Options& options) {
  const auto started = Clock::now();
  auto contexts = make_bench_contexts();
  if (!contexts) {
    std::cerr << "tunnel_bench: " << contexts.error().to_string() << "\n";
    return 1;
  }
  ScenarioConfig base;
  base.max_data_chunk = static_cast<std::uint32_t>(options.chunk);
  base.initial_window = static_cast<std::uint32_t>(options.window);
  base.deadline = started + std::chrono::seconds(options.timeout_s);
  const auto say = [&](const std::string& line) {
    if (!options.json) std::cout << line << std::endl;
  };

  Report report;
  ScenarioConfig throughput = base;
  throughput.bulk = BulkMode::kFixed;
  throughput.bulk_bytes = options.bytes;
  report.throughput = run_named("throughput", *contexts, throughput);
  if (!report.throughput) return 1;
  report.cipher = report.throughput->cipher;
  say("TLS 1.3 (" + report.cipher + "), mutual TLS, loopback TCP; max_data_chunk " +
      std::to_string(options.chunk) + " B, window " + std::to_string(options.window) + " B");
  say(throughput_line(*report.throughput));

  if (options.pings > 0) {
    ScenarioConfig idle = base;
    idle.pings = options.pings;
    report.idle = run_named("idle ping", *contexts, idle);
    if (!report.idle) return 1;
    say(rtt_line("idle     ", summarize(report.idle->rtts)));

    ScenarioConfig loaded = idle;
    loaded.bulk = BulkMode::kUntilDone;
    report.loaded = run_named("ping with bulk", *contexts, loaded);
    if (!report.loaded) return 1;
    std::ostringstream bulk;
    bulk << std::fixed << std::setprecision(1) << "  (bulk meanwhile "
         << bytes_per_second(*report.loaded) / static_cast<double>(kMiB) << " MiB/s)";
    say(rtt_line("with bulk", summarize(report.loaded->rtts)) + bulk.str());
  }
  const auto elapsed = Clock::now() - started;
  if (options.json) {
    std::cout << report_json(options, report, elapsed) << std::endl;
  } else {
    std::ostringstream total;
    total << std::fixed << std::setprecision(1) << "total " << to_seconds(elapsed) << " s";
    say(total.str());
  }
  return 0;
}

}  // namespace
}  // namespace helpline::bench

int main(int argc, char** argv) {
  auto options = helpline::bench::parse_options(argc, argv);
  if (!options) {
    std::cerr << "tunnel_bench: " << options.error().message << "\n" << helpline::bench::kUsage;
    return 2;
  }
  if (!*options) {
    std::cout << helpline::bench::kUsage;
    return 0;
  }
  return helpline::bench::run(**options);
}
