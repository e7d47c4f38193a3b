// Shared by the agent/collect tests: the recorded fake root
// (tests/data/fake-root) and running chosen collectors against a root.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "agent/collect/bundle.h"

namespace helpline::agent::collect::testing {

// tests/data/fake-root in the source tree.
inline std::filesystem::path fake_root() { return HELPLINE_FAKE_ROOT; }

// Options reading `root`, with a fixed clock and lifetime CPU% (no sample
// interval) so results are exact.
inline Options fake_options(const std::filesystem::path& root, std::vector<std::string> names) {
  Options options;
  options.sections = std::move(names);
  options.sources.root = root;
  options.sources.now_ms = 1'700'010'000'000;
  options.sources.cpu_sample = std::chrono::milliseconds(0);
  return options;
}

// Collects `names` from `root`; fails the test if the bundle itself fails.
inline pb::DiagnosticBundle collect_from(const std::filesystem::path& root,
                                         std::vector<std::string> names) {
  auto bundle = collect_bundle(fake_options(root, std::move(names)));
  EXPECT_TRUE(bundle.has_value()) << (bundle ? "" : bundle.error().to_string());
  return bundle ? std::move(*bundle) : pb::DiagnosticBundle();
}

// The status of collector `name`; an empty status (STATE_UNSPECIFIED) if absent.
inline pb::CollectorStatus status_of(const pb::DiagnosticBundle& bundle, std::string_view name) {
  for (const pb::CollectorStatus& s : bundle.collectors()) {
    if (s.name() == name) return s;
  }
  return {};
}

// "STATE_OK", for assertion messages.
inline std::string state_name(const pb::CollectorStatus& s) {
  return pb::CollectorStatus::State_Name(s.state());
}

// Errors of a status joined, for assertion messages.
inline std::string errors_of(const pb::CollectorStatus& s) {
  std::string out;
  for (const std::string& e : s.errors()) out += e + "; ";
  return out;
}

}  // namespace helpline::agent::collect::testing
