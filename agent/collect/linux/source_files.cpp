#include "agent/collect/linux/source_files.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "agent/collect/text.h"
#include "common/core/files.h"

namespace helpline::agent::collect::linux_impl {

Result<std::string> read_source(const Context& context, std::string_view path,
                                std::size_t max_bytes) {
  return files::read(context.path(path), max_bytes);
}

std::string read_value(const Context& context, std::string_view path) {
  auto text = files::read(context.path(path), 64u * 1024);
  if (!text) return {};
  std::string_view first = *text;
  first = first.substr(0, first.find('\n'));
  return clean(trim(first), 512);
}

std::optional<std::int64_t> read_int(const Context& context, std::string_view path) {
  std::string value = read_value(context, path);
  return to_i64(value);
}

std::vector<std::string> list_dir(const Context& context, std::string_view path) {
  std::vector<std::string> out;
  std::error_code ec;
  std::filesystem::directory_iterator it(context.path(path), ec);
  // Bounded: a directory in /proc or /sys with more entries than this is
  // not something a collector should walk.
  constexpr std::size_t kMaxEntries = 100000;
  for (; !ec && it != std::filesystem::directory_iterator() && out.size() < kMaxEntries;
       it.increment(ec)) {
    out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool exists(const Context& context, std::string_view path) {
  std::error_code ec;
  return std::filesystem::exists(context.path(path), ec);
}

std::string read_link(const Context& context, std::string_view path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(context.path(path), ec);
  return ec ? std::string() : target.string();
}

UnixMillis boot_time_ms(const Context& context) {
  auto stat = read_source(context, "/proc/stat");
  if (!stat) return 0;
  for (std::string_view line : split_lines(*stat)) {
    if (!starts_with(line, "btime ")) continue;
    auto seconds = to_i64(line.substr(6));
    return seconds ? *seconds * 1000 : 0;
  }
  return 0;
}

}  // namespace helpline::agent::collect::linux_impl
