#include <charconv>

#include "common/audit/audit.h"
#include "common/core/json_writer.h"
#include "common/tls/crypto.h"

namespace helpline::audit {

namespace {

constexpr std::string_view kHashKey = ",\"hash\":\"";

// A reader for the flat objects seal() writes: keys in a fixed order,
// string values with JSON escapes, integer values.
class LineReader {
 public:
  explicit LineReader(std::string_view text) : text_(text) {}

  [[nodiscard]] bool expect(std::string_view literal) {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }

  [[nodiscard]] bool key(std::string_view name, bool first) {
    if (!first && !expect(",")) return false;
    return expect("\"") && expect(name) && expect("\":");
  }

  [[nodiscard]] std::optional<std::int64_t> integer() {
    std::int64_t value = 0;
    const char* begin = text_.data() + pos_;
    auto [end, ec] = std::from_chars(begin, text_.data() + text_.size(), value);
    if (ec != std::errc() || end == begin) return std::nullopt;
    pos_ += static_cast<std::size_t>(end - begin);
    return value;
  }

  [[nodiscard]] std::optional<std::string> string() {
    if (!expect("\"")) return std::nullopt;
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) return std::nullopt;
      char e = text_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          if (pos_ + 4 > text_.size()) return std::nullopt;
          unsigned code = 0;
          auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, code, 16);
          if (ec != std::errc() || end != text_.data() + pos_ + 4) return std::nullopt;
          pos_ += 4;
          // seal() escapes only control characters this way.
          if (code >= 0x80) return std::nullopt;
          out += static_cast<char>(code);
          break;
        }
        default:
          return std::nullopt;
      }
    }
    return std::nullopt;
  }

  [[nodiscard]] bool at_end() const { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

[[nodiscard]] bool is_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string cut_utf8(std::string_view text, std::size_t max) {
  if (text.size() <= max) return std::string(text);
  std::size_t end = max;
  // Step back over continuation bytes so no sequence is split.
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

std::string seal(Entry& entry, std::uint64_t head_seq, std::string_view head_hash) {
  entry.seq = head_seq + 1;
  entry.prev = head_hash.empty() ? std::string(kGenesis) : std::string(head_hash);
  entry.detail = cut_utf8(entry.detail, kMaxDetail);
  JsonWriter json;
  json.begin_object()
      .field("seq", static_cast<std::int64_t>(entry.seq))
      .field("prev", entry.prev)
      .field("at_ms", static_cast<std::int64_t>(entry.at_ms))
      .field("event", entry.event)
      .field("actor", entry.actor)
      .field("device", entry.device)
      .field("session", entry.session)
      .field("ticket", entry.ticket)
      .field("detail", entry.detail)
      .end_object();
  std::string body = json.str();
  body.pop_back();  // the closing brace: the hash goes inside the object
  entry.hash = tls::sha256_hex(body);
  return body + std::string(kHashKey) + entry.hash + "\"}";
}

Result<Entry> parse_line(std::string_view line) {
  auto bad = [](std::string_view what) { return fail("bad_entry", std::string(what)); };
  if (line.size() > kMaxLine) return bad("the line is longer than an entry can be");
  LineReader r(line);
  Entry e;
  if (!r.expect("{") || !r.key("seq", true)) return bad("it does not start with {\"seq\":");
  auto seq = r.integer();
  if (!seq || *seq <= 0) return bad("seq is not a positive number");
  e.seq = static_cast<std::uint64_t>(*seq);
  std::optional<std::string> s;
  if (!r.key("prev", false) || !(s = r.string()) || !is_hex64(*s)) return bad("prev is missing");
  e.prev = std::move(*s);
  if (!r.key("at_ms", false)) return bad("at_ms is missing");
  auto at = r.integer();
  if (!at) return bad("at_ms is not a number");
  e.at_ms = *at;
  for (auto [name, field] : {std::pair{"event", &e.event}, {"actor", &e.actor},
                             {"device", &e.device}, {"session", &e.session}}) {
    if (!r.key(name, false) || !(s = r.string())) return bad(std::string(name) + " is missing");
    *field = std::move(*s);
  }
  if (!r.key("ticket", false)) return bad("ticket is missing");
  auto ticket = r.integer();
  if (!ticket) return bad("ticket is not a number");
  e.ticket = *ticket;
  if (!r.key("detail", false) || !(s = r.string())) return bad("detail is missing");
  e.detail = std::move(*s);
  if (!r.key("hash", false) || !(s = r.string()) || !is_hex64(*s)) return bad("hash is missing");
  e.hash = std::move(*s);
  if (!r.expect("}") || !r.at_end()) return bad("text follows the entry");
  return e;
}

void ChainVerifier::bad(std::string problem) {
  report_.intact = false;
  report_.first_bad_line = lines_;
  report_.first_bad_seq = report_.head_seq + 1;
  report_.problem = std::move(problem);
}

void ChainVerifier::feed(std::string_view line) {
  if (!report_.intact) return;
  ++lines_;
  std::string where = "entry " + std::to_string(report_.head_seq + 1) + " (line " +
                      std::to_string(lines_) + ")";
  auto entry = parse_line(line);
  if (!entry) {
    bad(where + " is not an audit entry: " + entry.error().message);
    return;
  }
  if (entry->seq != report_.head_seq + 1) {
    bad(where + " has seq " + std::to_string(entry->seq) +
        ": an entry was removed, added or moved before it");
    return;
  }
  std::string_view expected_prev = report_.head_hash.empty() ? kGenesis : report_.head_hash;
  if (entry->prev != expected_prev) {
    bad(where + " does not follow the hash of the entry before it: an entry before it was "
                "removed, replaced or moved");
    return;
  }
  auto cut = line.rfind(kHashKey);
  if (cut == std::string_view::npos || tls::sha256_hex(line.substr(0, cut)) != entry->hash) {
    bad(where + " (" + entry->event + ") does not match its hash: it was edited");
    return;
  }
  ++report_.entries;
  report_.head_seq = entry->seq;
  report_.head_hash = entry->hash;
}

void ChainVerifier::expect_head(std::uint64_t seq, std::string_view hash) {
  if (!report_.intact || seq == 0) return;
  if (report_.head_seq < seq) {
    ++lines_;
    bad("the log ends at entry " + std::to_string(report_.head_seq) + " but entry " +
        std::to_string(seq) + " was recorded: entries were cut from the end");
    return;
  }
  if (report_.head_seq == seq && report_.head_hash != hash) {
    report_.intact = false;
    report_.first_bad_line = lines_;
    report_.first_bad_seq = seq;
    report_.problem = "entry " + std::to_string(seq) +
                      " differs from the one recorded when it was written: the log was rewritten";
  }
}

}  // namespace helpline::audit
