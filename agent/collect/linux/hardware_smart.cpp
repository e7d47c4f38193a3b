// hardware.smart: disk health through `smartctl --json` (smartmontools),
// spawned from an argv vector. Reported UNAVAILABLE when smartctl is not
// installed: the kernel offers no portable SMART interface of its own.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/smartctl_json.h"
#include "agent/collect/linux/spawn.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::size_t kMaxDevices = 64;
constexpr std::size_t kMaxOutput = 1u << 20;

}  // namespace

Result<void> collect_hardware_smart(Context& context, pb::DiagnosticBundle& out) {
  if (!context.live()) return skipped("smartctl is not run under a fake root");
  std::string smartctl = find_program("smartctl");
  if (smartctl.empty()) return unavailable("smartctl not installed");

  auto scan = run_program({smartctl, "--scan", "--json=c"}, context.deadline(), kMaxOutput);
  if (!scan) return fail(scan.error());
  auto devices = parse_smartctl_scan(scan->output);
  if (!devices) return fail(devices.error());
  if (devices->size() > kMaxDevices) {
    context.add_error(std::to_string(devices->size()) + " devices; only the first " +
                      std::to_string(kMaxDevices) + " were read");
    devices->resize(kMaxDevices);
  }
  pb::HardwareInfo& hw = *out.mutable_hardware();
  for (const SmartctlDevice& dev : *devices) {
    if (context.expired()) return fail("timed_out", "SMART reads did not finish in time");
    std::vector<std::string> argv = {smartctl, "--json=c", "-i", "-H", "-A"};
    if (!dev.type.empty()) {
      argv.push_back("-d");
      argv.push_back(dev.type);
    }
    argv.push_back(dev.name);
    auto run = run_program(argv, context.deadline(), kMaxOutput);
    if (!run) {
      context.add_error(dev.name + ": " + run.error().message);
      continue;
    }
    auto device = parse_smartctl_device(run->output, dev.name);
    if (!device) {
      context.add_error(dev.name + ": " + device.error().message);
      continue;
    }
    *hw.add_smart() = std::move(*device);
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
