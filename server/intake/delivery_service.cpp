#include "server/intake/delivery_service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/this_coro.hpp>

#include "common/bundle/bundle.h"
#include "server/intake/blob_upload.h"
#include "server/intake/bundle_intake.h"
#include "server/tickets/ticket.h"
#include "server/tunnel/agent_session.h"

namespace helpline::relay::intake {

namespace asio = boost::asio;

namespace {

[[nodiscard]] v1::Response error_answer(const Error& error) {
  v1::Response response;
  response.mutable_error()->set_code(error.code);
  response.mutable_error()->set_message(error.message);
  return response;
}

[[nodiscard]] bool lower_hex(std::string_view text, std::size_t length) {
  if (text.size() != length) return false;
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// Why a DeliverRequest cannot be taken, or "".
[[nodiscard]] std::string check_item(const v1::DeliverRequest& item) {
  if (!lower_hex(item.idempotency_id(), 32)) {
    return "idempotency_id: must be 32 lowercase hex digits";
  }
  const std::string& kind = item.kind();
  if (kind != "bundle" && kind != "report" && kind != "reply" && kind != "rating") {
    return "kind: '" + kind.substr(0, 32) + "' is not one of bundle, report, reply, rating";
  }
  if (item.size() == 0 || item.size() > kMaxDeliveryBytes) {
    return "size: must be 1.." + std::to_string(kMaxDeliveryBytes) + " bytes";
  }
  if (!lower_hex(item.sha256(), 64)) return "sha256: must be 64 lowercase hex digits";
  return {};
}

template <class Message>
[[nodiscard]] Result<Message> parse_payload(std::string_view payload, std::string_view kind) {
  Message message;
  if (!message.ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
    return fail("bad_payload", "the " + std::string(kind) + " payload does not parse");
  }
  return message;
}

}  // namespace

DeliveryService::DeliveryService(Store& store, blobs::BlobStore& blobs, Tunnel& tunnel)
    : store_(store), blobs_(blobs), tunnel_(tunnel) {}

asio::awaitable<v1::Response> DeliveryService::handle(std::shared_ptr<AgentSession> session,
                                                      v1::Request request) {
  if (request.has_deliver()) co_return co_await deliver(std::move(session), request);
  if (request.has_retire()) co_return retire(session->device_id(), request.retire());

  DeviceDesk* desk = tunnel_.device_desk();
  if ((request.has_tickets() || request.has_ticket() || request.has_kb()) && desk == nullptr) {
    co_return error_answer(Error{"unavailable", "this relay has no helpdesk"});
  }
  auto device = store_.find_device(session->device_id());
  if (!device || !*device) {
    co_return error_answer(device ? Error{"not_found", "unknown device"} : device.error());
  }
  v1::Response response;
  if (request.has_tickets()) {
    auto list = desk->device_tickets(**device, request.tickets());
    if (!list) co_return error_answer(list.error());
    *response.mutable_tickets() = std::move(*list);
  } else if (request.has_ticket()) {
    auto detail = desk->device_ticket(**device, request.ticket().ticket_id());
    if (!detail) co_return error_answer(detail.error());
    *response.mutable_ticket() = std::move(*detail);
  } else if (request.has_kb()) {
    auto articles = desk->device_articles(**device, request.kb());
    if (!articles) co_return error_answer(articles.error());
    *response.mutable_kb() = std::move(*articles);
  } else {
    co_return error_answer(Error{"unsupported", "the relay does not take this request from agents"});
  }
  co_return response;
}

asio::awaitable<v1::Response> DeliveryService::deliver(std::shared_ptr<AgentSession> session,
                                                       const v1::Request& request) {
  const v1::DeliverRequest& item = request.deliver();
  if (std::string why = check_item(item); !why.empty()) {
    co_return error_answer(Error{"bad_value", why});
  }
  // Registered before the first co_await: the agent opens the stream right
  // after the request.
  auto upload = std::make_shared<BlobUpload>(std::string(kUploadStreamKind), blobs_, item.size(),
                                             co_await asio::this_coro::executor);
  session->expect_upload(request.id(), upload);
  auto done = co_await upload->wait(std::chrono::steady_clock::now() + kUploadTimeout);
  upload->abandon();
  session->forget_upload(request.id());
  const std::string& device_id = session->device_id();
  if (!done) {
    spdlog::warn("delivery {} ({}) from {} failed: {}", item.idempotency_id(), item.kind(),
                 device_id, done.error().to_string());
    co_return error_answer(done.error());
  }
  if (upload->claimed_id() != "sha256:" + item.sha256() || upload->size() != item.size()) {
    co_return error_answer(Error{"hash_mismatch", "the upload stream does not carry the " +
                                                      std::to_string(item.size()) +
                                                      " bytes the request announced"});
  }
  auto payload = upload->writer().read_back();
  if (!payload) co_return error_answer(payload.error());
  auto device = store_.find_device(device_id);
  if (!device) co_return error_answer(device.error());
  if (!*device) co_return error_answer(Error{"not_found", "unknown device " + device_id});
  auto result = apply(**device, item, *payload);
  if (!result) {
    spdlog::warn("delivery {} ({}) from {} refused: {}", item.idempotency_id(), item.kind(),
                 device_id, result.error().to_string());
    co_return error_answer(result.error());
  }
  spdlog::info("delivery {} ({}, {} bytes) from {} applied", item.idempotency_id(), item.kind(),
               item.size(), device_id);
  v1::Response response;
  *response.mutable_deliver() = std::move(*result);
  co_return response;
}

v1::Response DeliveryService::retire(const std::string& device_id,
                                     const v1::RetireRequest& request) {
  if (request.reason().size() > 200) {
    return error_answer(Error{"bad_value", "reason: at most 200 characters"});
  }
  auto retired = store_.retire_device(device_id, unix_now_ms());
  if (!retired) return error_answer(retired.error());
  const std::string reason = request.reason().empty() ? "no reason given" : request.reason();
  spdlog::info("device {} ({}) retired itself: {}", device_id, retired->hostname, reason);
  if (audit_ != nullptr) {
    audit_->record({"device.retire", "agent", device_id, "", 0,
                    retired->hostname + ": " + reason + "; certificate refused from now on"});
  }
  v1::Response response;
  response.mutable_retire()->set_retired_at_ms(retired->retired_at);
  return response;
}

Result<v1::DeliverResult> DeliveryService::apply(const Device& device,
                                                 const v1::DeliverRequest& item,
                                                 std::string_view payload) {
  v1::DeliverResult result;
  result.set_idempotency_id(item.idempotency_id());
  const std::string& key = item.idempotency_id();
  if (item.kind() == "bundle") {
    auto spooled = parse_payload<v1::SpooledBundle>(payload, item.kind());
    if (!spooled) return fail(spooled.error());
    std::vector<std::string> sections(spooled->sections().begin(), spooled->sections().end());
    auto id = store_bundle(device, spooled->encoded(), spooled->ticket_id(),
                           spooled->requested_by(), std::move(sections));
    if (!id) return fail(id.error());
    result.set_bundle_id(*id);
    return result;
  }
  DeviceDesk* desk = tunnel_.device_desk();
  if (desk == nullptr) return fail("unavailable", "this relay has no helpdesk");
  Result<v1::DeviceTicket> ticket = fail("bad_value", "kind: unknown");
  if (item.kind() == "report") {
    auto report = parse_payload<v1::TicketReport>(payload, item.kind());
    if (!report) return fail(report.error());
    std::string bundle_id;
    if (!report->bundle().empty()) {
      auto id = store_bundle(device, report->bundle(), {}, {}, {});
      if (!id) return fail(id.error());
      bundle_id = std::move(*id);
      report->clear_bundle();
    }
    ticket = desk->open_report(device, *report, bundle_id, key);
  } else if (item.kind() == "reply") {
    auto reply = parse_payload<v1::TicketReply>(payload, item.kind());
    if (!reply) return fail(reply.error());
    ticket = desk->device_reply(device, *reply, key);
  } else if (item.kind() == "rating") {
    auto rating = parse_payload<v1::TicketRating>(payload, item.kind());
    if (!rating) return fail(rating.error());
    ticket = desk->device_rate(device, *rating, key);
  }
  if (!ticket) return fail(ticket.error());
  *result.mutable_ticket() = std::move(*ticket);
  return result;
}

Result<std::string> DeliveryService::store_bundle(const Device& device, std::string_view encoded,
                                                  const std::string& ticket_id,
                                                  const std::string& requested_by,
                                                  std::vector<std::string> sections) {
  if (encoded.empty() || encoded.size() > bundle::kMaxBundleBytes) {
    return fail("too_large", "a bundle is 1.." + std::to_string(bundle::kMaxBundleBytes) + " bytes");
  }
  BundleOrigin origin;
  origin.device_id = device.id;
  origin.sections = std::move(sections);
  origin.requested_by = requested_by;
  // A bundle collected for a ticket that is gone by now is still kept.
  if (!ticket_id.empty()) {
    auto number = tickets::parse_display_id(ticket_id);
    auto found = number ? store_.find_ticket(*number) : Result<std::optional<Ticket>>{};
    if (number && found && *found) {
      origin.ticket_id = *number;
    } else {
      spdlog::warn("bundle from {} names ticket '{}', which does not exist; kept unattached",
                   device.id, ticket_id.substr(0, 32));
    }
  }
  std::string id = bundle::bundle_id(encoded);
  auto record = check_bundle(encoded, id, origin, unix_now_ms());
  if (!record) return fail(record.error());
  if (auto stored = blobs_.put(encoded, id); !stored) return fail(stored.error());
  auto recorded = store_.record_bundle(*record);
  if (!recorded) return fail(recorded.error());
  return recorded->id;
}

}  // namespace helpline::relay::intake
