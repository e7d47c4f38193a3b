// system.users: logged-in users from the utmp file. The file is read
// directly (records of struct utmpx) rather than through getutxent, whose
// hidden global cursor is not safe with collectors on several threads.
#include <utmpx.h>

#include <cstring>

#include "agent/collect/linux/collectors.h"
#include "agent/collect/linux/source_files.h"
#include "agent/collect/text.h"

namespace helpline::agent::collect::linux_impl {
namespace {

constexpr std::size_t kMaxUtmpBytes = 8u << 20;
constexpr int kMaxUsers = 1000;

// A fixed-size, possibly unterminated utmp field.
template <std::size_t N>
[[nodiscard]] std::string field(const char (&chars)[N]) {
  return clean(std::string_view(chars, strnlen(chars, N)), N);
}

}  // namespace

Result<void> collect_system_users(Context& context, pb::DiagnosticBundle& out) {
  auto data = read_source(context, "/run/utmp", kMaxUtmpBytes);
  if (!data) data = read_source(context, "/var/run/utmp", kMaxUtmpBytes);
  if (!data) {
    return unavailable("no utmp file (/run/utmp): no login sessions are recorded here");
  }
  pb::SystemInfo& s = *out.mutable_system();
  std::size_t count = data->size() / sizeof(struct utmpx);
  if (data->size() % sizeof(struct utmpx) != 0) {
    context.add_error("utmp: " + std::to_string(data->size() % sizeof(struct utmpx)) +
                      " trailing bytes ignored");
  }
  for (std::size_t i = 0; i < count; ++i) {
    struct utmpx record {};
    std::memcpy(&record, data->data() + i * sizeof record, sizeof record);
    if (record.ut_type != USER_PROCESS || record.ut_user[0] == '\0') continue;
    // A crashed login leaves its record behind; `who` shows it, we do not.
    if (context.live() && record.ut_pid > 0 &&
        !exists(context, "/proc/" + std::to_string(record.ut_pid))) {
      continue;
    }
    if (s.users_size() >= kMaxUsers) {
      context.add_error("more than " + std::to_string(kMaxUsers) + " sessions; the rest left out");
      break;
    }
    pb::LoggedInUser& u = *s.add_users();
    u.set_user(field(record.ut_user));
    u.set_tty(field(record.ut_line));
    u.set_host(field(record.ut_host));
    u.set_since_ms(static_cast<std::int64_t>(record.ut_tv.tv_sec) * 1000 +
                   static_cast<std::int64_t>(record.ut_tv.tv_usec) / 1000);
    u.set_pid(record.ut_pid > 0 ? static_cast<std::uint32_t>(record.ut_pid) : 0);
  }
  return {};
}

}  // namespace helpline::agent::collect::linux_impl
