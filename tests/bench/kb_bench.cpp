// kb_bench: the knowledge base's full-text search at scale.
//
//   1. Creates --articles articles (default 20,000; title 6 words, body 200
//      words from a 5,000-word vocabulary with a Zipf-like spread) through
//      the store (FTS5 index kept by triggers); prints the create rate.
//   2. --queries times (default 200) each: an FTS5 search (the API's: words
//      as prefix terms, bm25 ranking, first page of 50) for a frequent word,
//      a rare word and two words; and, for comparison, the same single-word
//      searches as LIKE '%word%' over title and body (what a store without
//      FTS5 would have to do: no index helps a leading wildcard). p50 / p99.
//   3. The database size.
//
// Figures are printed, never asserted.
// Usage: kb_bench [--articles N] [--queries N] [--dir PATH]
#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "server/kb/kb.h"
#include "server/store/store.h"
#include "tests/bench/bench_stats.h"

namespace {

namespace fs = std::filesystem;
using Clock = helpline::bench::BenchClock;
using helpline::bench::ms_since;
using helpline::bench::percentile;

struct Options {
  long articles = 20'000;
  long queries = 200;
  fs::path dir;
};

// "w<n>x": distinct made-up words the stemmer leaves alone.
[[nodiscard]] std::string word(std::size_t n) { return "w" + std::to_string(n) + "x"; }

int run(const Options& options) {
  fs::create_directories(options.dir);
  const fs::path db = options.dir / "relay.db";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.string() + suffix);
  auto store = helpline::relay::open_sqlite_store(db);
  if (!store) {
    std::fprintf(stderr, "kb_bench: %s\n", store.error().to_string().c_str());
    return 1;
  }
  helpline::relay::KbStore& kb = (*store)->kb_store();
  std::mt19937_64 random(42);
  constexpr std::size_t kVocabulary = 5000;
  // Zipf-like: word n is picked with weight 1/(n+1).
  std::vector<double> weights(kVocabulary);
  for (std::size_t i = 0; i < kVocabulary; ++i) weights[i] = 1.0 / static_cast<double>(i + 1);
  std::discrete_distribution<std::size_t> pick(weights.begin(), weights.end());
  auto text = [&](int words) {
    std::string out;
    for (int i = 0; i < words; ++i) out += (i == 0 ? "" : " ") + word(pick(random));
    return out;
  };

  std::printf("kb_bench (%s build), %ld articles in %s\n", HELPLINE_BENCH_BUILD_TYPE,
              options.articles, db.c_str());
  auto start = Clock::now();
  for (long i = 0; i < options.articles; ++i) {
    helpline::relay::kb::Article a;
    a.title = text(6);
    a.body = text(200);
    a.category = "other";
    a.created_at = 1'800'000'000'000 + i;
    a.created_by = "bench";
    if (auto made = kb.create_article(std::move(a)); !made) {
      std::fprintf(stderr, "kb_bench: create %ld: %s\n", i, made.error().to_string().c_str());
      return 1;
    }
  }
  const double create_ms = ms_since(start);
  std::printf("create: %.0f articles/s\n",
              static_cast<double>(options.articles) / (create_ms / 1000.0));

  auto measure = [&](const char* name, const std::string& words) {
    helpline::relay::KbQuery q;
    q.match = helpline::relay::kb::search_expression(words).value_or("");
    std::vector<double> times;
    std::size_t rows = 0;
    for (long i = 0; i < options.queries; ++i) {
      auto t0 = Clock::now();
      auto page = kb.search(q);
      times.push_back(ms_since(t0));
      if (!page) {
        std::fprintf(stderr, "kb_bench: %s\n", page.error().to_string().c_str());
        return;
      }
      rows = page->hits.size();
    }
    std::printf("FTS5 %-28s p50 %8.3f ms, p99 %8.3f ms (%zu rows)\n", name, percentile(times, 50),
                percentile(times, 99), rows);
  };
  measure("frequent word:", word(3));
  measure("rare word:", word(4000));
  measure("two words:", word(3) + " " + word(40));

  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(db.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "kb_bench: cannot open %s\n", db.c_str());
    return 1;
  }
  auto like = [&](const char* name, const std::string& w) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(raw,
                       "SELECT id, title FROM kb_articles WHERE title LIKE ?1 OR body LIKE ?1 "
                       "ORDER BY id LIMIT 50",
                       -1, &stmt, nullptr);
    const std::string pattern = "%" + w + "%";
    std::vector<double> times;
    int rows = 0;
    const long runs = std::max(1L, options.queries / 10);  // each one scans every article
    for (long i = 0; i < runs; ++i) {
      sqlite3_bind_text(stmt, 1, pattern.c_str(), -1, SQLITE_TRANSIENT);
      auto t0 = Clock::now();
      rows = 0;
      while (sqlite3_step(stmt) == SQLITE_ROW) ++rows;
      times.push_back(ms_since(t0));
      sqlite3_reset(stmt);
    }
    sqlite3_finalize(stmt);
    std::printf("LIKE %-28s p50 %8.3f ms, p99 %8.3f ms (%d rows, %ld runs)\n", name,
                percentile(times, 50), percentile(times, 99), rows, runs);
  };
  like("frequent word:", word(3));
  like("rare word:", word(4000));
  sqlite3_close(raw);

  helpline::bench::print_database_size(db);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  Options options;
  options.dir = fs::temp_directory_path() / "helpline-kb-bench";
  if (!helpline::bench::parse_flags(
          argc, argv, {{"--articles", &options.articles}, {"--queries", &options.queries}},
          options.dir, "usage: kb_bench [--articles N] [--queries N] [--dir PATH]")) {
    return 2;
  }
  return run(options);
}
