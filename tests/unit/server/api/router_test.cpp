#include "server/api/router.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>

#include "server/auth/auth.h"

namespace helpline::relay::api {
namespace {

namespace asio = boost::asio;
using boost::beast::http::verb;

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("helpline-router-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(open_sqlite_store(dir_ / "relay.db").value());
    router_ = std::make_unique<Router>(*store_);
    router_->add(verb::get, "/api/v1/things/{id}", Role::kViewer,
                 [](ApiRequest& request) -> asio::awaitable<ApiResponse> {
                   co_return ApiResponse{200, "thing " + request.params["id"] + " for " +
                                                  request.user->name};
                 });
    router_->add(verb::post, "/api/v1/admin-only", Role::kAdmin,
                 [](ApiRequest&) -> asio::awaitable<ApiResponse> { co_return ApiResponse{}; });
    router_->add(verb::get, "/api/v1/open", std::nullopt,
                 [](ApiRequest&) -> asio::awaitable<ApiResponse> {
                   co_return ApiResponse{200, "open"};
                 });
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string token_for(std::string_view name, Role role) {
    auto user = store_->create_user(name, role, "x", 1).value();
    auto token = auth::new_token("hlt_");
    EXPECT_TRUE(store_->add_api_token({token.hash, user.id, 1, unix_now_ms() + 60000}).has_value());
    return token.secret;
  }

  ApiResponse run(verb method, std::string path, std::string bearer = {}) {
    asio::io_context io;
    ApiRequest request;
    request.method = method;
    request.path = std::move(path);
    request.bearer = std::move(bearer);
    auto future = asio::co_spawn(io, router_->dispatch(request), asio::use_future);
    io.run();
    return future.get();
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Router> router_;
};

TEST_F(RouterTest, MatchesParametersAndAuthenticates) {
  auto token = token_for("ann", Role::kTechnician1);
  auto response = run(verb::get, "/api/v1/things/42", token);
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "thing 42 for ann");
}

TEST_F(RouterTest, RefusesMissingUnknownAndExpiredTokens) {
  EXPECT_EQ(run(verb::get, "/api/v1/things/1").status, 401u);
  EXPECT_EQ(run(verb::get, "/api/v1/things/1", "hlt_nonsense").status, 401u);
  auto user = store_->create_user("old", Role::kAdmin, "x", 1).value();
  auto token = auth::new_token("hlt_");
  ASSERT_TRUE(store_->add_api_token({token.hash, user.id, 1, 2}).has_value());
  EXPECT_EQ(run(verb::get, "/api/v1/things/1", token.secret).status, 401u);
}

TEST_F(RouterTest, RefusesARoleBelowTheRoute) {
  auto viewer = token_for("vic", Role::kViewer);
  auto response = run(verb::post, "/api/v1/admin-only", viewer);
  EXPECT_EQ(response.status, 403u);
  EXPECT_NE(response.body.find("admin"), std::string::npos) << response.body;
  auto admin = token_for("ada", Role::kAdmin);
  EXPECT_EQ(run(verb::post, "/api/v1/admin-only", admin).status, 200u);
}

TEST_F(RouterTest, AnswersUnknownPathsAndMethods) {
  EXPECT_EQ(run(verb::get, "/api/v1/open").status, 200u);
  EXPECT_EQ(run(verb::get, "/api/v1/nothing").status, 404u);
  EXPECT_EQ(run(verb::delete_, "/api/v1/open").status, 405u);
}

TEST(ParseQuery, DecodesPairsAndRefusesBadEscapes) {
  auto query = parse_query("a=1&b=x%20y&c=&flag").value();
  EXPECT_EQ(query["a"], "1");
  EXPECT_EQ(query["b"], "x y");
  EXPECT_EQ(query["c"], "");
  EXPECT_TRUE(query.count("flag"));
  EXPECT_FALSE(parse_query("a=%2").has_value());
  EXPECT_FALSE(parse_query("a=%zz").has_value());
}

}  // namespace
}  // namespace helpline::relay::api
