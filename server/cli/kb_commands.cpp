// `helpline kb list|search|show|create|edit|delete|link`: the knowledge base
// through /api/v1/kb and a ticket's /kb link. `edit` reads the article,
// changes what was given and sends it back with the version it read, so an
// edit made meanwhile by someone else is refused rather than overwritten.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/core/files.h"
#include "helpline/v1/api.pb.h"
#include "server/api/json_codec.h"
#include "server/cli/api_fetch.h"
#include "server/cli/table.h"

namespace helpline::cli {

using relay::api::to_json;

namespace {

struct KbArgs {
  // list / search filters
  std::vector<std::string> words;
  std::string category, finding, action, audience, cursor;
  unsigned limit = 0;
  // show / create / edit / delete / link
  std::string id, title, body, body_file, ticket, reason;
  std::vector<std::string> findings, actions;
  bool unlink = false;
};

[[nodiscard]] std::string article_path(const std::string& id) {
  return "/api/v1/kb/" + url_encode(id);
}

int list_articles(const KbArgs& a, bool search, const Output& out) {
  std::string query;
  if (search) {
    std::string words;
    for (const auto& w : a.words) words += (words.empty() ? "" : " ") + w;
    add_query(query, "q", words);
  }
  if (!a.category.empty()) add_query(query, "category", a.category);
  if (!a.finding.empty()) add_query(query, "finding", a.finding);
  if (!a.action.empty()) add_query(query, "action", a.action);
  if (!a.audience.empty()) add_query(query, "audience", a.audience);
  if (a.limit != 0) add_query(query, "limit", std::to_string(a.limit));
  if (!a.cursor.empty()) add_query(query, "cursor", a.cursor);
  v1::api::KbArticleList list;
  if (int rc = fetch("GET", "/api/v1/kb" + query, list); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(list) << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& article : list.articles()) {
    rows.push_back({article.id(), article.category(), article.audience(), article.title()});
    if (search && !article.snippet().empty())
      rows.push_back({"", "", "", "  " + article.snippet()});
  }
  print_table(std::cout, {"ARTICLE", "CATEGORY", "AUDIENCE", "TITLE"}, rows);
  if (!list.next_cursor().empty()) std::cout << "more: --cursor " << list.next_cursor() << "\n";
  return 0;
}

void print_article(const v1::api::KbArticle& a) {
  auto joined = [](const auto& items) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
    return out.empty() ? std::string("-") : out;
  };
  std::cout << a.id() << "  " << a.title() << "\n"
            << "category:  " << a.category() << ", audience " << a.audience() << ", version "
            << a.version() << "\n"
            << "findings:  " << joined(a.finding_rules()) << "\n"
            << "actions:   " << joined(a.actions()) << "\n"
            << "written:   " << a.created_at() << " by " << a.created_by() << ", updated "
            << a.updated_at() << " by " << a.updated_by() << "\n\n"
            << a.body() << "\n";
}

int show_article(const KbArgs& a, const Output& out) {
  v1::api::KbArticle article;
  if (int rc = fetch("GET", article_path(a.id), article); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(article) << "\n";
  } else {
    print_article(article);
  }
  return 0;
}

// --body or --body-file into `article`; false (after reporting) on failure.
[[nodiscard]] bool take_body(const KbArgs& a, v1::api::KbArticle& article) {
  if (!a.body_file.empty()) {
    auto text = files::read(a.body_file, 64u << 10);
    if (!text) {
      report_failure(text.error());
      return false;
    }
    article.set_body(*text);
  } else if (!a.body.empty()) {
    article.set_body(a.body);
  }
  return true;
}

int write_article(const KbArgs& a, CLI::App& command, bool edit, const Output& out) {
  v1::api::KbArticle article;
  if (edit) {
    if (int rc = fetch("GET", article_path(a.id), article); rc != 0) return rc;
    for (auto* server_side :
         {article.mutable_created_at(), article.mutable_created_by(), article.mutable_updated_at(),
          article.mutable_updated_by(), article.mutable_snippet()}) {
      server_side->clear();
    }
  } else {
    article.set_id(a.id);
  }
  if (!a.title.empty()) article.set_title(a.title);
  if (!take_body(a, article)) return 1;
  if (!a.category.empty()) article.set_category(a.category);
  if (!a.audience.empty()) article.set_audience(a.audience);
  if (command.get_option("--finding")->count() > 0) {
    article.clear_finding_rules();
    for (const auto& f : a.findings) {
      if (!f.empty()) article.add_finding_rules(f);
    }
  }
  if (command.get_option("--action")->count() > 0) {
    article.clear_actions();
    for (const auto& x : a.actions) {
      if (!x.empty()) article.add_actions(x);
    }
  }
  v1::api::KbArticle stored;
  const std::string path = edit ? article_path(a.id) : "/api/v1/kb";
  if (int rc = fetch(edit ? "PUT" : "POST", path, stored, to_json(article)); rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(stored) << "\n";
  } else {
    std::cout << "Article " << stored.id() << " " << (edit ? "updated" : "created") << " (version "
              << stored.version() << ").\n";
  }
  return 0;
}

int delete_article(const KbArgs& a) {
  auto client = logged_in_client();
  if (!client) return report_failure(client.error());
  auto reply = call_api(*client, "DELETE", article_path(a.id));
  if (!reply) return report_failure(reply.error());
  std::cout << "Article " << a.id << " deleted.\n";
  return 0;
}

int link_article(const KbArgs& a, const Output& out) {
  v1::api::Ticket ticket;
  const std::string base = "/api/v1/tickets/" + url_encode(a.ticket) + "/kb";
  int rc = 0;
  if (a.unlink) {
    rc = fetch("DELETE", base + "/" + url_encode(a.id), ticket);
  } else {
    v1::api::LinkArticleRequest body;
    body.set_article(a.id);
    body.set_reason(a.reason);
    rc = fetch("POST", base, ticket, to_json(body));
  }
  if (rc != 0) return rc;
  if (out.json) {
    std::cout << to_json(ticket) << "\n";
  } else {
    std::cout << "Article " << a.id << (a.unlink ? " unlinked from " : " linked to ")
              << ticket.display_id() << ".\n";
  }
  return 0;
}

void add_filters(CLI::App* command, KbArgs& a, Output& out) {
  command->add_option("--category", a.category, "Only this category");
  command->add_option("--finding", a.finding, "Only articles about this finding rule");
  command->add_option("--action", a.action, "Only articles about this catalog action");
  command->add_option("--audience", a.audience, "public: only what end users see");
  command->add_option("--limit", a.limit, "Articles per page (default 50, at most 200)")
      ->check(CLI::Range(1u, 200u));
  command->add_option("--cursor", a.cursor, "The next_cursor of a previous page");
  command->add_flag("--json", out.json, "Print JSON");
}

void add_fields(CLI::App* command, KbArgs& a, Output& out) {
  command->add_option("--body", a.body, "The text (plain or Markdown)");
  command->add_option("--body-file", a.body_file, "Read the text from this file")
      ->check(CLI::ExistingFile);
  command->add_option("--category", a.category, "hardware, software, network, ...");
  command->add_option("--audience", a.audience, "internal (technicians) or public (end users too)");
  command->add_option("--finding", a.findings,
                      "Finding rule it explains (repeat; \"\" clears on edit)");
  command->add_option("--action", a.actions,
                      "Catalog action it documents (repeat; \"\" clears on edit)");
  command->add_flag("--json", out.json, "Print JSON");
}

}  // namespace

std::function<std::optional<int>()> add_kb_commands(CLI::App& app, Output& out) {
  auto a = std::make_shared<KbArgs>();
  auto* kb = app.add_subcommand("kb", "The knowledge base: articles technicians and users read");
  kb->require_subcommand(1);
  auto* list = kb->add_subcommand("list", "List articles by id");
  add_filters(list, *a, out);
  auto* search = kb->add_subcommand("search", "Full-text search, best matches first");
  search->add_option("WORDS", a->words, "Words to look for")->required();
  add_filters(search, *a, out);
  auto* show = kb->add_subcommand("show", "Show one article");
  show->add_option("ID", a->id, "Article id, e.g. KB-0042")->required();
  show->add_flag("--json", out.json, "Print JSON");
  auto* create = kb->add_subcommand("create", "Write a new article (l2 and above)");
  create->add_option("--title", a->title, "One line")->required();
  create->add_option("--id", a->id, "Its id (default: the next KB-number)");
  add_fields(create, *a, out);
  auto* edit = kb->add_subcommand("edit", "Change an article (l2 and above)");
  edit->add_option("ID", a->id, "Article id")->required();
  edit->add_option("--title", a->title, "One line");
  add_fields(edit, *a, out);
  auto* remove = kb->add_subcommand("delete", "Delete an article (l2 and above)");
  remove->add_option("ID", a->id, "Article id")->required();
  auto* link = kb->add_subcommand("link", "Link an article to a ticket (recorded in its history)");
  link->add_option("ID", a->id, "Article id")->required();
  link->add_option("TICKET", a->ticket, "Ticket id (HL-12)")->required();
  link->add_option("--reason", a->reason, "Why it applies");
  link->add_flag("--unlink", a->unlink, "Remove the link instead");
  link->add_flag("--json", out.json, "Print JSON");
  return [=, &out]() -> std::optional<int> {
    if (*list) return list_articles(*a, false, out);
    if (*search) return list_articles(*a, true, out);
    if (*show) return show_article(*a, out);
    if (*create) return write_article(*a, *create, false, out);
    if (*edit) return write_article(*a, *edit, true, out);
    if (*remove) return delete_article(*a);
    if (*link) return link_article(*a, out);
    return std::nullopt;
  };
}

}  // namespace helpline::cli
