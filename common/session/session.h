// common/session: what the relay, the agent and the technician CLI agree on
// for remote sessions (docs/sessions.md). Public face of the module. No I/O.
//
// - consent policies and which one is stricter;
// - capability names and parsing "--allow shell,files";
// - the length-prefixed message framing inside "shell", "file_pull" and
//   "file_push" streams (a sans-IO decoder that takes any split);
// - session ids, terminal sizes and TERM names as the agent accepts them;
// - lexical checks of remote paths against allowed roots.
//
// Thread: none; plain functions and value types.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"

namespace helpline::session {

// --- consent policy ---
enum class Policy { kUnattended = 0, kNotify = 1, kPrompt = 2 };  // weakest first

// "prompt", "notify", "unattended". Errors: "bad_policy" listing them.
[[nodiscard]] Result<Policy> parse_policy(std::string_view text);
[[nodiscard]] const char* to_string(Policy policy);
// The stricter of two: prompt > notify > unattended.
[[nodiscard]] Policy stricter(Policy a, Policy b);

// --- capabilities ---
inline constexpr std::string_view kShell = "shell";
inline constexpr std::string_view kFiles = "files";
inline constexpr std::string_view kForward = "forward";

// "shell,files" (also repeated names, spaces around commas) -> sorted,
// unique names. Errors: "bad_capability" naming the unknown one and the
// valid ones, or an empty list.
[[nodiscard]] Result<std::vector<std::string>> parse_capabilities(std::string_view text);
[[nodiscard]] Result<std::vector<std::string>> check_capabilities(
    const std::vector<std::string>& names);
[[nodiscard]] std::string join(const std::vector<std::string>& names, std::string_view sep = ",");

// --- ids and limits ---
inline constexpr std::size_t kMaxReason = 500;
inline constexpr std::uint32_t kMaxTerminalSide = 1000;  // columns or rows
inline constexpr std::size_t kMaxStreamMessage = 64 * 1024;

// "ses_" + 16 lowercase hex.
[[nodiscard]] bool is_session_id(std::string_view id);
// Why a reason cannot be shown to the end user, "" when fine: 1..kMaxReason
// bytes of valid UTF-8 without control characters.
[[nodiscard]] std::string check_reason(std::string_view reason);
// Why a terminal size is refused, "" when fine: each side 1..kMaxTerminalSide.
[[nodiscard]] std::string check_window(std::uint32_t cols, std::uint32_t rows);
// [A-Za-z0-9.+_-]{1,64}.
[[nodiscard]] bool is_term_name(std::string_view term);
// "INT" -> SIGINT etc. for the signals a technician may send; nullopt otherwise.
[[nodiscard]] std::optional<int> signal_number(std::string_view name);

// --- stream message framing ---

// 4-byte big-endian length + bytes. `message` must be at most
// kMaxStreamMessage bytes.
[[nodiscard]] std::string frame(std::string_view message);

// Splits a byte stream into messages; any split of the input works.
class MessageDecoder {
 public:
  // Appends input. Errors: "too_large" when a prefix announces more than
  // kMaxStreamMessage (the stream is then unusable).
  [[nodiscard]] Result<void> feed(std::string_view bytes);
  // The next whole message, if one is complete.
  [[nodiscard]] std::optional<std::string> next();
  // Bytes buffered that do not yet make a message.
  [[nodiscard]] std::size_t buffered() const { return buffer_.size() - offset_; }
  // Takes the buffered bytes out (a stream that switches from messages to
  // raw bytes after a header, like a file pull).
  [[nodiscard]] std::string take_rest();

 private:
  std::string buffer_;
  std::size_t offset_ = 0;
  bool failed_ = false;
};

// --- paths ---

// `path` normalised lexically (".", "..", repeated slashes), absolute.
// Errors: "bad_path" (empty, relative, NUL, longer than 4096).
[[nodiscard]] Result<std::string> normalise_path(std::string_view path);
// Whether normalised `path` is `root` or below it.
[[nodiscard]] bool is_under(std::string_view path, std::string_view root);

}  // namespace helpline::session
