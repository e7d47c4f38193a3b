#include "agent/collect/bundle_redaction.h"

#include <cstdint>
#include <limits>
#include <map>
#include <utility>

#include "agent/collect/text.h"

namespace helpline::agent {
namespace {

using Counts = std::map<std::string, std::uint64_t>;

// Runs texts through a redactor and keeps the counts of every redactor it
// used (the journal's per-process streams are copies of the main one).
class Walker {
 public:
  explicit Walker(redact::Redactor& redactor) : main_(redactor), pristine_(redactor) {}

  // One text, continuing the current stream of `r`.
  void text(redact::Redactor& r, std::string& s) {
    std::uint64_t before = r.total();
    r.redact_in_place(s);
    // The built-in rules replace whole ASCII-delimited values, but an extra
    // pattern may cut a multi-byte character in two; proto3 strings must
    // stay valid UTF-8 or the bundle would not encode.
    if (r.total() != before) s = collect::clean(s, s.size() * 3 + 16);
  }

  // One self-contained text: a stream of its own.
  void single(std::string& s) {
    text(main_, s);
    main_.end_stream();
  }

  // A list of lines from one source: one stream.
  void lines(google::protobuf::RepeatedPtrField<std::string>& list) {
    for (std::string& s : list) text(main_, s);
    main_.end_stream();
  }

  // The journal interleaves processes: each (identifier, pid) gets its own
  // stream, so a key block one process began never swallows another's lines.
  void journal(google::protobuf::RepeatedPtrField<v1::LogEntry>& entries) {
    std::map<std::pair<std::string, std::uint32_t>, redact::Redactor> streams;
    for (v1::LogEntry& e : entries) {
      auto key = std::make_pair(e.identifier(), e.pid());
      auto it = streams.find(key);
      if (it == streams.end()) it = streams.emplace(key, pristine_).first;
      text(it->second, *e.mutable_message());
    }
    for (auto& [key, r] : streams) add(r.counts());
  }

  // A run of log entries from one source (the kernel): one stream.
  void entries(google::protobuf::RepeatedPtrField<v1::LogEntry>& list) {
    for (v1::LogEntry& e : list) text(main_, *e.mutable_message());
    main_.end_stream();
  }

  [[nodiscard]] Counts finish() {
    add(main_.counts());
    return std::move(counts_);
  }

 private:
  void add(const Counts& counts) {
    for (const auto& [rule, n] : counts) counts_[rule] += n;
  }

  redact::Redactor& main_;
  redact::Redactor pristine_;  // counts zero, no open stream: the template for copies
  Counts counts_;
};

[[nodiscard]] std::uint32_t clamp32(std::uint64_t n) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint32_t>::max();
  return static_cast<std::uint32_t>(n > kMax ? kMax : n);
}

}  // namespace

void redact_bundle(redact::Redactor& redactor, v1::DiagnosticBundle& bundle) {
  redactor.reset_counts();
  redactor.end_stream();
  Walker walk(redactor);

  // mutable_x() would add an empty section to a bundle that lacks it.
  if (bundle.has_logs()) {
    v1::LogsInfo& logs = *bundle.mutable_logs();
    walk.journal(*logs.mutable_entries());
    walk.entries(*logs.mutable_kernel());
    for (v1::LogFile& file : *logs.mutable_files()) {
      walk.lines(*file.mutable_lines());
      walk.single(*file.mutable_error());
    }
  }
  if (bundle.has_services()) {
    for (v1::Unit& unit : *bundle.mutable_services()->mutable_units()) {
      walk.single(*unit.mutable_description());
      walk.lines(*unit.mutable_last_log_lines());
    }
  }
  if (bundle.has_processes()) {
    v1::ProcessesInfo& processes = *bundle.mutable_processes();
    for (auto* list : {processes.mutable_top_by_cpu(), processes.mutable_top_by_memory()}) {
      for (v1::Process& p : *list) walk.single(*p.mutable_cmdline());
    }
    for (v1::OomKill& kill : *processes.mutable_oom_kills()) walk.single(*kill.mutable_message());
  }
  if (bundle.has_network()) {
    for (v1::ProxySetting& proxy : *bundle.mutable_network()->mutable_proxies()) {
      walk.single(*proxy.mutable_value());
    }
  }
  // Mount sources can carry credentials (sshfs user@host, smb URLs) and
  // options can carry them too (cifs username=, credentials=).
  if (bundle.has_storage()) {
    for (v1::Filesystem& fs : *bundle.mutable_storage()->mutable_filesystems()) {
      walk.single(*fs.mutable_device());
      walk.single(*fs.mutable_options());
    }
  }
  for (v1::CollectorStatus& status : *bundle.mutable_collectors()) {
    for (std::string& error : *status.mutable_errors()) walk.single(error);
  }

  Counts counts = walk.finish();
  v1::RedactionSummary& summary = *bundle.mutable_redaction();
  summary.clear_counts();
  std::uint64_t total = 0;
  for (const auto& [rule, n] : counts) {
    (*summary.mutable_counts())[rule] = clamp32(n);
    total += n;
  }
  summary.set_total(clamp32(total));
}

Result<std::function<void(v1::DiagnosticBundle&)>> make_bundle_redactor(
    const std::vector<std::string>& extra_patterns) {
  redact::Options options;
  for (const std::string& p : extra_patterns) options.extra_patterns.push_back({"", p});
  auto redactor = redact::Redactor::create(std::move(options));
  if (!redactor) return fail(redactor.error());
  return std::function<void(v1::DiagnosticBundle&)>(
      [r = std::move(*redactor)](v1::DiagnosticBundle& bundle) mutable {
        redact_bundle(r, bundle);
      });
}

}  // namespace helpline::agent
