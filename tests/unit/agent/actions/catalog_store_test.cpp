// The pin store: pinning, trust on first use, and every refusal (another
// key, a tampered byte, an older version, a reused version) leaving the
// installed catalog as it was.
#include <sys/stat.h>

#include "tests/unit/agent/actions/actions_test_util.h"

namespace helpline::agent::actions {
namespace {

using testing::OrgKey;

std::string catalog_text(int version, std::string_view program = "/bin/true") {
  return "version = " + std::to_string(version) +
         "\nissuer = \"Test IT\"\n[[action]]\nid = \"test.noop\"\ntitle = \"Noop\"\n"
         "platforms = [\"linux\"]\nrisk = \"low\"\nargv = [\"" +
         std::string(program) + "\"]\n";
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777u;
}

class CatalogStoreTest : public ::testing::Test {
 protected:
  std::filesystem::path dir() const { return catalog_dir(state_.path()); }
  CatalogStore open() {
    auto store = CatalogStore::open(dir());
    EXPECT_TRUE(store) << store.error().to_string();
    return std::move(*store);
  }
  void expect_refused(CatalogStore& store, const std::string& bytes, std::string_view code) {
    std::uint64_t before = store.version();
    auto r = store.install(bytes, "", 5);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_EQ(store.version(), before) << "a refused catalog replaced the installed one";
    EXPECT_EQ(open().version(), before);
  }

  helpline::testing::TempDir state_{"catalog-store"};
  OrgKey key_ = OrgKey::make();
};

TEST_F(CatalogStoreTest, InstallsCatalogSignedByPinnedKey) {
  auto store = open();
  EXPECT_EQ(store.catalog(), nullptr);
  ASSERT_TRUE(store.pin_org_key(key_.public_pem, PinSource::kEnroll, 100));
  auto outcome = store.install(key_.sign(catalog_text(3)), "", 200);
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_EQ(outcome->version, 3u);
  EXPECT_EQ(outcome->previous_version, 0u);
  EXPECT_FALSE(outcome->pinned_now);
  ASSERT_NE(store.catalog(), nullptr);
  EXPECT_EQ(store.catalog()->actions(0).id(), "test.noop");
  EXPECT_EQ(mode_of(dir()), 0700u);
  EXPECT_EQ(mode_of(dir() / kSignedCatalogFile), 0600u);
  EXPECT_EQ(mode_of(dir() / kOrgKeyFile), 0600u);
  EXPECT_EQ(mode_of(dir() / kOrgKeyRecordFile), 0600u);

  auto reopened = open();
  EXPECT_EQ(reopened.version(), 3u);
  ASSERT_TRUE(reopened.pin().has_value());
  EXPECT_EQ(reopened.pin()->source, PinSource::kEnroll);
  EXPECT_EQ(reopened.pin()->pinned_at, 100);
  EXPECT_EQ(reopened.pin()->key_id, *catalog::key_id(key_.key.get()));
}

TEST_F(CatalogStoreTest, RefusesAnotherKeyTamperedOlderAndReusedVersions) {
  auto store = open();
  ASSERT_TRUE(store.pin_org_key(key_.public_pem, PinSource::kInstaller, 1));
  ASSERT_TRUE(store.install(key_.sign(catalog_text(5)), "", 2));

  OrgKey other = OrgKey::make();
  expect_refused(store, other.sign(catalog_text(6)), "wrong_key");
  // The relay's offered key is ignored once a key is pinned.
  EXPECT_FALSE(store.install(other.sign(catalog_text(6)), other.public_pem, 3));

  std::string tampered = key_.sign(catalog_text(6, "/bin/false"));
  auto pos = tampered.find("/bin/false");
  ASSERT_NE(pos, std::string::npos);
  tampered.replace(pos, 10, "/bin/bash!");
  expect_refused(store, tampered, "bad_signature");

  expect_refused(store, key_.sign(catalog_text(4)), "older_version");
  expect_refused(store, key_.sign(catalog_text(5, "/bin/false")), "version_reused");
  expect_refused(store, "", "bad_catalog");
  expect_refused(store, "garbage", "bad_catalog");

  auto same = store.install(key_.sign(catalog_text(5)), "", 4);
  ASSERT_TRUE(same) << same.error().to_string();
  EXPECT_TRUE(same->unchanged);
  auto newer = store.install(key_.sign(catalog_text(6)), "", 5);
  ASSERT_TRUE(newer);
  EXPECT_EQ(newer->previous_version, 5u);
  EXPECT_EQ(open().version(), 6u);
}

TEST_F(CatalogStoreTest, RefusesUnsignedCatalog) {
  auto store = open();
  ASSERT_TRUE(store.pin_org_key(key_.public_pem, PinSource::kEnroll, 1));
  auto catalog = catalog::parse_catalog_toml(catalog_text(1));
  ASSERT_TRUE(catalog);
  v1::SignedCatalog unsigned_catalog;
  unsigned_catalog.set_catalog(catalog->SerializeAsString());
  unsigned_catalog.set_key_id(*catalog::key_id(key_.key.get()));
  expect_refused(store, unsigned_catalog.SerializeAsString(), "bad_catalog");
  unsigned_catalog.set_signature(std::string(64, '\0'));
  expect_refused(store, unsigned_catalog.SerializeAsString(), "bad_signature");
}

TEST_F(CatalogStoreTest, TrustsRelayKeyOnFirstUseAndRecordsIt) {
  auto store = open();
  auto refused = store.install(key_.sign(catalog_text(1)), "", 1);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "no_org_key");

  // A catalog that does not verify with the offered key pins nothing.
  OrgKey other = OrgKey::make();
  EXPECT_FALSE(store.install(key_.sign(catalog_text(1)), other.public_pem, 1));
  EXPECT_FALSE(store.pin().has_value());

  auto outcome = store.install(key_.sign(catalog_text(1)), key_.public_pem, 42);
  ASSERT_TRUE(outcome) << outcome.error().to_string();
  EXPECT_TRUE(outcome->pinned_now);
  auto reopened = open();
  ASSERT_TRUE(reopened.pin().has_value());
  EXPECT_EQ(reopened.pin()->source, PinSource::kRelayTofu);
  EXPECT_EQ(reopened.pin()->pinned_at, 42);
  auto record = files::read(dir() / kOrgKeyRecordFile);
  ASSERT_TRUE(record);
  EXPECT_NE(record->find("relay-tofu"), std::string::npos);
  EXPECT_EQ(reopened.version(), 1u);
}

TEST_F(CatalogStoreTest, ExplicitPinReplacesTofuPinButNotAnotherExplicitPin) {
  OrgKey org = OrgKey::make();
  auto store = open();
  ASSERT_TRUE(store.install(key_.sign(catalog_text(1)), key_.public_pem, 1));
  ASSERT_TRUE(store.pin_org_key(org.public_pem, PinSource::kEnroll, 2));
  EXPECT_EQ(store.pin()->source, PinSource::kEnroll);
  EXPECT_EQ(store.catalog(), nullptr) << "the catalog of the replaced key is no longer trusted";
  EXPECT_EQ(open().catalog(), nullptr);

  auto refused = store.pin_org_key(key_.public_pem, PinSource::kInstaller, 3);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "org_key_pinned");
  EXPECT_TRUE(store.pin_org_key(org.public_pem, PinSource::kInstaller, 4));  // same key: fine
  EXPECT_FALSE(store.pin_org_key("not a key", PinSource::kEnroll, 5));
}

TEST_F(CatalogStoreTest, RefusesDamagedPinFiles) {
  {
    auto store = open();
    ASSERT_TRUE(store.pin_org_key(key_.public_pem, PinSource::kEnroll, 1));
  }
  OrgKey other = OrgKey::make();
  ASSERT_TRUE(files::write_atomic(dir() / kOrgKeyFile, other.public_pem, 0600));
  auto store = CatalogStore::open(dir());
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, "bad_state");
  EXPECT_NE(store.error().message.find(kOrgKeyRecordFile), std::string::npos);
}

}  // namespace
}  // namespace helpline::agent::actions
