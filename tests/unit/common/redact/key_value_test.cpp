// The secret_key_value rule: secret-ish keys in every syntax, and the
// ordinary text around them that must stay.
#include "tests/unit/common/redact/redact_test_util.h"

namespace helpline::redact::testing {
namespace {

constexpr std::string_view kRule = "secret_key_value";

TEST(KeyValueRule, RedactsValuesOfSecretKeysInEverySyntax) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"password=hunter2", "password=[REDACTED]"},
      {"user=bob password=hunter2 port=22", "user=bob password=[REDACTED] port=22"},
      {"login ok; Password: hunter2", "login ok; Password: [REDACTED]"},
      {"DB_PASSWORD = hunter2", "DB_PASSWORD = [REDACTED]"},
      {R"({"user":"bob","password":"hunter2"})", R"({"user":"bob","password":"[REDACTED]"})"},
      {R"({"user": "bob", "api_key": "abc def"})", R"({"user": "bob", "api_key": "[REDACTED]"})"},
      {R"(msg="{\"token\":\"t0k3n\",\"id\":1}")", R"(msg="{\"token\":\"[REDACTED]\",\"id\":1}")"},
      {"{'secret': 'x y z'}", "{'secret': '[REDACTED]'}"},
      {"client_secret := s3cr3t", "client_secret := [REDACTED]"},
      {":passwd => 'hunter2'", ":passwd => '[REDACTED]'"},
      {"GET /cb?code=1&access_token=abc123&state=x",
       "GET /cb?code=1&access_token=[REDACTED]&state=x"},
      {"clientSecret=Zm9v", "clientSecret=[REDACTED]"},
      {"X-Api-Key: 0123456789abcdef", "X-Api-Key: [REDACTED]"},
      {"x-auth-token: abc.def", "x-auth-token: [REDACTED]"},
      {"spring.datasource.password=pw", "spring.datasource.password=[REDACTED]"},
      {"req csrftoken=a1b2c3; other=1", "req csrftoken=[REDACTED]; other=1"},
      {"SMTP_PASS=hunter2", "SMTP_PASS=[REDACTED]"},
      {"psk=MyWifiPassw0rd", "psk=[REDACTED]"},
      {"client-key-data: LS0tLS1CRUdJTg==", "client-key-data: [REDACTED]"},
      {"req sessionid=abc123, path=/", "req sessionid=[REDACTED], path=/"},
      {"credentials=user:pass", "credentials=[REDACTED]"},
  };
  for (const auto& [in, out] : cases) expect_redacted(in, out, kRule);
}

TEST(KeyValueRule, ConfigLineValueRunsToEndOfLine) {
  expect_redacted("password = correct horse battery staple\nuser = bob\n",
                  "password = [REDACTED]\nuser = bob\n", kRule);
  expect_redacted("export GITLAB_TOKEN=glpat-abc  \n", "export GITLAB_TOKEN=[REDACTED]  \n", kRule);
  expect_redacted("docker run -e \"DB_PASSWORD=a b\" img",
                  "docker run -e \"DB_PASSWORD=[REDACTED]\" img", kRule);
  expect_redacted("- DB_PASSWORD=a b\n", "- DB_PASSWORD=[REDACTED]\n", kRule);
  expect_redacted("  - \"POSTGRES_PASSWORD=example pw\"\n",
                  "  - \"POSTGRES_PASSWORD=[REDACTED]\"\n", kRule);
  expect_redacted("  \"token\": abc,\n", "  \"token\": [REDACTED],\n", kRule);
}

TEST(KeyValueRule, CookieHeaderIsRedactedWhole) {
  expect_redacted("Cookie: sid=abc; theme=dark", "Cookie: [REDACTED]", kRule);
  expect_redacted("< Set-Cookie: sid=abc; Path=/; HttpOnly", "< Set-Cookie: [REDACTED]", kRule);
}

TEST(KeyValueRule, RedactsCommandLineFlags) {
  expect_redacted("mysql -u root --password=S3cret -h db",
                  "mysql -u root --password=[REDACTED] -h db", kRule);
  expect_redacted("vault login --token s.abc123 -method=token",
                  "vault login --token [REDACTED] -method=token", kRule);
  expect_redacted("tool -api-key 'k e y' run", "tool -api-key '[REDACTED]' run", kRule);
  expect_kept("tool --password-file /etc/app/pw --no-password -v");
  expect_kept("tool --token -v");
}

TEST(KeyValueRule, RedactsBareConfigLinesOnlyWhenTheValueIsNoWord) {
  expect_redacted("requirepass foobar42\n", "requirepass [REDACTED]\n", kRule);
  expect_redacted("  masterauth Xy9\n", "  masterauth [REDACTED]\n", kRule);
  expect_kept("token expired");
  expect_kept("password changed\n");
  expect_kept("Password Expired");
}

TEST(KeyValueRule, NamesAwsSecretKeysApart) {
  expect_redacted("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                  "aws_secret_access_key = [REDACTED]", "aws_secret_access_key");
  expect_redacted("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG", "AWS_SECRET_ACCESS_KEY=[REDACTED]",
                  "aws_secret_access_key");
  expect_redacted(R"({"SecretAccessKey": "wJalrXUtnFEMI"})", R"({"SecretAccessKey": "[REDACTED]"})",
                  "aws_secret_access_key");
}

TEST(KeyValueRule, KeepsKeysThatOnlyTalkAboutSecrets) {
  for (std::string_view text : {
           "author=alice tokenizer=bpe max_tokens=512 keyboard=us",
           "token_type=Bearer expires_in=3600",
           "password_file=/etc/app/pw session_timeout=30 auth_method=pam",
           "credential_helper=store auth_url=https://id.example.org",
           "PWD=/home/alice OLDPWD=/tmp",
           "pass: 9 fail: 1 bypass=true",
           "public_key=ssh-ed25519 host_key=/etc/ssh/k",
           "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= "
           "rhost=203.0.113.7  user=root",
       }) {
    expect_kept(text);
  }
}

TEST(KeyValueRule, KeepsPlaceholdersAndReferences) {
  for (std::string_view text : {
           "password=",
           "password: ",
           "password=null",
           "token: ~",
           "secret=${APP_SECRET}",
           "POSTGRES_PASSWORD: ${DB_PASSWORD}",
           "token=$GITHUB_TOKEN",
           "password=********",
           "api_key: {{ .Values.apiKey }}",
           "if (password == other)",
           "password != x",
           "[sudo] password for alice: ",
           "std::token::next()",
       }) {
    expect_kept(text);
  }
}

TEST(KeyValueRule, QuotedValuesMayHoldAnything) {
  expect_redacted(R"(password="a \"quoted\" pass word")", R"(password="[REDACTED]")", kRule);
  expect_redacted("password='null'", "password='[REDACTED]'", kRule);
  expect_redacted("password=\"unterminated", "password=\"[REDACTED]", kRule);
}

}  // namespace
}  // namespace helpline::redact::testing
