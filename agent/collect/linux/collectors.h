// The Linux collectors, one file each (agent/collect/linux/<name>.cpp),
// listed with their names and budgets in registry.cpp. Internal: callers go
// through collect_bundle and select by name.
#pragma once

#include "agent/collect/collector.h"

namespace helpline::agent::collect::linux_impl {

// system
Result<void> collect_system_os(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_system_clock(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_system_virt(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_system_users(Context& context, pb::DiagnosticBundle& out);
// hardware
Result<void> collect_hardware_cpu(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_hardware_memory(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_hardware_dmi(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_hardware_thermal(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_hardware_battery(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_hardware_smart(Context& context, pb::DiagnosticBundle& out);
// storage
Result<void> collect_storage_block(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_storage_filesystems(Context& context, pb::DiagnosticBundle& out);
// network
Result<void> collect_network_interfaces(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_network_routes(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_network_dns(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_network_proxy(Context& context, pb::DiagnosticBundle& out);
// software
Result<void> collect_software_packages(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_software_modules(Context& context, pb::DiagnosticBundle& out);
// services
Result<void> collect_services_units(Context& context, pb::DiagnosticBundle& out);
// processes
Result<void> collect_processes_table(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_processes_oom(Context& context, pb::DiagnosticBundle& out);
// logs
Result<void> collect_logs_journal(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_logs_kernel(Context& context, pb::DiagnosticBundle& out);
Result<void> collect_logs_files(Context& context, pb::DiagnosticBundle& out);

}  // namespace helpline::agent::collect::linux_impl
