// status.json: written by `run`, read by `status`. The agent links no JSON
// library, so reading uses a small parser for the one flat object that
// render_status writes (strings, booleans, integers, null).
#include <charconv>
#include <map>
#include <variant>

#include "agent/state/agent_state.h"
#include "common/core/files.h"
#include "common/core/json_writer.h"

namespace helpline::agent {
namespace {

constexpr std::size_t kMaxStatusSize = 64u * 1024;

using JsonScalar = std::variant<std::nullptr_t, bool, std::int64_t, std::string>;

class FlatJsonParser {
 public:
  explicit FlatJsonParser(std::string_view text) : text_(text) {}

  [[nodiscard]] Result<std::map<std::string, JsonScalar>> parse() {
    std::map<std::string, JsonScalar> out;
    skip_space();
    if (!eat('{')) return bad("expected '{'");
    skip_space();
    if (eat('}')) return finish(std::move(out));
    for (;;) {
      skip_space();
      auto key = parse_string();
      if (!key) return fail(key.error());
      skip_space();
      if (!eat(':')) return bad("expected ':'");
      skip_space();
      auto value = parse_value();
      if (!value) return fail(value.error());
      out[*key] = std::move(*value);
      skip_space();
      if (eat('}')) return finish(std::move(out));
      if (!eat(',')) return bad("expected ',' or '}'");
    }
  }

 private:
  Result<std::map<std::string, JsonScalar>> finish(std::map<std::string, JsonScalar> out) {
    skip_space();
    if (pos_ != text_.size()) return bad("unexpected text after the object");
    return out;
  }

  tl::unexpected<Error> bad(std::string_view why) const {
    return fail("bad_state", std::string(kStatusFile) + ": " + std::string(why) + " at offset " +
                                 std::to_string(pos_));
  }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t')) {
      ++pos_;
    }
  }

  bool eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  bool eat_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  Result<JsonScalar> parse_value() {
    if (pos_ >= text_.size()) return bad("expected a value");
    char c = text_[pos_];
    if (c == '"') {
      auto s = parse_string();
      if (!s) return fail(s.error());
      return JsonScalar(std::move(*s));
    }
    if (eat_word("true")) return JsonScalar(true);
    if (eat_word("false")) return JsonScalar(false);
    if (eat_word("null")) return JsonScalar(nullptr);
    std::int64_t number = 0;
    auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + text_.size(), number);
    if (ec != std::errc()) return bad("expected a string, number, true, false or null");
    pos_ = static_cast<std::size_t>(end - text_.data());
    return JsonScalar(number);
  }

  Result<std::string> parse_string() {
    if (!eat('"')) return bad("expected a string");
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) return bad("control character in string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) break;
      char e = text_[pos_++];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'u': {
          unsigned code = 0;
          if (pos_ + 4 > text_.size()) return bad("short \\u escape");
          auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, code, 16);
          if (ec != std::errc() || end != text_.data() + pos_ + 4) return bad("bad \\u escape");
          pos_ += 4;
          // render_status only escapes control characters; anything else
          // is kept as a replacement rather than decoded into UTF-8.
          out.push_back(code < 0x80 ? static_cast<char>(code) : '?');
          break;
        }
        default:
          return bad("bad escape");
      }
    }
    return bad("unterminated string");
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

[[nodiscard]] Result<UnixMillis> time_value(const JsonScalar& value, std::string_view field) {
  const auto* text = std::get_if<std::string>(&value);
  if (text == nullptr) {
    return fail("bad_state",
                std::string(kStatusFile) + ": " + std::string(field) + ": expected a string");
  }
  if (text->empty()) return UnixMillis{0};
  auto parsed = parse_rfc3339(*text);
  if (!parsed) {
    return fail("bad_state", std::string(kStatusFile) + ": " + std::string(field) + ": " +
                                 parsed.error().message);
  }
  return *parsed;
}

}  // namespace

std::string render_status(const AgentStatus& status) {
  JsonWriter json;
  json.begin_object()
      .field("connected", status.connected)
      .field("connected_since", format_rfc3339(status.connected_since))
      .field("last_error", status.last_error)
      .field("last_error_at", format_rfc3339(status.last_error_at))
      .field("pid", status.pid)
      .field("relay", status.relay)
      .end_object();
  return json.str() + "\n";
}

Result<AgentStatus> parse_status(std::string_view json) {
  auto fields = FlatJsonParser(json).parse();
  if (!fields) return fail(fields.error());
  AgentStatus status;
  auto wrong_type = [](std::string_view field, std::string_view expected) {
    return fail("bad_state", std::string(kStatusFile) + ": " + std::string(field) + ": expected " +
                                 std::string(expected));
  };
  for (const auto& [key, value] : *fields) {
    if (key == "connected") {
      const bool* flag = std::get_if<bool>(&value);
      if (flag == nullptr) return wrong_type(key, "true or false");
      status.connected = *flag;
    } else if (key == "connected_since" || key == "last_error_at") {
      auto at = time_value(value, key);
      if (!at) return fail(at.error());
      (key == "connected_since" ? status.connected_since : status.last_error_at) = *at;
    } else if (key == "last_error" || key == "relay") {
      const auto* text = std::get_if<std::string>(&value);
      if (text == nullptr) return wrong_type(key, "a string");
      (key == "last_error" ? status.last_error : status.relay) = *text;
    } else if (key == "pid") {
      const auto* pid = std::get_if<std::int64_t>(&value);
      if (pid == nullptr || *pid < 0) return wrong_type(key, "a process id");
      status.pid = *pid;
    }
    // Other keys: written by a newer agent; ignored.
  }
  return status;
}

Result<void> write_status(const std::filesystem::path& dir, const AgentStatus& status) {
  // Rewritten at every link change and rebuilt when the agent starts: not
  // worth two fsyncs on the way to being online.
  return files::write_atomic(dir / kStatusFile, render_status(status), 0644, files::Sync::kNoSync);
}

Result<std::optional<AgentStatus>> read_status(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir / kStatusFile, ec)) {
    if (ec) {
      return fail("read_failed",
                  "cannot read " + (dir / kStatusFile).string() + ": " + ec.message());
    }
    return std::optional<AgentStatus>();
  }
  auto text = files::read(dir / kStatusFile, kMaxStatusSize);
  if (!text) return fail(text.error());
  auto status = parse_status(*text);
  if (!status) return fail(status.error());
  return std::optional<AgentStatus>(std::move(*status));
}

}  // namespace helpline::agent
