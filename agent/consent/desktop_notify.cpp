// The desktop notification for a new consent request. Best effort by
// design: a machine without a desktop, without notify-send or without a
// session bus still gets the request through `helpline-agent consent`.
#include <pwd.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "agent/actions/process.h"
#include "agent/actions/session_user.h"
#include "agent/consent/consent_broker.h"

namespace helpline::agent::consent {

namespace {

constexpr const char* kNotifySend = "/usr/bin/notify-send";
constexpr std::chrono::milliseconds kNotifyTimeout{5000};

[[nodiscard]] bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

void notify_desktop(uv_loop_t* loop, const actions::ConsentRequest& request, bool inform_only) {
  auto user = actions::active_session_user();
  if (!user || !exists(kNotifySend)) return;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  struct passwd pw {};
  struct passwd* found = nullptr;
  if (::getpwnam_r(user->c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 ||
      found == nullptr) {
    return;
  }
  // A desktop session has a user bus; a console login usually does not.
  std::string bus = "/run/user/" + std::to_string(found->pw_uid) + "/bus";
  if (!exists(bus)) return;
  actions::SpawnSpec spec;
  spec.program = kNotifySend;
  std::string body = describe_request(request) +
                     (inform_only ? ". It has started; end it at any time with: helpline-agent end"
                                  : ". Answer with: helpline-agent consent");
  spec.argv = {kNotifySend, "--app-name=Helpline", "--urgency=critical",
               inform_only ? "Helpline: remote session started" : "Helpline: approval needed",
               body};
  spec.env = {"DBUS_SESSION_BUS_ADDRESS=unix:path=" + bus, "HOME=" + std::string(found->pw_dir),
              "PATH=/usr/bin:/bin"};
  if (::geteuid() == 0) {
    spec.uid = found->pw_uid;
    spec.gid = found->pw_gid;
  } else if (::geteuid() != found->pw_uid) {
    return;  // another user's bus is not ours to talk to
  }
  spec.timeout = kNotifyTimeout;
  spec.max_output = 4096;
  spec.kill_grace = std::chrono::milliseconds(500);
  spec.drain_after_exit = std::chrono::milliseconds(500);
  auto started = actions::Process::start(loop, std::move(spec), [](std::string_view) {},
                                         [](const actions::ProcessOutcome&) {});
  if (!started) spdlog::debug("notify-send: {}", started.error().message);
}

}  // namespace helpline::agent::consent
