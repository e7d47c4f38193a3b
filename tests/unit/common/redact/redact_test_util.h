// Shared by the redaction tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "common/redact/redact.h"

namespace helpline::redact::testing {

using Counts = std::map<std::string, std::uint64_t>;

[[nodiscard]] inline Redactor make_redactor(Options options = {}) {
  auto redactor = Redactor::create(std::move(options));
  EXPECT_TRUE(redactor.has_value()) << redactor.error().to_string();
  return std::move(*redactor);
}

// Redacts `text` with a fresh Redactor and returns the output and the counts.
[[nodiscard]] inline std::pair<std::string, Counts> redact_once(std::string_view text) {
  Redactor redactor = make_redactor();
  std::string out = redactor.redact(text);
  return {std::move(out), redactor.counts()};
}

// The text must come out unchanged, with nothing counted.
inline void expect_kept(std::string_view text) {
  const auto [out, counts] = redact_once(text);
  EXPECT_EQ(out, text);
  EXPECT_TRUE(counts.empty()) << "first rule that fired: " << counts.begin()->first;
}

// The text must come out as `expected`, every replacement counted under `rule`.
inline void expect_redacted(std::string_view text, std::string_view expected, std::string_view rule,
                            std::uint64_t times = 1) {
  const auto [out, counts] = redact_once(text);
  EXPECT_EQ(out, expected) << "input: " << text;
  EXPECT_EQ(counts, (Counts{{std::string(rule), times}})) << "input: " << text;
}

}  // namespace helpline::redact::testing
