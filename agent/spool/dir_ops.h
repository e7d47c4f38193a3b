// Internal to agent/spool: the few POSIX file operations the spool needs
// beyond common/core/files.h. Every error is "spool_io" naming the path and
// the OS reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/core/result.h"

namespace helpline::agent::spool::detail {

// fsync of a directory, so that a rename or unlink in it is durable.
[[nodiscard]] Result<void> sync_dir(const std::filesystem::path& dir);

// unlink(2). false when the file did not exist.
[[nodiscard]] Result<bool> remove_file(const std::filesystem::path& path);

// rename(2) within one file system.
[[nodiscard]] Result<void> rename_file(const std::filesystem::path& from,
                                       const std::filesystem::path& to);

struct Prefix {
  std::string bytes;       // the first min(max, size) bytes
  std::uint64_t size = 0;  // the whole file's size
};
[[nodiscard]] Result<Prefix> read_prefix(const std::filesystem::path& path, std::size_t max);

// Whether a write error (files::write_atomic or a Writer) was ENOSPC or
// EDQUOT: those messages end with the OS reason.
[[nodiscard]] bool is_disk_full(const Error& error);

}  // namespace helpline::agent::spool::detail
