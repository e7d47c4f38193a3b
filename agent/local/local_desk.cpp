#include "agent/local/local_desk.h"

#include <spdlog/spdlog.h>

#include "agent/collect/bundle_redaction.h"
#include "agent/collect/registry.h"
#include "agent/diag/background_collect.h"

namespace helpline::agent::local {

namespace {

constexpr std::chrono::milliseconds kRelayTimeout{30'000};

// Why `text` does not fit `field`, or "".
[[nodiscard]] std::string check_text(std::string_view field, const std::string& text,
                                     std::size_t max, bool required) {
  if (required && text.find_first_not_of(" \t\r\n") == std::string::npos) {
    return std::string(field) + ": must not be empty";
  }
  if (text.size() > max) {
    return std::string(field) + ": at most " + std::to_string(max) + " characters (got " +
           std::to_string(text.size()) + ")";
  }
  if (text.find('\0') != std::string::npos) return std::string(field) + ": contains a NUL byte";
  return {};
}

[[nodiscard]] std::string check_scale(std::string_view field, std::uint32_t value) {
  if (value < 1 || value > 5) return std::string(field) + ": must be 1..5";
  return {};
}

[[nodiscard]] std::string first_problem(std::initializer_list<std::string> problems) {
  for (const std::string& p : problems) {
    if (!p.empty()) return p;
  }
  return {};
}

}  // namespace

std::string check_report(const v1::TicketReport& r) {
  return first_problem({check_text("title", r.title(), kMaxTitle, true),
                        check_text("description", r.description(), kMaxText, false),
                        check_text("since", r.since(), kMaxShortText, false),
                        check_text("frequency", r.frequency(), kMaxShortText, false),
                        check_text("affects", r.affects(), kMaxShortText, false),
                        check_text("symptoms", r.symptoms(), kMaxText, false),
                        check_text("business_impact", r.business_impact(), kMaxShortText, false),
                        check_text("category", r.category(), 64, false),
                        check_scale("impact", r.impact()), check_scale("urgency", r.urgency())});
}

std::string check_reply(const v1::TicketReply& r) {
  return first_problem({check_text("ticket", r.ticket_id(), 32, true),
                        check_text("body", r.body(), kMaxText, true)});
}

std::string check_rating(const v1::TicketRating& r) {
  return first_problem({check_text("ticket", r.ticket_id(), 32, true),
                        r.rating() < 1 || r.rating() > 5 ? "rating: must be 1..5" : "",
                        check_text("comment", r.comment(), kMaxText, false)});
}

LocalDesk::LocalDesk(uv_loop_t* loop, Link& link, Deliverer& deliverer,
                     diag::DiagSettings settings)
    : loop_(loop), link_(link), deliverer_(deliverer), settings_(std::move(settings)) {
  auto redactor = make_bundle_redactor(settings_.redact_patterns);
  if (redactor) {
    redact_ = std::move(*redactor);
  } else {
    redact_error_ = redactor.error().message;
  }
}

void LocalDesk::handle(const Peer& peer, v1::LocalRequest request, Respond respond) {
  switch (request.kind_case()) {
    case v1::LocalRequest::kReport:
      report(peer, std::move(request), std::move(respond));
      return;
    case v1::LocalRequest::kReply: {
      v1::TicketReply* reply = request.mutable_reply();
      reply->set_author(peer.user);
      if (auto why = check_reply(*reply); !why.empty()) {
        respond(refusal("bad_value", why));
        return;
      }
      queue_write("reply", reply->SerializeAsString(), std::move(respond));
      return;
    }
    case v1::LocalRequest::kRate: {
      v1::TicketRating* rating = request.mutable_rate();
      rating->set_author(peer.user);
      if (auto why = check_rating(*rating); !why.empty()) {
        respond(refusal("bad_value", why));
        return;
      }
      queue_write("rating", rating->SerializeAsString(), std::move(respond));
      return;
    }
    case v1::LocalRequest::kTickets: {
      v1::Request ask;
      *ask.mutable_tickets() = request.tickets();
      ask.mutable_tickets()->set_requester(peer.user);  // a person sees their own tickets
      ask_relay(std::move(ask), std::move(respond));
      return;
    }
    case v1::LocalRequest::kTicket: {
      v1::Request ask;
      *ask.mutable_ticket() = request.ticket();
      ask_relay(std::move(ask), std::move(respond));
      return;
    }
    case v1::LocalRequest::kKb: {
      v1::Request ask;
      *ask.mutable_kb() = request.kb();
      ask_relay(std::move(ask), std::move(respond));
      return;
    }
    case v1::LocalRequest::kSendBundle:
      send_bundle(peer, request.send_bundle(), std::move(respond));
      return;
    case v1::LocalRequest::kDelivery:
      delivery_status(request.delivery().id(), std::move(respond));
      return;
    case v1::LocalRequest::kSpool: {
      v1::LocalResponse response;
      v1::SpoolStatus* status = response.mutable_spool();
      for (const spool::ItemInfo& info : deliverer_.spool().list()) {
        v1::SpoolItem* item = status->add_items();
        item->set_id(info.id);
        item->set_kind(info.kind);
        item->set_created_at_ms(info.created_at);
        item->set_size(info.size_bytes);
        item->set_attempts(info.attempts);
        item->set_last_error(info.last_error);
      }
      spool::Stats stats = deliverer_.spool().stats();
      status->set_bytes(stats.bytes);
      status->set_evicted_items(stats.evicted_items);
      status->set_connected(link_.connected());
      respond(std::move(response));
      return;
    }
    case v1::LocalRequest::kConsentList:  // served by ActionDesk (action_desk.h)
    case v1::LocalRequest::kConsentAnswer:
    case v1::LocalRequest::kFixes:
    case v1::LocalRequest::kFix:
    case v1::LocalRequest::kSessions:  // served by SessionDesk (session_desk.h)
    case v1::LocalRequest::kEndSession:
    case v1::LocalRequest::kAudit:
    case v1::LocalRequest::KIND_NOT_SET:
      break;
  }
  respond(refusal("bad_request", "the request names nothing to do (a different agent version?)"));
}

void LocalDesk::report(const Peer& peer, v1::LocalRequest request, Respond respond) {
  v1::TicketReport* report = request.mutable_report();
  report->set_requester(peer.user);
  report->clear_bundle();
  if (auto why = check_report(*report); !why.empty()) {
    respond(refusal("bad_value", why));
    return;
  }
  spdlog::info("{} (uid {}) reports a problem: {}", peer.user, peer.uid, report->title());
  if (!request.attach_bundle()) {
    queue_write("report", report->SerializeAsString(), std::move(respond));
    return;
  }
  auto options = bundle_options();
  if (!options) {
    respond(refusal(options.error().code, options.error().message));
    return;
  }
  auto self = shared_from_this();
  auto pending = std::make_shared<v1::TicketReport>(std::move(*report));
  auto started = diag::collect_in_background(
      loop_, std::move(*options),
      [self, pending, respond](Result<std::string> encoded) mutable {
        if (!encoded) {
          // The report matters more than its attachment: send it without.
          spdlog::warn("the bundle for a report failed: {}; sending the report without it",
                       encoded.error().to_string());
        } else {
          pending->set_bundle(std::move(*encoded));
        }
        self->queue_write("report", pending->SerializeAsString(), std::move(respond));
      });
  if (!started) respond(refusal(started.error().code, started.error().message));
}

Result<collect::Options> LocalDesk::bundle_options() const {
  // A pattern that does not compile must not let anything out unredacted.
  if (!redact_) return fail("bad_config", "agent.toml: " + redact_error_);
  collect::Options options = diag::collect_options(settings_, link_.state().config.device_id);
  options.redact = redact_;
  return options;
}

void LocalDesk::send_bundle(const Peer& peer, const v1::SendBundleRequest& request,
                            Respond respond) {
  std::vector<std::string> sections(request.sections().begin(), request.sections().end());
  if (auto selected = collect::select_collectors(collect::platform_collectors(), sections);
      !selected) {
    respond(refusal(selected.error().code, selected.error().message));
    return;
  }
  if (auto why = check_text("ticket", request.ticket_id(), 32, false); !why.empty()) {
    respond(refusal("bad_value", why));
    return;
  }
  auto options = bundle_options();
  if (!options) {
    respond(refusal(options.error().code, options.error().message));
    return;
  }
  options->sections = sections;
  options->sources.since_ms = std::max<std::int64_t>(request.since_ms(), 0);
  spdlog::info("{} (uid {}) sends a diagnostics bundle{}", peer.user, peer.uid,
               request.ticket_id().empty() ? "" : " for " + request.ticket_id());
  auto spooled = std::make_shared<v1::SpooledBundle>();
  spooled->set_ticket_id(request.ticket_id());
  spooled->set_requested_by(peer.user);
  for (const std::string& section : sections) spooled->add_sections(section);
  auto self = shared_from_this();
  auto started = diag::collect_in_background(
      loop_, std::move(*options), [self, spooled, respond](Result<std::string> encoded) mutable {
        if (!encoded) {
          respond(refusal(encoded.error().code, encoded.error().message));
          return;
        }
        spooled->set_encoded(std::move(*encoded));
        self->queue_write("bundle", spooled->SerializeAsString(), std::move(respond));
      });
  if (!started) respond(refusal(started.error().code, started.error().message));
}

void LocalDesk::queue_write(std::string_view kind, const std::string& payload, Respond respond) {
  auto queued = deliverer_.enqueue(kind, payload);
  if (!queued) {
    respond(refusal(queued.error().code, queued.error().message));
    return;
  }
  std::string id = queued->item.id;
  auto self = shared_from_this();
  deliverer_.watch(id, [self](const DeliveryOutcome& outcome) { self->remember(outcome); });
  v1::LocalResponse response;
  response.set_queued_id(id);
  response.set_delivered(false);
  respond(std::move(response));
}

void LocalDesk::remember(const DeliveryOutcome& outcome) {
  v1::LocalResponse response;
  response.set_queued_id(outcome.item_id);
  if (outcome.result) {
    response.set_delivered(true);
    if (outcome.result->has_ticket()) *response.mutable_ticket() = outcome.result->ticket();
    if (outcome.result->has_bundle_id()) response.set_bundle_id(outcome.result->bundle_id());
  } else {
    response.mutable_error()->set_code(outcome.result.error().code);
    response.mutable_error()->set_message(outcome.result.error().message);
  }
  if (outcomes_.emplace(outcome.item_id, std::move(response)).second) {
    outcome_order_.push_back(outcome.item_id);
  }
  while (outcome_order_.size() > kRememberedOutcomes) {
    outcomes_.erase(outcome_order_.front());
    outcome_order_.pop_front();
  }
}

void LocalDesk::delivery_status(const std::string& id, Respond respond) {
  if (auto it = outcomes_.find(id); it != outcomes_.end()) {
    respond(it->second);
    return;
  }
  for (const spool::ItemInfo& info : deliverer_.spool().list()) {
    if (info.id != id) continue;
    v1::LocalResponse response;
    response.set_queued_id(id);
    response.set_delivered(false);
    respond(std::move(response));
    return;
  }
  respond(refusal("not_found", "no queued item " + id.substr(0, 40) +
                                   " (delivered before this agent started, or never queued)"));
}

void LocalDesk::ask_relay(v1::Request request, Respond respond) {
  if (!link_.connected()) {
    respond(refusal("offline",
                    "the relay cannot be reached right now; try again later (reports, replies "
                    "and ratings are queued and sent when it is back)"));
    return;
  }
  auto sent = link_.request(std::move(request), kRelayTimeout, [respond](Result<v1::Response> answer) {
    if (!answer) {
      respond(refusal(answer.error().code, answer.error().message));
      return;
    }
    if (answer->has_error()) {
      respond(refusal(answer->error().code(), answer->error().message()));
      return;
    }
    v1::LocalResponse response;
    if (answer->has_tickets()) *response.mutable_tickets() = answer->tickets();
    if (answer->has_ticket()) *response.mutable_detail() = answer->ticket();
    if (answer->has_kb()) *response.mutable_kb() = answer->kb();
    respond(std::move(response));
  });
  if (!sent) respond(refusal(sent.error().code, sent.error().message));
}

}  // namespace helpline::agent::local
