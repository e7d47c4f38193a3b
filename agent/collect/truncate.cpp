#include "agent/collect/truncate.h"

#include <functional>
#include <string_view>

namespace helpline::agent::collect {
namespace {

using google::protobuf::RepeatedPtrField;

// Bytes an element takes inside its parent: tag, length prefix, payload.
[[nodiscard]] std::size_t framed(std::size_t payload) {
  std::size_t varint = 1;
  for (std::size_t v = payload; v >= 0x80; v >>= 7) ++varint;
  return 1 + varint + payload;
}

[[nodiscard]] std::size_t payload_size(const std::string& s) { return s.size(); }
[[nodiscard]] std::size_t payload_size(const google::protobuf::MessageLite& m) {
  return m.ByteSizeLong();
}

enum class From { kOldest, kNewest };

struct Dropped {
  int count = 0;
  int total = 0;
};

// Removes elements from one end until about `excess` bytes are freed.
template <class T>
Dropped drop(RepeatedPtrField<T>* field, std::size_t excess, From from) {
  Dropped d{0, field->size()};
  std::size_t freed = 0;
  while (d.count < d.total && freed < excess) {
    int index = from == From::kOldest ? d.count : d.total - 1 - d.count;
    freed += framed(payload_size(field->Get(index)));
    ++d.count;
  }
  if (from == From::kOldest) {
    field->DeleteSubrange(0, d.count);
  } else {
    field->DeleteSubrange(d.total - d.count, d.count);
  }
  return d;
}

struct Trimmer {
  std::string_view label;
  std::string_view order;
  std::function<Dropped(pb::DiagnosticBundle&, std::size_t)> apply;
};

template <class T>
Trimmer list(std::string_view label, From from,
             RepeatedPtrField<T>* (*field)(pb::DiagnosticBundle&)) {
  return Trimmer{label, from == From::kOldest ? "oldest first" : "last first",
                 [field, from](pb::DiagnosticBundle& b, std::size_t excess) {
                   return drop(field(b), excess, from);
                 }};
}

// Lines nested in several parents (log files, unit logs): oldest lines of
// every parent go first; log files are marked truncated.
Dropped drop_log_file_lines(pb::DiagnosticBundle& b, std::size_t excess) {
  Dropped total;
  for (pb::LogFile& file : *b.mutable_logs()->mutable_files()) {
    if (excess == 0) break;
    std::size_t before = file.ByteSizeLong();
    Dropped d = drop(file.mutable_lines(), excess, From::kOldest);
    if (d.count > 0) file.set_truncated(true);
    std::size_t freed = before - file.ByteSizeLong();
    excess = freed >= excess ? 0 : excess - freed;
    total.count += d.count;
    total.total += d.total;
  }
  return total;
}

Dropped drop_unit_log_lines(pb::DiagnosticBundle& b, std::size_t excess) {
  Dropped total;
  for (pb::Unit& unit : *b.mutable_services()->mutable_units()) {
    if (excess == 0) break;
    std::size_t before = unit.ByteSizeLong();
    Dropped d = drop(unit.mutable_last_log_lines(), excess, From::kOldest);
    std::size_t freed = before - unit.ByteSizeLong();
    excess = freed >= excess ? 0 : excess - freed;
    total.count += d.count;
    total.total += d.total;
  }
  return total;
}

// Least useful first: bulk log text, then long inventories, then facts.
std::vector<Trimmer> trimmers() {
  using B = pb::DiagnosticBundle;
  return {
      list(
          "logs.entries", From::kOldest, +[](B& b) { return b.mutable_logs()->mutable_entries(); }),
      list(
          "logs.kernel", From::kOldest, +[](B& b) { return b.mutable_logs()->mutable_kernel(); }),
      Trimmer{"logs.files lines", "oldest first", drop_log_file_lines},
      list(
          "software.packages", From::kNewest,
          +[](B& b) { return b.mutable_software()->mutable_packages(); }),
      list(
          "software.kernel_modules", From::kNewest,
          +[](B& b) { return b.mutable_software()->mutable_kernel_modules(); }),
      Trimmer{"services.units log lines", "oldest first", drop_unit_log_lines},
      list(
          "services.units", From::kNewest,
          +[](B& b) { return b.mutable_services()->mutable_units(); }),
      list(
          "processes.top_by_cpu", From::kNewest,
          +[](B& b) { return b.mutable_processes()->mutable_top_by_cpu(); }),
      list(
          "processes.top_by_memory", From::kNewest,
          +[](B& b) { return b.mutable_processes()->mutable_top_by_memory(); }),
      list(
          "processes.oom_kills", From::kOldest,
          +[](B& b) { return b.mutable_processes()->mutable_oom_kills(); }),
      list(
          "storage.filesystems", From::kNewest,
          +[](B& b) { return b.mutable_storage()->mutable_filesystems(); }),
      list(
          "storage.block_devices", From::kNewest,
          +[](B& b) { return b.mutable_storage()->mutable_block_devices(); }),
      list(
          "network.routes", From::kNewest,
          +[](B& b) { return b.mutable_network()->mutable_routes(); }),
      list(
          "network.interfaces", From::kNewest,
          +[](B& b) { return b.mutable_network()->mutable_interfaces(); }),
      list(
          "hardware.temperatures", From::kNewest,
          +[](B& b) { return b.mutable_hardware()->mutable_temperatures(); }),
      list(
          "hardware.smart", From::kNewest,
          +[](B& b) { return b.mutable_hardware()->mutable_smart(); }),
      list(
          "system.users", From::kNewest, +[](B& b) { return b.mutable_system()->mutable_users(); }),
  };
}

void clear_sections(pb::DiagnosticBundle& b) {
  b.clear_system();
  b.clear_hardware();
  b.clear_storage();
  b.clear_network();
  b.clear_software();
  b.clear_services();
  b.clear_processes();
  b.clear_logs();
}

}  // namespace

std::vector<std::string> trim_to_budget(pb::DiagnosticBundle& data, std::size_t budget) {
  std::vector<std::string> notes;
  std::size_t size = data.ByteSizeLong();
  for (const Trimmer& t : trimmers()) {
    if (size <= budget) break;
    Dropped d = t.apply(data, size - budget);
    if (d.count > 0) {
      notes.push_back("dropped " + std::to_string(d.count) + " of " + std::to_string(d.total) +
                      " " + std::string(t.label) + " (" + std::string(t.order) + ")");
    }
    size = data.ByteSizeLong();
  }
  if (size > budget) {
    clear_sections(data);
    notes.emplace_back("dropped all collected data: it does not fit even without its lists");
  }
  return notes;
}

}  // namespace helpline::agent::collect
