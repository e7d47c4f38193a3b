#include "agent/collect/bundle.h"

#include <filesystem>
#include <memory>
#include <system_error>

#include "agent/collect/registry.h"
#include "agent/collect/runner.h"

namespace helpline::agent::collect {
namespace {

template <class Map, class Value>
[[nodiscard]] Value lookup(const Map& map, std::string_view key, Value fallback) {
  auto it = map.find(key);
  return it == map.end() ? fallback : it->second;
}

}  // namespace

Result<pb::DiagnosticBundle> collect_bundle(const Options& options) {
  const std::vector<CollectorPtr>& all =
      options.collectors.empty() ? platform_collectors() : options.collectors;
  auto selected = select_collectors(all, options.sections);
  if (!selected) return fail(selected.error());

  auto sources = std::make_shared<SourceOptions>(options.sources);
  std::error_code ec;
  if (sources->root.empty()) sources->root = "/";
  if (!std::filesystem::is_directory(sources->root, ec)) {
    return fail("bad_options", "collection root " + sources->root.string() + " is not a directory");
  }
  auto started = Clock::now();
  if (sources->now_ms == 0) sources->now_ms = unix_now_ms();

  pb::DiagnosticBundle bundle;
  bundle.set_format_version(kBundleFormatVersion);
  bundle.set_device_id(options.device_id);
  bundle.set_agent_version(options.agent_version);
  bundle.set_platform(platform_name());
  bundle.set_collected_at_ms(sources->now_ms);
  bundle.set_since_ms(sources->since_ms);
  for (const std::string& s : options.sections) bundle.add_sections(s);

  auto budget_of = [&options](const Collector& c) {
    return Budget{lookup(options.time_budgets, c.name(), c.time_budget()),
                  lookup(options.size_budgets, c.name(), c.size_budget())};
  };
  std::vector<CollectorRun> runs = run_collectors(*selected, sources, budget_of);
  for (CollectorRun& run : runs) {
    *bundle.add_collectors() = std::move(run.status);
    // Collectors fill disjoint fields (or append to lists), so a plain
    // protobuf merge assembles the sections.
    bundle.MergeFrom(run.data);
  }

  if (!bundle.system().hostname().empty()) {
    bundle.set_hostname(bundle.system().hostname());
  } else if (sources->root == "/") {
    bundle.set_hostname(local_hostname());
  }
  if (options.redact) {
    options.redact(bundle);
    bundle.mutable_redaction()->set_applied(true);
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  bundle.set_duration_ms(static_cast<std::uint32_t>(elapsed.count()));
  return bundle;
}

}  // namespace helpline::agent::collect
