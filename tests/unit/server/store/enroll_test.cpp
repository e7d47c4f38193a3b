// Enrollment tokens and devices.
#include <array>

#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay {
namespace {

constexpr UnixMillis kNow = 1'800'000'000'000;

class EnrollTest : public testing::StoreTest {
 protected:
  void add_token(const std::string& id, const std::string& hash, std::uint32_t uses,
                 UnixMillis expires_at = 0, const std::string& group = "lab") {
    EnrollToken token;
    token.id = id;
    token.token_hash = hash;
    token.group = group;
    token.uses = uses;
    token.created_at = kNow - 1000;
    token.expires_at = expires_at;
    token.created_by = "admin";
    auto added = store_->add_enroll_token(token);
    ASSERT_TRUE(added.has_value()) << added.error().to_string();
  }

  [[nodiscard]] static Device device(const std::string& id) {
    Device d;
    d.id = id;
    d.hostname = "host-" + id;
    d.platform = "linux";
    d.agent_version = "0.1.0";
    d.os_release = "Debian 12";
    d.group = "ignored: the token decides";
    d.cert_serial = "0a1b";
    return d;
  }

  [[nodiscard]] std::uint32_t used_count(const std::string& id) {
    auto tokens = store_->list_enroll_tokens();
    if (!tokens) {
      ADD_FAILURE() << tokens.error().to_string();
      return 0;
    }
    for (const EnrollToken& token : *tokens) {
      if (token.id == id) return token.used;
    }
    ADD_FAILURE() << "no token " << id;
    return 0;
  }

  // Enrolls `device_id` with a fresh single-use token.
  void enroll(const std::string& device_id) {
    add_token("et_" + device_id, "hash-" + device_id, 1);
    auto enrolled = store_->enroll_device("hash-" + device_id, device(device_id), kNow);
    ASSERT_TRUE(enrolled.has_value()) << enrolled.error().to_string();
  }
};

TEST_F(EnrollTest, SingleUseTokenEnrollsOnlyOnce) {
  add_token("et_1", "secret-hash", 1);
  auto first = store_->enroll_device("secret-hash", device("dev_a"), kNow);
  ASSERT_TRUE(first.has_value()) << first.error().to_string();
  EXPECT_EQ(first->id, "dev_a");
  EXPECT_EQ(first->group, "lab");
  EXPECT_EQ(first->enroll_token_id, "et_1");
  EXPECT_EQ(first->enrolled_at, kNow);
  EXPECT_EQ(first->cert_serial, "0a1b");

  auto second = store_->enroll_device("secret-hash", device("dev_b"), kNow);
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, "token_used_up");
  EXPECT_EQ(second.error().message, "enrollment token has already been used 1 of 1 times");

  auto devices = store_->list_devices().value();
  ASSERT_EQ(devices.size(), 1u);
  EXPECT_EQ(devices[0].id, "dev_a");
  EXPECT_EQ(used_count("et_1"), 1u);
}

TEST_F(EnrollTest, MultiUseTokenAllowsExactlyItsUses) {
  add_token("et_group", "group-hash", 3);
  for (const char* id : {"dev_1", "dev_2", "dev_3"}) {
    auto enrolled = store_->enroll_device("group-hash", device(id), kNow);
    ASSERT_TRUE(enrolled.has_value()) << id << ": " << enrolled.error().to_string();
  }
  auto fourth = store_->enroll_device("group-hash", device("dev_4"), kNow);
  ASSERT_FALSE(fourth.has_value());
  EXPECT_EQ(fourth.error().code, "token_used_up");
  EXPECT_EQ(fourth.error().message, "enrollment token has already been used 3 of 3 times");
  EXPECT_EQ(store_->list_devices().value().size(), 3u);
  EXPECT_EQ(used_count("et_group"), 3u);
}

TEST_F(EnrollTest, ExpiredTokenIsRefusedWithItsExpiry) {
  const UnixMillis expires = kNow + 60'000;
  add_token("et_exp", "exp-hash", 5, expires);
  auto late = store_->enroll_device("exp-hash", device("dev_late"), expires);
  ASSERT_FALSE(late.has_value());
  EXPECT_EQ(late.error().code, "token_expired");
  EXPECT_NE(late.error().message.find(format_rfc3339(expires)), std::string::npos);
  EXPECT_EQ(used_count("et_exp"), 0u);

  EXPECT_TRUE(store_->enroll_device("exp-hash", device("dev_early"), expires - 1).has_value());
}

TEST_F(EnrollTest, RevokedTokenIsRefused) {
  add_token("et_rev", "rev-hash", 5);
  ASSERT_TRUE(store_->revoke_enroll_token("et_rev").has_value());
  ASSERT_TRUE(store_->revoke_enroll_token("et_rev").has_value());
  auto enrolled = store_->enroll_device("rev-hash", device("dev_a"), kNow);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_EQ(enrolled.error().code, "token_revoked");
  EXPECT_TRUE(store_->list_enroll_tokens().value().at(0).revoked);
  EXPECT_EQ(used_count("et_rev"), 0u);
}

TEST_F(EnrollTest, RevokingUnknownTokenIsNotFound) {
  auto revoked = store_->revoke_enroll_token("et_nope");
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().code, "not_found");
}

TEST_F(EnrollTest, UnknownTokenIsBadToken) {
  add_token("et_1", "secret-hash", 1);
  auto enrolled = store_->enroll_device("other-hash", device("dev_a"), kNow);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_EQ(enrolled.error().code, "bad_token");
  EXPECT_EQ(enrolled.error().message, "enrollment token is not valid");
  EXPECT_TRUE(store_->list_devices().value().empty());
}

TEST_F(EnrollTest, DuplicateDeviceIdFailsAndLeavesUseCountUnchanged) {
  add_token("et_multi", "multi-hash", 5);
  ASSERT_TRUE(store_->enroll_device("multi-hash", device("dev_a"), kNow).has_value());
  Device clash = device("dev_a");
  clash.hostname = "impostor";
  auto again = store_->enroll_device("multi-hash", clash, kNow + 1);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, "store_error");
  EXPECT_EQ(used_count("et_multi"), 1u);
  EXPECT_EQ(store_->find_device("dev_a").value()->hostname, "host-dev_a");
  // The store keeps working after the rolled-back transaction.
  EXPECT_TRUE(store_->enroll_device("multi-hash", device("dev_b"), kNow + 2).has_value());
  EXPECT_EQ(used_count("et_multi"), 2u);
}

TEST_F(EnrollTest, ListsTokensWithTheirFields) {
  add_token("et_1", "h1", 4, kNow + 5, "kiosks");
  auto tokens = store_->list_enroll_tokens().value();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].id, "et_1");
  EXPECT_EQ(tokens[0].token_hash, "h1");
  EXPECT_EQ(tokens[0].group, "kiosks");
  EXPECT_EQ(tokens[0].uses, 4u);
  EXPECT_EQ(tokens[0].used, 0u);
  EXPECT_EQ(tokens[0].created_at, kNow - 1000);
  EXPECT_EQ(tokens[0].expires_at, kNow + 5);
  EXPECT_EQ(tokens[0].created_by, "admin");
  EXPECT_FALSE(tokens[0].revoked);
}

TEST_F(EnrollTest, DuplicateTokenIdIsRefused) {
  add_token("et_1", "h1", 1);
  EnrollToken token;
  token.id = "et_1";
  token.token_hash = "h2";
  auto added = store_->add_enroll_token(token);
  ASSERT_FALSE(added.has_value());
  EXPECT_EQ(added.error().code, "store_error");
}

// --- devices ---

TEST_F(EnrollTest, FindsAndListsDevices) {
  enroll("dev_b");
  enroll("dev_a");
  EXPECT_FALSE(store_->find_device("dev_zz").value().has_value());
  auto found = store_->find_device("dev_a").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->hostname, "host-dev_a");
  EXPECT_EQ(found->platform, "linux");
  EXPECT_EQ(found->agent_version, "0.1.0");
  EXPECT_EQ(found->os_release, "Debian 12");
  EXPECT_EQ(found->group, "lab");
  EXPECT_EQ(found->last_seen, kNow);
  EXPECT_FALSE(found->revoked);
  auto devices = store_->list_devices().value();
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0].id, "dev_a");
  EXPECT_EQ(devices[1].id, "dev_b");
}

TEST_F(EnrollTest, RevokeMarksDeviceAndIsIdempotent) {
  enroll("dev_a");
  auto revoked = store_->revoke_device("dev_a", kNow + 10);
  ASSERT_TRUE(revoked.has_value()) << revoked.error().to_string();
  EXPECT_TRUE(revoked->revoked);
  EXPECT_EQ(revoked->revoked_at, kNow + 10);

  auto twice = store_->revoke_device("dev_a", kNow + 20);
  ASSERT_TRUE(twice.has_value());
  EXPECT_TRUE(twice->revoked);
  EXPECT_EQ(twice->revoked_at, kNow + 10);
  EXPECT_TRUE(store_->find_device("dev_a").value()->revoked);
}

TEST_F(EnrollTest, RevokingUnknownDeviceIsNotFound) {
  auto revoked = store_->revoke_device("dev_nope", kNow);
  ASSERT_FALSE(revoked.has_value());
  EXPECT_EQ(revoked.error().code, "not_found");
}

TEST_F(EnrollTest, HelloUpdatesReportedFacts) {
  enroll("dev_a");
  Device facts;
  facts.id = "dev_a";
  facts.hostname = "renamed";
  facts.platform = "linux-arm64";
  facts.agent_version = "0.2.0";
  facts.os_release = "Debian 13";
  facts.group = "not changed by a hello";
  ASSERT_TRUE(store_->update_device_hello(facts, kNow + 5).has_value());
  auto found = store_->find_device("dev_a").value().value();
  EXPECT_EQ(found.hostname, "renamed");
  EXPECT_EQ(found.platform, "linux-arm64");
  EXPECT_EQ(found.agent_version, "0.2.0");
  EXPECT_EQ(found.os_release, "Debian 13");
  EXPECT_EQ(found.last_seen, kNow + 5);
  EXPECT_EQ(found.group, "lab");
  EXPECT_EQ(found.enrolled_at, kNow);

  facts.id = "dev_unknown";
  auto unknown = store_->update_device_hello(facts, kNow);
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, "not_found");
}

TEST_F(EnrollTest, TouchSetsLastSeenForEveryListedDevice) {
  enroll("dev_a");
  enroll("dev_b");
  enroll("dev_c");
  const std::array<std::string, 3> batch{"dev_a", "dev_c", "dev_unknown"};
  ASSERT_TRUE(store_->touch_devices(batch, kNow + 30'000).has_value());
  EXPECT_EQ(store_->find_device("dev_a").value()->last_seen, kNow + 30'000);
  EXPECT_EQ(store_->find_device("dev_b").value()->last_seen, kNow);
  EXPECT_EQ(store_->find_device("dev_c").value()->last_seen, kNow + 30'000);
  EXPECT_TRUE(store_->touch_devices({}, kNow + 60'000).has_value());
}

}  // namespace
}  // namespace helpline::relay
