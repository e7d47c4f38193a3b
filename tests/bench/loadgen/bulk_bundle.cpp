#include "tests/bench/loadgen/bulk_bundle.h"

#include <algorithm>
#include <random>

#include "common/bundle/bundle.h"
#include "common/core/time_format.h"

namespace helpline::loadgen {

namespace {

constexpr std::size_t kLineBytes = 1000;
constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

Result<BulkBundle> make_bulk_bundle(const std::string& device_id, std::size_t serialized_bytes) {
  serialized_bytes = std::min(serialized_bytes, bundle::kMaxBundleBytes - (1u << 20));
  v1::DiagnosticBundle content;
  content.set_format_version(bundle::kBundleFormatVersion);
  content.set_device_id(device_id);
  content.set_hostname("loadgen");
  content.set_agent_version("loadgen");
  content.set_platform("linux-x86_64");
  UnixMillis now = unix_now_ms();
  content.set_collected_at_ms(now);
  content.add_sections("logs");
  auto* status = content.add_collectors();
  status->set_name("logs.journal");
  status->set_state(v1::CollectorStatus::STATE_OK);
  std::mt19937_64 random(42);
  std::string line(kLineBytes, 'A');
  for (std::size_t bytes = 0; bytes < serialized_bytes; bytes += kLineBytes + 24) {
    for (char& c : line) c = kAlphabet[random() % 64];
    auto* entry = content.mutable_logs()->add_entries();
    entry->set_time_ms(now);
    entry->set_priority(6);
    entry->set_identifier("loadgen");
    entry->set_message(line);
  }
  BulkBundle out;
  out.raw_size = content.ByteSizeLong();
  auto encoded = bundle::encode_bundle(content);
  if (!encoded) return fail(encoded.error());
  out.id = bundle::bundle_id(*encoded);
  out.encoded = std::move(*encoded);
  return out;
}

}  // namespace helpline::loadgen
