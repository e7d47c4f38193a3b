// Real-looking excerpts of what collectors gather. Each checks the whole
// output (so the non-secret rest is intact), that no planted secret survives,
// and the counts per rule.
#include <vector>

#include "tests/unit/common/redact/redact_test_util.h"

namespace helpline::redact::testing {
namespace {

struct Sample {
  std::string_view in;
  std::string_view out;
  Counts counts;
  std::vector<std::string_view> secrets;
};

void check(const Sample& sample) {
  const auto [out, counts] = redact_once(sample.in);
  EXPECT_EQ(out, sample.out);
  EXPECT_EQ(counts, sample.counts);
  for (std::string_view secret : sample.secrets) {
    EXPECT_EQ(out.find(secret), std::string::npos) << "leaked: " << secret;
  }
}

TEST(RealLogs, SshdAndSudo) {
  check(
      {"Nov 12 10:00:01 web1 sshd[2211]: Failed password for invalid user admin from "
       "203.0.113.7 port 52311 ssh2\n"
       "Nov 12 10:00:09 web1 sudo[3011]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
       "COMMAND=/usr/bin/mysql -u root --password=Tr0ub4dor&3 -e status\n"
       "Nov 12 10:00:09 web1 sudo[3011]: pam_unix(sudo:session): session opened for user "
       "root(uid=0) by alice(uid=1000)\n",
       "Nov 12 10:00:01 web1 sshd[2211]: Failed password for invalid user admin from "
       "203.0.113.7 port 52311 ssh2\n"
       "Nov 12 10:00:09 web1 sudo[3011]:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
       "COMMAND=/usr/bin/mysql -u root --password=[REDACTED] -e status\n"
       "Nov 12 10:00:09 web1 sudo[3011]: pam_unix(sudo:session): session opened for user "
       "root(uid=0) by alice(uid=1000)\n",
       {{"secret_key_value", 1}},
       {"Tr0ub4dor", "&3"}});
}

TEST(RealLogs, NetworkManagerKeyfileAndJournal) {
  check(
      {"NetworkManager[812]: <info>  [1700000000.1234] device (wlp2s0): state change: "
       "config -> need-auth (reason 'none')\n"
       "[wifi-security]\nkey-mgmt=wpa-psk\npsk=CorrectHorse42\n[ipv4]\nmethod=auto\n",
       "NetworkManager[812]: <info>  [1700000000.1234] device (wlp2s0): state change: "
       "config -> need-auth (reason 'none')\n"
       "[wifi-security]\nkey-mgmt=wpa-psk\npsk=[REDACTED]\n[ipv4]\nmethod=auto\n",
       {{"secret_key_value", 1}},
       {"CorrectHorse42"}});
}

TEST(RealLogs, CurlVerboseOutput) {
  check(
      {"*   Trying 93.184.216.34:443...\n"
       "* Connected to api.example.org (93.184.216.34) port 443 (#0)\n"
       "> GET /v1/items HTTP/1.1\n"
       "> Host: api.example.org\n"
       "> Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJl\n"
       "> User-Agent: curl/7.88.1\n"
       "< HTTP/1.1 200 OK\n"
       "< Set-Cookie: session=9b1c0f3e; Path=/; HttpOnly\n",
       "*   Trying 93.184.216.34:443...\n"
       "* Connected to api.example.org (93.184.216.34) port 443 (#0)\n"
       "> GET /v1/items HTTP/1.1\n"
       "> Host: api.example.org\n"
       "> Authorization: Bearer [REDACTED]\n"
       "> User-Agent: curl/7.88.1\n"
       "< HTTP/1.1 200 OK\n"
       "< Set-Cookie: [REDACTED]\n",
       {{"http_authorization", 1}, {"secret_key_value", 1}},
       {"eyJzdWIiOiJib2IifQ", "9b1c0f3e"}});
}

TEST(RealLogs, DotEnvAndDockerCompose) {
  check(
      {"# app settings\nAPP_ENV=production\nDB_HOST=db\nDB_PASSWORD=S3cr3t!pw\n"
       "STRIPE_SECRET_KEY=sk_live_51Habc\nDEBUG=false\n",
       "# app settings\nAPP_ENV=production\nDB_HOST=db\nDB_PASSWORD=[REDACTED]\n"
       "STRIPE_SECRET_KEY=[REDACTED]\nDEBUG=false\n",
       {{"secret_key_value", 2}},
       {"S3cr3t", "sk_live"}});
  check(
      {"services:\n  db:\n    image: postgres:16\n    environment:\n"
       "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: \"S3cr3t\"\n"
       "      - \"MYSQL_ROOT_PASSWORD=r00t pw\"\n    ports:\n      - \"5432:5432\"\n",
       "services:\n  db:\n    image: postgres:16\n    environment:\n"
       "      POSTGRES_USER: app\n      POSTGRES_PASSWORD: \"[REDACTED]\"\n"
       "      - \"MYSQL_ROOT_PASSWORD=[REDACTED]\"\n    ports:\n      - \"5432:5432\"\n",
       {{"secret_key_value", 2}},
       {"S3cr3t", "r00t"}});
}

TEST(RealLogs, PostgresConnectionString) {
  check({"app[77]: connecting to postgresql://app:S3cr3t@db:5432/app?sslmode=require",
         "app[77]: connecting to postgresql://app:[REDACTED]@db:5432/app?sslmode=require",
         {{"url_credentials", 1}},
         {"S3cr3t"}});
  check({"host=db port=5432 dbname=app user=app password=S3cr3t sslmode=require",
         "host=db port=5432 dbname=app user=app password=[REDACTED] sslmode=require",
         {{"secret_key_value", 1}},
         {"S3cr3t"}});
}

TEST(RealLogs, KubeconfigSnippet) {
  check(
      {"apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
       "    token: kube-0a1b2c3d4e5f\n"
       "    client-key-data: LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo=\n"
       "    client-certificate-data: LS0tLS1CRUdJTiBDRVJU\n",
       "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
       "    token: [REDACTED]\n"
       "    client-key-data: [REDACTED]\n"
       "    client-certificate-data: LS0tLS1CRUdJTiBDRVJU\n",
       {{"secret_key_value", 2}},
       {"kube-0a1b2c3d4e5f", "LS0tLS1CRUdJTiBSU0Eg"}});
}

TEST(RealLogs, PemKeyInAFileTail) {
  check(
      {"ssl_certificate_key /etc/nginx/tls.key;\n"
       "-----BEGIN EC PRIVATE KEY-----\n"
       "MHcCAQEEIDRhc2RmYXNkZmFzZGZhc2RmYXNkZmFzZGZhc2RmYXNkZmFzZGagCgYI\n"
       "KoZIzj0DAQehRANCAAR4\n"
       "-----END EC PRIVATE KEY-----\n"
       "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
       "ssl_certificate_key /etc/nginx/tls.key;\n"
       "[REDACTED PRIVATE KEY]\n"
       "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n",
       {{"private_key", 1}},
       {"MHcCAQEE", "KoZIzj0"}});
}

TEST(RealLogs, JsonLogs) {
  check({R"({"ts":"2024-05-01T10:00:00Z","level":"info","msg":"login","user":"bob",)"
         R"("password":"hunter2","client_secret":"c5-x","ip":"10.0.0.5"})",
         R"({"ts":"2024-05-01T10:00:00Z","level":"info","msg":"login","user":"bob",)"
         R"("password":"[REDACTED]","client_secret":"[REDACTED]","ip":"10.0.0.5"})",
         {{"secret_key_value", 2}},
         {"hunter2", "c5-x"}});
  check({R"({"level":"debug","req":{"headers":{"authorization":"Basic Ym9iOnB3","x-api-key":)"
         R"("ak_123"}},"github":"ghp_0123456789abcdefghijABCDEFGHIJ012345"})",
         R"({"level":"debug","req":{"headers":{"authorization":"Basic [REDACTED]","x-api-key":)"
         R"("[REDACTED]"}},"github":"ghp_[REDACTED]"})",
         {{"http_authorization", 1}, {"secret_key_value", 1}, {"github_token", 1}},
         {"Ym9iOnB3", "ak_123", "0123456789abcdef"}});
}

TEST(RealLogs, AwsCredentialsFile) {
  check(
      {"[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
       "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nregion = eu-west-1\n",
       "[default]\naws_access_key_id = AKIA[REDACTED]\n"
       "aws_secret_access_key = [REDACTED]\nregion = eu-west-1\n",
       {{"aws_access_key_id", 1}, {"aws_secret_access_key", 1}},
       {"IOSFODNN7", "wJalrXUtnFEMI"}});
}

TEST(RealLogs, HelplineAgentCommandLine) {
  check(
      {"helpline-agent enroll --relay relay.example.org:8443 --token "
       "hle_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5 --ca-pin SHA256:ab12",
       "helpline-agent enroll --relay relay.example.org:8443 --token hle_[REDACTED] "
       "--ca-pin SHA256:ab12",
       {{"helpline_token", 1}},
       {"Zm9vYmFy"}});
}

}  // namespace
}  // namespace helpline::redact::testing
