#include <gtest/gtest.h>
#include <signal.h>

#include "common/session/session.h"

namespace helpline::session {
namespace {

TEST(SessionPolicy, StricterWinsAndNamesParse) {
  EXPECT_EQ(stricter(Policy::kUnattended, Policy::kPrompt), Policy::kPrompt);
  EXPECT_EQ(stricter(Policy::kPrompt, Policy::kUnattended), Policy::kPrompt);
  EXPECT_EQ(stricter(Policy::kNotify, Policy::kUnattended), Policy::kNotify);
  for (auto p : {Policy::kPrompt, Policy::kNotify, Policy::kUnattended}) {
    auto parsed = parse_policy(to_string(p));
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, p);
  }
  auto bad = parse_policy("whenever");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, "bad_policy");
}

TEST(SessionCapabilities, ParsesSortsAndRefusesUnknownOnes) {
  auto caps = parse_capabilities(" shell,files , shell");
  ASSERT_TRUE(caps);
  EXPECT_EQ(*caps, (std::vector<std::string>{"files", "shell"}));
  auto unknown = parse_capabilities("shell,teleport");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, "bad_capability");
  EXPECT_NE(unknown.error().message.find("teleport"), std::string::npos);
  EXPECT_FALSE(parse_capabilities(""));
  EXPECT_FALSE(parse_capabilities(",,"));
}

TEST(SessionLimits, WindowTermReasonAndIds) {
  EXPECT_EQ(check_window(80, 24), "");
  EXPECT_NE(check_window(0, 24), "");
  EXPECT_NE(check_window(100000, 24), "");
  EXPECT_NE(check_window(80, 1001), "");
  EXPECT_TRUE(is_term_name("xterm-256color"));
  EXPECT_FALSE(is_term_name("xterm;rm -rf /"));
  EXPECT_FALSE(is_term_name(""));
  EXPECT_EQ(check_reason("printer queue stuck"), "");
  EXPECT_NE(check_reason(""), "");
  EXPECT_NE(check_reason("line\nbreak"), "");
  EXPECT_NE(check_reason(std::string(kMaxReason + 1, 'x')), "");
  EXPECT_NE(check_reason("\xff\xfe"), "");
  EXPECT_TRUE(is_session_id("ses_0123456789abcdef"));
  EXPECT_FALSE(is_session_id("ses_0123456789ABCDEF"));
  EXPECT_FALSE(is_session_id("ses_012"));
  EXPECT_EQ(signal_number("INT"), SIGINT);
  EXPECT_FALSE(signal_number("SEGV").has_value());
}

TEST(SessionFraming, DecodesAnySplit) {
  std::string stream = frame("one") + frame("") + frame(std::string(1000, 'x'));
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    MessageDecoder d;
    std::vector<std::string> got;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, split)));
    while (auto m = d.next()) got.push_back(*m);
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(split)));
    while (auto m = d.next()) got.push_back(*m);
    ASSERT_EQ(got.size(), 3u) << "split at " << split;
    EXPECT_EQ(got[0], "one");
    EXPECT_EQ(got[1], "");
    EXPECT_EQ(got[2].size(), 1000u);
  }
}

TEST(SessionFraming, RefusesAnOversizedPrefixAndKeepsTheRest) {
  MessageDecoder d;
  std::string huge("\x7f\xff\xff\xff", 4);
  EXPECT_FALSE(d.feed(huge));
  MessageDecoder header;
  ASSERT_TRUE(header.feed(frame("head") + "raw bytes"));
  EXPECT_EQ(header.next(), "head");
  EXPECT_EQ(header.take_rest(), "raw bytes");
}

TEST(SessionPaths, NormaliseAndRoots) {
  EXPECT_EQ(*normalise_path("/home//ann/./x/../y"), "/home/ann/y");
  EXPECT_EQ(*normalise_path("/../.."), "/");
  EXPECT_FALSE(normalise_path("relative/path"));
  EXPECT_FALSE(normalise_path(""));
  EXPECT_FALSE(normalise_path(std::string("/a\0b", 4)));
  EXPECT_TRUE(is_under("/home/ann", "/home"));
  EXPECT_TRUE(is_under("/home", "/home"));
  EXPECT_FALSE(is_under("/homework", "/home"));
  EXPECT_FALSE(is_under("/etc/passwd", "/home"));
  EXPECT_TRUE(is_under("/etc", "/"));
}

}  // namespace
}  // namespace helpline::session
