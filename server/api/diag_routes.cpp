// Diagnostics: ask a device for a bundle, store it by hash and record it,
// list, show and fetch bundles. See docs/api.md.
#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>
#include <charconv>
#include <memory>

#include "common/bundle/bundle.h"
#include "common/core/duration.h"
#include "helpline/v1/api.pb.h"
#include "server/api/diag_view.h"
#include "server/api/routes.h"
#include "server/intake/blob_upload.h"
#include "server/intake/bundle_intake.h"
#include "server/tickets/ticket.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;
using Clock = std::chrono::steady_clock;

namespace {

// Collection runs the agent's collectors (each bounded by its own budget)
// and streams the result; two minutes covers a slow machine and link.
constexpr std::chrono::seconds kCollectTimeout{120};
constexpr std::uint64_t kMaxUpload = bundle::kMaxBundleBytes;
constexpr int kMaxSections = 32;
constexpr std::size_t kMaxListed = 500;

// A section ("logs") or collector ("hardware.smart") name: 1..64 of
// [a-z0-9._-]. The agent knows which exist and refuses the rest.
[[nodiscard]] bool section_name_ok(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return false;
    }
  }
  return true;
}

// A positive integer id from a path segment or query value.
[[nodiscard]] std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// "system,storage", or "all": what the audit log records of a request.
[[nodiscard]] std::string describe_sections(
    const google::protobuf::RepeatedPtrField<std::string>& sections) {
  if (sections.empty()) return "all";
  std::string text;
  for (const std::string& name : sections) text += (text.empty() ? "" : ",") + name;
  return text;
}

// What the collect request asks for, checked before anything is sent.
struct CollectPlan {
  Device device;
  v1::Request ask;
  std::int64_t ticket = 0;
  std::uint64_t max_bytes = kMaxUpload;
};

[[nodiscard]] tl::expected<CollectPlan, ApiResponse> plan_collect(ApiContext& ctx,
                                                                  ApiRequest& request) {
  v1::api::CollectDiagRequest body;
  if (auto bad = parse_body(request, body)) return tl::unexpected(*bad);
  CollectPlan plan;
  auto* collect = plan.ask.mutable_collect();
  if (body.sections_size() > kMaxSections) {
    return tl::unexpected(error_response(
        400, "bad_request", "at most " + std::to_string(kMaxSections) + " sections", "sections"));
  }
  for (const std::string& name : body.sections()) {
    if (!section_name_ok(name)) {
      return tl::unexpected(error_response(
          400, "unknown_section", "'" + name.substr(0, 64) + "' is not a section or collector name",
          "sections"));
    }
    collect->add_sections(name);
  }
  if (!body.since().empty()) {
    auto since = parse_duration(body.since());
    if (!since) {
      return tl::unexpected(error_response(400, "bad_request", since.error().message, "since"));
    }
    collect->set_since_ms(unix_now_ms() -
                          std::chrono::duration_cast<std::chrono::milliseconds>(*since).count());
  }
  if (body.max_bytes() > kMaxUpload) {
    return tl::unexpected(error_response(
        400, "bad_request", "max_bytes may be at most " + std::to_string(kMaxUpload), "max_bytes"));
  }
  if (body.max_bytes() != 0) plan.max_bytes = body.max_bytes();
  collect->set_max_bytes(plan.max_bytes);

  const std::string& id = request.params["id"];
  auto device = ctx.store.find_device(id);
  if (!device) return tl::unexpected(error_response(device.error()));
  if (!*device)
    return tl::unexpected(error_response(404, "not_found", "no device with id '" + id + "'"));
  plan.device = std::move(**device);
  // The ticket must exist before the device is asked for anything.
  if (body.ticket() < 0) {
    return tl::unexpected(
        error_response(400, "bad_request", "ticket must be a ticket id", "ticket"));
  }
  if (body.ticket() > 0) {
    auto ticket = ctx.store.find_ticket(body.ticket());
    if (!ticket) return tl::unexpected(error_response(ticket.error()));
    if (!*ticket) {
      return tl::unexpected(
          error_response(404, "not_found", "no ticket " + std::to_string(body.ticket()), "ticket"));
    }
    plan.ticket = body.ticket();
    // Kept with the bundle if the device has to spool it (link lost).
    collect->set_ticket_id(tickets::format_display_id(plan.ticket));
  }
  collect->set_requested_by(request.user->name);
  return plan;
}

// Checks the received bytes, stores them and records the bundle.
[[nodiscard]] Result<BundleRecord> accept_bundle(ApiContext& ctx, const CollectPlan& plan,
                                                 const v1::CollectResult& answer,
                                                 intake::BlobUpload& upload,
                                                 const std::string& user) {
  if (answer.bundle_id() != upload.claimed_id() || answer.size() != upload.size()) {
    return fail("bad_answer",
                "the device's answer (" + answer.bundle_id().substr(0, 80) + ", " +
                    std::to_string(answer.size()) + " bytes) does not match what it streamed (" +
                    upload.claimed_id() + ", " + std::to_string(upload.size()) + " bytes)");
  }
  auto bytes = upload.writer().read_back();
  if (!bytes) return fail(bytes.error());
  intake::BundleOrigin origin;
  origin.device_id = plan.device.id;
  for (const std::string& s : plan.ask.collect().sections()) origin.sections.push_back(s);
  origin.requested_by = user;
  origin.ticket_id = plan.ticket;
  auto record = intake::check_bundle(*bytes, upload.claimed_id(), origin, unix_now_ms());
  if (!record) return fail(record.error());
  if (auto stored = upload.writer().commit(); !stored) return fail(stored.error());
  return ctx.store.record_bundle(*record);
}

asio::awaitable<ApiResponse> collect(ApiContext& ctx, ApiRequest& request) {
  auto plan = plan_collect(ctx, request);
  if (!plan) co_return plan.error();
  auto deadline = Clock::now() + kCollectTimeout;
  auto upload = std::make_shared<intake::BlobUpload>("bundle", ctx.blobs, plan->max_bytes,
                                               co_await asio::this_coro::executor);
  const std::string& user = request.user->name;
  ctx.record({"diag.request", user, plan->device.id, "", plan->ticket,
              "sections " + describe_sections(plan->ask.collect().sections())});
  auto answer = co_await ctx.tunnel.request(plan->device.id, plan->ask, kCollectTimeout, upload);
  Result<BundleRecord> recorded = fail("bad_answer", "the device answered without a bundle");
  if (!answer) {
    recorded = fail(answer.error());
  } else if (auto refused = upload->failure(); refused && answer->has_error()) {
    recorded = fail(*refused);
  } else if (answer->has_error()) {
    recorded = fail(answer->error().code().empty() ? "device_error" : answer->error().code(),
                    answer->error().message());
  } else if (answer->has_collect() && !upload->started()) {
    recorded = fail("bad_answer", "the device reported a bundle but opened no stream for it");
  } else if (answer->has_collect()) {
    if (auto done = co_await upload->wait(deadline); !done) {
      recorded = fail(done.error());
    } else {
      recorded = accept_bundle(ctx, *plan, answer->collect(), *upload, user);
    }
  }
  upload->abandon();
  if (!recorded) {
    spdlog::warn("diagnostics from {} for '{}' failed: {}", plan->device.id, user,
                 recorded.error().to_string());
    ctx.record({"diag.result", user, plan->device.id, "", plan->ticket,
                "no bundle: " + recorded.error().to_string()});
    co_return diag_error(recorded.error());
  }
  spdlog::info("bundle {} ({} bytes) from {} stored for '{}'{}", recorded->id, recorded->size,
               plan->device.id, user,
               plan->ticket != 0 ? " on ticket " + std::to_string(plan->ticket) : "");
  ctx.record({"diag.result", user, plan->device.id, "", plan->ticket,
              "bundle " + recorded->id + ", " + std::to_string(recorded->size) + " bytes"});
  co_return json_response(to_api(*recorded), 201);
}

// Loads the bundle record named in the path, or the answer to give.
[[nodiscard]] tl::expected<BundleRecord, ApiResponse> record_of(ApiContext& ctx,
                                                                ApiRequest& request) {
  const std::string& id = request.params["id"];
  if (!blobs::is_blob_id(id)) {
    return tl::unexpected(error_response(
        400, "bad_request", "a bundle id is sha256: followed by 64 lowercase hex digits", "id"));
  }
  auto record = ctx.store.find_bundle(id);
  if (!record) return tl::unexpected(error_response(record.error()));
  if (!*record) return tl::unexpected(error_response(404, "not_found", "no bundle " + id));
  return std::move(**record);
}

asio::awaitable<ApiResponse> list(ApiContext& ctx, ApiRequest& request) {
  BundleFilter filter;
  filter.limit = kMaxListed;
  for (const auto& [key, value] : request.query) {
    if (key == "device") {
      filter.device_id = value;
    } else if (key == "ticket") {
      auto ticket = parse_id(value);
      if (!ticket) co_return error_response(400, "bad_request", "ticket must be a ticket id", key);
      filter.ticket_id = *ticket;
    } else {
      co_return error_response(400, "bad_request", "unknown query parameter '" + key + "'", key);
    }
  }
  auto records = ctx.store.list_bundles(filter);
  if (!records) co_return error_response(records.error());
  v1::api::BundleList out;
  for (const BundleRecord& record : *records) *out.add_bundles() = to_api(record);
  co_return json_response(out);
}

asio::awaitable<ApiResponse> show(ApiContext& ctx, ApiRequest& request) {
  auto record = record_of(ctx, request);
  if (!record) co_return record.error();
  v1::api::Bundle out = to_api(*record);
  auto bytes = ctx.blobs.read(record->id, ctx.blobs.max_blob_bytes());
  auto decoded = bytes ? bundle::decode_bundle(*bytes) : fail(bytes.error());
  if (!decoded) {
    spdlog::error("bundle {} is recorded but cannot be read: {}", record->id,
                  decoded.error().to_string());
    co_return error_response(
        500, "blob_error", "bundle " + record->id + " is recorded but its content cannot be read");
  }
  add_bundle_details(*decoded, out);
  co_return json_response(out);
}

asio::awaitable<ApiResponse> content(ApiContext& ctx, ApiRequest& request) {
  auto record = record_of(ctx, request);
  if (!record) co_return record.error();
  auto bytes = ctx.blobs.read(record->id, ctx.blobs.max_blob_bytes());
  if (!bytes) {
    spdlog::error("bundle {} is recorded but cannot be read: {}", record->id,
                  bytes.error().to_string());
    co_return error_response(
        500, "blob_error", "bundle " + record->id + " is recorded but its content cannot be read");
  }
  co_return ApiResponse{200, std::move(*bytes), "application/octet-stream"};
}

}  // namespace

void register_diag_routes(Router& router, ApiContext& ctx) {
  router.add(verb::post, "/api/v1/devices/{id}/diag", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return collect(ctx, request); });
  router.add(verb::get, "/api/v1/diag", Role::kViewer,
             [&ctx](ApiRequest& request) { return list(ctx, request); });
  router.add(verb::get, "/api/v1/diag/{id}", Role::kViewer,
             [&ctx](ApiRequest& request) { return show(ctx, request); });
  router.add(verb::get, "/api/v1/diag/{id}/content", Role::kViewer,
             [&ctx](ApiRequest& request) { return content(ctx, request); });
}

}  // namespace helpline::relay::api
