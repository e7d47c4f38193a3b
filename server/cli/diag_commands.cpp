// `helpline diag ...`: remote diagnostics (the ticket commands are in
// ticket_commands.cpp).
#include <iostream>

#include "common/core/files.h"
#include "common/tls/crypto.h"
#include "helpline/v1/action_api.pb.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/api_fetch.h"
#include "server/cli/commands.h"
#include "server/cli/fix_command.h"
#include "server/cli/table.h"

namespace helpline::cli {

namespace {

using relay::api::to_json;

// The relay waits up to two minutes for the device; leave it time to answer.
constexpr std::chrono::seconds kCollectTimeout{150};
// Fetching a bundle of up to 64 MiB over a slow link.
constexpr std::chrono::seconds kDownloadTimeout{300};

[[nodiscard]] std::vector<std::string> split_commas(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    auto item = text.substr(start, comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    start = comma + 1;
  }
  return out;
}

[[nodiscard]] std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

void print_findings(const v1::api::Bundle& b, const v1::api::CatalogInfo& catalog) {
  if (b.findings().empty()) {
    std::cout << "findings:    none\n";
    return;
  }
  std::cout << "findings:\n";
  for (const auto& f : b.findings()) {
    std::cout << "  " << upper(f.severity()) << "  " << f.title() << "  [" << f.rule() << "]"
              << (f.action().empty() ? "" : "  fix: " + f.action()) << "\n";
    if (!f.evidence().empty()) std::cout << "      " << f.evidence() << "\n";
    if (std::string command = fix_command(f, b.device_id(), catalog); !command.empty()) {
      std::cout << "      run: " << command << "\n";
    }
  }
}

void print_collectors(const v1::api::Bundle& b) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : b.collectors()) {
    std::string errors;
    for (const auto& e : c.errors()) errors += (errors.empty() ? "" : "; ") + e;
    rows.push_back({c.name(), c.state(), std::to_string(c.duration_ms()) + " ms",
                    std::to_string(c.bytes()), errors});
  }
  std::cout << "collectors:\n";
  print_table(std::cout, {"COLLECTOR", "STATE", "TIME", "BYTES", "ERRORS"}, rows);
}

void print_bundle(const v1::api::Bundle& b, const v1::api::CatalogInfo& catalog) {
  std::cout << "bundle:      " << b.id() << "\n"
            << "device:      " << b.device_id()
            << (b.hostname().empty() ? "" : " (" + b.hostname() + ")") << "\n"
            << "collected:   " << b.collected_at() << " by agent " << b.agent_version() << " in "
            << b.duration_ms() << " ms\n"
            << "received:    " << b.received_at() << " for " << b.requested_by() << "\n"
            << "size:        " << b.size() << " bytes (" << b.raw_size() << " uncompressed)\n";
  if (b.ticket_id() != 0) std::cout << "ticket:      " << b.ticket_id() << "\n";
  std::cout << "redaction:   "
            << (b.redaction_applied() ? std::to_string(b.redacted()) + " secrets replaced"
                                      : "NOT APPLIED")
            << "\n";
  // What a technician reads first, then how the collection went.
  print_findings(b, catalog);
  print_collectors(b);
}

}  // namespace

int cmd_diag_collect(const DiagCollectArgs& args, const Output& out) {
  v1::api::CollectDiagRequest request;
  for (const std::string& s : split_commas(args.sections)) request.add_sections(s);
  request.set_since(args.since);
  if (!args.ticket.empty()) {
    auto ticket = parse_ticket(args.ticket);
    if (!ticket) return report_failure(ticket.error());
    request.set_ticket(*ticket);
  }
  request.set_max_bytes(args.max_bytes);
  if (!out.json) std::cerr << "collecting diagnostics from " << args.device << "...\n";
  v1::api::Bundle bundle;
  if (int rc = fetch("POST", "/api/v1/devices/" + args.device + "/diag", bundle, to_json(request),
                     kCollectTimeout);
      rc != 0) {
    return rc;
  }
  if (out.json) {
    std::cout << to_json(bundle) << "\n";
    return 0;
  }
  std::cout << bundle.id() << "\n"
            << "(" << bundle.size() << " bytes from " << bundle.device_id() << ", "
            << bundle.findings_size() << " finding" << (bundle.findings_size() == 1 ? "" : "s")
            << (bundle.ticket_id() != 0
                    ? ", attached to ticket " + std::to_string(bundle.ticket_id())
                    : "")
            << ")\n";
  return 0;
}

int cmd_diag_list(const std::string& device, const std::string& ticket, const Output& out) {
  std::string path = "/api/v1/diag";
  std::string query;
  if (!device.empty()) query += "device=" + url_encode(device);
  if (!ticket.empty()) {
    auto id = parse_ticket(ticket);
    if (!id) return report_failure(id.error());
    query += (query.empty() ? "" : "&") + std::string("ticket=") + std::to_string(*id);
  }
  if (!query.empty()) path += "?" + query;
  v1::api::BundleList list;
  if (int rc = fetch("GET", path, list); rc != 0) return rc;
  if (out.json) {
    print_json_array(list.bundles());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : list.bundles()) {
    rows.push_back({b.id(), b.device_id(), b.received_at(), std::to_string(b.size()),
                    b.ticket_id() != 0 ? std::to_string(b.ticket_id()) : "",
                    std::to_string(b.findings_size())});
  }
  print_table(std::cout, {"ID", "DEVICE", "RECEIVED", "BYTES", "TICKET", "FINDINGS"}, rows);
  return 0;
}

int cmd_diag_show(const std::string& id, const Output& out) {
  v1::api::Bundle bundle;
  if (int rc = fetch("GET", "/api/v1/diag/" + id, bundle); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(bundle) << "\n";
    return 0;
  }
  // Which findings the organisation's catalog can fix; without a catalog
  // (none published, or the relay is older) the findings stand alone.
  v1::api::CatalogInfo catalog;
  if (auto client = logged_in_client(); client) {
    if (auto reply = call_api(*client, "GET", "/api/v1/catalog", {}, kCallTimeout); reply) {
      if (!relay::api::parse_json(*reply, catalog)) catalog.Clear();
    }
  }
  print_bundle(bundle, catalog);
  return 0;
}

int cmd_diag_get(const std::string& id, const std::string& out_file) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto content = call_api(*client, "GET", "/api/v1/diag/" + id + "/content", {}, kDownloadTimeout);
  if (!content) return report_failure(content.error());
  // Content addressing lets the CLI check the relay: the bytes must hash to
  // the id that was asked for.
  std::string actual = "sha256:" + tls::sha256_hex(*content);
  if (actual != id) {
    return report_failure("the relay sent content whose id is " + actual + ", not " + id +
                          "; nothing written");
  }
  if (auto written = files::write_atomic(out_file, *content, 0600); !written) {
    return report_failure(written.error());
  }
  std::cerr << "wrote " << content->size() << " bytes to " << out_file << " (" << id << ")\n";
  return 0;
}

}  // namespace helpline::cli
