// One behaviour per built-in rule other than secret_key_value, and the
// ordinary text that looks close to a secret but is none.
#include "tests/unit/common/redact/redact_test_util.h"

namespace helpline::redact::testing {
namespace {

TEST(BuiltinRules, HaveStableUniqueNames) {
  std::map<std::string, int> seen;
  for (const Rule& rule : builtin_rules()) {
    EXPECT_FALSE(rule.name.empty());
    EXPECT_FALSE(rule.what.empty());
    EXPECT_EQ(++seen[std::string(rule.name)], 1) << rule.name;
  }
  EXPECT_EQ(builtin_rules().front().name, "private_key");
  EXPECT_EQ(builtin_rules().back().name, "secret_key_value");
}

TEST(UrlCredentialsRule, RedactsThePasswordAndKeepsUserAndHost) {
  constexpr std::string_view kRule = "url_credentials";
  expect_redacted("postgresql://app:S3cr3t@db:5432/app", "postgresql://app:[REDACTED]@db:5432/app",
                  kRule);
  expect_redacted("DATABASE_URL=mysql://root:p@ss@10.0.0.5/shop?ssl=1",
                  "DATABASE_URL=mysql://root:[REDACTED]@10.0.0.5/shop?ssl=1", kRule);
  expect_redacted("redis://:foobared@cache:6379/0", "redis://:[REDACTED]@cache:6379/0", kRule);
  expect_redacted(
      "https_proxy=http://bob:pw@proxy.corp:3128 and git+ssh://git:x@host/r",
      "https_proxy=http://bob:[REDACTED]@proxy.corp:3128 and git+ssh://git:[REDACTED]@host/r",
      kRule, 2);
  expect_kept("ssh://git@github.com/org/repo.git");
  expect_kept("http://[::1]:8080/path?user=a@b");
  expect_kept("see https://example.org:443/x mail alice@example.org");
}

TEST(AuthHeaderRule, KeepsTheSchemeAndRedactsCredentials) {
  constexpr std::string_view kRule = "http_authorization";
  expect_redacted("> Authorization: Bearer abc.def-ghi", "> Authorization: Bearer [REDACTED]",
                  kRule);
  expect_redacted("> authorization: Basic dXNlcjpwYXNz==", "> authorization: Basic [REDACTED]",
                  kRule);
  expect_redacted("Proxy-Authorization: Basic Ym9iOnB3", "Proxy-Authorization: Basic [REDACTED]",
                  kRule);
  expect_redacted("Authorization: AWS4-HMAC-SHA256 Credential=x/20240101, Signature=ab12",
                  "Authorization: AWS4-HMAC-SHA256 [REDACTED]", kRule);
  expect_redacted("Authorization: s3cr3t", "Authorization: [REDACTED]", kRule);
  expect_redacted(R"(curl -H "Authorization: token abc123" https://api.example.org)",
                  R"(curl -H "Authorization: token [REDACTED]" https://api.example.org)", kRule);
  expect_redacted(R"({"headers":{"Authorization":"Bearer abc123","Host":"x"}})",
                  R"({"headers":{"Authorization":"Bearer [REDACTED]","Host":"x"}})", kRule);
  expect_redacted("level=info authorization=Basic Zm9v status=200",
                  "level=info authorization=Basic [REDACTED] status=200", kRule);
  expect_kept("authorization failed for user bob");
  expect_kept("preauthorization: none");
}

TEST(BearerRule, RedactsABareBearerToken) {
  constexpr std::string_view kRule = "bearer_token";
  expect_redacted("sending bearer 9f8e7d6c5b4a to upstream",
                  "sending bearer [REDACTED] to upstream", kRule);
  expect_redacted("token=\"Bearer dGVzdA==\"", "token=\"Bearer [REDACTED]\"", kRule);
  expect_kept("Bearer token expired, please log in");
  expect_kept(R"(WWW-Authenticate: Bearer realm="api", error="invalid_token")");
}

TEST(PrivateKeyRule, ReplacesWholeBlocksWithOneMarker) {
  for (std::string_view label :
       {"RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY",
        "OPENSSH PRIVATE KEY", "PGP PRIVATE KEY BLOCK", "DSA PRIVATE KEY"}) {
    const std::string block = "-----BEGIN " + std::string(label) +
                              "-----\nProc-Type: 4,ENCRYPTED\nMIIEowIBAAKCAQEA0Z3\nq7Tz+/w==\n"
                              "-----END " +
                              std::string(label) + "-----";
    expect_redacted("key:\n" + block + "\ndone", "key:\n[REDACTED PRIVATE KEY]\ndone",
                    "private_key");
  }
}

TEST(PrivateKeyRule, KeepsCertificatesAndPublicKeys) {
  expect_kept("-----BEGIN CERTIFICATE-----\nMIIB=\n-----END CERTIFICATE-----\n");
  expect_kept("-----BEGIN PUBLIC KEY-----\nMIIB=\n-----END PUBLIC KEY-----\n");
}

TEST(TokenRules, RedactCloudTokensKeepingTheirPrefix) {
  expect_redacted("aws_access_key_id = AKIAIOSFODNN7EXAMPLE", "aws_access_key_id = AKIA[REDACTED]",
                  "aws_access_key_id");
  expect_redacted("id ASIAY34FZKBOKMUTVV7A,", "id ASIA[REDACTED],", "aws_access_key_id");
  expect_redacted("key=AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY&x=1", "key=AIza[REDACTED]&x=1",
                  "google_api_key");
  expect_redacted("remote https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r",
                  "remote https://ghp_[REDACTED]@github.com/o/r", "github_token");
  expect_redacted("GH github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
                  "GH github_pat_[REDACTED]", "github_token");
  expect_redacted("slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOp", "slack xoxb-[REDACTED]",
                  "slack_token");
  expect_redacted(
      "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Zm9vYmFyYmF6cXV4cXV1eA==;"
      "EndpointSuffix=core.windows.net",
      "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=[REDACTED];"
      "EndpointSuffix=core.windows.net",
      "azure_account_key");
  expect_redacted("enroll --token hle_Qm9vbGVhbkJ1dEJldHRlcjEyMzQ1Njc4OTAxMjM0NTY3",
                  "enroll --token hle_[REDACTED]", "helpline_token");
  expect_redacted("X hlt_aaaaaaaaaaaaaaaaaaaaaaaa-_bbb", "X hlt_[REDACTED]", "helpline_token");
}

TEST(TokenRules, RedactJwtsWhole) {
  constexpr std::string_view kJwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
      "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
  expect_redacted("id_token=" + std::string(kJwt) + " next", "id_token=[REDACTED] next", "jwt");
  expect_redacted("unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOjF9.", "unsigned [REDACTED]", "jwt");
}

TEST(TokenRules, KeepLookAlikes) {
  for (std::string_view text : {
           "AKIAIOSFODNN7EXAMPL short, AKIAIOSFODNN7EXAMPLEX long, XAKIAIOSFODNN7EXAMPLE",
           "ghost_protocol ghp_short gh_pages xoxo-hugs",
           "hle_unknown hlt_nonsense",
           "eyJhbGciOiJIUzI1NiJ9 alone, eyJ.x.y too short",
           "AccountName=acct;",
       }) {
    expect_kept(text);
  }
}

TEST(FalsePositives, OrdinaryLogTextStaysIntact) {
  for (std::string_view text : {
           "password change succeeded",
           "token expired",
           "Nov 12 10:00:01 web1 sshd[2211]: Failed password for invalid user admin from "
           "203.0.113.7 port 52311 ssh2",
           "Nov 12 10:00:02 web1 sshd[2214]: Accepted publickey for alice from 10.0.0.5 port "
           "51234 ssh2: RSA SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
           "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  /tmp/empty",
           "sha1=da39a3ee5e6b4b0d3255bfef95601890afd80709 md5 d41d8cd98f00b204e9800998ecf8427e",
           "request 123e4567-e89b-12d3-a456-426614174000 done in 12 ms",
           "Nov 12 10:01:00 web1 systemd-logind[612]: New session 42 of user alice.",
           "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
           "kernel: Key type dns_resolver registered",
           "The authentication token manipulation error was resolved",
           "Please enter your password: ",
       }) {
    expect_kept(text);
  }
}

}  // namespace
}  // namespace helpline::redact::testing
