#include "agent/state/agent_state.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/core/files.h"
#include "common/tls/tls.h"

namespace helpline::agent {
namespace {

constexpr std::size_t kMaxPemSize = 256u * 1024;
constexpr std::size_t kMaxConfigSize = 64u * 1024;

[[nodiscard]] tl::unexpected<Error> bad_file(std::string_view file, std::string_view why) {
  return fail("bad_state", std::string(file) + ": " + std::string(why));
}

[[nodiscard]] Result<std::string> read_file(const std::filesystem::path& dir, std::string_view name,
                                            std::size_t max_bytes) {
  auto text = files::read(dir / name, max_bytes);
  if (!text) return fail(text.error());
  return text;
}

// Like ssh with its identity files: a key others can read is refused rather
// than used, since it may already have leaked.
[[nodiscard]] Result<void> check_private_mode(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return fail("read_failed", "cannot stat " + path.string() + ": " + std::strerror(errno));
  }
  if ((st.st_mode & 077) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return bad_file(kKeyFile, std::string("readable by group or others (mode ") + mode +
                                  "); run: chmod 600 " + path.string());
  }
  return {};
}

// The three PEM files must belong together and to agent.toml.
[[nodiscard]] Result<void> cross_check(const AgentState& state) {
  auto key = tls::private_key_from_pem(state.key_pem);
  if (!key) return bad_file(kKeyFile, "not a PEM private key");
  auto cert = tls::certificate_from_pem(state.cert_pem);
  if (!cert) return bad_file(kCertFile, "not a PEM certificate");
  auto cas = tls::certificates_from_pem(state.ca_pem);
  if (!cas || cas->empty()) return bad_file(kCaFile, "not a PEM certificate");
  const X509* ca = cas->front().get();

  if (tls::fingerprint(ca) != state.config.ca_pin) {
    return bad_file(kCaFile, "fingerprint " + tls::fingerprint(ca) + " does not match ca_pin " +
                                 state.config.ca_pin + " in agent.toml");
  }
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    (void)tls::openssl_errors();
    return bad_file(kCertFile, "does not belong to the private key in key.pem");
  }
  std::string cn = tls::common_name(cert->get());
  if (cn != state.config.device_id) {
    return bad_file(kCertFile, "certificate is for '" + cn + "' but agent.toml says device_id '" +
                                   state.config.device_id + "'");
  }
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  if (ca_key == nullptr || X509_verify(cert->get(), ca_key) != 1) {
    (void)tls::openssl_errors();
    return bad_file(kCertFile, "not signed by the CA in ca.pem");
  }
  return {};
}

}  // namespace

bool has_enrollment(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / kConfigFile, ec);
}

Result<AgentState> load_state(const std::filesystem::path& dir) {
  std::error_code ec;
  bool exists = std::filesystem::exists(dir / kConfigFile, ec);
  if (ec) {
    return fail("read_failed", "cannot read " + (dir / kConfigFile).string() + ": " + ec.message());
  }
  if (!exists) {
    return fail("not_enrolled", "this device is not enrolled (" + (dir / kConfigFile).string() +
                                    " does not exist); run: helpline-agent enroll --relay "
                                    "HOST:PORT --token TOKEN --ca-pin SHA256:...");
  }

  AgentState state;
  state.dir = dir;
  auto toml_text = read_file(dir, kConfigFile, kMaxConfigSize);
  if (!toml_text) return fail(toml_text.error());
  auto config = parse_agent_config(*toml_text);
  if (!config) return fail(config.error());
  state.config = std::move(*config);

  auto mode = check_private_mode(dir / kKeyFile);
  if (!mode) return fail(mode.error());
  auto key = read_file(dir, kKeyFile, kMaxPemSize);
  if (!key) return fail(key.error());
  auto cert = read_file(dir, kCertFile, kMaxPemSize);
  if (!cert) return fail(cert.error());
  auto ca = read_file(dir, kCaFile, kMaxPemSize);
  if (!ca) return fail(ca.error());
  state.key_pem = std::move(*key);
  state.cert_pem = std::move(*cert);
  state.ca_pem = std::move(*ca);

  auto checked = cross_check(state);
  if (!checked) return fail(checked.error());
  return state;
}

Result<void> save_state(const AgentState& state) {
  auto dir = files::ensure_private_dir(state.dir);
  if (!dir) return dir;
  const std::pair<std::string_view, const std::string*> pems[] = {
      {kKeyFile, &state.key_pem}, {kCertFile, &state.cert_pem}, {kCaFile, &state.ca_pem}};
  for (const auto& [name, content] : pems) {
    unsigned mode = name == kKeyFile ? 0600u : 0644u;
    auto written = files::write_atomic(state.dir / name, *content, mode);
    if (!written) return written;
  }
  return files::write_atomic(state.dir / kConfigFile, render_agent_config(state.config), 0600);
}

}  // namespace helpline::agent
