// A private temporary directory (mkdtemp under $TMPDIR, else /tmp) that is
// removed with everything in it when the TempDir is destroyed.
//
// Thread: not thread-safe; one owner.
#pragma once

#include <filesystem>
#include <string_view>

namespace helpline::testing {

class TempDir {
 public:
  // `prefix` becomes part of the directory name, to tell test runs apart.
  // Throws std::runtime_error when no directory can be made: a test
  // environment fault, not something a test can work around.
  explicit TempDir(std::string_view prefix = "helpline-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  [[nodiscard]] const std::filesystem::path& path() const { return path_; }
  [[nodiscard]] std::filesystem::path operator/(std::string_view name) const {
    return path_ / name;
  }
  // Leave the directory on disk (to inspect it after a failure).
  void keep() { keep_ = true; }

 private:
  std::filesystem::path path_;
  bool keep_ = false;
};

}  // namespace helpline::testing
