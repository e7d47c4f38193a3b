// Reading /proc, /sys, /etc and friends under the Context's root. Every
// path argument is absolute as on a real system ("/proc/meminfo"); the
// Context maps it into a fake tree in tests. Thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

inline constexpr std::size_t kMaxSourceFile = 4u << 20;

// Whole file. Errors: "read_failed" naming the path and the OS reason,
// "too_large" above max_bytes.
[[nodiscard]] Result<std::string> read_source(const Context& context, std::string_view path,
                                              std::size_t max_bytes = kMaxSourceFile);

// The trimmed, cleaned first line of a small file (sysfs attributes), or
// "" when it is missing or unreadable.
[[nodiscard]] std::string read_value(const Context& context, std::string_view path);
[[nodiscard]] std::optional<std::int64_t> read_int(const Context& context, std::string_view path);

// Entry names in a directory, sorted; empty when it does not exist.
[[nodiscard]] std::vector<std::string> list_dir(const Context& context, std::string_view path);
[[nodiscard]] bool exists(const Context& context, std::string_view path);
// Target of a symbolic link, "" if not a link.
[[nodiscard]] std::string read_link(const Context& context, std::string_view path);

// Boot time in ms since the epoch, from /proc/stat's btime; 0 if unknown.
[[nodiscard]] UnixMillis boot_time_ms(const Context& context);

}  // namespace helpline::agent::collect::linux_impl
