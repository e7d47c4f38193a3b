#include <spdlog/spdlog.h>

#include "common/tls/tls.h"
#include "helpline/v1/api.pb.h"
#include "server/api/routes.h"

namespace helpline::relay::api {

namespace asio = boost::asio;
using boost::beast::http::verb;

namespace {

constexpr std::chrono::milliseconds kPingTimeout{10000};

void fill_device(const Device& device, const LinkInfo& link, UnixMillis now,
                 v1::api::Device& out) {
  out.set_id(device.id);
  out.set_hostname(device.hostname);
  out.set_platform(device.platform);
  out.set_agent_version(device.agent_version);
  out.set_os_release(device.os_release);
  out.set_group(device.group);
  out.set_enrolled_at(format_rfc3339(device.enrolled_at));
  // A connected device is seen now; the store's value lags by the batch interval.
  out.set_last_seen(format_rfc3339(link.online ? now : device.last_seen));
  out.set_online(link.online);
  out.set_revoked(device.revoked);
  out.set_retired_at(format_rfc3339(device.retired_at));
  out.set_connected_since(format_rfc3339(link.connected_since));
  out.set_remote_address(link.remote);
}

// Loads the device named in the path, or the 404 to answer.
Result<Device> device_of(ApiContext& ctx, ApiRequest& request) {
  const auto& id = request.params["id"];
  auto device = ctx.store.find_device(id);
  if (!device) return fail(device.error());
  if (!device->has_value()) return fail("not_found", "no device with id '" + id + "'");
  return std::move(**device);
}

asio::awaitable<ApiResponse> ping(ApiContext& ctx, ApiRequest& request) {
  auto device = device_of(ctx, request);
  if (!device) co_return error_response(device.error());
  v1::Request ask;
  std::string payload = tls::random_token(12);
  ask.mutable_ping()->set_payload(payload);
  auto started = std::chrono::steady_clock::now();
  auto answer = co_await ctx.tunnel.request(device->id, std::move(ask), kPingTimeout);
  auto elapsed = std::chrono::steady_clock::now() - started;
  if (!answer) co_return error_response(answer.error());
  if (answer->has_error()) {
    co_return error_response(502, answer->error().code(), answer->error().message());
  }
  if (!answer->has_pong() || answer->pong().payload() != payload) {
    co_return error_response(502, "bad_answer", "the device answered the ping wrongly");
  }
  v1::api::PingResult result;
  result.set_device_id(device->id);
  result.set_round_trip_ms(std::chrono::duration<double, std::milli>(elapsed).count());
  co_return json_response(result);
}

}  // namespace

void register_device_routes(Router& router, ApiContext& ctx) {
  router.add(verb::get, "/api/v1/devices", Role::kViewer,
             [&ctx](ApiRequest&) -> asio::awaitable<ApiResponse> {
               auto devices = ctx.store.list_devices();
               if (!devices) co_return error_response(devices.error());
               UnixMillis now = unix_now_ms();
               v1::api::DeviceList list;
               for (const auto& device : *devices) {
                 fill_device(device, ctx.tunnel.link_info(device.id), now, *list.add_devices());
               }
               co_return json_response(list);
             });

  router.add(verb::get, "/api/v1/devices/{id}", Role::kViewer,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               auto device = device_of(ctx, request);
               if (!device) co_return error_response(device.error());
               v1::api::Device out;
               fill_device(*device, ctx.tunnel.link_info(device->id), unix_now_ms(), out);
               co_return json_response(out);
             });

  router.add(verb::post, "/api/v1/devices/{id}/revoke", Role::kAdmin,
             [&ctx](ApiRequest& request) -> asio::awaitable<ApiResponse> {
               const auto& id = request.params["id"];
               auto device = ctx.store.revoke_device(id, unix_now_ms());
               if (!device) co_return error_response(device.error());
               ctx.tunnel.disconnect(id, "revoked", "this device was revoked by an administrator");
               spdlog::info("device {} revoked by '{}'", id, request.user->name);
               ctx.record({"device.revoke", request.user->name, id, "", 0,
                           "certificate refused from now on, link cut"});
               v1::api::Device out;
               fill_device(*device, LinkInfo{}, unix_now_ms(), out);
               co_return json_response(out);
             });

  router.add(verb::post, "/api/v1/devices/{id}/ping", Role::kTechnician1,
             [&ctx](ApiRequest& request) { return ping(ctx, request); });
}

}  // namespace helpline::relay::api
