// A fresh SQLite store in a private temporary directory per test, plus a
// second raw connection for what the Store interface deliberately does not
// offer (inspecting the schema, disabling a user, forging a future version).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "server/store/store.h"

namespace helpline::relay::testing {

// A private directory named after the test (and the process, so parallel
// ctest runs never share one), removed afterwards.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("helpline-store-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" +
            info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path dir_;
};

class StoreTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    path_ = dir_ / "relay.db";
    reopen();
  }

  void TearDown() override {
    store_.reset();
    TempDirTest::TearDown();
  }

  void reopen() {
    store_.reset();
    auto opened = open_sqlite_store(path_);
    ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
    store_ = std::move(*opened);
  }

  // Runs SQL through a separate connection; fails the test on error.
  void raw_exec(const std::string& sql) const {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << message;
  }

  // The first column of the first row of `sql`, through a separate connection.
  [[nodiscard]] std::int64_t raw_int(const std::string& sql) const {
    sqlite3* db = nullptr;
    std::int64_t value = -1;
    if (sqlite3_open(path_.c_str(), &db) == SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
          sqlite3_step(stmt) == SQLITE_ROW) {
        value = sqlite3_column_int64(stmt, 0);
      }
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return value;
  }

  std::filesystem::path path_;
  std::unique_ptr<Store> store_;
};

}  // namespace helpline::relay::testing
