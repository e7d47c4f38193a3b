// collect_bundle's guarantees: failures, timeouts and size budgets are
// reported per collector while the others complete; selection by section;
// the redaction hook; header fields.
#include <algorithm>
#include <atomic>
#include <future>
#include <set>
#include <stdexcept>

#include "agent/collect/registry.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

using namespace std::chrono_literals;

// A collector defined by a lambda, for tests.
class TestCollector final : public Collector {
 public:
  using Body = std::function<Result<void>(Context&, pb::DiagnosticBundle&)>;
  TestCollector(std::string name, Body body) : name_(std::move(name)), body_(std::move(body)) {}
  std::string_view name() const override { return name_; }
  std::string_view section() const override { return "test"; }
  Result<void> collect(Context& c, pb::DiagnosticBundle& out) const override {
    return body_(c, out);
  }

 private:
  std::string name_;
  Body body_;
};

[[nodiscard]] std::vector<CollectorPtr> with(std::vector<CollectorPtr> extra) {
  std::vector<CollectorPtr> all = platform_collectors();
  all.insert(all.end(), extra.begin(), extra.end());
  return all;
}

TEST(CollectBundle, CollectorThatCannotReadItsSourceFailsWhileTheOthersComplete) {
  helpline::testing::TempDir root("collect-broken");
  std::filesystem::copy(fake_root(), root.path(), std::filesystem::copy_options::recursive);
  // A directory where a file should be: read() fails with EISDIR (even for root).
  std::filesystem::remove(root / "proc/meminfo");
  std::filesystem::create_directory(root / "proc/meminfo");

  auto bundle = collect_from(root.path(), {"hardware"});
  auto memory = status_of(bundle, "hardware.memory");
  EXPECT_EQ(memory.state(), pb::CollectorStatus::STATE_FAILED);
  ASSERT_EQ(memory.errors_size(), 1);
  EXPECT_NE(memory.errors(0).find("read_failed"), std::string::npos) << memory.errors(0);
  EXPECT_NE(memory.errors(0).find("Is a directory"), std::string::npos) << memory.errors(0);
  EXPECT_FALSE(bundle.hardware().has_memory());
  for (std::string_view name :
       {"hardware.cpu", "hardware.dmi", "hardware.thermal", "hardware.battery"}) {
    EXPECT_EQ(status_of(bundle, name).state(), pb::CollectorStatus::STATE_OK) << name;
  }
  EXPECT_EQ(bundle.hardware().cpu().threads(), 4u);
}

TEST(CollectBundle, SlowCollectorTimesOutAndItsLateWritesAreDiscarded) {
  // Shared with the worker, which outlives collect_bundle.
  auto finished = std::make_shared<std::promise<void>>();
  auto done = finished->get_future();
  auto slow = std::make_shared<TestCollector>(
      "test.slow", [finished](Context& c, pb::DiagnosticBundle& out) -> Result<void> {
        // Blocks until the runner gives up on it, then writes anyway.
        c.wait_for_cancel(30s);
        out.mutable_system()->set_hostname("too-late");
        finished->set_value();
        return {};
      });
  Options options = fake_options(fake_root(), {"system.os", "test.slow"});
  options.collectors = with({slow});
  options.time_budgets["test.slow"] = 50ms;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  ASSERT_EQ(done.wait_for(30s), std::future_status::ready);

  auto status = status_of(*bundle, "test.slow");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_TIMED_OUT);
  EXPECT_GE(status.duration_ms(), 50u);
  ASSERT_EQ(status.errors_size(), 1);
  EXPECT_NE(status.errors(0).find("50 ms"), std::string::npos) << status.errors(0);
  EXPECT_EQ(status_of(*bundle, "system.os").state(), pb::CollectorStatus::STATE_OK);
  EXPECT_EQ(bundle->system().hostname(), "ws-042");
}

TEST(CollectBundle, ThrowingCollectorIsFailedNotFatal) {
  auto thrower = std::make_shared<TestCollector>(
      "test.throws",
      [](Context&, pb::DiagnosticBundle&) -> Result<void> { throw std::runtime_error("boom"); });
  Options options = fake_options(fake_root(), {"test", "hardware.memory"});
  options.collectors = with({thrower});
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  auto status = status_of(*bundle, "test.throws");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_FAILED);
  ASSERT_EQ(status.errors_size(), 1);
  EXPECT_EQ(status.errors(0), "internal_error: collector threw: boom");
  EXPECT_EQ(status_of(*bundle, "hardware.memory").state(), pb::CollectorStatus::STATE_OK);
}

TEST(CollectBundle, SectionOverItsSizeBudgetIsTruncatedOldestFirstAndPartial) {
  auto big = std::make_shared<TestCollector>(
      "test.big", [](Context&, pb::DiagnosticBundle& out) -> Result<void> {
        for (int i = 0; i < 1000; ++i) {
          pb::LogEntry& e = *out.mutable_logs()->add_entries();
          e.set_time_ms(i);
          e.set_message("entry " + std::to_string(i) + " " + std::string(80, 'x'));
        }
        return {};
      });
  Options options = fake_options(fake_root(), {"test.big"});
  options.collectors = with({big});
  options.size_budgets["test.big"] = 10 * 1024;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  auto status = status_of(*bundle, "test.big");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_PARTIAL);
  EXPECT_LE(status.bytes(), 10u * 1024);
  EXPECT_GT(status.bytes(), 9u * 1024);
  ASSERT_EQ(status.errors_size(), 1);
  EXPECT_NE(status.errors(0).find("over the size budget"), std::string::npos);
  EXPECT_NE(status.errors(0).find("of 1000 logs.entries (oldest first)"), std::string::npos)
      << status.errors(0);
  const auto& entries = bundle->logs().entries();
  ASSERT_GT(entries.size(), 0);
  ASSERT_LT(entries.size(), 1000);
  EXPECT_EQ(entries[entries.size() - 1].time_ms(), 999);  // the newest survive
}

TEST(CollectBundle, RealCollectorOverBudgetKeepsWhatFits) {
  Options options = fake_options(fake_root(), {"software.packages"});
  options.size_budgets["software.packages"] = 60;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  auto status = status_of(*bundle, "software.packages");
  EXPECT_EQ(status.state(), pb::CollectorStatus::STATE_PARTIAL);
  EXPECT_LE(status.bytes(), 60u);
  EXPECT_LT(bundle->software().packages_size(), 3);
  EXPECT_EQ(bundle->software().package_count(), 3u);  // the count stays true
}

TEST(CollectBundle, UnknownSectionsAreRefusedListingTheValidOnes) {
  auto bundle = collect_bundle(fake_options(fake_root(), {"system", "bogus", "logz"}));
  ASSERT_FALSE(bundle);
  EXPECT_EQ(bundle.error().code, "unknown_section");
  EXPECT_NE(bundle.error().message.find("'bogus', 'logz'"), std::string::npos);
  EXPECT_NE(bundle.error().message.find(
                "system, hardware, storage, network, software, services, processes, logs"),
            std::string::npos)
      << bundle.error().message;
}

TEST(CollectBundle, RootThatIsNotADirectoryIsRefused) {
  auto bundle = collect_bundle(fake_options(fake_root() / "etc/os-release", {}));
  ASSERT_FALSE(bundle);
  EXPECT_EQ(bundle.error().code, "bad_options");
}

TEST(CollectBundle, FillsHeaderFieldsAndOneStatusPerSelectedCollector) {
  Options options = fake_options(fake_root(), {"network", "system.os"});
  options.device_id = "dev-123";
  options.agent_version = "9.9.9";
  options.sources.since_ms = 1'699'000'000'000;
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(bundle->format_version(), kBundleFormatVersion);
  EXPECT_EQ(bundle->device_id(), "dev-123");
  EXPECT_EQ(bundle->agent_version(), "9.9.9");
  EXPECT_EQ(bundle->collected_at_ms(), 1'700'010'000'000);
  EXPECT_EQ(bundle->since_ms(), 1'699'000'000'000);
  EXPECT_EQ(bundle->platform().rfind("linux-", 0), 0u);
  ASSERT_EQ(bundle->sections_size(), 2);
  EXPECT_EQ(bundle->sections(0), "network");
  std::vector<std::string> names;
  for (const auto& s : bundle->collectors()) {
    names.push_back(s.name());
    EXPECT_NE(s.state(), pb::CollectorStatus::STATE_UNSPECIFIED);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"system.os", "network.interfaces", "network.routes",
                                             "network.dns", "network.proxy"}));
  EXPECT_FALSE(bundle->redaction().applied());
}

TEST(CollectBundle, AppliesTheRedactorOnceAndMarksTheBundle) {
  int calls = 0;
  Options options = fake_options(fake_root(), {"network.proxy"});
  options.redact = [&calls](pb::DiagnosticBundle& b) {
    ++calls;
    for (auto& p : *b.mutable_network()->mutable_proxies()) p.set_value("[redacted]");
    (*b.mutable_redaction()->mutable_counts())["proxy"] = 2;
    b.mutable_redaction()->set_total(2);
  };
  auto bundle = collect_bundle(options);
  ASSERT_TRUE(bundle);
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(bundle->redaction().applied());
  EXPECT_EQ(bundle->redaction().total(), 2u);
  EXPECT_EQ(bundle->network().proxies(0).value(), "[redacted]");
}

TEST(Registry, SelectsBySectionOrCollectorNameInTableOrder) {
  auto selected = select_collectors(platform_collectors(), {"logs", "hardware.smart"});
  ASSERT_TRUE(selected);
  std::vector<std::string> names;
  for (const auto& c : *selected) names.emplace_back(c->name());
  EXPECT_EQ(names, (std::vector<std::string>{"hardware.smart", "logs.journal", "logs.kernel",
                                             "logs.files"}));
  auto all = select_collectors(platform_collectors(), {});
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), platform_collectors().size());
}

TEST(Registry, EveryCollectorHasAUniqueNameInAKnownSection) {
  std::set<std::string, std::less<>> names;
  std::set<std::string, std::less<>> sections;
  for (const auto& c : platform_collectors()) {
    EXPECT_TRUE(names.emplace(c->name()).second) << c->name();
    EXPECT_EQ(c->name().substr(0, c->section().size() + 1), std::string(c->section()) + ".");
    EXPECT_NE(std::find(kSections.begin(), kSections.end(), c->section()), kSections.end());
    sections.emplace(c->section());
  }
  EXPECT_EQ(sections.size(), kSections.size());  // every section has a collector
}

TEST(Registry, SplitsCommaSeparatedSections) {
  EXPECT_EQ(split_sections(" system, ,logs "), (std::vector<std::string>{"system", "logs"}));
  EXPECT_TRUE(split_sections("").empty());
}

}  // namespace
}  // namespace helpline::agent::collect::testing
