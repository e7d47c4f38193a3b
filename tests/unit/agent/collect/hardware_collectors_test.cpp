// hardware.* collectors against tests/data/fake-root, and smartctl's JSON.
#include "agent/collect/linux/smartctl_json.h"
#include "tests/unit/agent/collect/collect_test_util.h"

namespace helpline::agent::collect::testing {
namespace {

using linux_impl::parse_smartctl_device;
using linux_impl::parse_smartctl_scan;

TEST(HardwareCpuCollector, CountsSocketsCoresThreadsAndAveragesFrequency) {
  auto bundle = collect_from(fake_root(), {"hardware.cpu"});
  EXPECT_EQ(status_of(bundle, "hardware.cpu").state(), pb::CollectorStatus::STATE_OK);
  const pb::Cpu& cpu = bundle.hardware().cpu();
  EXPECT_EQ(cpu.model(), "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz");
  EXPECT_EQ(cpu.sockets(), 1u);
  EXPECT_EQ(cpu.cores(), 2u);
  EXPECT_EQ(cpu.threads(), 4u);
  EXPECT_DOUBLE_EQ(cpu.mhz(), 2000.0);
  EXPECT_FALSE(cpu.hypervisor());
  EXPECT_DOUBLE_EQ(bundle.hardware().load().load1(), 0.52);
  EXPECT_DOUBLE_EQ(bundle.hardware().load().load5(), 0.58);
  EXPECT_DOUBLE_EQ(bundle.hardware().load().load15(), 0.59);
}

TEST(HardwareMemoryCollector, ConvertsMeminfoKibToBytes) {
  auto bundle = collect_from(fake_root(), {"hardware.memory"});
  EXPECT_EQ(status_of(bundle, "hardware.memory").state(), pb::CollectorStatus::STATE_OK);
  const pb::Memory& m = bundle.hardware().memory();
  EXPECT_EQ(m.total_bytes(), 16318480ull * 1024);
  EXPECT_EQ(m.available_bytes(), 8123456ull * 1024);
  EXPECT_EQ(m.swap_total_bytes(), 2097148ull * 1024);
  EXPECT_EQ(m.swap_free_bytes(), 2000000ull * 1024);
}

TEST(HardwareDmiCollector, ReadsVendorProductSerialAndBios) {
  auto bundle = collect_from(fake_root(), {"hardware.dmi"});
  EXPECT_EQ(status_of(bundle, "hardware.dmi").state(), pb::CollectorStatus::STATE_OK);
  const pb::Dmi& d = bundle.hardware().dmi();
  EXPECT_EQ(d.sys_vendor(), "LENOVO");
  EXPECT_EQ(d.product_name(), "20L8S2N800");
  EXPECT_EQ(d.product_version(), "ThinkPad T480s");
  EXPECT_EQ(d.product_serial(), "PF1ABCDE");
  EXPECT_EQ(d.bios_version(), "N22ET80W (1.57 )");
  EXPECT_EQ(d.bios_date(), "03/14/2023");
}

TEST(HardwareThermalCollector, ReadsZonesWithCriticalTripAndHwmonSensors) {
  auto bundle = collect_from(fake_root(), {"hardware.thermal"});
  EXPECT_EQ(status_of(bundle, "hardware.thermal").state(), pb::CollectorStatus::STATE_OK);
  const auto& t = bundle.hardware().temperatures();
  ASSERT_EQ(t.size(), 5);
  EXPECT_EQ(t[0].sensor(), "thermal_zone0");
  EXPECT_EQ(t[0].label(), "x86_pkg_temp");
  EXPECT_DOUBLE_EQ(t[0].celsius(), 45.0);
  EXPECT_DOUBLE_EQ(t[0].critical_celsius(), 105.0);
  EXPECT_EQ(t[1].label(), "acpitz");
  EXPECT_DOUBLE_EQ(t[1].celsius(), 38.5);
  EXPECT_DOUBLE_EQ(t[1].critical_celsius(), 0.0);
  EXPECT_EQ(t[2].sensor(), "hwmon0/coretemp");
  EXPECT_EQ(t[2].label(), "Package id 0");
  EXPECT_DOUBLE_EQ(t[2].celsius(), 46.0);
  EXPECT_DOUBLE_EQ(t[2].critical_celsius(), 100.0);
  EXPECT_EQ(t[3].label(), "Core 0");
  EXPECT_EQ(t[4].sensor(), "hwmon1/nvme");
  EXPECT_EQ(t[4].label(), "Composite");
  EXPECT_DOUBLE_EQ(t[4].celsius(), 35.85);
}

TEST(HardwareBatteryCollector, ComputesWearFromEnergyOrChargeAndSkipsPeripherals) {
  auto bundle = collect_from(fake_root(), {"hardware.battery"});
  EXPECT_EQ(status_of(bundle, "hardware.battery").state(), pb::CollectorStatus::STATE_OK);
  const auto& b = bundle.hardware().batteries();
  ASSERT_EQ(b.size(), 2);  // AC (Mains) and the mouse (scope Device) left out
  EXPECT_EQ(b[0].name(), "BAT0");
  EXPECT_EQ(b[0].capacity_percent(), 87u);
  EXPECT_EQ(b[0].energy_full(), 42000000u);
  EXPECT_EQ(b[0].energy_full_design(), 57000000u);
  EXPECT_DOUBLE_EQ(b[0].wear_percent(), 26.3);
  EXPECT_EQ(b[0].cycle_count(), 312u);
  EXPECT_EQ(b[0].status(), "Discharging");
  EXPECT_EQ(b[0].technology(), "Li-poly");
  EXPECT_EQ(b[0].model(), "01AV478");
  EXPECT_EQ(b[0].manufacturer(), "SMP");
  EXPECT_EQ(b[1].name(), "BAT1");
  EXPECT_DOUBLE_EQ(b[1].wear_percent(), 25.0);
  EXPECT_EQ(b[1].status(), "Full");
  EXPECT_EQ(b[1].cycle_count(), 0u);
}

TEST(HardwareSmartCollector, IsSkippedUnderAFakeRoot) {
  auto bundle = collect_from(fake_root(), {"hardware.smart"});
  EXPECT_EQ(status_of(bundle, "hardware.smart").state(), pb::CollectorStatus::STATE_SKIPPED);
}

// Recorded from smartctl 7.3 (serials changed).
constexpr std::string_view kScan = R"json({"json_format_version":[1,0],
  "smartctl":{"version":[7,3],"argv":["smartctl","--scan","--json=c"],"exit_status":0},
  "devices":[{"name":"/dev/sda","info_name":"/dev/sda [SAT]","type":"sat","protocol":"ATA"},
             {"name":"/dev/nvme0","info_name":"/dev/nvme0","type":"nvme","protocol":"NVMe"},
             {"name":"-d evil","type":"sat"},
             {"name":"/dev/sdb","type":"sat; rm"}]})json";

constexpr std::string_view kAtaFailing = R"json({"json_format_version":[1,0],
  "smartctl":{"version":[7,3],"exit_status":8},
  "device":{"name":"/dev/sda","info_name":"/dev/sda [SAT]","type":"sat","protocol":"ATA"},
  "model_name":"ST1000LM035-1RK172","serial_number":"WL1XXXXX",
  "smart_support":{"available":true,"enabled":true},
  "smart_status":{"passed":false},
  "ata_smart_attributes":{"revision":10,"table":[
    {"id":5,"name":"Reallocated_Sector_Ct","value":90,"worst":90,"thresh":36,"raw":{"value":1216,"string":"1216"}},
    {"id":9,"name":"Power_On_Hours","value":80,"raw":{"value":17532,"string":"17532"}},
    {"id":194,"name":"Temperature_Celsius","value":38,"raw":{"value":163209035814,"string":"38 (0 20 0 0 0)"}},
    {"id":197,"name":"Current_Pending_Sector","value":100,"raw":{"value":24,"string":"24"}}]},
  "power_on_time":{"hours":17532},"power_cycle_count":4021,"temperature":{"current":38}})json";

constexpr std::string_view kNvme = R"json({"json_format_version":[1,0],
  "smartctl":{"version":[7,3],"exit_status":0},
  "device":{"name":"/dev/nvme0","info_name":"/dev/nvme0","type":"nvme","protocol":"NVMe"},
  "model_name":"WDC PC SN720 SDAPNTW-512G-1006","serial_number":"18XXXXXXXXXX",
  "smart_support":{"available":true,"enabled":true},"smart_status":{"passed":true,"nvme":{"value":0}},
  "nvme_smart_health_information_log":{"critical_warning":0,"temperature":36,"available_spare":100,
    "percentage_used":3,"power_on_hours":5120,"media_errors":0,"num_err_log_entries":12},
  "temperature":{"current":36},"power_on_time":{"hours":5120}})json";

constexpr std::string_view kOpenFailed = R"json({"json_format_version":[1,0],
  "smartctl":{"version":[7,3],"exit_status":2,
    "messages":[{"string":"Smartctl open device: /dev/sdc failed: No such device","severity":"error"}]},
  "device":{"name":"/dev/sdc","info_name":"/dev/sdc","type":"scsi","protocol":"SCSI"}})json";

TEST(SmartctlJson, ScanKeepsOnlySafeDeviceNamesAndTypes) {
  auto devices = parse_smartctl_scan(kScan);
  ASSERT_TRUE(devices) << devices.error().to_string();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].name, "/dev/sda");
  EXPECT_EQ((*devices)[0].type, "sat");
  EXPECT_EQ((*devices)[1].name, "/dev/nvme0");
  EXPECT_EQ((*devices)[1].type, "nvme");
}

TEST(SmartctlJson, ReadsFailingAtaDiskAttributes) {
  auto d = parse_smartctl_device(kAtaFailing, "/dev/sda");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE(d->available());
  EXPECT_FALSE(d->passed());
  EXPECT_EQ(d->model(), "ST1000LM035-1RK172");
  EXPECT_EQ(d->serial(), "WL1XXXXX");
  EXPECT_EQ(d->protocol(), "ATA");
  EXPECT_EQ(d->reallocated_sectors(), 1216u);
  EXPECT_EQ(d->pending_sectors(), 24u);
  EXPECT_EQ(d->power_on_hours(), 17532u);
  EXPECT_EQ(d->temperature_celsius(), 38);
}

TEST(SmartctlJson, ReadsNvmeHealthLog) {
  auto d = parse_smartctl_device(kNvme, "/dev/nvme0");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_TRUE(d->available());
  EXPECT_TRUE(d->passed());
  EXPECT_EQ(d->protocol(), "NVMe");
  EXPECT_EQ(d->percentage_used(), 3u);
  EXPECT_EQ(d->media_errors(), 0u);
  EXPECT_EQ(d->power_on_hours(), 5120u);
  EXPECT_EQ(d->temperature_celsius(), 36);
}

TEST(SmartctlJson, DeviceThatCannotBeOpenedIsUnavailableWithSmartctlsReason) {
  auto d = parse_smartctl_device(kOpenFailed, "/dev/sdc");
  ASSERT_TRUE(d) << d.error().to_string();
  EXPECT_FALSE(d->available());
  EXPECT_EQ(d->reason(), "Smartctl open device: /dev/sdc failed: No such device");
}

TEST(SmartctlJson, RejectsOutputThatIsNotJson) {
  auto d = parse_smartctl_device("smartctl 7.3 2022-02-28 r5338", "/dev/sda");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().code, "bad_json");
  EXPECT_EQ(parse_smartctl_scan("[1,2]").error().code, "bad_json");
}

}  // namespace
}  // namespace helpline::agent::collect::testing
