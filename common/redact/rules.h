// Internal to common/redact: the built-in scanners. Each reads `text` and
// appends the Edits it proposes (possibly overlapping; the Redactor
// normalizes). They run in this order, each on the output of the previous
// one, and skip values that already hold a marker, so a secret is counted
// once, by the most specific rule.
#pragma once

#include <optional>
#include <string_view>

#include "common/redact/scan.h"

namespace helpline::redact::detail {

// Stream state of the private key rule across texts (see Redactor::end_stream).
struct KeyBlockState {
  bool inside = false;
  std::size_t tail_bytes = 0;  // bytes swallowed since the block's BEGIN text
};

// PEM private key blocks -> kPrivateKeyMarker; continues a block left open by
// an earlier text and updates `state`.
void scan_private_keys(std::string_view text, KeyBlockState& state, std::size_t max_tail,
                       Edits& out);

// "Authorization:" / "Proxy-Authorization:" values (scheme word kept) and a
// bare "Bearer <token>".
void scan_auth_headers(std::string_view text, Edits& out);

// The password of scheme://user:password@host.
void scan_url_credentials(std::string_view text, Edits& out);

// Tokens recognised by their shape: AWS key ids, Google API keys, GitHub,
// Slack, Azure AccountKey=, Helpline hle_/hlt_, JWTs.
void scan_tokens(std::string_view text, Edits& out);

// key=value, key: value, "key": "value", --key value, and `key value` config
// lines, for secret-ish keys.
void scan_key_values(std::string_view text, Edits& out);

// Which rule a key name belongs to (kSecretKeyValue or kAwsSecretAccessKey),
// or nullopt when the key does not name a secret. key_names.cpp.
[[nodiscard]] std::optional<RuleId> classify_key(std::string_view key);

}  // namespace helpline::redact::detail
