// Schema v2: the upgrade of a v1 database, minimal tickets, bundle records
// and their attachment to tickets.
#include "server/store/migrations.h"
#include "server/store/sqlite_db.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay {
namespace {

constexpr UnixMillis kNow = 1'800'000'000'000;

class DiagStoreTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    raw_exec("INSERT INTO devices (id, hostname) VALUES ('dev_a', 'pc-a'), ('dev_b', 'pc-b')");
  }

  [[nodiscard]] Ticket ticket(const std::string& title, const std::string& device = "") {
    Ticket t;
    t.title = title;
    t.description = "printer on fire";
    t.impact = 4;
    t.urgency = 2;
    t.priority = 3;
    t.created_at = kNow;
    t.created_by = "alice";
    t.device_id = device;
    auto created = store_->create_ticket(t);
    EXPECT_TRUE(created) << created.error().to_string();
    return created ? *created : Ticket{};
  }

  [[nodiscard]] static BundleRecord bundle(const std::string& id, const std::string& device,
                                           UnixMillis received, std::int64_t ticket = 0) {
    BundleRecord r;
    r.id = id;
    r.device_id = device;
    r.collected_at = received - 500;
    r.received_at = received;
    r.size = 1234;
    r.raw_size = 5678;
    r.sections = {"system", "logs"};
    r.findings_json = R"([{"rule":"disk_full"}])";
    r.requested_by = "alice";
    r.ticket_id = ticket;
    return r;
  }
};

TEST_F(DiagStoreTest, VersionOneDatabaseUpgradesAndKeepsItsData) {
  store_.reset();
  path_ = dir_ / "v1.db";
  {
    auto db = sqlite::Db::open(path_, 1000);
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE(sqlite::migrate(**db, sqlite::migrations().first(1)));
    ASSERT_EQ(sqlite::schema_version(**db).value(), 1);
  }
  raw_exec(
      "INSERT INTO users (name, role, password_hash, created_at) VALUES ('ada', 'admin', 'h', 1);"
      "INSERT INTO devices (id, hostname) VALUES ('dev_old', 'old-pc');"
      "INSERT INTO settings (key, value) VALUES ('org', 'Example')");
  ASSERT_EQ(raw_int("SELECT COUNT(*) FROM sqlite_master WHERE name = 'bundles'"), 0);

  reopen();
  EXPECT_EQ(raw_int("SELECT MAX(version) FROM schema_migrations"), sqlite::latest_schema_version());
  EXPECT_TRUE(store_->find_user("ada").value().has_value());
  auto device = store_->find_device("dev_old").value();
  ASSERT_TRUE(device.has_value());
  EXPECT_EQ(device->hostname, "old-pc");
  EXPECT_EQ(store_->get_setting("org").value(), "Example");
  // The new tables work against the old rows.
  Ticket t = ticket("after upgrade", "dev_old");
  auto recorded = store_->record_bundle(bundle("sha256:01", "dev_old", kNow, t.id));
  ASSERT_TRUE(recorded) << recorded.error().to_string();
  EXPECT_EQ(store_->list_attachments(t.id).value().size(), 1u);
}

TEST_F(DiagStoreTest, TicketsGetIncreasingIdsAndReadBack) {
  Ticket first = ticket("first", "dev_a");
  Ticket second = ticket("second");
  EXPECT_GT(first.id, 0);
  EXPECT_GT(second.id, first.id);
  auto found = store_->find_ticket(first.id).value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->title, "first");
  EXPECT_EQ(found->description, "printer on fire");
  EXPECT_EQ(found->impact, 4);
  EXPECT_EQ(found->urgency, 2);
  EXPECT_EQ(found->priority, 3);
  EXPECT_EQ(found->status, "new");
  EXPECT_EQ(found->created_at, kNow);
  EXPECT_EQ(found->created_by, "alice");
  EXPECT_EQ(found->device_id, "dev_a");
  EXPECT_EQ(store_->find_ticket(second.id).value()->device_id, "");
  EXPECT_FALSE(store_->find_ticket(9999).value().has_value());
}

TEST_F(DiagStoreTest, TicketForUnknownDeviceIsNotFound) {
  Ticket t;
  t.title = "x";
  t.device_id = "dev_nope";
  auto created = store_->create_ticket(t);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, "not_found");
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM tickets"), 0);
}

TEST_F(DiagStoreTest, OutOfRangeImpactIsRefusedByTheSchema) {
  Ticket t;
  t.title = "x";
  t.impact = 9;
  auto created = store_->create_ticket(t);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, "store_error");
}

TEST_F(DiagStoreTest, BundleIsRecordedAndAttachedToItsTicket) {
  Ticket t = ticket("slow pc", "dev_a");
  auto recorded = store_->record_bundle(bundle("sha256:aa", "dev_a", kNow, t.id));
  ASSERT_TRUE(recorded) << recorded.error().to_string();
  EXPECT_EQ(recorded->id, "sha256:aa");
  EXPECT_EQ(recorded->ticket_id, t.id);
  EXPECT_EQ(recorded->sections, (std::vector<std::string>{"system", "logs"}));
  EXPECT_EQ(recorded->findings_json, R"([{"rule":"disk_full"}])");
  EXPECT_EQ(recorded->size, 1234u);
  EXPECT_EQ(recorded->raw_size, 5678u);
  EXPECT_EQ(recorded->collected_at, kNow - 500);

  auto attachments = store_->list_attachments(t.id).value();
  ASSERT_EQ(attachments.size(), 1u);
  EXPECT_EQ(attachments[0].kind, "bundle");
  EXPECT_EQ(attachments[0].ref, "sha256:aa");
  EXPECT_EQ(attachments[0].added_by, "alice");
  EXPECT_EQ(attachments[0].added_at, kNow);

  auto found = store_->find_bundle("sha256:aa").value();
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->device_id, "dev_a");
  EXPECT_FALSE(store_->find_bundle("sha256:bb").value().has_value());
}

TEST_F(DiagStoreTest, SameContentTwiceKeepsTheFirstRecordAndAttachesAgain) {
  Ticket one = ticket("one");
  Ticket two = ticket("two");
  ASSERT_TRUE(store_->record_bundle(bundle("sha256:cc", "dev_a", kNow, one.id)));
  BundleRecord again = bundle("sha256:cc", "dev_a", kNow + 10, two.id);
  again.requested_by = "bob";
  auto recorded = store_->record_bundle(again);
  ASSERT_TRUE(recorded) << recorded.error().to_string();
  EXPECT_EQ(recorded->received_at, kNow);
  EXPECT_EQ(recorded->ticket_id, one.id);
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM bundles"), 1);
  EXPECT_EQ(store_->list_attachments(two.id).value().size(), 1u);
  EXPECT_EQ(store_->list_attachments(two.id).value()[0].added_by, "bob");
  // Recording the same attachment again is not an error either.
  ASSERT_TRUE(store_->record_bundle(again));
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM ticket_attachments"), 2);
}

TEST_F(DiagStoreTest, UnknownTicketOrDeviceChangesNothing) {
  auto no_ticket = store_->record_bundle(bundle("sha256:dd", "dev_a", kNow, 4242));
  ASSERT_FALSE(no_ticket);
  EXPECT_EQ(no_ticket.error().code, "not_found");
  auto no_device = store_->record_bundle(bundle("sha256:ee", "dev_zzz", kNow));
  ASSERT_FALSE(no_device);
  EXPECT_EQ(no_device.error().code, "not_found");
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM bundles"), 0);
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM ticket_attachments"), 0);
}

TEST_F(DiagStoreTest, ListsByDeviceAndTicketNewestFirst) {
  Ticket t = ticket("t");
  ASSERT_TRUE(store_->record_bundle(bundle("sha256:01", "dev_a", kNow + 1)));
  ASSERT_TRUE(store_->record_bundle(bundle("sha256:02", "dev_b", kNow + 2, t.id)));
  ASSERT_TRUE(store_->record_bundle(bundle("sha256:03", "dev_a", kNow + 3, t.id)));

  auto ids = [](const std::vector<BundleRecord>& list) {
    std::vector<std::string> out;
    for (const auto& r : list) out.push_back(r.id);
    return out;
  };
  auto listed = [this, &ids](std::string device, std::int64_t ticket, std::size_t limit = 500) {
    BundleFilter filter;
    filter.device_id = std::move(device);
    filter.ticket_id = ticket;
    filter.limit = limit;
    return ids(store_->list_bundles(filter).value());
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(listed("", 0), (V{"sha256:03", "sha256:02", "sha256:01"}));
  EXPECT_EQ(listed("dev_a", 0), (V{"sha256:03", "sha256:01"}));
  EXPECT_EQ(listed("", t.id), (V{"sha256:03", "sha256:02"}));
  EXPECT_EQ(listed("dev_b", t.id), (V{"sha256:02"}));
  EXPECT_EQ(listed("", 0, 1), (V{"sha256:03"}));
  EXPECT_TRUE(listed("dev_none", 0).empty());
}

}  // namespace
}  // namespace helpline::relay
