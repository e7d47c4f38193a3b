#include "agent/enroll/enroll.h"

#include <unistd.h>

#include <memory>
#include <optional>

#include "common/core/files.h"
#include "common/tls/tls.h"

namespace helpline::agent {
namespace {

constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kMaxIdLength = 128;

[[nodiscard]] tl::unexpected<Error> bad_response(std::string why) {
  return fail("enroll_failed", "the relay's enrollment response does not check out: " + why);
}

// One EnrollRequest/EnrollResponse exchange on its own loop.
class EnrollExchange {
 public:
  EnrollExchange(uv_loop_t* loop, TransportConfig config, v1::EnrollRequest request,
                 std::chrono::milliseconds timeout)
      : request_(std::move(request)), timeout_(timeout) {
    TransportCallbacks callbacks;
    callbacks.on_open = [this] { on_open(); };
    callbacks.on_event = [this](wire::MuxEvent event) { on_event(std::move(event)); };
    callbacks.on_closed = [this](const Error& error) { on_closed(error); };
    transport_ = std::make_unique<Transport>(loop, std::move(config), std::move(callbacks));
    uv_timer_init(loop, &deadline_);
    deadline_.data = this;
  }

  void start() {
    uv_timer_start(&deadline_, on_deadline, static_cast<std::uint64_t>(timeout_.count()), 0);
    transport_->start();
  }

  // True once the connection and the deadline timer are closed.
  [[nodiscard]] bool finished() const { return finished_; }
  [[nodiscard]] Result<v1::EnrollResponse> result() const {
    return result_.value_or(fail("enroll_failed", "the enrollment exchange did not finish"));
  }

 private:
  static void on_deadline(uv_timer_t* timer) {
    auto* self = static_cast<EnrollExchange*>(timer->data);
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(self->timeout_).count();
    self->settle(fail("enroll_timeout", "no enrollment response from the relay within " +
                                            std::to_string(seconds) + " s"));
  }

  void on_open() {
    v1::Frame frame;
    *frame.mutable_enroll_request() = request_;
    auto sent = transport_->send_control(std::move(frame));
    if (!sent) settle(fail(sent.error()));
  }

  void on_event(wire::MuxEvent event) {
    if (event.kind != wire::MuxEvent::Kind::kControl) return;
    const v1::Frame& frame = event.control;
    if (frame.has_enroll_response()) {
      settle(frame.enroll_response());
    } else if (frame.has_goodbye()) {
      const v1::Goodbye& goodbye = frame.goodbye();
      std::string text =
          goodbye.error().message().empty() ? goodbye.reason() : goodbye.error().message();
      settle(fail("enroll_refused", "enrollment refused: " + text));
    }
  }

  // The first outcome wins; the connection is closed either way (the relay
  // closes after its answer too).
  void settle(Result<v1::EnrollResponse> outcome) {
    if (!result_) result_ = std::move(outcome);
    transport_->abort(Error{"done", "enrollment exchange finished"});
  }

  void on_closed(const Error& error) {
    if (!result_) {
      result_ = error.code == "connection_closed"
                    ? fail("enroll_failed",
                           "the relay closed the connection without answering the enrollment "
                           "request")
                    : fail(error);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), [](uv_handle_t* handle) {
      static_cast<EnrollExchange*>(handle->data)->finished_ = true;
    });
  }

  v1::EnrollRequest request_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Transport> transport_;
  uv_timer_t deadline_{};
  std::optional<Result<v1::EnrollResponse>> result_;
  bool finished_ = false;
};

[[nodiscard]] Result<v1::EnrollResponse> exchange(uv_loop_t* loop, const Endpoint& relay,
                                                  const std::optional<Endpoint>& proxy,
                                                  SSL_CTX* context, v1::EnrollRequest request,
                                                  std::chrono::milliseconds timeout) {
  TransportConfig config;
  config.relay = relay;
  config.proxy = proxy;
  config.tls_context = context;
  config.mux.role = wire::Role::kAgent;
  config.connect_timeout = timeout;
  EnrollExchange exchange(loop, std::move(config), std::move(request), timeout);
  exchange.start();
  // The deadline timer bounds this: it settles the exchange, which closes.
  while (!exchange.finished()) uv_run(loop, UV_RUN_ONCE);
  return exchange.result();
}

[[nodiscard]] bool is_token(std::string_view token) {
  if (token.empty() || token.size() > kMaxTokenLength) return false;
  for (char c : token) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

[[nodiscard]] Result<void> check_response(const v1::EnrollResponse& response,
                                          const std::string& pin, EVP_PKEY* key) {
  if (response.has_error() && !response.error().code().empty()) {
    const auto& error = response.error();
    return fail("enroll_refused", "enrollment refused: " +
                                      (error.message().empty() ? error.code() : error.message()));
  }
  const std::string& id = response.device_id();
  if (id.empty() || id.size() > kMaxIdLength ||
      id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
          std::string::npos) {
    return bad_response("device id '" + id.substr(0, kMaxIdLength) + "' is not valid");
  }
  if (response.group().size() > kMaxIdLength) return bad_response("group name too long");

  auto cas = tls::certificates_from_pem(response.ca_certificate_pem());
  if (!cas || cas->empty()) return bad_response("no CA certificate");
  const X509* ca = cas->front().get();
  if (tls::fingerprint(ca) != pin) {
    return bad_response("its CA " + tls::fingerprint(ca) + " does not match the pin " + pin);
  }
  auto cert = tls::certificate_from_pem(response.certificate_pem());
  if (!cert) return bad_response("no device certificate");
  if (X509_check_private_key(cert->get(), key) != 1) {
    (void)tls::openssl_errors();
    return bad_response("the certificate is not for the key this agent generated");
  }
  if (std::string cn = tls::common_name(cert->get()); cn != id) {
    return bad_response("the certificate is for '" + cn + "', not device '" + id + "'");
  }
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  if (ca_key == nullptr || X509_verify(cert->get(), ca_key) != 1) {
    (void)tls::openssl_errors();
    return bad_response("the certificate is not signed by the relay CA");
  }
  return {};
}

// Before a one-time token is spent: will the result be writable?
[[nodiscard]] Result<void> prepare_state_dir(const EnrollOptions& options,
                                             std::optional<AgentConfig>& previous) {
  if (has_enrollment(options.state_dir)) {
    auto text = files::read(options.state_dir / kConfigFile, 64u * 1024);
    std::optional<AgentConfig> old;
    if (text) {
      if (auto parsed = parse_agent_config(*text)) old = std::move(*parsed);
    }
    if (!options.force) {
      std::string who = old ? " (" + old->device_id + ")" : "";
      return fail("already_enrolled", options.state_dir.string() + " already holds an enrollment" +
                                          who + "; use --force to replace it");
    }
    previous = std::move(old);
  }
  auto dir = files::ensure_private_dir(options.state_dir);
  if (!dir) return dir;
  if (::access(options.state_dir.c_str(), W_OK) != 0) {
    return fail("write_failed", "cannot write to " + options.state_dir.string() +
                                    " (run as root or pick another --state directory)");
  }
  return {};
}

}  // namespace

Result<Enrollment> enroll(const EnrollOptions& options) {
  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc != 0) {
    return fail("enroll_failed", std::string("cannot start the event loop: ") + uv_strerror(rc));
  }
  auto enrolled = enroll(options, &loop);
  uv_run(&loop, UV_RUN_DEFAULT);  // nothing should be left; this only drains
  (void)uv_loop_close(&loop);
  return enrolled;
}

Result<Enrollment> enroll(const EnrollOptions& options, uv_loop_t* loop) {
  auto relay = parse_endpoint(options.relay);
  if (!relay) return fail(relay.error().code, "--relay " + relay.error().message);
  auto pin = tls::normalize_pin(options.ca_pin);
  if (!pin) return fail(pin.error());
  if (!is_token(options.token)) {
    return fail("bad_token",
                "the enrollment token must be 1 to 4096 printable characters "
                "without spaces");
  }
  std::optional<AgentConfig> previous;
  auto prepared = prepare_state_dir(options, previous);
  if (!prepared) return fail(prepared.error());

  // Only the environment's proxy applies: there is no agent.toml yet, and a
  // replaced one keeps its proxy setting below.
  std::optional<std::string> configured_proxy = previous ? previous->proxy : std::nullopt;
  auto proxy = choose_proxy(options.proxy_env, configured_proxy, *relay);
  if (!proxy) return fail(proxy.error());

  auto key = tls::generate_key(tls::KeyType::kEcdsaP256);
  if (!key) return fail(key.error());
  auto key_pem = tls::private_key_to_pem(key->get());
  if (!key_pem) return fail(key_pem.error());
  auto csr = tls::make_csr_pem(key->get(), options.host.hostname);
  if (!csr) return fail(csr.error());

  tls::ClientConfig client;
  client.ca_pin = *pin;  // no anchor yet: the pin is the only trust
  auto context = tls::make_client_context(client);
  if (!context) return fail(context.error());

  v1::EnrollRequest request;
  request.set_token(options.token);
  request.set_csr_pem(*csr);
  request.set_hostname(options.host.hostname);
  request.set_platform(options.host.platform);
  request.set_agent_version(HELPLINE_VERSION);
  request.set_os_release(options.host.os_release);

  auto response =
      exchange(loop, *relay, *proxy, context->get(), std::move(request), options.timeout);
  if (!response) {
    return fail(response.error().code,
                "cannot enroll with relay " + relay->to_string() + ": " + response.error().message);
  }
  auto checked = check_response(*response, *pin, key->get());
  if (!checked) return fail(checked.error());

  AgentState state;
  state.dir = options.state_dir;
  state.config.relay = *relay;
  state.config.ca_pin = *pin;
  state.config.device_id = response->device_id();
  state.config.group = response->group();
  state.config.enrolled_at = unix_now_ms();
  if (previous) {
    state.config.heartbeat = previous->heartbeat;
    state.config.proxy = previous->proxy;
    state.config.sessions = previous->sessions;
  }
  // The group's consent policy is pinned; enrolling again never weakens a
  // pin this machine already has (docs/sessions.md).
  auto relay_policy = ::helpline::session::parse_policy(response->consent_policy());
  ::helpline::session::Policy pinned = relay_policy ? *relay_policy : ::helpline::session::Policy::kPrompt;
  state.config.sessions.consent_policy =
      previous ? ::helpline::session::stricter(previous->sessions.consent_policy, pinned) : pinned;
  state.key_pem = std::move(*key_pem);
  state.cert_pem = response->certificate_pem();
  state.ca_pem = response->ca_certificate_pem();
  auto saved = save_state(state);
  if (!saved) return fail(saved.error());
  // A status.json from an earlier enrollment would describe another device.
  std::error_code ignored;
  std::filesystem::remove(options.state_dir / kStatusFile, ignored);
  return Enrollment{state.config.device_id, state.config.group, *relay};
}

}  // namespace helpline::agent
