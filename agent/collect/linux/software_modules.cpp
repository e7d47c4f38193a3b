// software.modules: loaded kernel modules from /proc/modules, sorted.
#include <algorithm>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {

Result<void> collect_software_modules(Context& context, pb::DiagnosticBundle& out) {
  auto text = read_source(context, "/proc/modules");
  if (!text) {
    return unavailable("no /proc/modules: the kernel has no loadable modules (" +
                       text.error().message + ")");
  }
  std::vector<std::string> names;
  for (std::string_view line : split_lines(*text)) {
    auto fields = split_fields(line);
    if (!fields.empty() && names.size() < 20000) names.push_back(clean(fields[0], 128));
  }
  std::sort(names.begin(), names.end());
  pb::SoftwareInfo& sw = *out.mutable_software();
  for (std::string& n : names) sw.add_kernel_modules(std::move(n));
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
