#include "agent/collect/linux/smartctl_json.h"

// Boost.JSON compiled into this one file: the agent links no Boost library.
// No other Helpline library includes boost/json/src.hpp; one that needs
// Boost.JSON too should move this include into a shared library instead.
#include <boost/json/src.hpp>
#include <initializer_list>
#include <optional>

#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

namespace json = boost::json;

// smartctl's exit status bits (smartctl(8), "RETURN VALUES").
constexpr std::int64_t kOpenFailed = 1 << 1;
constexpr std::int64_t kDiskFailing = 1 << 3;

[[nodiscard]] const json::value* at(const json::value& root,
                                    std::initializer_list<const char*> path) {
  const json::value* v = &root;
  for (const char* key : path) {
    const json::object* o = v->if_object();
    if (o == nullptr) return nullptr;
    v = o->if_contains(key);
    if (v == nullptr) return nullptr;
  }
  return v;
}

[[nodiscard]] std::optional<std::int64_t> number(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (const auto* i = v->if_int64()) return *i;
  if (const auto* u = v->if_uint64()) {
    return *u > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(*u);
  }
  if (const auto* d = v->if_double()) return static_cast<std::int64_t>(*d);
  return std::nullopt;
}

[[nodiscard]] std::uint64_t count(const json::value* v) {
  auto n = number(v);
  return n && *n > 0 ? static_cast<std::uint64_t>(*n) : 0;
}

[[nodiscard]] std::string text(const json::value* v, std::size_t max = 256) {
  if (v == nullptr || !v->is_string()) return {};
  const json::string& s = v->get_string();
  return clean(std::string_view(s.data(), s.size()), max);
}

[[nodiscard]] Result<json::value> parse(std::string_view input) {
  boost::system::error_code ec;
  json::value v = json::parse(json::string_view(input.data(), input.size()), ec);
  if (ec) return fail("bad_json", "smartctl output is not JSON: " + ec.message());
  if (!v.is_object()) return fail("bad_json", "smartctl output is not a JSON object");
  return v;
}

[[nodiscard]] bool safe_argument(std::string_view s, std::string_view extra) {
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              extra.find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

// The raw value of ATA attribute `id`, nullopt when absent.
[[nodiscard]] std::optional<std::uint64_t> ata_raw(const json::value& root, std::int64_t id) {
  const json::value* table = at(root, {"ata_smart_attributes", "table"});
  if (table == nullptr || !table->is_array()) return std::nullopt;
  for (const json::value& row : table->get_array()) {
    if (number(at(row, {"id"})) != id) continue;
    return count(at(row, {"raw", "value"}));
  }
  return std::nullopt;
}

[[nodiscard]] std::string first_message(const json::value& root) {
  const json::value* messages = at(root, {"smartctl", "messages"});
  if (messages == nullptr || !messages->is_array() || messages->get_array().empty()) return {};
  return text(at(messages->get_array()[0], {"string"}), 512);
}

void read_health(const json::value& root, pb::SmartDevice& d) {
  const json::value* passed = at(root, {"smart_status", "passed"});
  if (passed != nullptr && passed->is_bool()) d.set_passed(passed->get_bool());
  if (auto v = ata_raw(root, 5)) d.set_reallocated_sectors(*v);
  if (auto v = ata_raw(root, 197)) d.set_pending_sectors(*v);
  d.set_power_on_hours(count(at(root, {"power_on_time", "hours"})));
  if (auto t = number(at(root, {"temperature", "current"})); t && *t > -100 && *t < 200) {
    d.set_temperature_celsius(static_cast<std::int32_t>(*t));
  }
  const json::value* nvme = at(root, {"nvme_smart_health_information_log"});
  if (nvme != nullptr) {
    d.set_media_errors(count(at(*nvme, {"media_errors"})));
    d.set_percentage_used(
        static_cast<std::uint32_t>(count(at(*nvme, {"percentage_used"})) & 0xffff));
    if (d.power_on_hours() == 0) d.set_power_on_hours(count(at(*nvme, {"power_on_hours"})));
  }
}

}  // namespace

Result<std::vector<SmartctlDevice>> parse_smartctl_scan(std::string_view input) {
  auto root = parse(input);
  if (!root) return fail(root.error());
  std::vector<SmartctlDevice> out;
  const json::value* devices = at(*root, {"devices"});
  if (devices == nullptr || !devices->is_array()) return out;
  for (const json::value& d : devices->get_array()) {
    SmartctlDevice dev{text(at(d, {"name"})), text(at(d, {"type"}))};
    if (!starts_with(dev.name, "/dev/") || !safe_argument(dev.name.substr(5), "/_-.:") ||
        !safe_argument(dev.type, "_,+-")) {
      continue;
    }
    out.push_back(std::move(dev));
  }
  return out;
}

Result<pb::SmartDevice> parse_smartctl_device(std::string_view input, std::string_view device) {
  auto root = parse(input);
  if (!root) return fail(root.error());
  pb::SmartDevice d;
  d.set_device(clean(device, 256));
  d.set_model(text(at(*root, {"model_name"})));
  if (d.model().empty()) d.set_model(text(at(*root, {"scsi_model_name"})));
  d.set_serial(text(at(*root, {"serial_number"})));
  d.set_protocol(text(at(*root, {"device", "protocol"}), 32));
  std::int64_t status = number(at(*root, {"smartctl", "exit_status"})).value_or(0);
  const json::value* support = at(*root, {"smart_support", "available"});
  bool has_health = at(*root, {"smart_status", "passed"}) != nullptr;
  if ((status & kOpenFailed) != 0 || !has_health) {
    d.set_available(false);
    std::string reason = first_message(*root);
    if (reason.empty() && support != nullptr && support->is_bool() && !support->get_bool()) {
      reason = "the device does not support SMART";
    }
    d.set_reason(reason.empty() ? "smartctl reported no health status" : reason);
    return d;
  }
  d.set_available(true);
  read_health(*root, d);
  if ((status & kDiskFailing) != 0) d.set_passed(false);
  return d;
}

}  // namespace helpline::agent::collect::linux_impl
