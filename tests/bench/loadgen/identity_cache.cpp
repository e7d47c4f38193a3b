#include "tests/bench/loadgen/identity_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

#include "common/core/files.h"

namespace helpline::loadgen {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kRecordStart = "device ";
constexpr std::size_t kMaxCacheBytes = std::size_t{1} << 30;

[[nodiscard]] Result<void> append_all(const fs::path& path, std::string_view data) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return fail("io_error", "cannot open " + path.string() + ": " + std::strerror(errno));
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = std::strerror(errno);
      ::close(fd);
      return fail("io_error", "cannot write " + path.string() + ": " + why);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
  return {};
}

// One record: "device <id>\n" then the key PEM and the certificate PEM.
[[nodiscard]] Result<AgentIdentity> parse_record(std::string_view record) {
  std::size_t eol = record.find('\n');
  if (eol == std::string_view::npos) return fail("bad_cache", "a record has no PEM after its id");
  AgentIdentity identity;
  identity.device_id = std::string(record.substr(kRecordStart.size(), eol - kRecordStart.size()));
  std::string_view pems = record.substr(eol + 1);
  auto key = tls::private_key_from_pem(pems);
  if (!key) return fail("bad_cache", identity.device_id + ": key: " + key.error().message);
  auto cert = tls::certificate_from_pem(pems);
  if (!cert) return fail("bad_cache", identity.device_id + ": certificate: " + cert.error().message);
  identity.key = std::move(*key);
  identity.certificate = std::move(*cert);
  return identity;
}

}  // namespace

IdentityCache::IdentityCache(IdentityCache&&) noexcept = default;
IdentityCache& IdentityCache::operator=(IdentityCache&&) noexcept = default;

Result<IdentityCache> IdentityCache::open(const fs::path& dir, const std::string& ca_pin,
                                          std::size_t max_load) {
  if (auto made = files::ensure_private_dir(dir); !made) return fail(made.error());
  IdentityCache cache;
  cache.dir_ = dir;
  cache.ca_pin_ = ca_pin;
  std::error_code ec;
  if (fs::exists(dir / "ca.pem", ec)) {
    auto ca = files::read(dir / "ca.pem");
    if (!ca) return fail(ca.error());
    auto cert = tls::certificate_from_pem(*ca);
    if (!cert) return fail("bad_cache", (dir / "ca.pem").string() + ": " + cert.error().message);
    if (tls::fingerprint(cert->get()) != ca_pin) {
      return fail("cache_mismatch", dir.string() + " holds agents of the relay with CA " +
                                        tls::fingerprint(cert->get()) + ", not " + ca_pin +
                                        "; use another --state directory");
    }
    cache.ca_pem_ = std::move(*ca);
  }
  if (!fs::exists(dir / "identities", ec) || max_load == 0) return cache;
  auto text = files::read(dir / "identities", kMaxCacheBytes);
  if (!text) return fail(text.error());
  std::string_view rest = *text;
  while (!rest.empty() && cache.identities_.size() < max_load) {
    if (!rest.starts_with(kRecordStart)) return fail("bad_cache", "a record does not start with 'device '");
    std::size_t next = rest.find("\n" + std::string(kRecordStart));
    std::string_view record = rest.substr(0, next == std::string_view::npos ? rest.size() : next + 1);
    rest.remove_prefix(record.size());
    auto identity = parse_record(record);
    // A record cut short by an interrupted run is dropped with what follows.
    if (!identity && rest.empty()) break;
    if (!identity) return fail(identity.error());
    cache.identities_.push_back(std::move(*identity));
  }
  return cache;
}

Result<void> IdentityCache::append(AgentIdentity identity, std::string_view key_pem,
                                   std::string_view cert_pem, std::string_view ca_pem) {
  std::lock_guard lock(*mutex_);
  if (ca_pem_.empty()) {
    if (auto written = files::write_atomic(dir_ / "ca.pem", ca_pem, 0644); !written) {
      return fail(written.error());
    }
    ca_pem_ = std::string(ca_pem);
  }
  std::string record = std::string(kRecordStart) + identity.device_id + "\n";
  record.append(key_pem);
  if (!record.ends_with('\n')) record += '\n';
  record.append(cert_pem);
  if (!record.ends_with('\n')) record += '\n';
  if (auto written = append_all(dir_ / "identities", record); !written) return written;
  identities_.push_back(std::move(identity));
  return {};
}

}  // namespace helpline::loadgen
