// The relay's record: users, API tokens, enrollment tokens, devices,
// (schema v2) diagnostic bundles with the tickets they attach to, and
// (schema v3) the full helpdesk tickets behind ticket_store(), (schema v5)
// the knowledge base behind kb_store() and webhooks behind webhook_store().
// One interface so PostgreSQL can stand beside the embedded SQLite later;
// open_sqlite_store() is today's implementation.
//
// Thread: a Store is used by one thread at a time (the relay's I/O thread).
// Errors: "store_error" for database faults (with SQLite's message), plus the
// specific codes documented per call. A failed call changes nothing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/result.h"
#include "common/core/time_format.h"
#include "server/store/kb_store.h"
#include "server/store/ticket_store.h"
#include "server/store/webhook_store.h"

namespace helpline::relay {

enum class Role { kViewer, kTechnician1, kTechnician2, kTechnician3, kAdmin };

// "viewer", "l1", "l2", "l3", "admin".
[[nodiscard]] const char* to_string(Role role);
// Errors: "bad_role" listing the valid names.
[[nodiscard]] Result<Role> parse_role(std::string_view name);

struct User {
  std::int64_t id = 0;
  std::string name;
  Role role = Role::kViewer;
  std::string password_hash;  // server/auth's encoded PBKDF2 hash
  UnixMillis created_at = 0;
  bool disabled = false;
};

struct ApiToken {
  std::string token_hash;     // SHA-256 hex of the bearer token; the token itself is never stored
  std::int64_t user_id = 0;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;  // 0: never expires
};

struct EnrollToken {
  std::string id;             // short public id, e.g. "et_3f9a..."; the secret is separate
  std::string token_hash;     // SHA-256 hex of the secret token
  std::string group = "default";
  std::uint32_t uses = 1;     // how many enrollments it allows
  std::uint32_t used = 0;
  UnixMillis created_at = 0;
  UnixMillis expires_at = 0;  // 0: never expires
  std::string created_by;
  bool revoked = false;
};

struct Device {
  std::string id;             // "dev_<hex>", the certificate's CN
  std::string hostname;
  std::string platform;
  std::string agent_version;
  std::string os_release;
  std::string group = "default";
  UnixMillis enrolled_at = 0;
  UnixMillis last_seen = 0;
  bool revoked = false;
  UnixMillis revoked_at = 0;
  UnixMillis retired_at = 0;  // its agent was uninstalled (implies revoked); 0: not retired
  std::string cert_serial;    // hex serial of the issued device certificate
  std::string enroll_token_id;
};

// --- diagnostics and minimal tickets (schema v2; the tickets issue extends them) ---

// A helpdesk ticket as far as remote collection needs one.
struct Ticket {
  std::int64_t id = 0;        // assigned by create_ticket
  std::string title;
  std::string description;
  int impact = 3;             // 1..5
  int urgency = 3;            // 1..5
  int priority = 3;           // 1..6, from impact x urgency
  std::string status = "new";
  UnixMillis created_at = 0;
  std::string created_by;
  std::string device_id;      // "" when the ticket names no device
};

struct TicketAttachment {
  std::int64_t ticket_id = 0;
  std::string kind;  // "bundle", "action_result", "recording", "file"
  std::string ref;   // what is attached: the bundle or blob id
  UnixMillis added_at = 0;
  std::string added_by;
  // (schema v5) for files: the name it was uploaded as, its size and media
  // type; "" and 0 when not recorded.
  std::string name{};
  std::uint64_t size = 0;
  std::string content_type{};
};

// A diagnostic bundle received from an agent. Its encoded bytes are in the
// blob store (server/blobs) under the same id.
struct BundleRecord {
  std::string id;             // "sha256:<hex>" of the encoded bytes
  std::string device_id;
  UnixMillis collected_at = 0;  // the agent's clock
  UnixMillis received_at = 0;   // the relay's clock
  std::uint64_t size = 0;       // encoded bytes
  std::uint64_t raw_size = 0;   // serialized bytes before compression
  std::vector<std::string> sections;  // as requested (no commas); empty: all
  std::string findings_json = "[]";   // JSON array of findings, most severe first
  std::string requested_by;
  std::int64_t ticket_id = 0;   // the ticket it was collected for; 0: none
};

struct BundleFilter {
  std::string device_id;      // "": any device
  std::int64_t ticket_id = 0; // 0: any; else bundles attached to that ticket
  std::size_t limit = 500;
};

class Store {
 public:
  virtual ~Store() = default;

  // --- users ---
  // Errors: "user_exists".
  [[nodiscard]] virtual Result<User> create_user(std::string_view name, Role role,
                                                 std::string_view password_hash,
                                                 UnixMillis now) = 0;
  [[nodiscard]] virtual Result<std::optional<User>> find_user(std::string_view name) = 0;
  [[nodiscard]] virtual Result<std::vector<User>> list_users() = 0;

  // --- API bearer tokens (stored hashed) ---
  [[nodiscard]] virtual Result<void> add_api_token(const ApiToken& token) = 0;
  // The token's user if the hash is known, unexpired at `now` and the user is
  // not disabled; nullopt otherwise.
  [[nodiscard]] virtual Result<std::optional<User>> user_for_api_token(std::string_view token_hash,
                                                                       UnixMillis now) = 0;
  [[nodiscard]] virtual Result<void> delete_api_token(std::string_view token_hash) = 0;
  // Removes expired tokens; returns how many.
  [[nodiscard]] virtual Result<std::size_t> purge_expired_api_tokens(UnixMillis now) = 0;

  // --- enrollment tokens (stored hashed) ---
  [[nodiscard]] virtual Result<void> add_enroll_token(const EnrollToken& token) = 0;
  [[nodiscard]] virtual Result<std::vector<EnrollToken>> list_enroll_tokens() = 0;
  // Errors: "not_found".
  [[nodiscard]] virtual Result<void> revoke_enroll_token(std::string_view id) = 0;

  // In one transaction: checks the token (known, not revoked, not expired at
  // `now`, used < uses), counts one use, and inserts `device` with the
  // token's group and id, enrolled_at = last_seen = `now`, not revoked.
  // Returns the device as stored. Errors: "bad_token" (unknown),
  // "token_revoked", "token_expired", "token_used_up", "store_error" (also
  // for a device id already stored); nothing changes then.
  [[nodiscard]] virtual Result<Device> enroll_device(std::string_view token_hash, Device device,
                                                     UnixMillis now) = 0;

  // --- devices ---
  [[nodiscard]] virtual Result<std::optional<Device>> find_device(std::string_view id) = 0;
  [[nodiscard]] virtual Result<std::vector<Device>> list_devices() = 0;
  // Records a hello: facts the agent reported and last_seen. Errors: "not_found".
  [[nodiscard]] virtual Result<void> update_device_hello(const Device& facts, UnixMillis now) = 0;
  // Sets last_seen for many devices in one transaction (heartbeat batches).
  [[nodiscard]] virtual Result<void> touch_devices(std::span<const std::string> ids,
                                                   UnixMillis now) = 0;
  // Marks revoked. Errors: "not_found". Revoking twice is not an error.
  [[nodiscard]] virtual Result<Device> revoke_device(std::string_view id, UnixMillis now) = 0;
  // Marks retired and revoked (its agent was uninstalled). Errors:
  // "not_found". Retiring twice keeps the first times.
  [[nodiscard]] virtual Result<Device> retire_device(std::string_view id, UnixMillis now) = 0;

  // --- tickets ---
  // The full helpdesk tickets (ticket_store.h), on the same connection and
  // thread as this Store; valid as long as the Store.
  [[nodiscard]] virtual TicketStore& ticket_store() = 0;
  // The knowledge base and webhooks (kb_store.h, webhook_store.h), likewise.
  [[nodiscard]] virtual KbStore& kb_store() = 0;
  [[nodiscard]] virtual WebhookStore& webhook_store() = 0;

  // The minimal view of schema v2, still what diagnostics check a ticket
  // id against. create_ticket() inserts a bare ticket (no SLA clock, no
  // history); the helpdesk creates tickets through ticket_store().
  // Inserts `ticket` with a new id and returns it as stored. Errors:
  // "not_found" when device_id names no device.
  [[nodiscard]] virtual Result<Ticket> create_ticket(Ticket ticket) = 0;
  [[nodiscard]] virtual Result<std::optional<Ticket>> find_ticket(std::int64_t id) = 0;
  // Oldest first.
  [[nodiscard]] virtual Result<std::vector<TicketAttachment>> list_attachments(
      std::int64_t ticket_id) = 0;

  // --- diagnostic bundles ---
  // In one transaction: records the bundle and, when record.ticket_id != 0,
  // attaches it to that ticket (kind "bundle", added_at = received_at,
  // added_by = requested_by). An id recorded before is the same content:
  // its first record is kept (and still attached). Returns the record as
  // stored. Errors: "not_found" when the device or the ticket does not
  // exist; nothing changes then.
  [[nodiscard]] virtual Result<BundleRecord> record_bundle(const BundleRecord& record) = 0;
  [[nodiscard]] virtual Result<std::optional<BundleRecord>> find_bundle(std::string_view id) = 0;
  // Newest received first, at most filter.limit.
  [[nodiscard]] virtual Result<std::vector<BundleRecord>> list_bundles(
      const BundleFilter& filter) = 0;

  // --- key/value settings of the relay (schema version, org key, ...) ---
  [[nodiscard]] virtual Result<std::optional<std::string>> get_setting(std::string_view key) = 0;
  [[nodiscard]] virtual Result<void> set_setting(std::string_view key, std::string_view value) = 0;
};

// Opens (creating if missing) the SQLite database at `path` in WAL mode and
// applies pending schema migrations in order, each in its own transaction.
// Errors: "store_error" naming the file and SQLite's reason; "store_version"
// if the file was written by a newer Helpline.
[[nodiscard]] Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path);

}  // namespace helpline::relay
