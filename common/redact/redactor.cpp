#include <array>

#include "common/redact/pattern_rule.h"
#include "common/redact/redact.h"
#include "common/redact/rules.h"

namespace helpline::redact {
namespace {

using detail::RuleId;

// Indexed by RuleId; the order is the order in which the scanners run.
constexpr std::array<Rule, detail::kBuiltinCount> kRules = {{
    {"private_key", "PEM private key blocks (RSA, EC, DSA, PKCS#8, ENCRYPTED, OPENSSH, PGP)"},
    {"http_authorization", "Authorization / Proxy-Authorization header values, scheme kept"},
    {"bearer_token", "a bare \"Bearer <token>\""},
    {"url_credentials", "the password in scheme://user:password@host"},
    {"aws_access_key_id", "AWS access key ids (AKIA/ASIA + 16)"},
    {"google_api_key", "Google API keys (AIza + 35)"},
    {"github_token", "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)"},
    {"slack_token", "Slack tokens (xoxa-, xoxb-, xoxp-, xoxo-, xoxr-, xoxs-)"},
    {"azure_account_key", "Azure AccountKey= / SharedAccessKey= in connection strings"},
    {"helpline_token", "Helpline enrollment (hle_) and API (hlt_) tokens"},
    {"jwt", "JSON Web Tokens (eyJ... three or five base64url segments)"},
    {"aws_secret_access_key", "the value of aws_secret_access_key / SecretAccessKey"},
    {"secret_key_value", "values of secret-ish keys: password, token, api_key, secret, ..."},
}};

}  // namespace

std::span<const Rule> builtin_rules() { return kRules; }

Result<Redactor> Redactor::create(Options options) {
  auto patterns = detail::compile_patterns(options.extra_patterns);
  if (!patterns) return fail(std::move(patterns.error()));
  Redactor redactor;
  redactor.patterns_ = std::make_shared<const detail::PatternSet>(std::move(*patterns));
  return redactor;
}

Redactor::Redactor(const Redactor&) = default;
Redactor::Redactor(Redactor&&) noexcept = default;
Redactor& Redactor::operator=(const Redactor&) = default;
Redactor& Redactor::operator=(Redactor&&) noexcept = default;
Redactor::~Redactor() = default;

std::string Redactor::redact(std::string_view text) {
  std::string out(text);
  redact_in_place(out);
  return out;
}

void Redactor::redact_in_place(std::string& text) {
  detail::Edits edits;
  // Each rule runs on the previous rule's output, so a later, more general
  // rule sees the marker and leaves an already redacted value alone.
  auto run = [&](auto&& scan) {
    edits.clear();
    scan(std::string_view(text), edits);
    if (edits.empty()) return;
    detail::normalize(edits);
    for (const detail::Edit& edit : edits) {
      if (edit.rule == detail::kUncounted) continue;
      const std::string_view name =
          edit.rule < detail::kBuiltinCount
              ? kRules[edit.rule].name
              : std::string_view(patterns_->patterns[edit.rule - detail::kBuiltinCount].name);
      ++counts_[std::string(name)];
      ++total_;
    }
    detail::apply(text, edits);
  };

  detail::KeyBlockState state{in_private_key_, private_key_tail_};
  run([&](std::string_view t, detail::Edits& out) {
    detail::scan_private_keys(t, state, kMaxPrivateKeyTail, out);
  });
  in_private_key_ = state.inside;
  private_key_tail_ = state.tail_bytes;

  run(detail::scan_auth_headers);
  run(detail::scan_url_credentials);
  run(detail::scan_tokens);
  run(detail::scan_key_values);
  if (!patterns_) return;
  for (std::size_t i = 0; i < patterns_->patterns.size(); ++i) {
    run([&](std::string_view t, detail::Edits& out) {
      detail::scan_pattern(patterns_->patterns[i], detail::kBuiltinCount + i, t, out);
    });
  }
}

void Redactor::end_stream() {
  in_private_key_ = false;
  private_key_tail_ = 0;
}

void Redactor::reset_counts() {
  counts_.clear();
  total_ = 0;
}

}  // namespace helpline::redact
