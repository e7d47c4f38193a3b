// Shared by the agent/actions tests: an organisation key, signing a catalog
// text, a libuv loop with an executor over a temporary state directory,
// and fake programs that record their argv.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <uv.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "agent/actions/actions.h"
#include "common/catalog/catalog.h"
#include "common/core/files.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/common/catalog/fake_host_facts.h"

namespace helpline::agent::actions::testing {

struct OrgKey {
  tls::PKeyPtr key;
  std::string public_pem;

  static OrgKey make() {
    auto key = tls::generate_key(tls::KeyType::kEd25519);
    EXPECT_TRUE(key);
    auto pem = tls::public_key_to_pem(key->get());
    EXPECT_TRUE(pem);
    return OrgKey{std::move(*key), *pem};
  }

  // catalog.signed bytes for a catalog TOML text.
  [[nodiscard]] std::string sign(std::string_view toml) const {
    auto catalog = catalog::parse_catalog_toml(toml);
    EXPECT_TRUE(catalog) << catalog.error().to_string();
    if (!catalog) return {};
    auto signed_catalog = catalog::sign_catalog(*catalog, key.get());
    EXPECT_TRUE(signed_catalog) << signed_catalog.error().to_string();
    return catalog::encode_signed_catalog(*signed_catalog);
  }
};

// Writes an executable shell script (0755) and returns its path.
inline std::string write_script(const std::filesystem::path& path, std::string_view body) {
  auto written = files::write_atomic(path, "#!/bin/sh\n" + std::string(body), 0755);
  EXPECT_TRUE(written) << written.error().to_string();
  return path.string();
}

// A script that writes each argument on its own line to `record` and
// prints "fake-ok".
inline std::string write_recorder(const std::filesystem::path& path,
                                  const std::filesystem::path& record) {
  return write_script(path, "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" +
                                record.string() + "'\necho fake-ok\n");
}

// A loop, a state directory, stores and an executor, closed cleanly at the
// end of each test (the loop must have no handle left).
class ExecutorFixture : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(uv_loop_init(&loop_), 0); }

  void TearDown() override {
    if (executor_) {
      bool closed = false;
      executor_->close([&] { closed = true; });
      uv_run(&loop_, UV_RUN_DEFAULT);
      EXPECT_TRUE(closed);
      executor_.reset();
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was left open";
  }

  // Installs the signed catalog and creates the executor.
  void start(std::string_view catalog_toml, ExecutorOptions options = {}) {
    stop_executor();
    auto catalogs = CatalogStore::open(catalog_dir(state_.path()));
    ASSERT_TRUE(catalogs) << catalogs.error().to_string();
    catalogs_ = std::make_unique<CatalogStore>(std::move(*catalogs));
    ASSERT_TRUE(catalogs_->pin_org_key(key_.public_pem, PinSource::kEnroll, 1));
    if (!catalog_toml.empty()) {
      auto installed = catalogs_->install(key_.sign(catalog_toml), "", 2);
      ASSERT_TRUE(installed) << installed.error().to_string();
    }
    restart(std::move(options));
  }

  // A new executor (and idempotency store) over the same state directory,
  // as after an agent restart.
  void restart(ExecutorOptions options = {}) {
    stop_executor();
    auto records = IdempotencyStore::open(records_dir(state_.path()));
    ASSERT_TRUE(records) << records.error().to_string();
    records_ = std::make_unique<IdempotencyStore>(std::move(*records));
    if (!options.logged_in_user) {
      options.logged_in_user = []() -> std::optional<std::string> { return std::nullopt; };
    }
    executor_ = std::make_unique<Executor>(
        &loop_, *catalogs_, *records_, host_,
        [this](const ConsentRequest& ask, ConsentAnswer answer) {
          consent_asked_.push_back(ask);
          if (consent_) consent_(ask, std::move(answer));
        },
        std::move(options));
  }

  [[nodiscard]] v1::ActionRequest request(std::string action, std::string key = "k-1") const {
    v1::ActionRequest r;
    r.set_idempotency_key(std::move(key));
    r.set_action_id(std::move(action));
    r.set_catalog_version(catalogs_->version());
    r.set_requested_by("tech1");
    r.set_ticket_id(7);
    return r;
  }

  void stop_executor() {
    if (!executor_) return;
    executor_->close([] {});
    uv_run(&loop_, UV_RUN_DEFAULT);
    executor_.reset();
  }

  // Runs one request to its end (the action's own timeout bounds the loop).
  v1::ActionResult run(const v1::ActionRequest& r, Requester who = Requester::kRelay) {
    std::optional<v1::ActionResult> result;
    streamed_.clear();
    executor_->run(
        r, who, [&](std::string_view chunk) { streamed_ += chunk; },
        [&](const v1::ActionResult& done) { result = done; });
    uv_run(&loop_, UV_RUN_DEFAULT);
    EXPECT_TRUE(result.has_value()) << "no result for " << r.action_id();
    return result.value_or(v1::ActionResult());
  }

  uv_loop_t loop_{};
  helpline::testing::TempDir state_{"actions-test"};
  OrgKey key_ = OrgKey::make();
  catalog::testing::FakeHostFacts host_;
  std::unique_ptr<CatalogStore> catalogs_;
  std::unique_ptr<IdempotencyStore> records_;
  std::unique_ptr<Executor> executor_;
  ConsentHook consent_;  // unset: consent is never answered
  std::vector<ConsentRequest> consent_asked_;
  std::string streamed_;
};

}  // namespace helpline::agent::actions::testing
