// hardware.dmi: vendor, product, serial, board and BIOS from
// /sys/class/dmi/id. Serial numbers are readable by root only; an agent
// running unprivileged simply leaves them empty.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"

namespace helpline::agent::collect::linux_impl {

Result<void> collect_hardware_dmi(Context& context, pb::DiagnosticBundle& out) {
  if (!exists(context, "/sys/class/dmi/id")) {
    return unavailable("no DMI data (/sys/class/dmi/id is missing: no SMBIOS firmware tables)");
  }
  pb::Dmi& d = *out.mutable_hardware()->mutable_dmi();
  auto value = [&](std::string_view name) {
    return read_value(context, "/sys/class/dmi/id/" + std::string(name));
  };
  d.set_sys_vendor(value("sys_vendor"));
  d.set_product_name(value("product_name"));
  d.set_product_version(value("product_version"));
  d.set_product_serial(value("product_serial"));
  d.set_board_vendor(value("board_vendor"));
  d.set_board_name(value("board_name"));
  d.set_bios_vendor(value("bios_vendor"));
  d.set_bios_version(value("bios_version"));
  d.set_bios_date(value("bios_date"));
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
