// The knowledge base (server/kb, KbStore): everyone logged in reads and
// searches; l2 and above (and admin) write. Articles are checked by
// kb::normalize() and edited with optimistic locking (the version read).
#include <spdlog/spdlog.h>

#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"
#include "server/api/ticket_query.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

void fill_article(const kb::Article& a, bool with_body, v1::api::KbArticle& out) {
  out.set_id(a.id);
  out.set_title(a.title);
  if (with_body) out.set_body(a.body);
  out.set_category(a.category);
  out.set_audience(kb::to_string(a.audience));
  for (const auto& rule : a.finding_rules) out.add_finding_rules(rule);
  for (const auto& action : a.actions) out.add_actions(action);
  out.set_version(a.version);
  out.set_created_at(format_rfc3339(a.created_at));
  out.set_created_by(a.created_by);
  out.set_updated_at(format_rfc3339(a.updated_at));
  out.set_updated_by(a.updated_by);
}

// The article a request body describes, checked against the helpdesk's
// categories.
[[nodiscard]] Result<kb::Article> article_from(const ApiContext& ctx,
                                               const v1::api::KbArticle& body) {
  kb::Article a;
  a.id = body.id();
  a.title = body.title();
  a.body = body.body();
  a.category = body.category();
  if (!body.audience().empty()) {
    auto audience = kb::parse_audience(body.audience());
    if (!audience) return fail(audience.error());
    a.audience = *audience;
  }
  a.finding_rules.assign(body.finding_rules().begin(), body.finding_rules().end());
  a.actions.assign(body.actions().begin(), body.actions().end());
  return kb::normalize(std::move(a), ctx.helpdesk.rules().categories);
}

// What only the relay sets may not come in a request.
[[nodiscard]] std::optional<ApiResponse> refuse_server_fields(const v1::api::KbArticle& body) {
  for (auto [field, given] : {std::pair{"created_at", !body.created_at().empty()},
                              std::pair{"created_by", !body.created_by().empty()},
                              std::pair{"updated_at", !body.updated_at().empty()},
                              std::pair{"updated_by", !body.updated_by().empty()},
                              std::pair{"snippet", !body.snippet().empty()}}) {
    if (given) {
      return error_response(400, "bad_value", std::string(field) + ": set by the relay", field);
    }
  }
  return std::nullopt;
}

[[nodiscard]] Result<KbQuery> parse_kb_query(const std::map<std::string, std::string>& query) {
  KbQuery q;
  for (const auto& [name, value] : query) {
    if (name == "q") {
      if (value.size() > 200) return fail("bad_value", "q: at most 200 bytes");
      auto match = kb::search_expression(value);
      if (!match) return fail("bad_value", "q: give at least one word to search for");
      q.match = *match;
    } else if (name == "category") {
      q.category = value;
    } else if (name == "finding") {
      q.finding_rule = value;
    } else if (name == "action") {
      q.action = value;
    } else if (name == "audience") {
      auto audience = kb::parse_audience(value);
      if (!audience) return fail(audience.error());
      q.public_only = *audience == kb::Audience::kPublic;
    } else if (name == "limit") {
      auto limit = parse_number(name, value, 1, static_cast<long long>(KbQuery::kMaxLimit));
      if (!limit) return fail(limit.error());
      q.limit = static_cast<std::size_t>(*limit);
    } else if (name == "cursor") {
      auto offset = kb::decode_cursor(value);
      if (!offset) return fail(offset.error());
      q.offset = *offset;
    } else {
      return fail("bad_value", name +
                                   ": unknown parameter; use q, category, finding, action, "
                                   "audience, limit or cursor");
    }
  }
  return q;
}

asio::awaitable<ApiResponse> list(ApiContext& ctx, ApiRequest& request) {
  auto query = parse_kb_query(request.query);
  if (!query) co_return ticket_error(query.error());
  auto page = ctx.store.kb_store().search(*query);
  if (!page) co_return ticket_error(page.error());
  v1::api::KbArticleList out;
  for (const KbHit& hit : page->hits) {
    auto* item = out.add_articles();
    fill_article(hit.article, false, *item);
    item->set_snippet(hit.snippet);
  }
  if (page->next_offset) out.set_next_cursor(kb::encode_cursor(*page->next_offset));
  co_return json_response(out);
}

asio::awaitable<ApiResponse> show(ApiContext& ctx, ApiRequest& request) {
  const std::string& id = request.params["id"];
  auto found = ctx.store.kb_store().find_article(id);
  if (!found) co_return ticket_error(found.error());
  if (!*found) {
    co_return error_response(404, "not_found",
                             "no knowledge-base article '" + id.substr(0, 64) + "'");
  }
  v1::api::KbArticle out;
  fill_article(**found, true, out);
  co_return json_response(out);
}

asio::awaitable<ApiResponse> create(ApiContext& ctx, ApiRequest& request) {
  v1::api::KbArticle body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  if (auto bad = refuse_server_fields(body)) co_return *bad;
  if (body.version() != 0) {
    co_return error_response(400, "bad_value", "version: set by the relay", "version");
  }
  auto article = article_from(ctx, body);
  if (!article) co_return ticket_error(article.error());
  article->created_at = ctx.helpdesk.now();
  article->created_by = request.user->name;
  auto created = ctx.store.kb_store().create_article(std::move(*article));
  if (!created) {
    if (created.error().code == "conflict") {
      co_return error_response(409, "conflict", created.error().message, "id");
    }
    co_return ticket_error(created.error());
  }
  spdlog::info("knowledge base: {} created {} ({})", request.user->name, created->id,
               created->title);
  v1::api::KbArticle out;
  fill_article(*created, true, out);
  co_return json_response(out, 201);
}

asio::awaitable<ApiResponse> update(ApiContext& ctx, ApiRequest& request) {
  v1::api::KbArticle body;
  if (auto bad = parse_body(request, body)) co_return *bad;
  if (auto bad = refuse_server_fields(body)) co_return *bad;
  const std::string& id = request.params["id"];
  if (!body.id().empty() && body.id() != id) {
    co_return error_response(400, "bad_value", "id: an article's id cannot change", "id");
  }
  if (body.version() <= 0) {
    co_return error_response(400, "bad_value",
                             "version: required: the version you edited (from GET)", "version");
  }
  body.set_id(id);
  auto article = article_from(ctx, body);
  if (!article) co_return ticket_error(article.error());
  article->updated_at = ctx.helpdesk.now();
  article->updated_by = request.user->name;
  auto updated = ctx.store.kb_store().update_article(*article, body.version());
  if (!updated) {
    if (updated.error().code == "conflict") {
      co_return error_response(409, "conflict", updated.error().message, "version");
    }
    co_return ticket_error(updated.error());
  }
  v1::api::KbArticle out;
  fill_article(*updated, true, out);
  co_return json_response(out);
}

asio::awaitable<ApiResponse> remove(ApiContext& ctx, ApiRequest& request) {
  const std::string& id = request.params["id"];
  auto removed = ctx.store.kb_store().delete_article(id);
  if (!removed) co_return ticket_error(removed.error());
  spdlog::info("knowledge base: {} deleted {}", request.user->name, id);
  co_return ApiResponse{200, "{}"};
}

}  // namespace

void register_kb_routes(Router& router, ApiContext& ctx) {
  router.add(verb::get, "/api/v1/kb", Role::kViewer,
             [&ctx](ApiRequest& request) { return list(ctx, request); });
  router.add(verb::post, "/api/v1/kb", Role::kTechnician2,
             [&ctx](ApiRequest& request) { return create(ctx, request); });
  router.add(verb::get, "/api/v1/kb/{id}", Role::kViewer,
             [&ctx](ApiRequest& request) { return show(ctx, request); });
  router.add(verb::put, "/api/v1/kb/{id}", Role::kTechnician2,
             [&ctx](ApiRequest& request) { return update(ctx, request); });
  router.add(verb::delete_, "/api/v1/kb/{id}", Role::kTechnician2,
             [&ctx](ApiRequest& request) { return remove(ctx, request); });
}

}  // namespace helpline::relay::api
