// storage.block: block devices from /sys/block (size in 512-byte sectors,
// model, rotational, removable, read-only). Unused loop devices (size 0)
// are left out.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr int kMaxDevices = 1000;

struct Prefix {
  std::string_view prefix;
  std::string_view type;
};
constexpr Prefix kTypes[] = {{"loop", "loop"}, {"dm-", "dm"},  {"md", "md"},  {"sr", "rom"},
                             {"zram", "zram"}, {"ram", "ram"}, {"nbd", "nbd"}};

[[nodiscard]] std::string_view device_type(std::string_view name) {
  for (const Prefix& p : kTypes) {
    if (starts_with(name, p.prefix)) return p.type;
  }
  return "disk";
}

[[nodiscard]] bool flag(Context& context, const std::string& path) {
  return read_value(context, path) == "1";
}

}  // namespace

Result<void> collect_storage_block(Context& context, pb::DiagnosticBundle& out) {
  if (!exists(context, "/sys/block")) return fail("read_failed", "/sys/block is missing");
  pb::StorageInfo& st = *out.mutable_storage();
  for (const std::string& name : list_dir(context, "/sys/block")) {
    std::string dir = "/sys/block/" + name + "/";
    auto sectors = read_int(context, dir + "size");
    std::uint64_t size = sectors && *sectors > 0 ? static_cast<std::uint64_t>(*sectors) * 512 : 0;
    std::string_view type = device_type(name);
    if (type == "loop" && size == 0) continue;
    if (st.block_devices_size() >= kMaxDevices) {
      context.add_error("more than " + std::to_string(kMaxDevices) + " block devices");
      break;
    }
    pb::BlockDevice& d = *st.add_block_devices();
    d.set_name(clean(name, 64));
    d.set_size_bytes(size);
    d.set_model(read_value(context, dir + "device/model"));
    d.set_rotational(flag(context, dir + "queue/rotational"));
    d.set_removable(flag(context, dir + "removable"));
    d.set_read_only(flag(context, dir + "ro"));
    d.set_type(std::string(type));
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
