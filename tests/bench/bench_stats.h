// What the store benchmarks share: timing, percentiles, file sizes and
// their "--flag N" command lines. Header-only, for tests/bench only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace helpline::bench {

using BenchClock = std::chrono::steady_clock;

[[nodiscard]] inline double ms_since(BenchClock::time_point start) {
  return std::chrono::duration<double, std::milli>(BenchClock::now() - start).count();
}

// The value at rank p/100 x n of the sorted values (0 when there are none).
[[nodiscard]] inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size()));
  return values[std::min(rank, values.size() - 1)];
}

// 0 for a file that is not there.
[[nodiscard]] inline std::uintmax_t size_of(const std::filesystem::path& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  return ec ? 0 : size;
}

// A database file plus its write-ahead log, in MiB.
inline void print_database_size(const std::filesystem::path& db) {
  const std::filesystem::path wal = db.string() + "-wal";
  std::printf("database: %.1f MiB (%s %.1f MiB + WAL %.1f MiB)\n",
              static_cast<double>(size_of(db) + size_of(wal)) / 1048576.0,
              db.filename().c_str(), static_cast<double>(size_of(db)) / 1048576.0,
              static_cast<double>(size_of(wal)) / 1048576.0);
}

// Reads "--name N" pairs into `numbers` (at least 1) and "--dir PATH";
// false (after printing `usage`) for anything else.
[[nodiscard]] inline bool parse_flags(int argc, char** argv, const std::map<std::string, long*>& numbers,
                                      std::filesystem::path& dir, const char* usage) {
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "%s\n", usage);
      return false;
    }
    if (auto it = numbers.find(flag); it != numbers.end()) {
      *it->second = std::max(1L, std::strtol(argv[i + 1], nullptr, 10));
    } else if (flag == "--dir") {
      dir = argv[i + 1];
    } else {
      std::fprintf(stderr, "%s\n", usage);
      return false;
    }
  }
  return true;
}

}  // namespace helpline::bench
