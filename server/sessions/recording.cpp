#include "server/sessions/recording.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/core/json_writer.h"

namespace helpline::relay::sessions {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The length of the UTF-8 sequence starting with `lead`, 0 if invalid.
[[nodiscard]] std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

}  // namespace

std::string to_utf8(std::string& carry, std::string_view bytes) {
  std::string input = std::move(carry);
  carry.clear();
  input.append(bytes);
  std::string out;
  out.reserve(input.size());
  std::size_t i = 0;
  while (i < input.size()) {
    auto lead = static_cast<unsigned char>(input[i]);
    std::size_t n = sequence_length(lead);
    if (n == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    if (i + n > input.size()) {
      // Possibly completed by the next chunk, if what we have fits so far.
      bool fits = true;
      for (std::size_t k = i + 1; k < input.size(); ++k) {
        if ((static_cast<unsigned char>(input[k]) & 0xC0) != 0x80) fits = false;
      }
      if (fits) {
        carry = input.substr(i);
        break;
      }
      out += kReplacement;
      ++i;
      continue;
    }
    bool ok = true;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(input[i + k]) & 0xC0) != 0x80) ok = false;
    }
    if (!ok) {
      out += kReplacement;
      ++i;
      continue;
    }
    out.append(input, i, n);
    i += n;
  }
  return out;
}

Result<Recording> Recording::start(blobs::BlobStore& blobs, std::uint64_t max_bytes,
                                   std::uint32_t cols, std::uint32_t rows, std::string_view term,
                                   std::string_view title, std::int64_t unix_seconds) {
  // Room for the marker that says the rest was cut.
  auto writer = blobs.begin(max_bytes + 4096);
  if (!writer) return fail(writer.error());
  JsonWriter header;
  header.begin_object()
      .field("version", std::int64_t{2})
      .field("width", static_cast<std::int64_t>(cols))
      .field("height", static_cast<std::int64_t>(rows))
      .field("timestamp", unix_seconds)
      .field("title", title)
      .key("env")
      .begin_object()
      .field("TERM", term)
      .field("SHELL", "")
      .end_object()
      .end_object();
  if (auto r = writer->append(header.str() + "\n"); !r) return fail(r.error());
  return Recording(std::move(*writer), max_bytes);
}

void Recording::event(std::string_view code, std::string_view text) {
  if (failed_ || cut_) return;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  char when[32];
  std::snprintf(when, sizeof when, "%.6f", seconds);
  std::string line = "[";
  line += when;
  line += ", ";
  append_json_string(line, code);
  line += ", ";
  append_json_string(line, text);
  line += "]\n";
  if (writer_.size() + line.size() > max_bytes_) {
    cut_ = true;
    std::string marker = "[";
    marker += when;
    marker += ", \"m\", \"recording cut: it reached its size limit\"]\n";
    (void)writer_.append(marker);
    return;
  }
  if (auto r = writer_.append(line); !r) {
    spdlog::error("session recording: {}", r.error().to_string());
    failed_ = true;
  }
}

void Recording::output(std::string_view bytes) {
  std::string text = to_utf8(carry_, bytes);
  if (!text.empty()) event("o", text);
}

void Recording::resize(std::uint32_t cols, std::uint32_t rows) {
  event("r", std::to_string(cols) + "x" + std::to_string(rows));
}

Result<std::string> Recording::finish() {
  if (!carry_.empty()) {
    std::string rest = std::move(carry_);
    carry_.clear();
    event("o", std::string(kReplacement));
  }
  auto id = writer_.finish();
  if (!id) return fail(id.error());
  auto placed = writer_.commit();
  if (!placed) return fail(placed.error());
  return placed->id;
}

}  // namespace helpline::relay::sessions
