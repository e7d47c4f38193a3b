#include "common/session/session.h"

#include <signal.h>

#include <algorithm>
#include <array>

namespace helpline::session {

namespace {

constexpr std::array<std::string_view, 3> kCapabilities{kFiles, kForward, kShell};

[[nodiscard]] std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[nodiscard]] bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

}  // namespace

Result<Policy> parse_policy(std::string_view text) {
  if (text == "prompt") return Policy::kPrompt;
  if (text == "notify") return Policy::kNotify;
  if (text == "unattended") return Policy::kUnattended;
  return fail("bad_policy", "consent policy '" + std::string(text.substr(0, 40)) +
                                "' is not one of prompt, notify, unattended");
}

const char* to_string(Policy policy) {
  switch (policy) {
    case Policy::kPrompt: return "prompt";
    case Policy::kNotify: return "notify";
    case Policy::kUnattended: return "unattended";
  }
  return "prompt";
}

Policy stricter(Policy a, Policy b) { return static_cast<int>(a) >= static_cast<int>(b) ? a : b; }

Result<std::vector<std::string>> check_capabilities(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const std::string& raw : names) {
    std::string_view name = trim(raw);
    if (name.empty()) continue;
    if (std::find(kCapabilities.begin(), kCapabilities.end(), name) == kCapabilities.end()) {
      return fail("bad_capability", "unknown capability '" + std::string(name.substr(0, 40)) +
                                        "'; the capabilities are shell, files, forward");
    }
    out.emplace_back(name);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) {
    return fail("bad_capability", "no capability asked for; name some of shell, files, forward");
  }
  return out;
}

Result<std::vector<std::string>> parse_capabilities(std::string_view text) {
  std::vector<std::string> names;
  while (true) {
    auto comma = text.find(',');
    names.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return check_capabilities(names);
}

std::string join(const std::vector<std::string>& names, std::string_view sep) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += sep;
    out += n;
  }
  return out;
}

bool is_session_id(std::string_view id) {
  if (id.size() != 20 || id.substr(0, 4) != "ses_") return false;
  return std::all_of(id.begin() + 4, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string check_reason(std::string_view reason) {
  if (trim(reason).empty()) return "reason: say why you need the session (shown to the user)";
  if (reason.size() > kMaxReason) {
    return "reason: at most " + std::to_string(kMaxReason) + " bytes";
  }
  if (!valid_utf8(reason)) return "reason: not valid UTF-8";
  for (char c : reason) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return "reason: control characters are not allowed";
    }
  }
  return "";
}

std::string check_window(std::uint32_t cols, std::uint32_t rows) {
  if (cols == 0 || rows == 0 || cols > kMaxTerminalSide || rows > kMaxTerminalSide) {
    return "terminal size " + std::to_string(cols) + "x" + std::to_string(rows) +
           " refused: each side must be 1.." + std::to_string(kMaxTerminalSide);
  }
  return "";
}

bool is_term_name(std::string_view term) {
  if (term.empty() || term.size() > 64) return false;
  return std::all_of(term.begin(), term.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '+' || c == '_' || c == '-';
  });
}

std::optional<int> signal_number(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 7> kSignals{{
      {"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}, {"QUIT", SIGQUIT},
      {"KILL", SIGKILL}, {"TSTP", SIGTSTP}, {"CONT", SIGCONT}}};
  for (auto [n, s] : kSignals) {
    if (n == name) return s;
  }
  return std::nullopt;
}

std::string frame(std::string_view message) {
  std::string out;
  out.reserve(message.size() + 4);
  auto n = static_cast<std::uint32_t>(message.size());
  out += static_cast<char>((n >> 24) & 0xff);
  out += static_cast<char>((n >> 16) & 0xff);
  out += static_cast<char>((n >> 8) & 0xff);
  out += static_cast<char>(n & 0xff);
  out.append(message);
  return out;
}

Result<void> MessageDecoder::feed(std::string_view bytes) {
  if (failed_) return fail("too_large", "the stream sent a message that is too large");
  if (offset_ > 0 && offset_ >= buffer_.size() / 2) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  buffer_.append(bytes);
  if (buffered() >= 4) {
    auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
    std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                      (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
    if (n > kMaxStreamMessage) {
      failed_ = true;
      return fail("too_large", "a stream message announces " + std::to_string(n) +
                                   " bytes; at most " + std::to_string(kMaxStreamMessage));
    }
  }
  return {};
}

std::optional<std::string> MessageDecoder::next() {
  if (failed_ || buffered() < 4) return std::nullopt;
  auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  std::uint32_t n = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
                    (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  if (n > kMaxStreamMessage) {
    failed_ = true;
    return std::nullopt;
  }
  if (buffered() < 4 + static_cast<std::size_t>(n)) return std::nullopt;
  std::string out = buffer_.substr(offset_ + 4, n);
  offset_ += 4 + n;
  // A following prefix may announce too much: check it now.
  if (buffered() >= 4) {
    auto* q = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
    std::uint32_t m = (std::uint32_t{q[0]} << 24) | (std::uint32_t{q[1]} << 16) |
                      (std::uint32_t{q[2]} << 8) | std::uint32_t{q[3]};
    if (m > kMaxStreamMessage) failed_ = true;
  }
  return out;
}

std::string MessageDecoder::take_rest() {
  std::string rest = buffer_.substr(offset_);
  buffer_.clear();
  offset_ = 0;
  return rest;
}

Result<std::string> normalise_path(std::string_view path) {
  if (path.empty()) return fail("bad_path", "path: empty");
  if (path.size() > 4096) return fail("bad_path", "path: longer than 4096 bytes");
  if (path.front() != '/') {
    return fail("bad_path", "path '" + std::string(path.substr(0, 200)) + "' is not absolute");
  }
  if (path.find('\0') != std::string_view::npos) return fail("bad_path", "path: contains NUL");
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
      continue;
    }
    parts.push_back(part);
  }
  std::string out;
  for (auto part : parts) {
    out += '/';
    out += part;
  }
  return out.empty() ? std::string("/") : out;
}

bool is_under(std::string_view path, std::string_view root) {
  if (root == "/") return !path.empty() && path.front() == '/';
  if (path.size() < root.size() || path.substr(0, root.size()) != root) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

}  // namespace helpline::session
