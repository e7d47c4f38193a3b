// Text encodings of bytes, one of each for the whole project: lowercase
// hex (digests, blob ids, opaque cursors, escaped control characters) and
// unpadded base64url (RFC 4648 section 5: tokens, salts, stored hashes).
// Padded standard base64 is OpenSSL's, in common/tls.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace helpline {

// Appends the two lowercase hex digits of `byte` to `out`.
void append_hex(std::string& out, std::uint8_t byte);

// Two lowercase hex digits per byte.
[[nodiscard]] std::string to_hex(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::string to_hex(std::string_view bytes);
// The bytes of an even number of hex digits, either case; nullopt for
// anything else.
[[nodiscard]] std::optional<std::string> from_hex(std::string_view text);

// Unpadded base64url.
[[nodiscard]] std::string base64url_encode(std::span<const std::uint8_t> bytes);

// Strict: unpadded, the base64url alphabet only, unused trailing bits zero,
// so each byte string has exactly one accepted encoding. nullopt otherwise.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> base64url_decode(std::string_view text);

}  // namespace helpline
