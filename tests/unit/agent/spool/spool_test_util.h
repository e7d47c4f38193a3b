// Shared by the spool tests: a fake clock, a writer that fails on demand
// (a full disk), and file helpers that find and damage a spool's files.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "agent/spool/spool.h"
#include "common/core/files.h"
#include "tests/support/temp_dir.h"

namespace helpline::agent::spool::testing {

namespace fs = std::filesystem;

// Passes writes to the real writer until fail_with() is set, then fails them
// the way files::write_atomic does (message ending with strerror).
class FailingWriter final : public Writer {
 public:
  Result<void> write_atomic(const fs::path& path, std::string_view data, unsigned mode) override {
    ++calls;
    if (error != 0)
      return fail("write_failed", "cannot write " + path.string() + ": " + std::strerror(error));
    return system_writer().write_atomic(path, data, mode);
  }
  void fail_with(int err) { error = err; }

  int error = 0;
  int calls = 0;
};

// Starts at 1'700'000'000'000 and moves one second per call.
struct FakeClock {
  UnixMillis next = 1'700'000'000'000;
  std::function<UnixMillis()> fn() {
    return [this] {
      next += 1000;
      return next;
    };
  }
};

inline SpoolOptions options_for(const fs::path& dir, FakeClock& clock) {
  SpoolOptions options;
  options.dir = dir;
  options.clock = clock.fn();
  return options;
}

template <class T>
T ok(Result<T> result) {
  EXPECT_TRUE(result.has_value()) << (result ? "" : result.error().to_string());
  if (!result) throw std::runtime_error(result.error().to_string());
  return std::move(*result);
}

inline void ok(Result<void> result) {
  if (!result) throw std::runtime_error(result.error().to_string());
}

inline std::vector<std::string> ids_of(const std::vector<ItemInfo>& items) {
  std::vector<std::string> out;
  for (const ItemInfo& item : items) out.push_back(item.id);
  return out;
}

// Names in `dir` (not recursive), sorted.
inline std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The spool file whose name contains `id` and ends with `suffix`.
inline fs::path file_of(const fs::path& dir, const std::string& id,
                        std::string_view suffix = ".item") {
  for (const std::string& name : names_in(dir)) {
    if (name.find(id) != std::string::npos && name.ends_with(suffix)) return dir / name;
  }
  ADD_FAILURE() << "no " << suffix << " file for " << id << " in " << dir;
  return dir / "missing";
}

inline std::string slurp(const fs::path& path) { return files::read(path, 1u << 30).value(); }

// Overwrites without changing the mode (a plain write, not atomic: the test
// plays the part of a disk that went bad).
inline void overwrite(const fs::path& path, std::string_view data) {
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
  ASSERT_EQ(std::fclose(f), 0);
}

inline unsigned mode_of(const fs::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return static_cast<unsigned>(st.st_mode & 07777);
}

}  // namespace helpline::agent::spool::testing
