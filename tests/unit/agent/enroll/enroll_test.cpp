// enroll() against a scripted relay on the test's loop over loopback.
#include "agent/enroll/enroll.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <optional>

#include "tests/unit/agent/agent_test_support.h"
#include "tests/unit/agent/fake_relay.h"

namespace helpline::agent {
namespace {

using testing::FakeRelay;
using testing::ok;
using testing::pki;

constexpr const char* kNewDevice = "dev_5e77a1";

// What a relay answers to a good request: a certificate for the CSR's key.
v1::Frame grant(const v1::EnrollRequest& request, const std::string& device_id = kNewDevice) {
  auto csr = ok(tls::parse_csr(request.csr_pem()));
  tls::CertRequest cert_request;
  cert_request.common_name = device_id;
  auto cert = ok(tls::sign_certificate(pki().ca_cert.get(), pki().ca_key.get(),
                                       csr.public_key.get(), cert_request));
  v1::Frame frame;
  auto* response = frame.mutable_enroll_response();
  response->set_device_id(device_id);
  response->set_group("lab");
  response->set_certificate_pem(ok(tls::certificate_to_pem(cert.get())));
  response->set_ca_certificate_pem(pki().ca_pem);
  return frame;
}

class AgentEnrollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(uv_loop_init(&loop_), 0);
    server_context_ = ok(tls::make_server_context(
        tls::ServerConfig{pki().server, pki().ca_pem, tls::ClientCertMode::kOptional}));
    relay_.emplace(&loop_, server_context_.get());
  }

  void TearDown() override {
    relay_->close();
    testing::run_loop_bounded(&loop_, [] {});
    relay_.reset();
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "a libuv handle was left open";
  }

  EnrollOptions options() {
    EnrollOptions o;
    o.relay = "127.0.0.1:" + std::to_string(relay_->port());
    o.token = "tok_abc";
    o.ca_pin = pki().ca_pin;
    o.state_dir = dir_.path() / "state";
    o.timeout = std::chrono::milliseconds(10'000);
    o.host = HostInfo{"testhost", "linux-test", "Test OS 1"};
    return o;
  }

  // Answers each EnrollRequest with `answer(request)`, then closes.
  void relay_answers(std::function<v1::Frame(const v1::EnrollRequest&)> answer) {
    relay_->on_control = [this, answer](FakeRelay::Connection& c, const v1::Frame& frame) {
      if (!frame.has_enroll_request()) return;
      request_ = frame.enroll_request();
      peer_ = c.peer_common_name;
      c.send(answer(frame.enroll_request()));
      c.close_after_flush();
    };
  }

  bool wrote_anything() const {
    return std::filesystem::exists(dir_.path() / "state") &&
           !std::filesystem::is_empty(dir_.path() / "state");
  }

  uv_loop_t loop_{};
  testing::TempDir dir_;
  tls::SslCtxPtr server_context_;
  std::optional<FakeRelay> relay_;
  std::optional<v1::EnrollRequest> request_;
  std::string peer_ = "unset";
};

TEST_F(AgentEnrollTest, WritesAConsistentStateFromTheRelaysAnswer) {
  relay_answers([](const v1::EnrollRequest& r) { return grant(r); });
  auto enrolled = enroll(options(), &loop_);
  ASSERT_TRUE(enrolled.has_value()) << enrolled.error().to_string();
  EXPECT_EQ(enrolled->device_id, kNewDevice);
  EXPECT_EQ(enrolled->group, "lab");
  EXPECT_EQ(enrolled->relay.port, relay_->port());

  ASSERT_TRUE(request_.has_value());
  EXPECT_EQ(peer_, "");  // no client certificate before enrollment
  EXPECT_EQ(request_->token(), "tok_abc");
  EXPECT_EQ(request_->hostname(), "testhost");
  EXPECT_EQ(request_->platform(), "linux-test");
  EXPECT_EQ(request_->os_release(), "Test OS 1");
  EXPECT_EQ(request_->agent_version(), HELPLINE_VERSION);
  EXPECT_EQ(ok(tls::parse_csr(request_->csr_pem())).common_name, "testhost");

  auto state = load_state(dir_.path() / "state");
  ASSERT_TRUE(state.has_value()) << state.error().to_string();
  EXPECT_EQ(state->config.device_id, kNewDevice);
  EXPECT_EQ(state->config.ca_pin, pki().ca_pin);
  EXPECT_NE(state->config.enrolled_at, 0);
  struct stat st {};
  ASSERT_EQ(::stat((dir_.path() / "state" / kKeyFile).c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(AgentEnrollTest, RefusalCarriesTheRelaysMessage) {
  relay_answers([](const v1::EnrollRequest&) {
    v1::Frame frame;
    frame.mutable_enroll_response()->mutable_error()->set_code("bad_token");
    frame.mutable_enroll_response()->mutable_error()->set_message(
        "enrollment token has already been used 1 of 1 times");
    return frame;
  });
  auto enrolled = enroll(options(), &loop_);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_EQ(enrolled.error().code, "enroll_refused");
  EXPECT_EQ(enrolled.error().message,
            "enrollment refused: enrollment token has already been used 1 of 1 times");
  EXPECT_FALSE(has_enrollment(dir_.path() / "state"));
}

TEST_F(AgentEnrollTest, PinMismatchIsRefusedAtTheTlsLayer) {
  relay_answers([](const v1::EnrollRequest& r) { return grant(r); });
  EnrollOptions o = options();
  o.ca_pin = "SHA256:" + std::string(64, 'a');
  auto enrolled = enroll(o, &loop_);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_NE(enrolled.error().message.find("does not match"), std::string::npos)
      << enrolled.error().message;
  EXPECT_FALSE(request_.has_value());  // the token never left the machine
  EXPECT_FALSE(has_enrollment(dir_.path() / "state"));
}

TEST_F(AgentEnrollTest, RefusesAnEnrolledDirectoryUnlessForced) {
  AgentState existing = testing::make_state(dir_.path() / "state");
  existing.config.heartbeat = std::chrono::seconds(45);
  existing.config.proxy = "none";
  ASSERT_TRUE(save_state(existing).has_value());
  relay_answers([](const v1::EnrollRequest& r) { return grant(r); });

  auto refused = enroll(options(), &loop_);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, "already_enrolled");
  EXPECT_NE(refused.error().message.find("(dev_0123abcd); use --force"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(relay_->accepted(), 0);

  EnrollOptions forced = options();
  forced.force = true;
  auto enrolled = enroll(forced, &loop_);
  ASSERT_TRUE(enrolled.has_value()) << enrolled.error().to_string();
  auto state = ok(load_state(dir_.path() / "state"));
  EXPECT_EQ(state.config.device_id, kNewDevice);
  EXPECT_EQ(state.config.heartbeat, std::chrono::seconds(45));  // local settings survive
  EXPECT_EQ(state.config.proxy, std::optional<std::string>("none"));
}

TEST_F(AgentEnrollTest, RejectsACertificateThatIsNotForOurKey) {
  relay_answers([](const v1::EnrollRequest&) {
    auto other_key = ok(tls::generate_key());
    v1::EnrollRequest fake;
    fake.set_csr_pem(ok(tls::make_csr_pem(other_key.get(), "other")));
    return grant(fake);
  });
  auto enrolled = enroll(options(), &loop_);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_EQ(enrolled.error().code, "enroll_failed");
  EXPECT_NE(enrolled.error().message.find("not for the key this agent generated"),
            std::string::npos);
  EXPECT_FALSE(wrote_anything());
}

TEST_F(AgentEnrollTest, RejectsACertificateForAnotherDevice) {
  relay_answers([](const v1::EnrollRequest& r) {
    v1::Frame frame = grant(r, "dev_someone_else");
    frame.mutable_enroll_response()->set_device_id(kNewDevice);
    return frame;
  });
  auto enrolled = enroll(options(), &loop_);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_NE(enrolled.error().message.find("is for 'dev_someone_else'"), std::string::npos)
      << enrolled.error().message;
}

TEST_F(AgentEnrollTest, RelayClosingWithoutAnswerIsAnError) {
  relay_->on_control = [](FakeRelay::Connection& c, const v1::Frame&) { c.close_after_flush(); };
  auto enrolled = enroll(options(), &loop_);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_EQ(enrolled.error().code, "enroll_failed");
  EXPECT_NE(enrolled.error().message.find("without answering"), std::string::npos)
      << enrolled.error().message;
}

TEST_F(AgentEnrollTest, SilentRelayTimesOut) {
  EnrollOptions o = options();
  o.timeout = std::chrono::milliseconds(200);
  auto enrolled = enroll(o, &loop_);
  ASSERT_FALSE(enrolled.has_value());
  EXPECT_EQ(enrolled.error().code, "enroll_timeout");
}

TEST_F(AgentEnrollTest, BadArgumentsFailBeforeConnecting) {
  EnrollOptions o = options();
  o.relay = "no-port";
  EXPECT_EQ(enroll(o, &loop_).error().code, "bad_endpoint");
  o = options();
  o.ca_pin = "md5:1234";
  EXPECT_EQ(enroll(o, &loop_).error().code, "bad_pin");
  o = options();
  o.token = "";
  EXPECT_EQ(enroll(o, &loop_).error().code, "bad_token");
  o.token = "has space";
  EXPECT_EQ(enroll(o, &loop_).error().code, "bad_token");
  EXPECT_EQ(relay_->accepted(), 0);
}

}  // namespace
}  // namespace helpline::agent
