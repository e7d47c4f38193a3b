// Which key names hold secrets. A key is split into lower-case components at
// punctuation and camelCase boundaries ("DB_PASSWORD" -> db|password,
// "clientSecret" -> client|secret, "x-api-key" -> x|api|key), and judged by
// its components rather than by substrings, so that "author", "tokenizer" or
// "max_tokens" are not secrets while "csrftoken" and "dbpassword" are.
#include <algorithm>
#include <array>

#include "common/redact/rules.h"

namespace helpline::redact::detail {
namespace {

constexpr std::size_t kMaxKey = 64;
constexpr std::size_t kMaxParts = 16;

// Whole components that name a secret.
// requirepass / masterauth: redis.conf.
constexpr std::array<std::string_view, 19> kSecretWords = {
    "password", "passwd",     "passphrase",  "pwd",         "secret",    "secrets", "token",
    "auth",     "credential", "credentials", "session",     "sessionid", "cookie",  "cookies",
    "apikey",   "psk",        "passwort",    "requirepass", "masterauth"};
// Components ending in one of these ("dbpassword", "csrftoken", "xapikey").
constexpr std::array<std::string_view, 11> kSecretSuffixes = {
    "password",  "passwd",     "secret",     "token",       "apikey", "accesskey",
    "secretkey", "privatekey", "credential", "credentials", "cookie"};
// "<word>_key": api_key, access_key, private_key, client-key, AccountKey ...
constexpr std::array<std::string_view, 11> kKeyQualifiers = {
    "api",    "access",  "secret", "private", "signing", "encryption",
    "master", "account", "shared", "storage", "client"};
// A last component that describes the secret instead of holding it:
// token_type, password_file, session_timeout, auth_url ...
constexpr std::array<std::string_view, 37> kDescriptors = {
    "count",   "type",      "method",     "mode",     "url",      "uri",     "endpoint", "file",
    "path",    "dir",       "length",     "len",      "size",     "ttl",     "timeout",  "expiry",
    "expires", "expired",   "expiration", "lifetime", "age",      "enabled", "required", "policy",
    "changed", "prompt",    "source",     "helper",   "provider", "user",    "username", "name",
    "format",  "algorithm", "version",    "status",   "limit"};

template <std::size_t N>
[[nodiscard]] bool contains(const std::array<std::string_view, N>& set, std::string_view word) {
  return std::find(set.begin(), set.end(), word) != set.end();
}

[[nodiscard]] bool names_secret(std::string_view part, bool is_last, std::size_t part_count,
                                std::string_view previous) {
  if (contains(kSecretWords, part)) return true;
  for (std::string_view suffix : kSecretSuffixes) {
    if (part.size() > suffix.size() && part.ends_with(suffix)) return true;
  }
  // "pass" alone is too common ("pass: 9 fail: 1"); "db_pass" is not.
  if (part == "pass") return is_last && part_count > 1;
  if (part == "key" || part == "keys") return contains(kKeyQualifiers, previous);
  return false;
}

// Cheap gate before splitting: every secret key contains one of these.
constexpr std::array<std::string_view, 10> kProbes = {
    "pass", "pwd", "secret", "token", "key", "auth", "credential", "session", "cookie", "psk"};

// One pass over the (short) key; most keys ("ts", "sshd[12]", "10") fail it.
[[nodiscard]] bool may_name_secret(std::string_view lower) {
  for (std::size_t i = 0; i < lower.size(); ++i) {
    const std::string_view rest = lower.substr(i);
    for (std::string_view probe : kProbes) {
      if (probe[0] == lower[i] && rest.starts_with(probe)) return true;
    }
  }
  return false;
}

}  // namespace

std::optional<RuleId> classify_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKey) return std::nullopt;
  // $PWD and $OLDPWD are the shell's working directories, not passwords.
  if (key == "PWD" || key == "OLDPWD") return std::nullopt;

  std::array<char, kMaxKey> buffer{};
  for (std::size_t i = 0; i < key.size(); ++i) buffer[i] = to_lower(key[i]);
  const std::string_view lower(buffer.data(), key.size());
  if (!may_name_secret(lower)) return std::nullopt;
  if ((lower.find("aws") != std::string_view::npos && lower.ends_with("secret_access_key")) ||
      lower.ends_with("secretaccesskey")) {
    return RuleId::kAwsSecretAccessKey;
  }

  std::array<std::string_view, kMaxParts> parts{};
  std::size_t count = 0;
  std::size_t begin = 0;
  auto close_part = [&](std::size_t end) {
    if (end > begin && count < kMaxParts) parts[count++] = lower.substr(begin, end - begin);
  };
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    if (!is_alnum(c)) {
      close_part(i);
      begin = i + 1;
      continue;
    }
    // camelCase: "clientSecret" splits before 'S'; "APIKey" before 'K'.
    const bool lower_to_upper = i > begin && is_upper(c) && !is_upper(key[i - 1]);
    const bool acronym_end = i > begin && is_upper(c) && is_upper(key[i - 1]) &&
                             i + 1 < key.size() && is_lower(key[i + 1]);
    if (lower_to_upper || acronym_end) {
      close_part(i);
      begin = i;
    }
  }
  close_part(key.size());
  if (count == 0 || parts[0] == "no") return std::nullopt;

  for (std::size_t i = 0; i < count; ++i) {
    const bool is_last = i + 1 == count;
    if (!names_secret(parts[i], is_last, count, i > 0 ? parts[i - 1] : std::string_view{})) {
      continue;
    }
    if (!is_last && contains(kDescriptors, parts[count - 1])) return std::nullopt;
    return RuleId::kSecretKeyValue;
  }
  return std::nullopt;
}

}  // namespace helpline::redact::detail
