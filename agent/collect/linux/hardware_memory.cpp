// hardware.memory: RAM and swap from /proc/meminfo.
#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

// "MemTotal:       16318480 kB" -> bytes.
[[nodiscard]] std::optional<std::uint64_t> kib_value(std::string_view meminfo,
                                                     std::string_view key) {
  auto value = colon_value(meminfo, key);
  if (!value) return std::nullopt;
  auto fields = split_fields(*value);
  if (fields.empty()) return std::nullopt;
  auto number = to_u64(fields[0]);
  if (!number) return std::nullopt;
  bool kib = fields.size() > 1 && fields[1] == "kB";
  return kib ? *number * 1024 : *number;
}

}  // namespace

Result<void> collect_hardware_memory(Context& context, pb::DiagnosticBundle& out) {
  auto meminfo = read_source(context, "/proc/meminfo");
  if (!meminfo) return fail(meminfo.error());
  pb::Memory& m = *out.mutable_hardware()->mutable_memory();
  struct Field {
    std::string_view key;
    void (pb::Memory::*set)(std::uint64_t);
  };
  const Field fields[] = {{"MemTotal", &pb::Memory::set_total_bytes},
                          {"MemAvailable", &pb::Memory::set_available_bytes},
                          {"SwapTotal", &pb::Memory::set_swap_total_bytes},
                          {"SwapFree", &pb::Memory::set_swap_free_bytes}};
  for (const Field& f : fields) {
    auto value = kib_value(*meminfo, f.key);
    if (value) {
      (m.*f.set)(*value);
    } else {
      context.add_error("meminfo: no " + std::string(f.key));
    }
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
