// The hardware facts the agent collects (CPU, memory, DMI) against what
// lshw and dmidecode say about the same machine. Those tools are run with
// posix_spawn from an argv (tests/support/process.h); where a tool is
// missing, or the test does not run as root (both read firmware tables
// only root may read), the comparison is skipped with the reason.
//
// The parsers of the tools' output are tested on recorded output too, so
// they are checked on every machine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "agent/collect/bundle.h"
#include "tests/support/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace helpline::agent::collect {
namespace {

namespace gpb = google::protobuf;

// ---------------------------------------------------------------- parsers

// Blanks collapsed and trimmed: tools pad model strings differently.
std::string normalize(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool blank = c == ' ' || c == '\t' || c == '\n' || c == '\r';
    if (blank) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// `dmidecode -s KEYWORD` prints the value on one line; comment lines start
// with '#' (e.g. when no SMBIOS table is found).
std::string dmidecode_value(std::string_view output) {
  while (!output.empty()) {
    std::size_t end = output.find('\n');
    std::string_view line = output.substr(0, end);
    if (!line.empty() && line.front() != '#') return normalize(line);
    if (end == std::string_view::npos) break;
    output.remove_prefix(end + 1);
  }
  return {};
}

struct LshwFacts {
  std::string vendor;  // the root (system) node
  std::string product;
  std::vector<std::string> cpu_models;
  std::optional<std::uint64_t> cpu_threads;   // set when every enabled CPU node reports threads
  std::optional<std::uint64_t> memory_bytes;  // the "System Memory" node
};

std::string string_of(const gpb::Struct& node, const char* key) {
  return helpline::testing::json_field_string(node, key);
}

void walk(const gpb::Struct& node, LshwFacts& facts, bool& threads_complete) {
  std::string cls = string_of(node, "class");
  if (cls == "processor" && helpline::testing::json_field_bool(node, "disabled") != true) {
    facts.cpu_models.push_back(normalize(string_of(node, "product")));
    auto config = helpline::testing::json_field_object(node, "configuration");
    std::string threads = config ? string_of(*config, "threads") : "";
    if (threads.empty()) {
      threads_complete = false;
    } else {
      facts.cpu_threads = facts.cpu_threads.value_or(0) + std::stoull(threads);
    }
  }
  if (cls == "memory" && string_of(node, "id") == "memory") {
    if (auto size = helpline::testing::json_field_number(node, "size")) {
      facts.memory_bytes = static_cast<std::uint64_t>(*size);
    }
  }
  auto children = node.fields().find("children");
  if (children == node.fields().end()) return;
  for (const gpb::Value& child : children->second.list_value().values()) {
    if (child.has_struct_value()) walk(child.struct_value(), facts, threads_complete);
  }
}

// lshw -json prints one object, or (since B.02.19) an array holding it.
Result<LshwFacts> parse_lshw(std::string_view output) {
  auto value = helpline::testing::parse_json_value(output);
  if (!value) return fail(value.error());
  const gpb::Value* root = &*value;
  if (root->has_list_value() && root->list_value().values_size() > 0) {
    root = &root->list_value().values(0);
  }
  if (!root->has_struct_value()) return fail("bad_lshw", "lshw -json printed no object");
  LshwFacts facts;
  facts.vendor = normalize(string_of(root->struct_value(), "vendor"));
  facts.product = normalize(string_of(root->struct_value(), "product"));
  bool threads_complete = true;
  walk(root->struct_value(), facts, threads_complete);
  if (!threads_complete) facts.cpu_threads.reset();
  return facts;
}

TEST(ToolParsers, DmidecodeValueSkipsComments) {
  EXPECT_EQ(dmidecode_value("LENOVO\n"), "LENOVO");
  EXPECT_EQ(dmidecode_value("# No SMBIOS nor DMI entry point found, sorry.\n"), "");
  EXPECT_EQ(dmidecode_value("# SMBIOS entry point at 0x000f0000\n20L8S02D00  \n"), "20L8S02D00");
}

TEST(ToolParsers, LshwReadsSystemCpuAndMemoryFromARecordedOutput) {
  // Trimmed from `lshw -json` B.02.19 on a ThinkPad T480s (an array).
  constexpr const char* kRecorded = R"json([{
    "id": "ws-0142", "class": "system", "claimed": true,
    "product": "20L8S02D00 (LENOVO_MT_20L8_BU_Think_FM_ThinkPad T480s)",
    "vendor": "LENOVO", "version": "ThinkPad T480s",
    "children": [{
      "id": "core", "class": "bus",
      "children": [
        {"id": "memory", "class": "memory", "description": "System Memory",
         "units": "bytes", "size": 25769803776},
        {"id": "cpu", "class": "processor",
         "product": "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz",
         "configuration": {"cores": "4", "enabledcores": "4", "threads": "8"}},
        {"id": "cache:0", "class": "memory", "size": 262144}
      ]
    }]
  }])json";
  auto facts = parse_lshw(kRecorded);
  ASSERT_TRUE(facts) << facts.error().to_string();
  EXPECT_EQ(facts->vendor, "LENOVO");
  EXPECT_EQ(facts->product, "20L8S02D00 (LENOVO_MT_20L8_BU_Think_FM_ThinkPad T480s)");
  EXPECT_EQ(facts->cpu_models,
            std::vector<std::string>{"Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"});
  EXPECT_EQ(facts->cpu_threads, 8u);
  EXPECT_EQ(facts->memory_bytes, 25769803776u);
}

TEST(ToolParsers, LshwObjectFormWithoutThreadsLeavesThreadsUnknown) {
  auto facts = parse_lshw(R"({"class": "system", "children": [
      {"class": "processor", "product": "AMD EPYC  7B13"},
      {"class": "processor", "product": "AMD EPYC 7B13", "disabled": true}]})");
  ASSERT_TRUE(facts) << facts.error().to_string();
  EXPECT_EQ(facts->cpu_models, std::vector<std::string>{"AMD EPYC 7B13"});
  EXPECT_FALSE(facts->cpu_threads);
}

// ---------------------------------------------------------------- the machine

std::optional<std::filesystem::path> find_tool(std::string_view name) {
  for (const char* dir :
       {"/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin"}) {
    std::filesystem::path path = std::filesystem::path(dir) / name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

// stdout of a tool run to completion, or a failed test.
std::string run_tool(const std::filesystem::path& program, std::vector<std::string> args) {
  helpline::testing::TempDir tmp("helpline-compare");
  helpline::testing::ProcessOptions options;
  options.program = program;
  options.args = std::move(args);
  options.stdout_path = tmp / "out";
  options.stderr_path = tmp / "err";
  auto ran = helpline::testing::run_command(options, std::chrono::seconds(60));
  EXPECT_TRUE(ran) << ran.error().to_string();
  if (!ran) return {};
  EXPECT_EQ(ran->exit_code, 0) << program << ": " << ran->describe();
  return ran->out;
}

pb::HardwareInfo collected_hardware() {
  Options options;
  options.sections = {"hardware.cpu", "hardware.memory", "hardware.dmi"};
  auto bundle = collect_bundle(options);
  EXPECT_TRUE(bundle) << bundle.error().to_string();
  return bundle ? bundle->hardware() : pb::HardwareInfo();
}

// Why `tool` cannot be compared against here ("" if it can; then `path`
// is set).
std::string unavailable(std::string_view tool, std::optional<std::filesystem::path>& path) {
  if (::geteuid() != 0) return std::string(tool) + " reads firmware tables only root may read";
  path = find_tool(tool);
  if (!path) return std::string(tool) + " is not installed here";
  return {};
}

TEST(HardwareCompare, CpuMemoryAndDmiMatchLshw) {
  std::optional<std::filesystem::path> tool;
  if (std::string why = unavailable("lshw", tool); !why.empty()) GTEST_SKIP() << why;
  auto lshw = parse_lshw(run_tool(*tool, {"-json", "-quiet"}));
  ASSERT_TRUE(lshw) << lshw.error().to_string();
  pb::HardwareInfo ours = collected_hardware();

  std::string model = normalize(ours.cpu().model());
  EXPECT_NE(std::find(lshw->cpu_models.begin(), lshw->cpu_models.end(), model),
            lshw->cpu_models.end())
      << "agent: " << model;
  // lshw takes thread counts from the firmware, which virtual machines
  // often fill with placeholders: compare on real hardware only.
  if (lshw->cpu_threads && !ours.cpu().hypervisor()) {
    EXPECT_EQ(ours.cpu().threads(), *lshw->cpu_threads);
  }
  if (lshw->memory_bytes) {
    // MemTotal is the installed memory minus what firmware and the kernel keep.
    EXPECT_LE(ours.memory().total_bytes(), *lshw->memory_bytes);
    EXPECT_GE(ours.memory().total_bytes(), *lshw->memory_bytes / 2);
  }
  if (!lshw->vendor.empty()) {
    EXPECT_EQ(normalize(ours.dmi().sys_vendor()), lshw->vendor);
    // lshw appends the SKU: "20L8S02D00 (LENOVO_MT_20L8_...)".
    EXPECT_EQ(lshw->product.rfind(normalize(ours.dmi().product_name()), 0), 0u)
        << "lshw: " << lshw->product << ", agent: " << ours.dmi().product_name();
  }
}

TEST(HardwareCompare, DmiStringsMatchDmidecode) {
  std::optional<std::filesystem::path> tool;
  if (std::string why = unavailable("dmidecode", tool); !why.empty()) GTEST_SKIP() << why;
  pb::HardwareInfo ours = collected_hardware();
  if (ours.dmi().sys_vendor().empty() && ours.dmi().product_name().empty()) {
    GTEST_SKIP() << "no DMI data on this machine (/sys/class/dmi/id)";
  }
  EXPECT_EQ(dmidecode_value(run_tool(*tool, {"-s", "system-manufacturer"})),
            normalize(ours.dmi().sys_vendor()));
  EXPECT_EQ(dmidecode_value(run_tool(*tool, {"-s", "system-product-name"})),
            normalize(ours.dmi().product_name()));
  EXPECT_EQ(dmidecode_value(run_tool(*tool, {"-s", "bios-version"})),
            normalize(ours.dmi().bios_version()));
}

}  // namespace
}  // namespace helpline::agent::collect
