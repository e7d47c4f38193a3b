// Remote sessions end to end (docs/sessions.md): the real relay, agent and
// CLI, and a scripted end user answering on the agent's consent socket as
// the seat user. The machine running the tests has no desktop session, so
// agent.toml's test-only [sessions] test_seat_user names the "seat user":
// "nobody" (uid 65534), whose shell runs through /bin/sh. Answers as
// another local account (uid 1, "daemon") must be refused.
//
// Every wait is a bounded poll; nothing depends on how fast a step is.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "tests/e2e/relay_fixture.h"

namespace helpline::e2e {
namespace {

namespace fs = std::filesystem;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_array;
using helpline::testing::parse_json_object;
using helpline::testing::Process;
using helpline::testing::ProcessOptions;
using helpline::testing::read_text_file;
using helpline::testing::wait_until;
using ::testing::HasSubstr;

constexpr std::uint32_t kNobody = 65534;
constexpr std::uint32_t kOtherUser = 1;  // "daemon": a local account that is not the seat user
constexpr std::chrono::milliseconds kDecisionWait = 20s;
constexpr std::chrono::milliseconds kSessionWait = 30s;

struct SessionAgent {
  EnrolledAgent agent;
  fs::path files;  // the allowed file root
  std::string ticket;  // "HL-n"
  Process* process = nullptr;  // the running agent (the fixture owns it)
};

class SessionTest : public RelayFixture {
 protected:
  void SetUp() override {
    RelayFixture::SetUp();
    if (::geteuid() != 0) GTEST_SKIP() << "remote session tests switch users: run them as root";
    // The scripted end user (uid 65534) must reach the agent's socket and
    // the binaries through the test's directories.
    fs::permissions(path_for("x").parent_path(), fs::perms::owner_all | fs::perms::group_exec |
                                                     fs::perms::others_exec);
  }

  // Enrolls (into `group`, whose policy is set first when given), writes the
  // [sessions] table and starts the agent. `seat_user`: nullopt = "nobody".
  SessionAgent start(const std::string& name, std::string extra_toml = "",
                     std::vector<std::pair<std::string, std::string>> env = {},
                     const std::string& group = "", const std::string& group_policy = "",
                     std::string seat_user = "nobody") {
    SessionAgent out;
    if (!group_policy.empty()) {
      RunResult set = cli({"admin", "session-policy", group, group_policy});
      EXPECT_EQ(set.exit_code, 0) << set.describe();
    }
    std::vector<std::string> token_args;
    if (!group.empty()) token_args = {"--group", group};
    EnrollToken token = create_token(token_args);
    out.agent.state = path_for(name);
    RunResult enrolled = enroll(out.agent.state, token.token);
    EXPECT_EQ(enrolled.exit_code, 0) << enrolled.describe();
    auto answer = parse_json_object(enrolled.out);
    if (answer) out.agent.device_id = json_field_string(*answer, "device_id");
    fs::path shared = path_for(name + "-shared");
    fs::create_directories(shared);
    fs::permissions(shared, fs::perms::all);
    out.agent.socket_path = shared / "agent.sock";
    out.files = shared / "files";
    fs::create_directories(out.files);
    fs::permissions(out.files, fs::perms::all);
    // Enrollment writes [sessions] (last) when it pinned a policy other
    // than prompt; the test's keys then join that table.
    bool has_table = read_text_file(out.agent.state / "agent.toml").find("[sessions]") !=
                     std::string::npos;
    std::ofstream toml(out.agent.state / "agent.toml", std::ios::app);
    toml << (has_table ? "" : "\n[sessions]\n")
         << "test_seat_user = \"" << seat_user << "\"\n"
         << "shell = \"/bin/sh\"\n"
         << "file_roots = [\"" << out.files.string() << "\"]\n"
         << extra_toml;
    toml.close();
    out.process = start_agent(out.agent, std::move(env));
    EXPECT_NE(out.process, nullptr);
    EXPECT_TRUE(wait_online(out.agent.device_id, kOnlineTimeout));
    RunResult ticket = cli({"ticket", "create", "--title", "Printer", "--impact", "3",
                            "--urgency", "3", "--json"});
    EXPECT_EQ(ticket.exit_code, 0) << ticket.describe();
    if (auto created = parse_json_object(ticket.out)) {
      out.ticket = json_field_string(*created, "display_id");
    }
    return out;
  }

  // `helpline session open` in the background (it waits for the decision).
  std::optional<Process> open_async(const SessionAgent& s, const std::string& allow,
                                    std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"session", "open", s.agent.device_id, "--ticket", s.ticket,
                                  "--reason", "printer queue stuck", "--allow", allow, "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessOptions options = cli_options(std::move(args));
    options.stdout_path = path_for("open-" + std::to_string(++opens_) + ".out");
    options.stderr_path = path_for("open-" + std::to_string(opens_) + ".err");
    auto spawned = Process::spawn(options);
    EXPECT_TRUE(spawned) << spawned.error().message;
    if (!spawned) return std::nullopt;
    return std::move(*spawned);
  }

  // `helpline-agent ARGS --socket S` as `uid` (setpriv, no shell).
  RunResult agent_as(std::uint32_t uid, const SessionAgent& s, std::vector<std::string> args) {
    std::vector<std::string> argv{"--reuid=" + std::to_string(uid),
                                  "--regid=" + std::to_string(uid), "--clear-groups",
                                  agent_binary().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back("--socket");
    argv.push_back(s.agent.socket().string());
    ProcessOptions options = agent_options({});
    options.program = "/usr/bin/setpriv";
    options.args = std::move(argv);
    return run_options(std::move(options));
  }

  // The id of the first pending session request, as the seat user sees it.
  std::string wait_for_request(const SessionAgent& s) {
    std::string id;
    bool seen = wait_until(
        [&] {
          RunResult listed = agent_as(kNobody, s, {"consent", "--list", "--json"});
          auto items = parse_json_array(listed.out);
          if (!items) return false;
          for (const auto& item : *items) {
            if (json_field_string(item, "kind") == "session") {
              id = json_field_string(item, "id");
              EXPECT_EQ(json_field_string(item, "reason"), "printer queue stuck");
              EXPECT_EQ(json_field_string(item, "requested_by"), "admin");
              return true;
            }
          }
          return false;
        },
        kDecisionWait, kPoll);
    EXPECT_TRUE(seen) << "no session request reached the consent socket";
    return id;
  }

  // Opens a session the seat user approves; returns its id.
  std::string open_approved(const SessionAgent& s, const std::string& allow) {
    auto open = open_async(s, allow);
    if (!open) return "";
    std::string request = wait_for_request(s);
    RunResult approved = agent_as(kNobody, s, {"consent", "--approve", request});
    EXPECT_EQ(approved.exit_code, 0) << approved.describe();
    auto status = open->wait_exit(kDecisionWait);
    EXPECT_EQ(status, 0) << open->stderr_text();
    auto session = parse_json_object(open->stdout_text());
    if (!session) {
      ADD_FAILURE() << "session open printed: " << open->stdout_text();
      return "";
    }
    EXPECT_EQ(json_field_string(*session, "decision"), "approved");
    EXPECT_EQ(json_field_string(*session, "decided_by"), "nobody");
    return json_field_string(*session, "id");
  }

  // A session that starts without asking (notify, unattended): its id.
  std::string open_now(const SessionAgent& s) {
    RunResult opened = cli({"session", "open", s.agent.device_id, "--ticket", s.ticket, "--reason",
                            "printer queue stuck", "--allow", "shell", "--json"});
    EXPECT_EQ(opened.exit_code, 0) << opened.describe();
    auto session = parse_json_object(opened.out);
    return session ? json_field_string(*session, "id") : std::string();
  }

  // `helpline session shell ID` with `input` on stdin, in the background.
  std::optional<Process> shell_async(const std::string& session, const std::string& input) {
    fs::path in = path_for("shell-" + std::to_string(++shells_) + ".in");
    std::ofstream(in) << input;
    ProcessOptions options = cli_options({"session", "shell", session});
    options.stdin_path = in;
    options.stdout_path = path_for("shell-" + std::to_string(shells_) + ".out");
    options.stderr_path = path_for("shell-" + std::to_string(shells_) + ".err");
    auto spawned = Process::spawn(options);
    EXPECT_TRUE(spawned) << spawned.error().message;
    if (!spawned) return std::nullopt;
    return std::move(*spawned);
  }

  Struct show(const std::string& session) {
    RunResult shown = cli({"session", "show", session, "--json"});
    EXPECT_EQ(shown.exit_code, 0) << shown.describe();
    auto parsed = parse_json_object(shown.out);
    return parsed ? *parsed : Struct();
  }

  int opens_ = 0;
  int shells_ = 0;
};

// A shell that ran: output back to the technician, run as the seat user,
// its exit status, and the asciicast recording attached to the ticket.
TEST_F(SessionTest, ApprovedShellRunsCommandsAsTheSeatUserAndIsRecorded) {
  SessionAgent s = start("pc");
  std::string id = open_approved(s, "shell");
  ASSERT_FALSE(id.empty());
  auto shell = shell_async(id, "echo marker-$((6*7))\nid -u\nexit 3\n");
  ASSERT_TRUE(shell);
  auto status = shell->wait_exit(kSessionWait);
  ASSERT_TRUE(status.has_value()) << "the shell did not end: " << shell->stdout_text();
  EXPECT_EQ(*status, 3) << shell->stderr_text();
  std::string out = shell->stdout_text();
  EXPECT_THAT(out, HasSubstr("marker-42"));
  EXPECT_THAT(out, HasSubstr("65534"));

  // The recording lands once the relay has seen the stream end.
  std::string recording;
  ASSERT_TRUE(wait_until(
      [&] {
        Struct info = show(id);
        auto recordings = info.fields().find("recordings");
        if (recordings == info.fields().end() ||
            recordings->second.list_value().values_size() == 0) {
          return false;
        }
        recording = recordings->second.list_value().values(0).string_value();
        return true;
      },
      kSessionWait, kPoll));
  ASSERT_EQ(recording.rfind("sha256:", 0), 0u) << recording;
  std::string hex = recording.substr(7);
  std::string cast = read_text_file(data_dir() / "blobs" / "sha256" / hex.substr(0, 2) / hex.substr(2));
  EXPECT_THAT(cast, HasSubstr("\"version\":2"));
  EXPECT_THAT(cast, HasSubstr("marker-42"));

  RunResult ticket = cli({"ticket", "show", s.ticket, "--json"});
  EXPECT_THAT(ticket.out, HasSubstr("recording"));
  EXPECT_THAT(ticket.out, HasSubstr(recording));

  // The end user's own record of it.
  RunResult audit = agent_as(kNobody, s, {"audit"});
  EXPECT_EQ(audit.exit_code, 0) << audit.describe();
  EXPECT_THAT(audit.out, HasSubstr("session.open"));
  EXPECT_THAT(audit.out, HasSubstr("shell.open"));
}

TEST_F(SessionTest, DeniedSessionTellsTheTechnician) {
  SessionAgent s = start("pc");
  auto open = open_async(s, "shell,files");
  ASSERT_TRUE(open);
  std::string request = wait_for_request(s);
  RunResult denied = agent_as(kNobody, s, {"consent", "--deny", request});
  EXPECT_EQ(denied.exit_code, 0) << denied.describe();
  auto status = open->wait_exit(kDecisionWait);
  EXPECT_EQ(status, 1);
  EXPECT_THAT(open->stderr_text(), HasSubstr("declined by nobody"));
  RunResult listed = cli({"session", "list", "--json"});
  EXPECT_THAT(listed.out, ::testing::Not(HasSubstr("\"active\"")));
}

TEST_F(SessionTest, UnansweredRequestIsRefusedAtTheTimeout) {
  SessionAgent s = start("pc", "", {{"HELPLINE_AGENT_TEST_CONSENT_TIMEOUT", "1s"}});
  auto open = open_async(s, "shell");
  ASSERT_TRUE(open);
  auto status = open->wait_exit(kDecisionWait);
  EXPECT_EQ(status, 1);
  EXPECT_THAT(open->stderr_text(), HasSubstr("no answer within 1 s"));
}

TEST_F(SessionTest, AnotherLocalUserCannotAnswer) {
  SessionAgent s = start("pc");
  auto open = open_async(s, "shell");
  ASSERT_TRUE(open);
  std::string request = wait_for_request(s);
  RunResult intruder = agent_as(kOtherUser, s, {"consent", "--approve", request});
  EXPECT_EQ(intruder.exit_code, 1) << intruder.describe();
  EXPECT_THAT(intruder.err, HasSubstr("only the user logged in"));
  RunResult sessions = agent_as(kOtherUser, s, {"end"});
  EXPECT_EQ(sessions.exit_code, 1);
  // Still pending: the seat user decides.
  RunResult approved = agent_as(kNobody, s, {"consent", "--approve", request});
  EXPECT_EQ(approved.exit_code, 0) << approved.describe();
  EXPECT_EQ(open->wait_exit(kDecisionWait), 0) << open->stderr_text();
}

// The user ends a running session: the shell and what it started are
// killed, the technician is told why.
TEST_F(SessionTest, UserEndsSessionMidShell) {
  SessionAgent s = start("pc");
  std::string id = open_approved(s, "shell");
  ASSERT_FALSE(id.empty());
  auto shell = shell_async(id, "echo ready-$$\nsleep 600\n");
  ASSERT_TRUE(shell);
  std::smatch found;
  std::regex ready("ready-([0-9]+)");
  std::string out;
  ASSERT_TRUE(wait_until(
      [&] {
        out = shell->stdout_text();
        return std::regex_search(out, found, ready);
      },
      kSessionWait, kPoll))
      << out << shell->stderr_text();
  pid_t shell_pid = std::stoi(found[1].str());
  ASSERT_TRUE(fs::exists("/proc/" + std::to_string(shell_pid)));

  RunResult ended = agent_as(kNobody, s, {"end", id, "--reason", "done for today"});
  EXPECT_EQ(ended.exit_code, 0) << ended.describe();
  auto status = shell->wait_exit(kSessionWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_NE(*status, 0);
  EXPECT_THAT(shell->stderr_text(), HasSubstr("ended by the user nobody: done for today"));
  EXPECT_TRUE(wait_until([&] { return !fs::exists("/proc/" + std::to_string(shell_pid)); },
                         kSessionWait, kPoll))
      << "the shell " << shell_pid << " still runs";
  EXPECT_TRUE(wait_until([&] { return json_field_string(show(id), "state") == "ended"; },
                         kSessionWait, kPoll));
  EXPECT_THAT(json_field_string(show(id), "end_reason"), HasSubstr("ended by the user nobody"));
  RunResult active = agent_as(kNobody, s, {"sessions"});
  EXPECT_THAT(active.out, HasSubstr("No remote session is active"));
}

TEST_F(SessionTest, TechnicianCloseEndsTheShell) {
  SessionAgent s = start("pc");
  std::string id = open_approved(s, "shell");
  ASSERT_FALSE(id.empty());
  auto shell = shell_async(id, "echo up-$$\nsleep 600\n");
  ASSERT_TRUE(shell);
  ASSERT_TRUE(wait_until([&] { return shell->stdout_text().find("up-") != std::string::npos &&
                                      std::regex_search(shell->stdout_text(), std::regex("up-[0-9]")); },
                         kSessionWait, kPoll));
  RunResult closed = cli({"session", "close", id, "--reason", "fixed"});
  EXPECT_EQ(closed.exit_code, 0) << closed.describe();
  auto status = shell->wait_exit(kSessionWait);
  ASSERT_TRUE(status.has_value());
  EXPECT_THAT(shell->stderr_text(), HasSubstr("fixed"));
}

TEST_F(SessionTest, NotifyPolicyStartsAtOnceAndTheUserCanEndIt) {
  SessionAgent s = start("pc", "", {}, "frontdesk", "notify");
  RunResult opened = cli({"session", "open", s.agent.device_id, "--ticket", s.ticket, "--reason",
                          "printer queue stuck", "--allow", "shell", "--json"});
  ASSERT_EQ(opened.exit_code, 0) << opened.describe();
  auto session = parse_json_object(opened.out);
  ASSERT_TRUE(session);
  EXPECT_EQ(json_field_string(*session, "decision"), "notified");
  EXPECT_EQ(json_field_string(*session, "policy"), "notify");
  RunResult active = agent_as(kNobody, s, {"sessions", "--json"});
  EXPECT_THAT(active.out, HasSubstr(json_field_string(*session, "id")));
  RunResult ended = agent_as(kNobody, s, {"end"});
  EXPECT_EQ(ended.exit_code, 0) << ended.describe();
  EXPECT_TRUE(wait_until(
      [&] { return json_field_string(show(json_field_string(*session, "id")), "state") == "ended"; },
      kSessionWait, kPoll));
}

TEST_F(SessionTest, UnattendedPolicyNeedsNobodyAndTheRelayCannotLowerAPin) {
  // Pinned unattended at enrollment: no question, even with nobody logged in.
  SessionAgent kiosk = start("kiosk", "allow_root_shell = true\n", {}, "kiosks", "unattended", "");
  RunResult opened = cli({"session", "open", kiosk.agent.device_id, "--ticket", kiosk.ticket,
                          "--reason", "printer queue stuck", "--allow", "shell", "--as-root",
                          "--json"});
  ASSERT_EQ(opened.exit_code, 0) << opened.describe();
  auto session = parse_json_object(opened.out);
  ASSERT_TRUE(session);
  EXPECT_EQ(json_field_string(*session, "decision"), "unattended");
  EXPECT_EQ(json_field_string(*session, "shell_user"), "root");

  // A device enrolled under prompt stays prompt when its group is lowered later.
  SessionAgent pc = start("pc", "", {}, "office", "prompt");
  RunResult lowered = cli({"admin", "session-policy", "office", "unattended"});
  ASSERT_EQ(lowered.exit_code, 0) << lowered.describe();
  auto open = open_async(pc, "shell");
  ASSERT_TRUE(open);
  std::string request = wait_for_request(pc);
  EXPECT_FALSE(request.empty());
  RunResult denied = agent_as(kNobody, pc, {"consent", "--deny", request});
  EXPECT_EQ(open->wait_exit(kDecisionWait), 1);
}

// Sessions end when they are idle, when the agent restarts and when the
// relay restarts; nothing of them is left on either side.
TEST_F(SessionTest, IdleTimeoutAndRestartsEndSessions) {
  SessionAgent s = start("pc", "idle_timeout = \"1s\"\n", {}, "lab", "notify");
  std::string idle = open_now(s);
  ASSERT_FALSE(idle.empty());
  EXPECT_TRUE(wait_until([&] { return json_field_string(show(idle), "state") == "ended"; },
                         kSessionWait, kPoll));
  EXPECT_THAT(json_field_string(show(idle), "end_reason"), HasSubstr("idle for 1s"));
}

TEST_F(SessionTest, AgentAndRelayRestartsEndSessions) {
  SessionAgent s = start("pc", "", {}, "lab", "notify");
  std::string first = open_now(s);
  ASSERT_FALSE(first.empty());
  auto shell = shell_async(first, "echo alive-$$\nsleep 600\n");
  ASSERT_TRUE(shell);
  std::smatch found;
  std::string out;
  ASSERT_TRUE(wait_until(
      [&] {
        out = shell->stdout_text();
        return std::regex_search(out, found, std::regex("alive-([0-9]+)"));
      },
      kSessionWait, kPoll));
  pid_t shell_pid = std::stoi(found[1].str());

  // The relay restarts: its sessions are gone, the agent ends its own when
  // the link drops and kills the shell.
  ASSERT_NO_FATAL_FAILURE(restart_relay());
  EXPECT_TRUE(wait_until([&] { return !fs::exists("/proc/" + std::to_string(shell_pid)); },
                         kSessionWait, kPoll));
  EXPECT_TRUE(shell->wait_exit(kSessionWait).has_value());
  ASSERT_TRUE(wait_online(s.agent.device_id, kReconnectTimeout));
  RunResult listed = cli({"session", "list", "--json"});
  EXPECT_THAT(listed.out, ::testing::Not(HasSubstr(first)));
  RunResult active = agent_as(kNobody, s, {"sessions"});
  EXPECT_THAT(active.out, HasSubstr("No remote session is active"));

  // The agent restarts: the relay ends the session when the link drops,
  // and the new agent knows of no session.
  std::string second = open_now(s);
  ASSERT_FALSE(second.empty());
  RunResult before = agent_as(0, s, {"sessions", "--json"});
  EXPECT_THAT(before.out, HasSubstr(second));
  ASSERT_NE(s.process, nullptr);
  EXPECT_EQ(s.process->terminate(kStopGrace), 0);
  EXPECT_TRUE(wait_until([&] { return json_field_string(show(second), "state") == "ended"; },
                         kSessionWait, kPoll));
  ASSERT_NE(start_agent(s.agent), nullptr);
  ASSERT_TRUE(wait_online(s.agent.device_id, kReconnectTimeout));
  RunResult after = agent_as(0, s, {"sessions"});
  EXPECT_THAT(after.out, HasSubstr("No remote session is active"));
}

TEST_F(SessionTest, PromptWithNobodyLoggedInIsRefused) {
  SessionAgent s = start("pc", "", {}, "", "", "");
  RunResult opened = cli({"session", "open", s.agent.device_id, "--ticket", s.ticket, "--reason",
                          "printer queue stuck", "--allow", "shell"});
  EXPECT_EQ(opened.exit_code, 1);
  EXPECT_THAT(opened.err, HasSubstr("nobody is logged in"));
}

// Files: within the root, as the seat user's rights; the bad inputs are
// refused with a reason and the session goes on.
TEST_F(SessionTest, FilesMoveWithinTheRootsAndBadInputIsRefused) {
  SessionAgent s = start("pc");
  std::string id = open_approved(s, "files,shell");
  ASSERT_FALSE(id.empty());
  std::string content;
  for (int i = 0; i < 20000; ++i) content += "line " + std::to_string(i) + "\n";
  fs::path remote = s.files / "report.txt";
  std::ofstream(remote) << content;
  fs::path local = path_for("pulled.txt");
  RunResult pulled = cli({"session", "pull", id, remote.string(), local.string()});
  ASSERT_EQ(pulled.exit_code, 0) << pulled.describe();
  EXPECT_EQ(read_text_file(local), content);

  fs::path upload = path_for("upload.bin");
  std::ofstream(upload) << "pushed bytes\n";
  fs::path target = s.files / "upload.bin";
  RunResult pushed = cli({"session", "push", id, upload.string(), target.string()});
  ASSERT_EQ(pushed.exit_code, 0) << pushed.describe();
  EXPECT_EQ(read_text_file(target), "pushed bytes\n");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, kNobody) << "the file was not written with the seat user's rights";

  // Outside the roots, through a symlink out of them, a file the user may
  // not read, an unknown capability, a huge terminal: refused, named.
  RunResult outside = cli({"session", "pull", id, "/etc/passwd", path_for("x").string()});
  EXPECT_EQ(outside.exit_code, 1);
  EXPECT_THAT(outside.err, HasSubstr("outside the allowed roots"));
  fs::create_symlink("/etc", s.files / "etc");
  RunResult escaped = cli({"session", "pull", id, (s.files / "etc" / "passwd").string(),
                           path_for("y").string()});
  EXPECT_EQ(escaped.exit_code, 1);
  EXPECT_THAT(escaped.err, HasSubstr("outside the allowed roots"));
  fs::path secret = s.files / "secret";
  std::ofstream(secret) << "root only\n";
  fs::permissions(secret, fs::perms::owner_read | fs::perms::owner_write);
  RunResult denied = cli({"session", "pull", id, secret.string(), path_for("z").string()});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_THAT(denied.err, HasSubstr("Permission denied"));
  RunResult unknown = cli({"session", "open", s.agent.device_id, "--ticket", s.ticket, "--reason",
                           "x", "--allow", "shell,teleport"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("unknown capability 'teleport'"));

  // The session still works after all of that.
  RunResult again = cli({"session", "pull", id, remote.string(), path_for("again.txt").string()});
  EXPECT_EQ(again.exit_code, 0) << again.describe();
  EXPECT_EQ(json_field_string(show(id), "state"), "active");
}

// A tiny TCP echo server on the loopback, for the port forward.
class EchoServer {
 public:
  EchoServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      int client = ::accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      char buffer[4096];
      ssize_t n = 0;
      while ((n = ::read(client, buffer, sizeof buffer)) > 0) {
        if (::write(client, buffer, static_cast<std::size_t>(n)) != n) break;
      }
      ::close(client);
    });
  }
  ~EchoServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

[[nodiscard]] std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Connects to 127.0.0.1:port (retrying while the forward starts listening),
// sends `text`, half-closes and reads until the end.
[[nodiscard]] std::string talk(std::uint16_t port, const std::string& text) {
  int fd = -1;
  bool connected = wait_until(
      [&] {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return true;
        ::close(fd);
        return false;
      },
      kSessionWait, kPoll);
  if (!connected) return "(no connection)";
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  // MSG_NOSIGNAL: the forward may already have closed a refused connection.
  (void)!::send(fd, text.data(), text.size(), MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  std::string got;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) got.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return got;
}

TEST_F(SessionTest, PortForwardReachesAnAllowlistedPortOnly) {
  EchoServer echo;
  SessionAgent s = start("pc", "forward_ports = [" + std::to_string(echo.port()) + "]\n");
  std::string id = open_approved(s, "forward");
  ASSERT_FALSE(id.empty());

  std::uint16_t local = free_port();
  ProcessOptions options = cli_options({"session", "forward", id,
                                        std::to_string(local) + ":" + std::to_string(echo.port()),
                                        "--once"});
  options.stderr_path = path_for("forward.err");
  auto forward = Process::spawn(options);
  ASSERT_TRUE(forward);
  EXPECT_EQ(talk(local, "hello through the tunnel"), "hello through the tunnel");
  EXPECT_EQ(forward->wait_exit(kSessionWait), 0) << forward->stderr_text();

  std::uint16_t other = free_port();
  ProcessOptions refused_options = cli_options(
      {"session", "forward", id, std::to_string(other) + ":22", "--once"});
  refused_options.stderr_path = path_for("forward-refused.err");
  auto refused = Process::spawn(refused_options);
  ASSERT_TRUE(refused);
  EXPECT_EQ(talk(other, "ssh?"), "");
  EXPECT_EQ(refused->wait_exit(kSessionWait), 1);
  EXPECT_THAT(refused->stderr_text(), HasSubstr("not in this machine's forward allowlist"));
  EXPECT_EQ(json_field_string(show(id), "state"), "active");
}

TEST_F(SessionTest, AuditVerifiesAndNamesTheFirstEditedEntry) {
  SessionAgent s = start("pc");
  auto open = open_async(s, "shell");
  ASSERT_TRUE(open);
  std::string request = wait_for_request(s);
  RunResult denied = agent_as(kNobody, s, {"consent", "--deny", request});
  EXPECT_EQ(open->wait_exit(kDecisionWait), 1);

  RunResult verified = cli({"audit", "verify", "--json"});
  ASSERT_EQ(verified.exit_code, 0) << verified.describe();
  auto report = parse_json_object(verified.out);
  ASSERT_TRUE(report);
  // uint64 fields are strings in protobuf's JSON mapping.
  EXPECT_GE(std::stoi("0" + json_field_string(*report, "entries")), 2) << verified.out;
  RunResult listed = cli({"audit", "list", "--json"});
  EXPECT_THAT(listed.out, HasSubstr("session.request"));
  EXPECT_THAT(listed.out, HasSubstr("session.decision"));

  // Someone edits the session request's detail in place (the entries
  // before it, such as the fixture's enrollment token, still verify).
  fs::path log = data_dir() / "audit.log";
  std::string text = read_text_file(log);
  auto at = text.find("printer queue stuck");
  ASSERT_NE(at, std::string::npos);
  const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  text.replace(at, 7, "scanner");
  std::ofstream(log, std::ios::trunc) << text;
  RunResult broken = cli({"audit", "verify"});
  EXPECT_EQ(broken.exit_code, 1);
  EXPECT_THAT(broken.out, HasSubstr("BROKEN at entry " + std::to_string(line)));
  EXPECT_THAT(broken.out, HasSubstr("edited"));
}

TEST_F(SessionTest, AuditNamesARemovedEntry) {
  SessionAgent s = start("pc");
  RunResult opened = cli({"session", "open", s.agent.device_id, "--ticket", s.ticket, "--reason",
                          "printer queue stuck", "--allow", "teleport"});
  EXPECT_EQ(opened.exit_code, 1);
  auto open = open_async(s, "shell");
  ASSERT_TRUE(open);
  std::string request = wait_for_request(s);
  (void)agent_as(kNobody, s, {"consent", "--deny", request});
  EXPECT_EQ(open->wait_exit(kDecisionWait), 1);
  fs::path log = data_dir() / "audit.log";
  std::string text = read_text_file(log);
  auto first_end = text.find('\n');
  ASSERT_NE(first_end, std::string::npos);
  std::ofstream(log, std::ios::trunc) << text.substr(first_end + 1);
  RunResult broken = cli({"audit", "verify", "--json"});
  EXPECT_EQ(broken.exit_code, 1);
  auto report = parse_json_object(broken.out);
  ASSERT_TRUE(report);
  EXPECT_EQ(json_field_string(*report, "first_bad_seq"), "1") << broken.out;
}

}  // namespace
}  // namespace helpline::e2e
