// Small file helpers shared by the daemons and CLIs: whole-file reads, atomic
// writes (write, fsync, rename) with an explicit mode, private directories.
// Keys and tokens are written with 0600; state directories are 0700.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/core/result.h"

namespace helpline::files {

// Errors: "read_failed" naming the path and the OS reason; "too_large" when
// the file exceeds max_bytes.
[[nodiscard]] Result<std::string> read(const std::filesystem::path& path,
                                       std::size_t max_bytes = 16u << 20);

enum class Sync {
  kDurable,  // fsync the file before the rename and the directory after it
  kNoSync,   // no fsync: after a power loss the file may hold the old content
             // (or none); for status that is rewritten often and rebuilt on
             // start, where two fsyncs per change cost milliseconds each
};

// Writes to a temporary sibling, then renames: a reader sees the old
// content or the new, never a torn file.
[[nodiscard]] Result<void> write_atomic(const std::filesystem::path& path, std::string_view data,
                                        unsigned mode = 0600, Sync sync = Sync::kDurable);

// Creates the directory (and parents) if missing and sets its mode. An
// existing directory keeps its content; its mode is tightened to `mode`.
[[nodiscard]] Result<void> ensure_private_dir(const std::filesystem::path& path,
                                              unsigned mode = 0700);

// The user's configuration directory: $XDG_CONFIG_HOME, else $HOME/.config.
[[nodiscard]] std::filesystem::path user_config_dir();

}  // namespace helpline::files
