// Throughput figure, not a check: disabled, prints lines/s. Run it from a
// Release build without sanitizers:
//   redact_test --gtest_also_run_disabled_tests --gtest_filter='*Throughput*'
#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "tests/unit/common/redact/redact_test_util.h"

namespace helpline::redact::testing {
namespace {

// 100,000 syslog-, journal-, access- and JSON-log lines, one in ten holding
// a secret of some kind; deterministic.
[[nodiscard]] std::vector<std::string> sample_lines() {
  constexpr std::array<std::string_view, 10> kPlain = {
      "Nov 12 10:00:01 web1 sshd[2211]: Failed password for invalid user admin from "
      "203.0.113.7 port 52311 ssh2",
      "Nov 12 10:00:02 web1 sshd[2214]: Accepted publickey for alice from 10.0.0.5 port 51234 "
      "ssh2: RSA SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
      "Nov 12 10:00:03 web1 systemd[1]: Started Session 42 of User alice.",
      "Nov 12 10:00:04 web1 kernel: [12345.678901] EXT4-fs (sda1): mounted filesystem with "
      "ordered data mode. Opts: (null)",
      "Nov 12 10:00:05 web1 NetworkManager[812]: <info>  [1700000000.1234] device (wlp2s0): "
      "state change: config -> ip-config (reason 'none', sys-iface-state: 'managed')",
      "10.0.0.7 - - [12/Nov/2024:10:00:06 +0000] \"GET /api/v1/items?page=2 HTTP/1.1\" 200 5120 "
      "\"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"",
      R"({"ts":"2024-11-12T10:00:07Z","level":"info","msg":"request done","path":"/items",)"
      R"("status":200,"duration_ms":12,"user":"bob"})",
      "Nov 12 10:00:08 web1 sudo[3011]: pam_unix(sudo:session): session opened for user "
      "root(uid=0) by alice(uid=1000)",
      "Nov 12 10:00:09 web1 CRON[4410]: (root) CMD (test -x /usr/sbin/anacron || ( cd / && "
      "run-parts --report /etc/cron.daily ))",
      "Nov 12 10:00:10 web1 dockerd[990]: time=\"2024-11-12T10:00:10Z\" level=info "
      "msg=\"Container healthy\" container=3f2a9c1b7e8d sha256=e3b0c44298fc1c149afbf4c8996fb924",
  };
  constexpr std::array<std::string_view, 10> kSecret = {
      "Nov 12 10:01:00 web1 app[77]: connecting to postgresql://app:S3cr3t@db:5432/app",
      "Nov 12 10:01:01 web1 sudo[3011]: alice : COMMAND=/usr/bin/mysql -u root --password=Tr0ub4",
      "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl",
      R"({"ts":"2024-11-12T10:01:03Z","level":"debug","msg":"login","password":"hunter2"})",
      "Nov 12 10:01:04 web1 app[77]: using key AKIAIOSFODNN7EXAMPLE for s3 upload",
      "DB_PASSWORD=S3cr3t!pw",
      "Nov 12 10:01:06 web1 ci[5]: token ghp_0123456789abcdefghijABCDEFGHIJ012345 accepted",
      "Nov 12 10:01:07 web1 app[77]: level=warn api_key=ak_live_123456 retry=3",
      "    token: kube-0a1b2c3d4e5f",
      "Nov 12 10:01:09 web1 agent[9]: enrolling with hle_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0",
  };
  std::vector<std::string> lines;
  lines.reserve(100000);
  std::uint32_t state = 12345;
  for (std::size_t i = 0; i < 100000; ++i) {
    state = state * 1664525u + 1013904223u;
    const std::size_t pick = (state >> 8) % 10;
    lines.emplace_back(i % 10 == 9 ? kSecret[pick] : kPlain[pick]);
  }
  return lines;
}

TEST(RedactThroughput, DISABLED_PrintsLinesPerSecond) {
  const std::vector<std::string> lines = sample_lines();
  std::size_t bytes = 0;
  for (const std::string& line : lines) bytes += line.size();
  Redactor redactor = make_redactor();
  for (int round = 0; round < 3; ++round) {
    redactor.reset_counts();
    std::size_t out_bytes = 0;
    const auto start = std::chrono::steady_clock::now();
    for (const std::string& line : lines) out_bytes += redactor.redact(line).size();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    std::printf(
        "round %d: %zu lines (%.1f MB) in %.3f s: %.0f lines/s, %.1f MB/s, %llu "
        "redactions, %zu bytes out\n",
        round, lines.size(), static_cast<double>(bytes) / 1e6, elapsed.count(),
        static_cast<double>(lines.size()) / elapsed.count(),
        static_cast<double>(bytes) / 1e6 / elapsed.count(),
        static_cast<unsigned long long>(redactor.total()), out_bytes);
  }
}

}  // namespace
}  // namespace helpline::redact::testing
