// session_bench: remote sessions through the real relay and agent.
//
// Starts a helpline-relay and a helpline-agent (the freshly built
// binaries) on 127.0.0.1 in a temporary directory, with the device in a
// group whose consent policy is "unattended" (nobody to ask), opens two
// sessions on the same agent and measures:
//
//   1. keystroke round trip: one byte typed into the shell of session A
//      (CLI-side WebSocket -> relay -> tunnel channel -> PTY) until its echo
//      comes back the same way; --keys times, idle, then again while
//      session B pulls a large file;
//   2. file pull throughput: `helpline session pull` of --mib MiB through
//      the relay, alone and while the keystrokes run (the CLI hashes the
//      file, writes it and fsyncs it before it exits);
//   2a. the relay's stream throughput: the same pull read by a WebSocket
//      reader that drops the bytes, as the plain TLS relay's sink in
//      scripts/bench writes to /dev/null: the relay is what differs;
//   3. the baseline: the same file copied over a plain TLS 1.3 connection
//      on the same machine with socat (OPENSSL-LISTEN / OPENSSL, the
//      relay's own certificate), when socat is installed
//      (scripts/deps --bench).
//
// Figures are printed, never asserted: they depend on the machine and what
// else runs on it.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/session/session.h"
#include "helpline/v1/session.pb.h"
#include "server/cli/commands.h"
#include "server/cli/ws_client.h"
#include "tests/support/json.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "tests/support/wait_until.h"

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using helpline::testing::json_field_string;
using helpline::testing::parse_json_object;
using helpline::testing::Process;
using helpline::testing::ProcessOptions;
using helpline::testing::RunResult;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const fs::path kRelayBin = HELPLINE_RELAY_BIN;
const fs::path kAgentBin = HELPLINE_AGENT_BIN;
const fs::path kCliBin = HELPLINE_CLI_BIN;

struct Bench {
  helpline::testing::TempDir temp{"helpline-session-bench"};
  std::vector<std::pair<std::string, std::string>> env;
  std::optional<Process> relay;
  std::optional<Process> agent;
  std::string api;
  std::string agent_addr;

  ProcessOptions options(const fs::path& program, std::vector<std::string> args) {
    ProcessOptions o;
    o.program = program;
    o.args = std::move(args);
    o.env = env;
    o.unset_env = {"https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"};
    return o;
  }
  RunResult run(const fs::path& program, std::vector<std::string> args,
                std::chrono::milliseconds timeout = 60s) {
    auto r = helpline::testing::run_command(options(program, std::move(args)), timeout);
    if (!r) {
      std::fprintf(stderr, "cannot run %s: %s\n", program.c_str(), r.error().message.c_str());
      std::exit(1);
    }
    return *r;
  }
  void must(const RunResult& r, const char* what) {
    if (r.exit_code == 0) return;
    std::fprintf(stderr, "%s failed: %s\n", what, r.describe().c_str());
    std::exit(1);
  }
};

struct Percentiles {
  double p50 = 0, p99 = 0, max = 0;
  std::size_t n = 0;
};

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  p.n = v.size();
  p.p50 = v[v.size() / 2];
  p.p99 = v[std::min(v.size() - 1, static_cast<std::size_t>(static_cast<double>(v.size()) * 0.99))];
  p.max = v.back();
  return p;
}

// Types `keys` bytes into the session's shell one at a time, each after the
// previous one's echo came back. Microseconds per round trip.
std::vector<double> keystrokes(const helpline::cli::ApiClient& client, const std::string& session,
                               int keys) {
  std::vector<double> out;
  asio::io_context io;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto conn = co_await helpline::cli::WsConnection::open(
        client, "/api/v1/sessions/" + session + "/shell?cols=200&rows=50&term=dumb");
    if (!conn) {
      std::fprintf(stderr, "shell: %s\n", conn.error().message.c_str());
      co_return;
    }
    helpline::session::MessageDecoder decoder;
    auto send = [&](const std::string& bytes) -> asio::awaitable<bool> {
      helpline::v1::ShellFrame f;
      f.set_data(bytes);
      co_return static_cast<bool>(
          co_await (*conn)->write_binary(helpline::session::frame(f.SerializeAsString())));
    };
    // Waits until `want` appears in the shell's output.
    std::string seen;
    auto expect = [&](const std::string& want) -> asio::awaitable<bool> {
      while (seen.find(want) == std::string::npos) {
        auto m = co_await (*conn)->read();
        if (!m || m->text) co_return false;
        if (!decoder.feed(m->data)) co_return false;
        while (auto msg = decoder.next()) {
          helpline::v1::ShellFrame f;
          if (f.ParseFromString(*msg) && f.has_data()) seen += f.data();
        }
      }
      co_return true;
    };
    // A quiet prompt, then wait until the shell is ready.
    // The typed line is echoed too: wait for what only the output holds.
    if (!co_await send("PS1=''; echo bench-$((40+2))\n") || !co_await expect("bench-42")) co_return;
    seen.clear();
    for (int i = 0; i < keys; ++i) {
      // Ctrl-U clears the line every 64 keys so it never grows long.
      std::string key(1, static_cast<char>('a' + i % 26));
      if (i % 64 == 63) {
        if (!co_await send("\x15")) co_return;
      }
      auto start = Clock::now();
      if (!co_await send(key) || !co_await expect(key)) co_return;
      out.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      seen.clear();
    }
    co_await (*conn)->close();
  }, asio::detached);
  io.run();
  return out;
}

// Pulls `path` through the relay's pull stream and drops the bytes.
// Seconds from connecting until the relay closed after the stream's end;
// -1 on failure. `received` counts every byte of the stream (the file's
// framed header too).
double drain_pull(const helpline::cli::ApiClient& client, const std::string& session,
                  const std::string& path, std::uint64_t& received) {
  double seconds = -1;
  received = 0;
  asio::io_context io;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    auto start = Clock::now();
    auto conn = co_await helpline::cli::WsConnection::open(
        client, "/api/v1/sessions/" + session + "/pull?path=" + helpline::cli::url_encode(path));
    if (!conn) {
      std::fprintf(stderr, "pull stream: %s\n", conn.error().message.c_str());
      co_return;
    }
    std::string failure = co_await (*conn)->read_to_end([&](std::string& bytes) -> std::string {
      received += bytes.size();
      return "";
    });
    if (!failure.empty()) {
      std::fprintf(stderr, "pull stream: %s\n", failure.c_str());
      co_return;
    }
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  }, asio::detached);
  io.run();
  return seconds;
}

double mib_per_s(std::uint64_t bytes, double seconds) {
  return seconds > 0 ? static_cast<double>(bytes) / (1024.0 * 1024.0) / seconds : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t mib = 256;
  int keys = 300;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--mib") mib = std::strtoull(argv[i + 1], nullptr, 10);
    if (flag == "--keys") keys = std::atoi(argv[i + 1]);
  }
  Bench b;
  fs::path data = b.temp / "relay";
  fs::path cli_config = b.temp / "cli.toml";
  b.env = {{"HOME", b.temp.path().string()}, {"HELPLINE_CONFIG", cli_config.string()}};
  ::setenv("HELPLINE_CONFIG", cli_config.c_str(), 1);

  RunResult init = b.run(kRelayBin, {"init", "--data", data.string(), "--agent-listen",
                                     "127.0.0.1:0", "--api-listen", "127.0.0.1:0", "--json"});
  b.must(init, "relay init");
  auto report = parse_json_object(init.out);
  std::string pin = json_field_string(*report, "ca_pin");
  std::string admin = json_field_string(*report, "admin_user");
  std::string password = json_field_string(*report, "admin_password");
  ProcessOptions serve = b.options(kRelayBin, {"serve", "--data", data.string(), "--log-level", "warn"});
  serve.stderr_path = b.temp / "relay.err";
  b.relay.emplace(std::move(*Process::spawn(serve)));
  (void)helpline::testing::wait_until(
      [&] {
        auto l = parse_json_object(helpline::testing::read_text_file(data / "listen.json"));
        if (!l) return false;
        b.api = "https://" + json_field_string(*l, "api_listen");
        b.agent_addr = json_field_string(*l, "agent_listen");
        return true;
      },
      15s);
  b.env.emplace_back("HELPLINE_PASSWORD", password);
  b.must(b.run(kCliBin, {"login", "--url", b.api, "--ca-pin", pin, "--user", admin}), "login");
  b.must(b.run(kCliBin, {"admin", "session-policy", "bench", "unattended"}), "session-policy");
  RunResult token = b.run(kCliBin, {"enroll-token", "create", "--group", "bench", "--json"});
  b.must(token, "enroll-token");
  fs::path state = b.temp / "agent";
  b.must(b.run(kAgentBin, {"enroll", "--relay", b.agent_addr, "--token",
                           json_field_string(*parse_json_object(token.out), "token"), "--ca-pin",
                           pin, "--state", state.string(), "--json"}),
         "enroll");
  fs::path files = b.temp / "files";
  fs::create_directories(files);
  {
    std::ofstream toml(state / "agent.toml", std::ios::app);
    toml << "test_seat_user = \"root\"\nshell = \"/bin/sh\"\nfile_roots = [\"" << files.string()
         << "\"]\nmax_file_bytes = " << (mib + 1) * 1024 * 1024 << "\n";
  }
  ProcessOptions agent = b.options(kAgentBin, {"run", "--state", state.string(), "--socket",
                                               (b.temp / "agent.sock").string(), "--log-level",
                                               "warn"});
  agent.stderr_path = b.temp / "agent.err";
  b.agent.emplace(std::move(*Process::spawn(agent)));

  RunResult ticket = b.run(kCliBin, {"ticket", "create", "--title", "bench", "--impact", "3",
                                     "--urgency", "3", "--json"});
  b.must(ticket, "ticket create");
  std::string ticket_id = json_field_string(*parse_json_object(ticket.out), "display_id");
  RunResult devices = b.run(kCliBin, {"devices", "--json"});
  std::string device;
  if (auto start = devices.out.find("dev_"); start != std::string::npos) {
    device = devices.out.substr(start, devices.out.find('"', start) - start);
  }
  auto open = [&](const std::string& allow) {
    std::string id;
    (void)helpline::testing::wait_until(
        [&] {
          RunResult r = b.run(kCliBin, {"session", "open", device, "--ticket", ticket_id,
                                        "--reason", "benchmark", "--allow", allow, "--json"});
          if (r.exit_code != 0) return false;
          id = json_field_string(*parse_json_object(r.out), "id");
          return true;
        },
        30s, 200ms);
    return id;
  };
  std::string shell_session = open("shell");
  std::string file_session = open("files");
  if (shell_session.empty() || file_session.empty()) {
    std::fprintf(stderr, "cannot open the sessions; relay log:\n%s\nagent log:\n%s\n",
                 helpline::testing::tail_file(b.temp / "relay.err", 20).c_str(),
                 helpline::testing::tail_file(b.temp / "agent.err", 20).c_str());
    return 1;
  }

  // The file: incompressible enough that nothing on the way shortcuts it.
  fs::path big = files / "big.bin";
  {
    std::ofstream out(big, std::ios::binary);
    std::string block(1 << 20, '\0');
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (std::uint64_t m = 0; m < mib; ++m) {
      for (auto& c : block) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        c = static_cast<char>(x);
      }
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
  }
  const std::uint64_t bytes = mib << 20;
  auto client = helpline::cli::logged_in_client();
  if (!client) {
    std::fprintf(stderr, "%s\n", client.error().message.c_str());
    return 1;
  }

  auto pull = [&](const fs::path& out) {
    auto start = Clock::now();
    RunResult r = b.run(kCliBin, {"session", "pull", file_session, big.string(), out.string()},
                        600s);
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    if (r.exit_code != 0) std::fprintf(stderr, "pull failed: %s\n", r.describe().c_str());
    return r.exit_code == 0 ? s : -1.0;
  };

  // 1. Keystrokes, idle.
  Percentiles idle = percentiles(keystrokes(*client, shell_session, keys));
  // 2. A pull alone.
  double pull_alone = pull(b.temp / "pulled-1.bin");
  // 2a. The same stream into a reader that drops it: the median of three
  // (scripts/bench takes the median of its socat runs too).
  std::vector<double> drains;
  for (int run = 0; run < 3; ++run) {
    std::uint64_t received = 0;
    double s = drain_pull(*client, file_session, big.string(), received);
    if (s > 0 && received < bytes) {
      std::fprintf(stderr, "pull stream: %llu of %llu bytes\n",
                   static_cast<unsigned long long>(received), static_cast<unsigned long long>(bytes));
      s = -1;
    }
    drains.push_back(s);
  }
  std::sort(drains.begin(), drains.end());
  const double drained = drains[1];  // a failed run sorts first: one failure still gives a figure
  // 3. Keystrokes while the other session pulls.
  double pull_loaded = -1;
  std::thread puller([&] { pull_loaded = pull(b.temp / "pulled-2.bin"); });
  std::this_thread::sleep_for(300ms);  // let the pull get going (a bench, not a test)
  Percentiles loaded = percentiles(keystrokes(*client, shell_session, keys));
  puller.join();

  // 4. The plain TLS copy baseline.
  double tls_copy = -1;
  bool have_socat = fs::exists("/usr/bin/socat");
  if (have_socat) {
    std::string port = "0";
    // A free port from the kernel, handed to socat.
    int probe = 0;
    {
      asio::io_context io;
      asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
      probe = a.local_endpoint().port();
    }
    port = std::to_string(probe);
    ProcessOptions server = b.options(
        "/usr/bin/socat",
        {"-u", "FILE:" + big.string(),
         "OPENSSL-LISTEN:" + port + ",bind=127.0.0.1,reuseaddr,cert=" + (data / "server.pem").string() +
             ",key=" + (data / "server.key").string() + ",verify=0"});
    auto srv = Process::spawn(server);
    std::this_thread::sleep_for(300ms);
    auto start = Clock::now();
    RunResult copy = b.run("/usr/bin/socat",
                           {"-u", "OPENSSL:127.0.0.1:" + port + ",verify=0",
                            "CREATE:" + (b.temp / "socat.bin").string()},
                           600s);
    tls_copy = std::chrono::duration<double>(Clock::now() - start).count();
    if (copy.exit_code != 0 || fs::file_size(b.temp / "socat.bin") != bytes) {
      std::fprintf(stderr, "socat copy failed: %s\n", copy.describe().c_str());
      tls_copy = -1;
    }
    if (srv) (void)srv->terminate(5s);
  }

  std::printf("session_bench: %llu MiB file, %d keystrokes per run\n",
              static_cast<unsigned long long>(mib), keys);
  std::printf("  keystroke round trip, idle               p50 %8.0f us  p99 %8.0f us  max %8.0f us  (n=%zu)\n",
              idle.p50, idle.p99, idle.max, idle.n);
  std::printf("  keystroke round trip, during a pull      p50 %8.0f us  p99 %8.0f us  max %8.0f us  (n=%zu)\n",
              loaded.p50, loaded.p99, loaded.max, loaded.n);
  std::printf("  pull through the relay, alone            %8.1f MiB/s (%.2f s)\n",
              mib_per_s(bytes, pull_alone), pull_alone);
  std::printf("  pull through the relay, with keystrokes  %8.1f MiB/s (%.2f s)\n",
              mib_per_s(bytes, pull_loaded), pull_loaded);
  std::printf("  relay stream, reader drops the bytes     %8.1f MiB/s (%.2f s, median of 3)\n",
              mib_per_s(bytes, drained), drained);
  if (tls_copy > 0) {
    std::printf("  plain TLS copy (socat, same machine)     %8.1f MiB/s (%.2f s)\n",
                mib_per_s(bytes, tls_copy), tls_copy);
  } else {
    std::printf("  plain TLS copy: %s\n", have_socat ? "failed" : "skipped (install socat: scripts/deps --bench)");
  }
  (void)b.agent->terminate(10s);
  (void)b.relay->terminate(10s);
  return 0;
}
