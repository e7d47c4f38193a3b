// The helpdesk routes through the real Router, store, helpdesk and blob
// store (no sockets): JSON bodies with unknown fields, values out of range,
// illegal transitions, oversize texts and forged cursors are 4xx answers
// that name the field and change nothing; roles are checked on every call;
// files, knowledge-base articles and webhooks behave as docs/api.md says.
#include <gmock/gmock.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/api/routes.h"
#include "server/auth/auth.h"
#include "server/ca/relay_ca.h"
#include "tests/unit/server/store/store_fixture.h"

namespace helpline::relay::api {
namespace {

namespace asio = boost::asio;
using boost::beast::http::verb;
using ::testing::HasSubstr;

class HelpdeskRoutesTest : public relay::testing::StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    std::filesystem::create_directories(dir_ / "ca");
    auto made = RelayCa::create(dir_ / "ca", {"127.0.0.1"});
    ASSERT_TRUE(made) << made.error().to_string();
    ca_.emplace(RelayCa::load(dir_ / "ca").value());
    config_.helpdesk.max_attachment = 4096;
    blobs_ = std::move(blobs::BlobStore::open(dir_ / "blobs").value());
    tunnel_ = std::make_unique<Tunnel>(io_, *store_, *ca_, config_);
    helpdesk_ = std::make_unique<helpdesk::HelpdeskService>(*store_, config_.helpdesk.rules);
    webhooks_ = std::make_unique<webhooks::WebhookService>(io_, *store_, config_.webhooks.settings,
                                                           webhook_payload);
    helpdesk_->set_outbox(webhooks_.get());
    context_.emplace(ApiContext{*store_, *tunnel_, config_, *blobs_, *helpdesk_, *webhooks_});
    router_ = std::make_unique<Router>(*store_);
    register_all_routes(*router_, *context_);
    for (auto [name, role] :
         {std::pair{"vic", Role::kViewer}, std::pair{"lou", Role::kTechnician1},
          std::pair{"lea", Role::kTechnician2}, std::pair{"ada", Role::kAdmin}}) {
      auto user = store_->create_user(name, role, "x", 1).value();
      auto token = auth::new_token("hlt_");
      ASSERT_TRUE(store_->add_api_token({token.hash, user.id, 1, unix_now_ms() + 600'000}));
      tokens_[name] = token.secret;
    }
  }

  ApiResponse call(const std::string& who, verb method, std::string target, std::string body = {},
                   std::string content_type = "application/json") {
    ApiRequest request;
    request.method = method;
    auto question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos)
      request.query = parse_query(target.substr(question + 1)).value();
    request.body = std::move(body);
    request.bearer = tokens_[who];
    request.content_type = std::move(content_type);
    auto future = asio::co_spawn(io_, router_->dispatch(request), asio::use_future);
    io_.run();
    io_.restart();
    return future.get();
  }

  static v1::api::ErrorBody error_of(const ApiResponse& response) {
    v1::api::ErrorBody body;
    EXPECT_TRUE(parse_json(response.body, body)) << response.body;
    return body;
  }

  // A 4xx naming `field` (when given) and `words` in its message.
  static void expect_refused(const ApiResponse& r, unsigned status, const std::string& field,
                             const std::string& words = {}) {
    EXPECT_EQ(r.status, status) << r.body;
    auto body = error_of(r);
    if (!field.empty()) {
      EXPECT_EQ(body.field(), field) << r.body;
    }
    if (!words.empty()) {
      EXPECT_THAT(body.message(), HasSubstr(words)) << r.body;
    }
  }

  std::string create_ticket() {
    auto r = call("lou", verb::post, "/api/v1/tickets",
                  R"({"title":"Laptop slow","impact":3,"urgency":3,"category":"hardware"})");
    EXPECT_EQ(r.status, 201u) << r.body;
    v1::api::Ticket t;
    EXPECT_TRUE(parse_json(r.body, t));
    return t.display_id();
  }

  v1::api::Ticket show(const std::string& id) {
    auto r = call("vic", verb::get, "/api/v1/tickets/" + id);
    EXPECT_EQ(r.status, 200u) << r.body;
    v1::api::Ticket t;
    EXPECT_TRUE(parse_json(r.body, t));
    return t;
  }

  asio::io_context io_;
  RelayConfig config_;
  std::optional<RelayCa> ca_;
  std::unique_ptr<blobs::BlobStore> blobs_;
  std::unique_ptr<Tunnel> tunnel_;
  std::unique_ptr<helpdesk::HelpdeskService> helpdesk_;
  std::unique_ptr<webhooks::WebhookService> webhooks_;
  std::optional<ApiContext> context_;
  std::unique_ptr<Router> router_;
  std::map<std::string, std::string> tokens_;
};

TEST_F(HelpdeskRoutesTest, BadTicketInputNamesTheFieldAndChangesNothing) {
  const std::string id = create_ticket();
  expect_refused(call("lou", verb::post, "/api/v1/tickets",
                      R"({"title":"x","impact":3,"urgency":3,"colour":"red"})"),
                 400, "colour", "unknown field");
  expect_refused(call("lou", verb::post, "/api/v1/tickets",
                      R"({"title":"x","impact":3,"urgency":3,"facts":{"mood":"bad"}})"),
                 400, "facts.mood");
  expect_refused(
      call("lou", verb::post, "/api/v1/tickets", R"({"title":"x","impact":9,"urgency":3})"), 400,
      "impact");
  expect_refused(
      call("lou", verb::post, "/api/v1/tickets", R"({"title":"x","impact":3,"urgency":0})"), 400,
      "urgency");
  expect_refused(call("lou", verb::post, "/api/v1/tickets/" + id + "/reply",
                      "{\"body\":\"" + std::string(64 * 1024 + 1, 'x') + "\"}"),
                 400, "body", "longer than");
  expect_refused(
      call("lou", verb::post, "/api/v1/tickets/" + id + "/status", R"({"status":"resolved"})"), 400,
      "reason");
  expect_refused(
      call("lou", verb::post, "/api/v1/tickets/" + id + "/status", R"({"status":"sleeping"})"), 400,
      "status");
  expect_refused(call("lou", verb::post, "/api/v1/tickets/" + id + "/classify", R"({"impact":6})"),
                 400, "impact");
  expect_refused(call("lou", verb::post, "/api/v1/tickets/" + id + "/priority",
                      R"({"priority":"7","reason":"x"})"),
                 400, "priority");
  expect_refused(
      call("lou", verb::post, "/api/v1/tickets/" + id + "/priority", R"({"priority":"6"})"), 400,
      "reason");
  expect_refused(call("vic", verb::get, "/api/v1/tickets?cursor=c1forged"), 400, "cursor");
  expect_refused(call("vic", verb::get, "/api/v1/tickets?limit=501"), 400, "limit");
  expect_refused(call("vic", verb::get, "/api/v1/tickets?colour=red"), 400, "colour");
  expect_refused(
      call("vic", verb::post, "/api/v1/tickets/" + id + "/assign", R"({"assignee":"vic"})"), 403,
      "", "needs 'l1'");
  auto t = show(id);
  EXPECT_EQ(t.status(), "new");
  EXPECT_EQ(t.impact(), 3u);
  EXPECT_EQ(t.priority(), 3u);
  EXPECT_EQ(t.assignee(), "");
  EXPECT_EQ(t.messages_size(), 1) << "only the acknowledgement";
  EXPECT_EQ(t.history_size(), 1) << "only the creation";
  EXPECT_EQ(raw_int("SELECT COUNT(*) FROM tickets"), 1);

  const std::string done = create_ticket();
  ASSERT_EQ(
      call("lou", verb::post, "/api/v1/tickets/" + done + "/resolve", R"({"reason":"RAM"})").status,
      200u);
  expect_refused(call("lou", verb::post, "/api/v1/tickets/" + done + "/status",
                      R"({"status":"pending","pending_reason":"waiting_for_user"})"),
                 409, "", "cannot go from resolved to pending");
  EXPECT_EQ(show(done).status(), "resolved");
}

TEST_F(HelpdeskRoutesTest, ClassifyAndMajorPriority) {
  const std::string id = create_ticket();
  auto r = call("lou", verb::post, "/api/v1/tickets/" + id + "/classify",
                R"({"impact":5,"urgency":5,"category":"network"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  r = call("lou", verb::post, "/api/v1/tickets/" + id + "/priority",
           R"({"priority":"6","reason":"the whole floor is down"})");
  ASSERT_EQ(r.status, 200u) << r.body;
  auto t = show(id);
  EXPECT_EQ(t.priority(), 6u);
  EXPECT_EQ(t.priority_name(), "major");
  EXPECT_TRUE(t.priority_overridden());
  EXPECT_EQ(t.category(), "network");
  EXPECT_EQ(t.sla().first_response_target(), "15m");
}

TEST_F(HelpdeskRoutesTest, FilesAttachWithinTheRouteLimit) {
  const std::string id = create_ticket();
  const std::string path = "/api/v1/tickets/" + id + "/attachments";
  EXPECT_EQ(router_->body_limit(verb::post, path, 1 << 20), 4096u);
  EXPECT_EQ(router_->body_limit(verb::post, "/api/v1/tickets/" + id + "/reply", 1 << 20), 1u << 20);
  expect_refused(call("lou", verb::post, path, "data", "text/plain"), 400, "name");
  expect_refused(call("lou", verb::post, path + "?name=a.txt", "", "text/plain"), 400, "body");
  expect_refused(call("lou", verb::post, path + "?name=a/b.txt", "data", "text/plain"), 400,
                 "name");
  expect_refused(call("lou", verb::post, path + "?name=a.txt", "data", "not a type"), 400,
                 "Content-Type");
  expect_refused(call("vic", verb::post, path + "?name=a.txt", "data", "text/plain"), 403, "");
  auto r = call("lou", verb::post, path + "?name=notes.txt", "hello", "text/plain; charset=utf-8");
  ASSERT_EQ(r.status, 201u) << r.body;
  v1::api::TicketAttachment a;
  ASSERT_TRUE(parse_json(r.body, a));
  EXPECT_EQ(a.kind(), "file");
  EXPECT_EQ(a.content_type(), "text/plain");
  EXPECT_EQ(a.size(), 5u);
  expect_refused(call("lou", verb::post, path + "?name=again.txt", "hello", "text/plain"), 409, "",
                 "already");
  auto back = call("vic", verb::get, path + "/" + a.ref());
  ASSERT_EQ(back.status, 200u) << back.body;
  EXPECT_EQ(back.body, "hello");
  EXPECT_EQ(back.content_type, "text/plain");
  ASSERT_EQ(back.headers.size(), 2u);
  EXPECT_EQ(back.headers[0].second, "attachment; filename=\"notes.txt\"");
  expect_refused(call("vic", verb::get, path + "/sha256%3A" + std::string(64, '0')), 404, "ref");
  expect_refused(
      call("lou", verb::post, "/api/v1/tickets/HL-999/attachments?name=x", "x", "text/plain"), 404,
      "");
  EXPECT_EQ(show(id).attachments_size(), 1);
}

TEST_F(HelpdeskRoutesTest, KnowledgeBaseRolesValidationAndVersions) {
  expect_refused(call("lou", verb::post, "/api/v1/kb", R"({"title":"x"})"), 403, "", "needs 'l2'");
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"title":"x","colour":1})"), 400,
                 "colour");
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"title":""})"), 400, "title");
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"title":"x","category":"garden"})"), 400,
                 "category");
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"title":"x","audience":"all"})"), 400,
                 "audience");
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"title":"x","created_by":"me"})"), 400,
                 "created_by");
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"title":"x","finding_rules":["a b"]})"),
                 400, "finding_rules[0]");
  auto r = call(
      "lea", verb::post, "/api/v1/kb",
      R"({"id":"helpline:printing","title":"Printer offline","body":"Power-cycle it.","audience":"public"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  expect_refused(call("lea", verb::post, "/api/v1/kb", R"({"id":"helpline:printing","title":"x"})"),
                 409, "id");
  // The path carries the id percent-encoded as clients send it.
  auto shown = call("vic", verb::get, "/api/v1/kb/helpline%3Aprinting");
  ASSERT_EQ(shown.status, 200u) << shown.body;
  v1::api::KbArticle a;
  ASSERT_TRUE(parse_json(shown.body, a));
  EXPECT_EQ(a.version(), 1);
  EXPECT_EQ(a.body(), "Power-cycle it.");
  expect_refused(call("lea", verb::put, "/api/v1/kb/helpline:printing", R"({"title":"y"})"), 400,
                 "version");
  r = call(
      "lea", verb::put, "/api/v1/kb/helpline:printing",
      R"({"title":"Printer offline!","body":"Power-cycle it.","audience":"public","version":1})");
  ASSERT_EQ(r.status, 200u) << r.body;
  expect_refused(
      call("ada", verb::put, "/api/v1/kb/helpline:printing", R"({"title":"z","version":1})"), 409,
      "version");
  expect_refused(call("lea", verb::put, "/api/v1/kb/helpline:printing",
                      R"({"id":"other","title":"z","version":2})"),
                 400, "id");
  expect_refused(call("vic", verb::get, "/api/v1/kb?q=%22%2A"), 400, "q");
  expect_refused(call("vic", verb::get, "/api/v1/kb?cursor=7"), 400, "cursor");
  expect_refused(call("vic", verb::get, "/api/v1/kb?limit=0"), 400, "limit");
  auto found = call("vic", verb::get, "/api/v1/kb?q=power");
  ASSERT_EQ(found.status, 200u) << found.body;
  v1::api::KbArticleList list;
  ASSERT_TRUE(parse_json(found.body, list));
  ASSERT_EQ(list.articles_size(), 1);
  EXPECT_EQ(list.articles(0).title(), "Printer offline!");
  EXPECT_EQ(list.articles(0).body(), "") << "lists carry no body";
  expect_refused(call("vic", verb::delete_, "/api/v1/kb/helpline:printing"), 403, "");
  EXPECT_EQ(call("lea", verb::delete_, "/api/v1/kb/helpline:printing").status, 200u);
  expect_refused(call("vic", verb::get, "/api/v1/kb/helpline:printing"), 404, "");
}

TEST_F(HelpdeskRoutesTest, WebhooksAreAdminsAndQueueTicketEvents) {
  expect_refused(call("lea", verb::get, "/api/v1/webhooks"), 403, "", "needs 'admin'");
  expect_refused(call("ada", verb::post, "/api/v1/webhooks", R"({"id":"x","url":"gopher://h/"})"),
                 400, "url");
  expect_refused(call("ada", verb::post, "/api/v1/webhooks",
                      R"({"id":"x","url":"http://h/","events":["ticket.gone"]})"),
                 400, "events[0]");
  auto r = call("ada", verb::post, "/api/v1/webhooks",
                R"({"id":"itsm","url":"http://127.0.0.1:9/hook","secret":"0123456789abcdef0"})");
  ASSERT_EQ(r.status, 201u) << r.body;
  v1::api::Webhook w;
  ASSERT_TRUE(parse_json(r.body, w));
  EXPECT_EQ(w.secret(), "") << "a secret that was given is not shown back";
  const std::string id = create_ticket();
  auto listed = call("ada", verb::get, "/api/v1/webhooks/itsm/deliveries");
  ASSERT_EQ(listed.status, 200u) << listed.body;
  v1::api::WebhookDeliveryList deliveries;
  ASSERT_TRUE(parse_json(listed.body, deliveries));
  ASSERT_EQ(deliveries.deliveries_size(), 1);
  EXPECT_EQ(deliveries.deliveries(0).event(), "ticket.created");
  EXPECT_EQ(deliveries.deliveries(0).state(), "pending");
  v1::api::WebhookEvent payload;
  ASSERT_TRUE(parse_json(deliveries.deliveries(0).payload(), payload));
  EXPECT_EQ(payload.ticket().display_id(), id);
  EXPECT_EQ(payload.event_id(), deliveries.deliveries(0).event_id());
  auto all = call("ada", verb::get, "/api/v1/webhooks");
  EXPECT_THAT(all.body, ::testing::Not(HasSubstr("0123456789abcdef0")));
  EXPECT_EQ(call("ada", verb::delete_, "/api/v1/webhooks/itsm").status, 200u);
  expect_refused(call("ada", verb::get, "/api/v1/webhooks/itsm"), 404, "");
}

}  // namespace
}  // namespace helpline::relay::api
