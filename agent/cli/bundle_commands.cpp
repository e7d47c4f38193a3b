// `helpline-agent collect` and `helpline-agent show`: a bundle on local disk,
// with no relay and no enrollment needed.
#include <system_error>

#include "agent/collect/bundle_redaction.h"
#include "agent/cli/bundle_report.h"
#include "agent/cli/commands.h"
#include "agent/collect/bundle.h"
#include "agent/collect/registry.h"
#include "agent/state/agent_state.h"
#include "common/core/duration.h"
#include "common/core/files.h"

namespace helpline::agent {
namespace {

constexpr std::size_t kMaxConfigBytes = 64u * 1024;
// An encoded bundle is at most its raw cap plus zstd's worst-case overhead
// and the header; anything bigger is not worth reading.
constexpr std::size_t kMaxBundleFileBytes = collect::kMaxBundleBytes + (1u << 20);

struct CollectSettings {
  std::string device_id;
  CollectConfig config;
  std::vector<std::string> notes;
};

// agent.toml if there is one. An unreadable one (collect run by a user who
// may not read the state directory) gives the defaults and a note; a
// malformed one is an error, as everywhere else.
[[nodiscard]] Result<CollectSettings> load_settings(const std::filesystem::path& dir) {
  CollectSettings settings;
  std::filesystem::path path = dir / kConfigFile;
  auto defaults = [&](const std::string& why) {
    settings.notes.push_back(why +
                             "; collected with default settings (no [collect] redact_patterns "
                             "or log_files, no device id)");
    return settings;
  };
  std::error_code ec;
  bool exists = std::filesystem::exists(path, ec);
  if (ec) return defaults("cannot check " + path.string() + ": " + ec.message());
  if (!exists) return settings;
  auto text = files::read(path, kMaxConfigBytes);
  if (!text) return defaults(text.error().message);
  auto config = parse_agent_config(*text);
  if (!config) return fail(config.error());
  settings.device_id = config->device_id;
  settings.config = std::move(config->collect);
  return settings;
}

// "helpline-bundle-ws-0142-20261121T100000Z.hlb"
[[nodiscard]] std::filesystem::path default_out(const v1::DiagnosticBundle& bundle) {
  std::string host;
  for (char c : bundle.hostname()) {
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '.' || c == '_';
    if (safe) host.push_back(c);
  }
  std::string time;
  for (char c : format_rfc3339(bundle.collected_at_ms())) {
    if (c != '-' && c != ':') time.push_back(c);
  }
  return "helpline-bundle-" + (host.empty() ? std::string("unknown") : host) + "-" + time + ".hlb";
}

[[nodiscard]] Result<collect::Options> collect_options(const CollectArgs& args,
                                                       const CollectSettings& settings) {
  collect::Options options;
  options.sections = collect::split_sections(args.sections);
  // Checked before anything is read, so a typo costs nothing.
  auto known = collect::select_collectors(collect::platform_collectors(), options.sections);
  if (!known) return fail(known.error());
  options.sources.root = args.root;
  options.sources.now_ms = unix_now_ms();
  if (args.since) {
    auto since = parse_duration(*args.since);
    if (!since) return fail(since.error().code, "--since: " + since.error().message);
    options.sources.since_ms =
        options.sources.now_ms -
        std::chrono::duration_cast<std::chrono::milliseconds>(*since).count();
  }
  const CollectConfig& config = settings.config;
  for (const std::string& f : config.log_files) options.sources.log_files.emplace_back(f);
  if (config.max_log_entries) options.sources.max_log_entries = *config.max_log_entries;
  if (config.top_processes) options.sources.top_processes = *config.top_processes;
  options.device_id = settings.device_id;
  auto redactor = make_bundle_redactor(config.redact_patterns);
  if (!redactor) return fail(redactor.error());
  options.redact = std::move(*redactor);
  return options;
}

}  // namespace

Result<std::string> collect_command(const CollectArgs& args) {
  auto settings = load_settings(args.state_dir);
  if (!settings) return fail(settings.error());
  auto options = collect_options(args, *settings);
  if (!options) return fail(options.error());
  auto bundle = collect::collect_bundle(*options);
  if (!bundle) return fail(bundle.error());
  auto encoded = collect::encode_bundle(*bundle);
  if (!encoded) return fail(encoded.error());

  BundleFile file;
  file.id = collect::bundle_id(*encoded);
  file.path = (args.out ? *args.out : default_out(*bundle)).string();
  file.raw_bytes = bundle->ByteSizeLong();
  file.compressed_bytes = encoded->size();
  // A bundle describes the machine and its users: owner-only, like the state.
  auto written = files::write_atomic(file.path, *encoded, 0600);
  if (!written) return fail(written.error());

  std::vector<findings::Finding> found = findings::evaluate(*bundle);
  BundleReport report{*bundle, file, found, settings->notes};
  return args.json ? collect_report_json(report) : collect_report_text(report);
}

Result<std::string> show_command(const ShowArgs& args) {
  auto encoded = files::read(args.file, kMaxBundleFileBytes);
  if (!encoded) return fail(encoded.error());
  auto bundle = collect::decode_bundle(*encoded);
  if (!bundle) {
    return fail(bundle.error().code, args.file.string() + ": " + bundle.error().message);
  }
  BundleFile file;
  file.id = collect::bundle_id(*encoded);
  file.path = args.file.string();
  file.raw_bytes = bundle->ByteSizeLong();
  file.compressed_bytes = encoded->size();
  std::vector<findings::Finding> found = findings::evaluate(*bundle);
  BundleReport report{*bundle, file, found};
  return args.json ? show_report_json(report) : show_report_text(report);
}

}  // namespace helpline::agent
