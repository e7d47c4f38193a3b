// hardware.cpu: model, sockets, cores, threads, frequency (/proc/cpuinfo)
// and load averages (/proc/loadavg).
#include <set>
#include <utility>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

struct CpuTally {
  std::string model;
  std::uint32_t threads = 0;
  std::set<std::string> sockets;
  std::set<std::pair<std::string, std::string>> cores;  // (physical id, core id)
  double mhz_sum = 0;
  std::uint32_t mhz_count = 0;
  bool hypervisor = false;
};

// One "processor" block of /proc/cpuinfo.
void add_block(std::string_view block, CpuTally& t) {
  std::string socket;
  std::string core;
  bool is_processor = false;
  for (std::string_view line : split_lines(block)) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = trim(line.substr(0, colon));
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "processor") {
      is_processor = true;
    } else if (t.model.empty() &&
               (key == "model name" || key == "Processor" || key == "cpu model")) {
      t.model = clean(value, 256);
    } else if (key == "physical id") {
      socket = value;
    } else if (key == "core id") {
      core = value;
    } else if (key == "cpu MHz") {
      if (auto mhz = to_double(value)) {
        t.mhz_sum += *mhz;
        ++t.mhz_count;
      }
    } else if (key == "flags") {
      for (std::string_view flag : split_fields(value)) {
        if (flag == "hypervisor") t.hypervisor = true;
      }
    }
  }
  if (!is_processor) return;
  ++t.threads;
  t.sockets.insert(socket);
  if (!core.empty()) t.cores.emplace(socket, core);
}

void read_load(Context& context, pb::LoadAverage& load) {
  auto text = read_source(context, "/proc/loadavg");
  if (!text) {
    context.add_error("load average: " + text.error().message);
    return;
  }
  auto fields = split_fields(trim(*text));
  auto l1 = fields.size() >= 3 ? to_double(fields[0]) : std::nullopt;
  auto l5 = fields.size() >= 3 ? to_double(fields[1]) : std::nullopt;
  auto l15 = fields.size() >= 3 ? to_double(fields[2]) : std::nullopt;
  if (!l1 || !l5 || !l15) {
    context.add_error("load average: cannot parse /proc/loadavg");
    return;
  }
  load.set_load1(*l1);
  load.set_load5(*l5);
  load.set_load15(*l15);
}

}  // namespace

Result<void> collect_hardware_cpu(Context& context, pb::DiagnosticBundle& out) {
  pb::HardwareInfo& hw = *out.mutable_hardware();
  auto cpuinfo = read_source(context, "/proc/cpuinfo");
  if (!cpuinfo) return fail(cpuinfo.error());
  CpuTally t;
  std::string_view rest = *cpuinfo;
  while (!rest.empty()) {
    std::size_t end = rest.find("\n\n");
    add_block(rest.substr(0, end), t);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 2);
  }
  pb::Cpu& cpu = *hw.mutable_cpu();
  cpu.set_model(t.model);
  cpu.set_threads(t.threads);
  cpu.set_sockets(static_cast<std::uint32_t>(t.sockets.empty() ? 1 : t.sockets.size()));
  // Without "core id" (ARM, some VMs) every logical CPU counts as a core.
  cpu.set_cores(t.cores.empty() ? t.threads : static_cast<std::uint32_t>(t.cores.size()));
  if (t.mhz_count > 0) cpu.set_mhz(t.mhz_sum / t.mhz_count);
  cpu.set_hypervisor(t.hypervisor);
  read_load(context, *hw.mutable_load());
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
