// PEM private key blocks (PKCS#1 "RSA", "EC", "DSA", PKCS#8 plain and
// "ENCRYPTED", "OPENSSH", PGP "PRIVATE KEY BLOCK"): everything from BEGIN to
// the matching END becomes one marker, however many lines lie between. A
// BEGIN without END takes the rest of the text, and the state carries into
// the following texts (a key logged line by line), bounded by max_tail.
// Public keys and certificates are not secrets and stay.
#include "common/redact/redact.h"
#include "common/redact/rules.h"

namespace helpline::redact::detail {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";
constexpr std::size_t kMaxLabel = 64;

struct Label {
  bool private_key = false;
  std::size_t end = 0;  // after the closing dashes, or where the line breaks off
};

// The label after "-----BEGIN " / "-----END " at `pos`. A marker cut off
// before its closing dashes (a truncated line) still counts.
[[nodiscard]] Label label_at(std::string_view text, std::size_t pos) {
  std::string_view rest = text.substr(pos, kMaxLabel);
  rest = rest.substr(0, rest.find('\n'));
  const std::size_t eol = pos + rest.size();
  const std::size_t dashes = rest.find(kDashes);
  const std::string_view label = rest.substr(0, dashes);
  const bool private_key = label.find("PRIVATE KEY") != std::string_view::npos;
  return Label{private_key, dashes == std::string_view::npos ? eol : pos + dashes + kDashes.size()};
}

// End of the first private key END marker at or after `from`, or npos.
[[nodiscard]] std::size_t find_block_end(std::string_view text, std::size_t from) {
  for (std::size_t p = text.find(kEnd, from); p != std::string_view::npos;
       p = text.find(kEnd, p + kEnd.size())) {
    const Label label = label_at(text, p + kEnd.size());
    if (label.private_key) return label.end;
  }
  return std::string_view::npos;
}

}  // namespace

void scan_private_keys(std::string_view text, KeyBlockState& state, std::size_t max_tail,
                       Edits& out) {
  std::size_t pos = 0;
  if (state.inside) {
    const std::size_t end = find_block_end(text, 0);
    if (end == std::string_view::npos) {
      if (!text.empty()) out.push_back(Edit{0, text.size(), {}, kUncounted});
      state.tail_bytes += text.size();
      // A BEGIN that never ends must not hide the rest of a log forever.
      if (state.tail_bytes >= max_tail) state = KeyBlockState{};
      return;
    }
    out.push_back(Edit{0, end, {}, kUncounted});
    state = KeyBlockState{};
    pos = end;
  }
  for (std::size_t p = text.find(kBegin, pos); p != std::string_view::npos;
       p = text.find(kBegin, pos)) {
    const Label label = label_at(text, p + kBegin.size());
    if (!label.private_key) {
      pos = p + kBegin.size();
      continue;
    }
    const std::size_t end = find_block_end(text, label.end);
    const std::size_t rule = rule_index(RuleId::kPrivateKey);
    if (end == std::string_view::npos) {
      out.push_back(Edit{p, text.size(), kPrivateKeyMarker, rule});
      state.inside = true;
      state.tail_bytes = 0;
      return;
    }
    out.push_back(Edit{p, end, kPrivateKeyMarker, rule});
    pos = end;
  }
}

}  // namespace helpline::redact::detail
