// Reading smartctl's JSON output (smartmontools 7, `--json=c`). Pure
// functions over text, so they are tested with recorded output.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

struct SmartctlDevice {
  std::string name;  // "/dev/sda"
  std::string type;  // "sat", "nvme", "scsi"; "" to let smartctl choose
};

// `smartctl --scan --json=c`. Devices whose name is not under /dev/ or
// whose type has unexpected characters are left out (they become argv).
// Errors: "bad_json".
[[nodiscard]] Result<std::vector<SmartctlDevice>> parse_smartctl_scan(std::string_view json);

// `smartctl --json=c -i -H -A <device>`: identity, overall health and the
// key attributes (ATA 5, 9, 194, 197; NVMe health log). A device that could
// not be read comes back with available = false and the reason smartctl
// gave. Errors: "bad_json".
[[nodiscard]] Result<pb::SmartDevice> parse_smartctl_device(std::string_view json,
                                                            std::string_view device);

}  // namespace helpline::agent::collect::linux_impl
