#include "agent/consent/consent_broker.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "agent/actions/session_user.h"
#include "common/tls/crypto.h"

namespace helpline::agent::consent {

struct ConsentBroker::Entry {
  Pending pending;
  actions::ConsentAnswer answer;
  uv_timer_t timer{};
  ConsentBroker* owner = nullptr;
};

bool may_answer(std::uint32_t uid, std::string_view user,
                const std::optional<std::string>& seat_user) {
  if (uid == 0) return true;
  return seat_user.has_value() && !seat_user->empty() && *seat_user == user;
}

ConsentBroker::ConsentBroker(uv_loop_t* loop, ConsentOptions options)
    : loop_(loop), options_(std::move(options)) {
  if (!options_.logged_in_user) options_.logged_in_user = &actions::active_session_user;
  if (!options_.notify) {
    options_.notify = [loop](const actions::ConsentRequest& request, bool inform_only) {
      notify_desktop(loop, request, inform_only);
    };
  }
  if (!options_.clock) options_.clock = unix_now_ms;
}

ConsentBroker::~ConsentBroker() = default;

actions::ConsentHook ConsentBroker::hook() {
  return [this](const actions::ConsentRequest& request, actions::ConsentAnswer answer) {
    ask(request, std::move(answer));
  };
}

void ConsentBroker::ask(const actions::ConsentRequest& request, actions::ConsentAnswer answer) {
  if (closing_) {
    answer(false, "the agent is stopping");
    return;
  }
  if (entries_.size() >= kMaxPending) {
    answer(false, "too many requests are already waiting for the user's answer");
    return;
  }
  auto entry = std::make_unique<Entry>();
  entry->owner = this;
  // Hex of random bytes: unguessable, so only someone who listed the
  // requests (and may answer) can name one.
  entry->pending.id = tls::sha256_hex(tls::random_token(16)).substr(0, 16);
  entry->pending.request = request;
  entry->pending.asked_at = options_.clock();
  entry->pending.expires_at =
      entry->pending.asked_at + static_cast<UnixMillis>(options_.timeout.count());
  entry->answer = std::move(answer);
  uv_timer_init(loop_, &entry->timer);
  entry->timer.data = entry.get();
  uv_timer_start(&entry->timer, &ConsentBroker::on_timer,
                 static_cast<std::uint64_t>(options_.timeout.count()), 0);
  std::string id = entry->pending.id;
  spdlog::info("consent {}: {}; waiting for the user", id, describe_request(request));
  entries_.emplace(id, std::move(entry));
  options_.notify(request, false);
}

void ConsentBroker::inform(const actions::ConsentRequest& request) {
  spdlog::info("told the user: {}", describe_request(request));
  options_.notify(request, true);
}

void ConsentBroker::withdraw_session(std::string_view session_id, const std::string& reason) {
  std::vector<std::string> ids;
  for (const auto& [id, entry] : entries_) {
    if (entry->pending.request.kind == "session" && entry->pending.request.session_id == session_id) {
      ids.push_back(id);
    }
  }
  for (const auto& id : ids) settle(id, false, reason);
}

std::string describe_request(const actions::ConsentRequest& request) {
  std::string ticket =
      request.ticket_id != 0 ? " for ticket HL-" + std::to_string(request.ticket_id) : "";
  if (request.kind == "session") {
    std::string caps;
    for (const auto& c : request.capabilities) caps += (caps.empty() ? "" : ", ") + c;
    return request.requested_by + " asks for a remote session (" + caps +
           (request.as_root ? "; shell as root" : "") + ")" + ticket + ": " + request.reason;
  }
  return request.requested_by + " asks to run \"" + request.title + "\" (" + request.action_id +
         ")" + ticket;
}

std::vector<Pending> ConsentBroker::pending() const {
  std::vector<Pending> out;
  for (const auto& [id, entry] : entries_) out.push_back(entry->pending);
  std::sort(out.begin(), out.end(),
            [](const Pending& a, const Pending& b) { return a.asked_at < b.asked_at; });
  return out;
}

Result<void> ConsentBroker::answer(std::string_view id, bool approve, std::uint32_t uid,
                                   std::string_view user) {
  if (!may_answer(uid, user, options_.logged_in_user())) {
    return fail("forbidden", "only the user logged in at this machine's console or desktop (or "
                             "root) may answer consent requests");
  }
  auto it = entries_.find(id);
  if (it == entries_.end()) {
    return fail("not_found", "no pending consent request " + std::string(id.substr(0, 40)) +
                                 " (answered, expired, or never asked)");
  }
  spdlog::info("consent {}: {} by {} (uid {})", it->first, approve ? "approved" : "denied", user,
               uid);
  settle(it->first, approve,
         (approve ? "approved by " : "declined by ") + std::string(user));
  return {};
}

void ConsentBroker::on_timer(uv_timer_t* timer) {
  auto* entry = static_cast<Entry*>(timer->data);
  ConsentBroker* self = entry->owner;
  auto seconds = self->options_.timeout.count() / 1000;
  spdlog::info("consent {}: no answer within {} s; refused", entry->pending.id, seconds);
  self->settle(entry->pending.id, false,
               "no answer within " + std::to_string(seconds) + " s (timeout)");
}

void ConsentBroker::settle(const std::string& id, bool approved, std::string reason) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  std::unique_ptr<Entry> entry = std::move(it->second);
  entries_.erase(it);
  auto answer = std::move(entry->answer);
  uv_timer_stop(&entry->timer);
  ++closes_pending_;
  // The entry lives until libuv is done with its timer.
  Entry* raw = entry.release();
  uv_close(reinterpret_cast<uv_handle_t*>(&raw->timer), [](uv_handle_t* handle) {
    auto* closed = static_cast<Entry*>(handle->data);
    ConsentBroker* owner = closed->owner;
    delete closed;
    if (--owner->closes_pending_ == 0 && owner->closing_ && owner->on_closed_) {
      auto done = std::move(owner->on_closed_);
      owner->on_closed_ = nullptr;
      done();
    }
  });
  if (answer) answer(approved, std::move(reason));
}

void ConsentBroker::close(std::function<void()> closed) {
  closing_ = true;
  on_closed_ = std::move(closed);
  std::vector<std::string> ids;
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  for (const auto& id : ids) settle(id, false, "the agent is stopping");
  if (closes_pending_ == 0 && on_closed_) {
    auto done = std::move(on_closed_);
    on_closed_ = nullptr;
    done();
  }
}

}  // namespace helpline::agent::consent
