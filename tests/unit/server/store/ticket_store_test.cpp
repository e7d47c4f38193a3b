// Schema v3: full tickets, their history, conversation, fired escalations
// and idempotency keys, written in one transaction; the queue's order,
// filters and keyset pagination; the upgrade of a v2 database with tickets to the latest schema.
#include <set>

#include "server/store/migrations.h"
#include "server/store/sqlite_db.h"
#include "server/tickets/tickets.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay {
namespace {

namespace t = tickets;

constexpr UnixMillis kNow = 1'800'000'000'000;
constexpr UnixMillis kHour = 3'600'000;

class TicketStoreTest : public testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    raw_exec("INSERT INTO devices (id, hostname) VALUES ('dev_a', 'pc-a'), ('dev_b', 'pc-b')");
  }

  [[nodiscard]] TicketStore& tickets() { return store_->ticket_store(); }

  // A ticket opened at `at` with the default rules, saved; its history
  // written with it.
  t::Ticket open(const std::string& title, int impact, int urgency, UnixMillis at,
                 const std::string& device = "") {
    t::NewTicket n;
    n.title = title;
    n.requester = {"alice", device};
    n.impact = t::impact_from_int(impact).value();
    n.urgency = t::urgency_from_int(urgency).value();
    auto opened = t::open_ticket(n, rules_, t::Actor::technician("bob", t::SupportLevel::kL1), at);
    EXPECT_TRUE(opened) << opened.error().to_string();
    TicketWrite write;
    write.ticket = opened->ticket;
    write.history = opened->history;
    write.created_by = "bob";
    auto saved = tickets().save(std::move(write));
    EXPECT_TRUE(saved) << saved.error().to_string();
    return saved.value_or(t::Ticket{});
  }

  [[nodiscard]] std::vector<std::int64_t> ids_of(TicketQuery query) {
    std::vector<std::int64_t> out;
    for (int page = 0; page < 100; ++page) {
      auto result = tickets().query(query);
      EXPECT_TRUE(result) << result.error().to_string();
      if (!result) break;
      for (const auto& ticket : result->tickets) out.push_back(ticket.id);
      if (!result->next) break;
      query.after = result->next;
    }
    return out;
  }

  t::HelpdeskRules rules_;
};

TEST_F(TicketStoreTest, SavesAndLoadsEveryField) {
  t::Ticket ticket = open("VPN drops", 4, 4, kNow, "dev_a");
  ASSERT_GT(ticket.id, 0);
  ticket.facts.symptoms = "error 809";
  ticket.finding_ids = {"network.vpn", "storage.full"};
  ticket.pending_reason = t::PendingReason::kWaitingForVendor;
  ticket.status = t::Status::kPending;
  ticket.sla.paused_since = kNow + kHour;
  ticket.satisfaction = {4, "quick", kNow + 2 * kHour};
  ticket.reopen_count = 2;
  ticket.assignee = "bob";
  ticket.group = "network";
  TicketWrite write;
  write.ticket = ticket;
  ASSERT_TRUE(tickets().save(write));
  auto loaded = tickets().load(ticket.id).value();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(*loaded, ticket);
  EXPECT_FALSE(tickets().load(ticket.id + 100).value().has_value());
}

TEST_F(TicketStoreTest, WritesHistoryMessagesAttachmentsAndFiredTogether) {
  t::Ticket ticket = open("Printer", 2, 2, kNow);
  auto assigned =
      t::assign(ticket, "bob", t::Actor::technician("bob", t::SupportLevel::kL1), kNow + 1000)
          .value();
  TicketWrite write;
  write.ticket = assigned.ticket;
  write.history = assigned.history;
  write.messages.push_back(TicketMessage{0, 0, true, "bob", t::ActorKind::kTechnician, "note", 5});
  write.attachments.push_back(AttachmentDraft{"file", "sha256:aa", kNow, "bob"});
  write.fired = {"warn"};
  ASSERT_TRUE(tickets().save(write));
  auto history = tickets().history(ticket.id).value();
  ASSERT_EQ(history.size(), 1 + assigned.history.size());
  EXPECT_EQ(history[0].field, "created");
  EXPECT_EQ(history.back(), assigned.history.back());
  EXPECT_EQ(tickets().messages(ticket.id, true).value().size(), 1u);
  EXPECT_TRUE(tickets().messages(ticket.id, false).value().empty()) << "notes are internal";
  EXPECT_EQ(store_->list_attachments(ticket.id).value().size(), 1u);
  EXPECT_EQ(tickets().fired(ticket.id).value(), (t::FiredSet{"warn"}));
}

TEST_F(TicketStoreTest, FailedSaveChangesNothing) {
  t::Ticket first = open("one", 3, 3, kNow);
  t::Ticket second = open("two", 3, 3, kNow);
  TicketWrite keyed;
  keyed.ticket = first;
  keyed.idempotency = IdempotencyKey{"api:bob", "k1"};
  ASSERT_TRUE(tickets().save(keyed));

  // The same key on another change: refused after the row and history
  // were written inside the transaction, so both must roll back.
  t::Ticket changed = second;
  changed.title = "changed";
  TicketWrite conflicting;
  conflicting.ticket = changed;
  conflicting.history.push_back(t::HistoryEntry{"title", "two", "changed", {}, kNow, ""});
  conflicting.messages.push_back(
      TicketMessage{0, 0, false, "bob", t::ActorKind::kTechnician, "x", 1});
  conflicting.idempotency = IdempotencyKey{"api:bob", "k1"};
  auto refused = tickets().save(conflicting);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "conflict");
  EXPECT_EQ(tickets().load(second.id).value()->title, "two");
  EXPECT_EQ(tickets().history(second.id).value().size(), 1u);
  EXPECT_TRUE(tickets().messages(second.id, true).value().empty());

  EXPECT_EQ(tickets().find_idempotent({"api:bob", "k1"}).value(), first.id);
  EXPECT_FALSE(tickets().find_idempotent({"api:eve", "k1"}).value().has_value())
      << "keys are scoped by source";
}

TEST_F(TicketStoreTest, UnknownDeviceOrTicketIsNotFound) {
  t::NewTicket n;
  n.title = "x";
  n.requester = {"alice", "dev_nope"};
  auto opened = t::open_ticket(n, rules_, t::Actor::system(), kNow).value();
  TicketWrite write;
  write.ticket = opened.ticket;
  auto refused = tickets().save(write);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "not_found");
  EXPECT_NE(refused.error().message.find("device_id"), std::string::npos);

  write.ticket.requester.device_id.clear();
  write.ticket.id = 999;
  auto missing = tickets().save(write);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, "not_found");
}

TEST_F(TicketStoreTest, QueueIsByPriorityThenDeadlineAcrossPages) {
  // Priority 3 (medium) tickets opened at different times: earlier
  // deadlines first; the priority 5 ticket before all of them.
  t::Ticket late = open("late", 3, 3, kNow + 2 * kHour);
  t::Ticket early = open("early", 3, 3, kNow);
  t::Ticket urgent = open("urgent", 5, 5, kNow + 5 * kHour);
  t::Ticket low = open("low", 1, 1, kNow);
  t::Ticket middle = open("middle", 3, 3, kNow + kHour);
  t::Ticket done = open("done", 5, 5, kNow);
  raw_exec("UPDATE tickets SET status = 'closed', is_open = 0 WHERE id = " +
           std::to_string(done.id));

  TicketQuery query;
  query.limit = 2;
  std::vector<std::int64_t> want{urgent.id, early.id, middle.id, late.id, low.id};
  EXPECT_EQ(ids_of(query), want);
  query.limit = 500;
  EXPECT_EQ(ids_of(query), want);

  query.statuses = {t::Status::kClosed};
  EXPECT_EQ(ids_of(query), std::vector<std::int64_t>{done.id});
}

TEST_F(TicketStoreTest, FiltersByPriorityAssigneeDeviceAndBreach) {
  t::Ticket a = open("a", 3, 3, kNow, "dev_a");
  t::Ticket b = open("b", 5, 5, kNow, "dev_b");
  t::Ticket c = open("c", 3, 3, kNow + 10 * kHour);
  raw_exec("UPDATE tickets SET assignee = 'bob' WHERE id = " + std::to_string(c.id));

  TicketQuery query;
  query.priority = t::Priority::kVeryHigh;
  EXPECT_EQ(ids_of(query), std::vector<std::int64_t>{b.id});
  query = {};
  query.assignee = "bob";
  EXPECT_EQ(ids_of(query), std::vector<std::int64_t>{c.id});
  query = {};
  query.device_id = "dev_a";
  EXPECT_EQ(ids_of(query), std::vector<std::int64_t>{a.id});

  // At kNow + 5h: b's first response (30m) and a's (4h) are overdue, c's not.
  query = {};
  query.breaching = true;
  query.now = kNow + 5 * kHour;
  EXPECT_EQ(ids_of(query), (std::vector<std::int64_t>{b.id, a.id}));
  query.now = kNow;
  EXPECT_TRUE(ids_of(query).empty());
}

TEST_F(TicketStoreTest, CursorsAreOpaqueAndChecked) {
  TicketCursor cursor{4, 1234, 56};
  std::string text = encode_cursor(cursor);
  EXPECT_EQ(decode_cursor(text).value(), cursor);
  for (const char* bad : {"", "c1", "xyz", "c1zz", "c1313233", "c12e2e"}) {
    auto decoded = decode_cursor(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code, "bad_value");
    EXPECT_EQ(decoded.error().message.rfind("cursor:", 0), 0u) << decoded.error().message;
  }
  TicketQuery query;
  query.limit = 0;
  EXPECT_EQ(tickets().query(query).error().code, "bad_value");
}

TEST_F(TicketStoreTest, DeviceTicketsNewestFirstAndDueChecks) {
  t::Ticket first = open("first", 3, 3, kNow, "dev_a");
  t::Ticket second = open("second", 3, 3, kNow + 1000, "dev_a");
  open("other", 3, 3, kNow, "dev_b");
  auto mine = tickets().device_tickets("dev_a", false, 10).value();
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[0].id, second.id);
  EXPECT_EQ(mine[1].id, first.id);

  TicketWrite write;
  write.ticket = first;
  write.next_check_at = kNow + 50;
  ASSERT_TRUE(tickets().save(write));
  EXPECT_TRUE(tickets().due_checks(kNow + 49, 10).value().empty());
  EXPECT_EQ(tickets().due_checks(kNow + 50, 10).value(), std::vector<std::int64_t>{first.id});
  EXPECT_EQ(tickets().created_between(kNow + 1, 0, 10).value().size(), 1u);
}

TEST_F(TicketStoreTest, VersionTwoTicketsSurviveTheUpgrade) {
  store_.reset();
  path_ = dir_ / "v2.db";
  {
    auto db = sqlite::Db::open(path_, 1000);
    ASSERT_TRUE(db) << db.error().to_string();
    ASSERT_TRUE(sqlite::migrate(**db, sqlite::migrations().first(2)));
  }
  raw_exec(
      "INSERT INTO devices (id, hostname) VALUES ('dev_old', 'old-pc');"
      "INSERT INTO tickets (id, title, description, impact, urgency, priority, status, "
      "created_at, created_by, device_id) VALUES (7, 'Old one', 'text', 4, 2, 3, 'new', "
      "1700000000000, 'ada', 'dev_old');"
      "INSERT INTO bundles (id, device_id, ticket_id) VALUES ('sha256:01', 'dev_old', 7);"
      "INSERT INTO ticket_attachments (ticket_id, kind, ref, added_at, added_by) VALUES "
      "(7, 'bundle', 'sha256:01', 1700000000001, 'ada')");
  reopen();
  EXPECT_EQ(raw_int("SELECT MAX(version) FROM schema_migrations"), sqlite::latest_schema_version());
  auto loaded = store_->ticket_store().load(7).value();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->title, "Old one");
  EXPECT_EQ(loaded->description, "text");
  EXPECT_EQ(loaded->impact, t::Impact::kHigh);
  EXPECT_EQ(loaded->urgency, t::Urgency::kLow);
  EXPECT_EQ(loaded->priority, t::Priority::kMedium);
  EXPECT_EQ(loaded->status, t::Status::kNew);
  EXPECT_EQ(loaded->requester, (t::Requester{"ada", "dev_old"}));
  EXPECT_EQ(loaded->created_at, 1700000000000);
  EXPECT_EQ(loaded->channel, t::Channel::kApi);
  EXPECT_EQ(store_->list_attachments(7).value().size(), 1u);
  EXPECT_EQ(store_->find_ticket(7).value()->title, "Old one") << "the v2 view still reads it";
  TicketQuery open_queue;
  EXPECT_EQ(ids_of(open_queue), std::vector<std::int64_t>{7});
}

}  // namespace
}  // namespace helpline::relay
