#include "server/tunnel/group_policy.h"

namespace helpline::relay {

Result<std::map<std::string, session::Policy>> consent_policies(Store& store) {
  auto text = store.get_setting(kSessionPoliciesSetting);
  if (!text) return fail(text.error());
  std::map<std::string, session::Policy> out;
  if (!*text) return out;
  std::string_view rest = **text;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    std::string_view entry = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    // A value this relay did not write is read as the strictest policy.
    auto policy = session::parse_policy(entry.substr(eq + 1));
    out[std::string(entry.substr(0, eq))] = policy ? *policy : session::Policy::kPrompt;
  }
  return out;
}

Result<session::Policy> consent_policy_of(Store& store, std::string_view group) {
  auto all = consent_policies(store);
  if (!all) return fail(all.error());
  auto it = all->find(std::string(group));
  return it == all->end() ? session::Policy::kPrompt : it->second;
}

Result<void> set_consent_policy(Store& store, std::string_view group, session::Policy policy) {
  auto all = consent_policies(store);
  if (!all) return fail(all.error());
  (*all)[std::string(group)] = policy;
  std::string text;
  for (const auto& [name, p] : *all) {
    if (!text.empty()) text += ';';
    text += name + "=" + session::to_string(p);
  }
  return store.set_setting(kSessionPoliciesSetting, text);
}

}  // namespace helpline::relay
