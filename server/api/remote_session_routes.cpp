// Remote sessions (docs/api.md "Remote sessions", docs/sessions.md): open
// (waits for the end user's decision), list, show, close; WebSockets for
// the shell, file pull and push, and port forwards; consent policies per
// group; the audit log (list, verify).
#include <spdlog/spdlog.h>

#include <charconv>
#include <optional>

#include "common/session/session.h"
#include "helpline/v1/session.pb.h"
#include "helpline/v1/session_api.pb.h"
#include "server/api/routes.h"
#include "server/sessions/sessions.h"
#include "server/tunnel/group_policy.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

// HTTP statuses for the session errors (the rest: router.h's map).
[[nodiscard]] ApiResponse session_error(const Error& error, std::string_view field = {}) {
  static const std::map<std::string, unsigned, std::less<>> kStatus = {
      {"bad_capability", 400},  {"bad_request", 400},       {"bad_path", 400},
      {"role_too_low", 403},    {"forbidden", 403},         {"denied", 403},
      {"not_found", 404},       {"timeout", 408},           {"no_user", 409},
      {"device_offline", 409},  {"session_ended", 409},     {"busy", 409},
      {"root_not_allowed", 403}, {"capability_not_granted", 403}, {"stopping", 503},
      {"unsupported", 409},     {"cannot_switch_user", 409}, {"withdrawn", 409}};
  auto it = kStatus.find(error.code);
  if (it == kStatus.end()) return error_response(error);
  if (field.empty() && error.code == "bad_capability") field = "capabilities";
  return error_response(it->second, error.code, error.message, field);
}

[[nodiscard]] std::optional<std::uint64_t> parse_number(std::string_view text) {
  std::uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

[[nodiscard]] std::string query(const ApiRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

// The stream a WebSocket asks for, from its path and query, checked.
[[nodiscard]] Result<sessions::StreamRequest> stream_request(const ApiRequest& request,
                                                            std::string_view what) {
  v1::SessionStreamOpen open;
  open.set_session_id(request.params.at("id"));
  sessions::StreamRequest out;
  auto bad = [](std::string field, std::string why) {
    return fail("bad_request", field + ": " + why);
  };
  if (what == "shell") {
    std::uint64_t cols = 80, rows = 24;
    if (auto c = query(request, "cols"); !c.empty()) {
      auto n = parse_number(c);
      if (!n || *n > 0xffffffffu) return bad("cols", "not a number");
      cols = *n;
    }
    if (auto r = query(request, "rows"); !r.empty()) {
      auto n = parse_number(r);
      if (!n || *n > 0xffffffffu) return bad("rows", "not a number");
      rows = *n;
    }
    std::string term = query(request, "term");
    if (term.empty()) term = "xterm-256color";
    if (!session::is_term_name(term)) return bad("term", "not a terminal name");
    // The agent checks the size too; refusing here gives a clearer answer.
    if (auto why = session::check_window(static_cast<std::uint32_t>(cols),
                                         static_cast<std::uint32_t>(rows));
        !why.empty()) {
      return bad("cols", why);
    }
    open.mutable_shell()->set_cols(static_cast<std::uint32_t>(cols));
    open.mutable_shell()->set_rows(static_cast<std::uint32_t>(rows));
    open.mutable_shell()->set_term(term);
    out.kind = "shell";
    out.cols = static_cast<std::uint32_t>(cols);
    out.rows = static_cast<std::uint32_t>(rows);
    out.term = term;
    out.describe = "shell " + std::to_string(cols) + "x" + std::to_string(rows);
  } else if (what == "pull" || what == "push") {
    std::string path = query(request, "path");
    auto normal = session::normalise_path(path);
    if (!normal) return fail(normal.error());
    open.mutable_file()->set_path(path);
    if (what == "push") {
      auto size = parse_number(query(request, "size"));
      if (!size) return bad("size", "the byte count of the file is required");
      open.mutable_file()->set_size(*size);
      if (auto m = query(request, "mode"); !m.empty()) {
        auto mode = parse_number(m);
        if (!mode || *mode > 07777) return bad("mode", "permission bits, e.g. 420 (0644)");
        open.mutable_file()->set_mode(static_cast<std::uint32_t>(*mode));
      }
      out.describe = "push " + path + " (" + std::to_string(*size) + " bytes)";
    } else {
      out.describe = "pull " + path;
    }
    out.kind = what == "pull" ? "file_pull" : "file_push";
  } else {
    auto port = parse_number(query(request, "port"));
    if (!port || *port == 0 || *port > 65535) return bad("port", "a TCP port, 1..65535");
    open.mutable_forward()->set_port(static_cast<std::uint32_t>(*port));
    out.kind = "forward";
    out.describe = "forward to port " + std::to_string(*port);
  }
  out.metadata = open.SerializeAsString();
  return out;
}

[[nodiscard]] std::string_view capability_of(std::string_view what) {
  if (what == "shell") return session::kShell;
  if (what == "forward") return session::kForward;
  return session::kFiles;
}

void add_stream_route(Router& router, ApiContext& ctx, std::string what) {
  router.add_websocket(
      "/api/v1/sessions/{id}/" + what, Role::kTechnician2,
      [&ctx, what](ApiRequest& request) -> std::optional<ApiResponse> {
        if (ctx.sessions == nullptr) {
          return error_response(503, "unavailable", "remote sessions are not available");
        }
        auto allowed =
            ctx.sessions->check_stream(*request.user, request.params.at("id"), capability_of(what));
        if (!allowed) return session_error(allowed.error());
        auto stream = stream_request(request, what);
        if (!stream) return session_error(stream.error());
        return std::nullopt;
      },
      [&ctx, what](ApiRequest& request, net::WebSocket& ws) -> asio::awaitable<void> {
        auto stream = stream_request(request, what);
        if (!stream) co_return;  // checked before the handshake
        co_await ctx.sessions->bridge(*request.user, request.params.at("id"), std::move(*stream),
                                      ws);
      });
}

[[nodiscard]] v1::api::AuditEntry to_api(const ::helpline::audit::Entry& e) {
  v1::api::AuditEntry out;
  out.set_seq(e.seq);
  out.set_at_ms(e.at_ms);
  out.set_event(e.event);
  out.set_actor(e.actor);
  out.set_device(e.device);
  out.set_session(e.session);
  out.set_ticket(e.ticket);
  out.set_detail(e.detail);
  out.set_hash(e.hash);
  return out;
}

}  // namespace

void register_remote_session_routes(Router& router, ApiContext& ctx) {
  router.add(verb::post, "/api/v1/sessions", Role::kTechnician2,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               if (ctx.sessions == nullptr) {
                 co_return error_response(503, "unavailable", "remote sessions are not available");
               }
               v1::api::OpenSessionRequest body;
               if (auto bad = parse_body(request, body)) co_return std::move(*bad);
               auto opened = co_await ctx.sessions->open(*request.user, std::move(body));
               if (!opened) co_return session_error(opened.error());
               co_return json_response(*opened, 201);
             });
  router.add(verb::get, "/api/v1/sessions", Role::kTechnician2,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               if (ctx.sessions == nullptr) co_return json_response(v1::api::RemoteSessionList());
               co_return json_response(ctx.sessions->list());
             });
  router.add(verb::get, "/api/v1/sessions/{id}", Role::kTechnician2,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               if (ctx.sessions == nullptr) co_return error_response(404, "not_found", "no session");
               auto found = ctx.sessions->get(request.params.at("id"));
               if (!found) co_return session_error(found.error());
               co_return json_response(*found);
             });
  router.add(verb::delete_, "/api/v1/sessions/{id}", Role::kTechnician2,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               if (ctx.sessions == nullptr) co_return error_response(404, "not_found", "no session");
               v1::api::CloseSessionRequest body;
               if (!request.body.empty()) {
                 if (auto bad = parse_body(request, body)) co_return std::move(*bad);
               }
               if (body.reason().size() > session::kMaxReason) {
                 co_return error_response(400, "bad_request", "reason: at most 500 bytes", "reason");
               }
               auto closed = co_await ctx.sessions->close(*request.user, request.params.at("id"),
                                                         body.reason());
               if (!closed) co_return session_error(closed.error());
               co_return json_response(*closed);
             });
  for (std::string what : {"shell", "pull", "push", "forward"}) add_stream_route(router, ctx, what);

  router.add(verb::get, "/api/v1/session-policies", Role::kTechnician2,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               auto all = consent_policies(ctx.store);
               if (!all) co_return error_response(all.error());
               v1::api::SessionPolicyList out;
               out.set_default_policy("prompt");
               for (const auto& [group, policy] : *all) {
                 auto* p = out.add_policies();
                 p->set_group(group);
                 p->set_policy(session::to_string(policy));
               }
               co_return json_response(out);
             });
  router.add(verb::put, "/api/v1/session-policies/{group}", Role::kAdmin,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               const std::string& group = request.params.at("group");
               if (auto why = check_name("group", group); !why.empty()) {
                 co_return error_response(400, "bad_request", why, "group");
               }
               v1::api::SessionPolicy body;
               if (auto bad = parse_body(request, body)) co_return std::move(*bad);
               auto policy = session::parse_policy(body.policy());
               if (!policy) {
                 co_return error_response(400, "bad_policy", policy.error().message, "policy");
               }
               if (auto saved = set_consent_policy(ctx.store, group, *policy); !saved) {
                 co_return error_response(saved.error());
               }
               if (ctx.audit != nullptr) {
                 ctx.audit->record({"policy.set", request.user->name, "", "", 0,
                                    "group " + group + ": " + session::to_string(*policy)});
               }
               v1::api::SessionPolicy out;
               out.set_group(group);
               out.set_policy(session::to_string(*policy));
               co_return json_response(out);
             });

  router.add(verb::get, "/api/v1/audit", Role::kAdmin,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               if (ctx.audit == nullptr) co_return json_response(v1::api::AuditList());
               relay::audit::Filter filter;
               filter.session = query(request, "session");
               filter.device = query(request, "device");
               if (auto l = query(request, "limit"); !l.empty()) {
                 auto n = parse_number(l);
                 if (!n || *n == 0 || *n > 10000) {
                   co_return error_response(400, "bad_request", "limit: 1..10000", "limit");
                 }
                 filter.limit = *n;
               }
               auto entries = ctx.audit->list(filter);
               if (!entries) co_return error_response(entries.error());
               v1::api::AuditList out;
               for (const auto& e : *entries) *out.add_entries() = to_api(e);
               co_return json_response(out);
             });
  router.add(verb::get, "/api/v1/audit/verify", Role::kAdmin,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               if (ctx.audit == nullptr) {
                 co_return error_response(503, "unavailable", "the audit log is not open");
               }
               auto report = ctx.audit->verify();
               if (!report) co_return error_response(report.error());
               v1::api::AuditVerifyResult out;
               out.set_intact(report->intact);
               out.set_entries(report->entries);
               out.set_first_bad_line(report->first_bad_line);
               out.set_first_bad_seq(report->first_bad_seq);
               out.set_problem(report->problem);
               out.set_head_seq(report->head_seq);
               out.set_head_hash(report->head_hash);
               out.set_file(ctx.audit->file().string());
               co_return json_response(out);
             });
}

}  // namespace helpline::relay::api
