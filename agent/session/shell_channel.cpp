// The "shell" stream: a PTY shell as the session's account, ShellFrames
// both ways (common/session framing), sizes and signals checked here.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include "agent/session/linux/pty_process.h"
#include "agent/session/session_internal.h"

namespace helpline::agent::session {

namespace {

constexpr std::string_view kPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

[[nodiscard]] bool is_nologin(const std::string& shell) {
  return shell.empty() || shell.ends_with("/nologin") || shell.ends_with("/false");
}

class ShellChannel final : public SessionChannel {
 public:
  ShellChannel(SessionManager& manager, std::string session_id, ChannelStream stream)
      : SessionChannel(manager, std::move(session_id), std::move(stream), "shell") {}

  ~ShellChannel() override { stop("the stream ended"); }

  // Starts the shell; false when refused (the stream is reset then).
  bool start(const v1::ShellOpen& open) {
    if (auto why = ::helpline::session::check_window(open.cols(), open.rows()); !why.empty()) {
      refuse("bad_window", why);
      return false;
    }
    std::string term = open.term().empty() ? "xterm-256color" : open.term();
    if (!::helpline::session::is_term_name(term)) {
      refuse("bad_request", "term: not a terminal name");
      return false;
    }
    const std::optional<Account>& account = manager_.account_of(session_id_);
    if (!account) {
      refuse("no_user", "the session has no account to run a shell as");
      return false;
    }
    PtySpec spec;
    spec.shell = manager_.config().shell.value_or(account->shell);
    if (!manager_.config().shell && is_nologin(spec.shell)) {
      refuse("no_login_shell", account->name + " has no login shell (" + spec.shell + ")");
      return false;
    }
    if (::geteuid() == 0 || ::geteuid() != account->uid) {
      spec.uid = account->uid;
      spec.gid = account->gid;
      spec.groups.assign(account->groups.begin(), account->groups.end());
    }
    spec.cwd = account->home;
    spec.cols = static_cast<std::uint16_t>(open.cols());
    spec.rows = static_cast<std::uint16_t>(open.rows());
    spec.env = {"TERM=" + term,
                "HOME=" + account->home,
                "USER=" + account->name,
                "LOGNAME=" + account->name,
                "SHELL=" + spec.shell,
                "PATH=" + std::string(kPath),
                "LANG=C.UTF-8",
                "HELPLINE_SESSION=" + session_id_};
    auto started = PtyProcess::start(
        manager_.loop(), spec, [this](std::string_view bytes) { on_output(bytes); },
        [this](int code, int sig) { on_exit(code, sig); });
    if (!started) {
      refuse(started.error().code, started.error().message);
      return false;
    }
    pty_ = std::shared_ptr<PtyProcess>(std::move(*started));
    manager_.record("shell.open", session_id_,
                    "shell " + spec.shell + " as " + account->name + " (pid " +
                        std::to_string(pty_->pid()) + "), " + std::to_string(open.cols()) + "x" +
                        std::to_string(open.rows()));
    return true;
  }

  void on_data(std::string_view data) override {
    stream_.consume(data.size());
    if (done_ || !pty_) return;
    touch();
    if (auto fed = input_.feed(data); !fed) {
      refuse("bad_frame", fed.error().message);
      stop("bad input");
      return;
    }
    while (auto message = input_.next()) {
      v1::ShellFrame frame;
      if (!frame.ParseFromString(*message)) {
        notice("refused a frame that is not a ShellFrame");
        continue;
      }
      switch (frame.kind_case()) {
        case v1::ShellFrame::kData:
          if (auto written = pty_->write(frame.data()); !written) notice(written.error().message);
          break;
        case v1::ShellFrame::kResize: {
          auto why = ::helpline::session::check_window(frame.resize().cols(), frame.resize().rows());
          if (!why.empty()) {
            notice(why);
            break;
          }
          pty_->resize(static_cast<std::uint16_t>(frame.resize().cols()),
                       static_cast<std::uint16_t>(frame.resize().rows()));
          break;
        }
        case v1::ShellFrame::kSignal: {
          auto sig = ::helpline::session::signal_number(frame.signal());
          if (!sig) {
            notice("signal '" + frame.signal().substr(0, 16) +
                   "' refused: one of INT, TERM, HUP, QUIT, KILL, TSTP, CONT");
            break;
          }
          pty_->signal(*sig);
          break;
        }
        default:
          notice("refused a frame the technician may not send");
          break;
      }
    }
  }

  void on_writable() override {
    if (done_) return;
    if (flush() && pty_) pty_->pause_output(false);
  }

  void on_peer_closed() override { stop("the technician closed the shell"); }

  void on_reset(std::string_view reason) override {
    done_ = true;
    stop("the stream was reset: " + std::string(reason));
  }

  void terminate(const std::string& reason) override {
    SessionChannel::terminate(reason);
    stop(reason);
  }

 private:
  void send_frame(const v1::ShellFrame& frame) {
    if (done_) return;
    if (!send(::helpline::session::frame(frame.SerializeAsString())) && pty_ && !done_) {
      // The technician reads slower than the shell writes: stop reading
      // the PTY until the channel has room again.
      pty_->pause_output(true);
    }
  }

  void notice(const std::string& text) {
    manager_.record("shell.refused", session_id_, text);
    v1::ShellFrame frame;
    frame.set_notice(text);
    send_frame(frame);
  }

  void on_output(std::string_view bytes) {
    touch();
    // Frames stay well below the stream's message limit.
    while (!bytes.empty()) {
      auto n = std::min<std::size_t>(bytes.size(), 16 * 1024);
      v1::ShellFrame frame;
      frame.set_data(std::string(bytes.substr(0, n)));
      send_frame(frame);
      bytes.remove_prefix(n);
    }
  }

  void on_exit(int code, int sig) {
    manager_.record("shell.close", session_id_,
                    "exited with " + std::to_string(code) +
                        (sig != 0 ? ", signal " + std::to_string(sig) : ""));
    v1::ShellFrame frame;
    frame.mutable_exit()->set_exit_code(code);
    frame.mutable_exit()->set_signal(sig);
    frame.mutable_exit()->set_reason("exited");
    send_frame(frame);
    exited_ = true;
    if (!done_) (void)stream_.close();
    release();
  }

  // Ends the shell (if it still runs) and hands the PTY to the manager to close.
  void stop(const std::string& why) {
    if (!pty_) return;
    if (!exited_) {
      manager_.record("shell.close", session_id_, "killed: " + why);
    }
    release();
  }

  void release() {
    if (!pty_) return;
    std::shared_ptr<PtyProcess> pty = std::move(pty_);
    pty_.reset();
    PtyProcess* raw = pty.get();
    manager_.retire(std::move(pty), [raw](std::function<void()> done) { raw->close(done); });
  }

  std::shared_ptr<PtyProcess> pty_;
  ::helpline::session::MessageDecoder input_;
  bool exited_ = false;
};

}  // namespace

std::unique_ptr<ChannelHandler> make_shell(SessionManager& manager,
                                           const v1::SessionStreamOpen& open,
                                           ChannelStream stream) {
  if (!open.has_shell()) {
    stream.reset("bad_request: a shell stream needs ShellOpen");
    return nullptr;
  }
  auto channel = std::make_unique<ShellChannel>(manager, open.session_id(), std::move(stream));
  if (!channel->start(open.shell())) return nullptr;
  return channel;
}

}  // namespace helpline::agent::session
