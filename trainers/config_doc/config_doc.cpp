#include "trainers/config_doc/config_doc.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/strings.h"
#include "trainers/experiment.h"

namespace strata {

namespace {

constexpr const char* kRequired = "(required)";
constexpr const char* kOptional = "(optional)";

// What one (section, key, variant) was read as, over every probe.
struct Seen {
  std::string type, default_text;
};

// A key read as required anywhere (for this variant) is required; else a default beats
// "(optional)" (a key found by hand and then read with a default).
void merge(Seen& s, const KeyUse& u) {
  if (s.type.empty()) s.type = u.type;
  if (s.default_text == kRequired) return;
  if (u.default_text == kRequired || s.default_text.empty() || s.default_text == kOptional)
    s.default_text = u.default_text;
}

std::string full_path(const std::string& section, const std::string& key) {
  return section.empty() ? key : section + "." + key;
}

const KeyMeaning* find_meaning(const std::string& section, const std::string& key,
                               const std::string& variant) {
  const KeyMeaning* any = nullptr;
  for (const KeyMeaning& m : key_meanings()) {
    if (section != m.section || key != m.key) continue;
    if (variant == m.variant) return &m;
    if (std::string(m.variant).empty()) any = &m;
  }
  return any;
}

}  // namespace

Schema collect_schema() {
  SchemaRecorder rec;
  for (const SchemaProbe& p : schema_probes()) {
    try {
      parse_experiment(p.yaml, std::string("probe '") + p.name + "'");
    } catch (const Error& e) {
      STRATA_THROW("config-doc: the probe '" << p.name << "' (trainers/config_doc/probes.cpp) "
                                             << "does not parse: " << e.message());
    }
  }
  Schema schema;
  schema.scopes = rec.scopes();

  // (section, key) in order of first use -> variant -> what it was read as.
  std::vector<std::pair<std::string, std::string>> order;
  std::map<std::pair<std::string, std::string>, std::map<std::string, Seen>> seen;
  std::map<std::string, std::set<std::string>> section_variants;
  // In a section whose maps have a kind or type of their own, a key read before it was known
  // (the kind itself) belongs to every kind, whatever the variant around it.
  std::set<std::string> own_sections;
  for (const KeyUse& u : rec.uses())
    if (u.own_variant) own_sections.insert(u.section);
  for (KeyUse u : rec.uses()) {
    if (!u.own_variant && !u.variant.empty()) schema.section_contexts[u.section].insert(u.variant);
    if (own_sections.count(u.section) && !u.own_variant) u.variant.clear();
    const auto id = std::make_pair(u.section, u.key);
    if (!seen.count(id)) order.push_back(id);
    merge(seen[id][u.variant], u);
    if (!u.variant.empty()) section_variants[u.section].insert(u.variant);
    if (std::find(schema.sections.begin(), schema.sections.end(), u.section) ==
        schema.sections.end())
      schema.sections.push_back(u.section);
  }
  // Keep the top level first and the shared sections ("@...") last, each group in order of use.
  std::stable_partition(schema.sections.begin(), schema.sections.end(),
                        [](const std::string& s) { return s.empty(); });
  std::stable_partition(schema.sections.begin(), schema.sections.end(),
                        [](const std::string& s) { return s.empty() || s[0] != '@'; });

  std::set<std::pair<std::string, std::string>> used_meanings;
  for (const std::string& section : schema.sections) {
    for (const auto& id : order) {
      if (id.first != section) continue;
      std::map<std::string, Seen> by_variant = seen[id];
      // A key read before its map's variant was known applies to every variant.
      if (by_variant.count("")) by_variant = {{"", by_variant[""]}};
      std::vector<SchemaRow> rows;
      for (const auto& [variant, s] : by_variant) {
        SchemaRow r{section, id.second, {}, s.type, s.default_text, ""};
        if (!variant.empty()) r.variants = {variant};
        const KeyMeaning* m = find_meaning(section, id.second, variant);
        const std::string where = "'" + full_path(section, id.second) + "'" +
                                  (variant.empty() ? "" : " (" + variant + ")");
        if (!m) {
          schema.problems.push_back(where + " has no meaning in trainers/config_doc/meanings.cpp");
        } else {
          used_meanings.insert({std::string(m->key), std::string(m->section) + "|" + m->variant});
          r.meaning = m->meaning;
          if (m->type) {
            if (!r.type.empty())
              schema.problems.push_back(where +
                                        ": meanings.cpp gives a type, but the parser "
                                        "says '" +
                                        r.type + "'; remove it there");
            r.type = m->type;
          }
          if (m->default_text) {
            if (r.default_text != kOptional)
              schema.problems.push_back(where +
                                        ": meanings.cpp gives a default, but the "
                                        "parser says '" +
                                        r.default_text + "'; remove it there");
            r.default_text = m->default_text;
          }
        }
        if (r.type.empty())
          schema.problems.push_back(where + ": no type (read by hand); give one in meanings.cpp");
        // One row for the variants that read the key alike.
        auto same = std::find_if(rows.begin(), rows.end(), [&](const SchemaRow& o) {
          return o.type == r.type && o.default_text == r.default_text && o.meaning == r.meaning;
        });
        if (same != rows.end())
          same->variants.insert(same->variants.end(), r.variants.begin(), r.variants.end());
        else
          rows.push_back(r);
      }
      for (SchemaRow& r : rows) {
        const std::set<std::string> vs(r.variants.begin(), r.variants.end());
        if (!vs.empty() && vs == section_variants[section]) r.variants.clear();
        schema.rows.push_back(std::move(r));
      }
    }
  }
  // Meanings of keys that no parser reads, and section introductions of no section.
  for (const KeyMeaning& m : key_meanings()) {
    const std::string key = m.key;
    if (key.empty()) {
      if (std::find(schema.sections.begin(), schema.sections.end(), m.section) ==
          schema.sections.end())
        schema.problems.push_back("meanings.cpp introduces the section '" + std::string(m.section) +
                                  "', which no parser reads; remove it");
      continue;
    }
    if (!used_meanings.count({key, std::string(m.section) + "|" + m.variant}))
      schema.problems.push_back(
          "meanings.cpp explains '" + full_path(m.section, key) + "'" +
          (std::string(m.variant).empty() ? "" : " (" + std::string(m.variant) + ")") +
          ", which no parser reads that way; remove or fix it");
  }
  return schema;
}

namespace {

std::string heading(const std::string& section) {
  if (section.empty()) return "Top level";
  if (section[0] != '@') return "`" + section + "`";
  const size_t dot = section.find_first_of(".[");
  const std::string name = section.substr(1, dot == std::string::npos ? dot : dot - 1);
  const std::string rest = dot == std::string::npos ? "" : section.substr(dot);
  return "`<" + name + ">" + rest + "` (shared)";
}

// Whether a row read under `variants` may link to a section read under `contexts` (either
// empty: no restriction).
bool overlaps(const std::vector<std::string>& variants, const std::set<std::string>& contexts) {
  if (variants.empty() || contexts.empty()) return true;
  for (const std::string& v : variants)
    if (contexts.count(v)) return true;
  return false;
}

// GitHub's anchor of a heading: lower case, punctuation dropped, spaces to '-'.
std::string anchor(const std::string& text) {
  std::string a;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_')
      a += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    else if (c == ' ')
      a += '-';
  }
  return a;
}

std::string cell(std::string s) {
  std::string out;
  for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

std::string code(const std::string& s) {
  return "`" + s + "`";
}

std::string default_cell(const std::string& d) {
  if (d == kRequired) return "required";
  if (d == kOptional) return "—";
  if (d.find(' ') != std::string::npos) return d;  // words: "as in trainer.pretrain"
  return code(d.empty() ? "\"\"" : d);
}

std::string intro_of(const std::string& section) {
  for (const KeyMeaning& m : key_meanings())
    if (section == m.section && std::string(m.key).empty()) return m.meaning;
  return "";
}

}  // namespace

std::string render_configuration_md(const Schema& schema) {
  std::ostringstream o;
  o << "# Configuration reference\n\n"
    << "<!-- Generated by `strata config-doc --out docs/configuration.md` from the parsers\n"
    << "     (trainers/config_doc/). Do not edit: the test trainers_config_doc fails when this\n"
    << "     file and the parsers disagree. -->\n\n"
    << intro_of("") << "\n\n"
    << "In the tables, **For** names the trainer kinds, layer types or section kinds that read the "
       "key (blank: all of them); **Default** is the value used when the key is left out "
       "(*required*: it must be given; —: leaving it out turns the feature off, see the "
       "meaning). Sections written `<model>`, `<optimizer>`… are shared: each is read the same "
       "way at every place listed under it.\n\n";
  o << "Sections:";
  for (const std::string& s : schema.sections)
    o << (s == schema.sections.front() ? " " : ", ") << "[" << heading(s) << "](#"
      << anchor(heading(s)) << ")";
  o << ".\n";

  std::set<std::string> section_set(schema.sections.begin(), schema.sections.end());
  for (const std::string& section : schema.sections) {
    o << "\n## " << heading(section) << "\n\n";
    if (section != "" && !intro_of(section).empty()) o << intro_of(section) << "\n\n";
    if (!section.empty() && section[0] == '@' && section.find_first_of(".[") == std::string::npos) {
      std::vector<std::string> at;
      for (const ScopeUse& u : schema.scopes) {
        if (u.name != section) continue;
        const std::string place = code(u.at) + (u.variant.empty() ? "" : " (" + u.variant + ")");
        if (std::find(at.begin(), at.end(), place) == at.end()) at.push_back(place);
      }
      o << "Read at: " << join(at, ", ") << ".\n\n";
    }
    bool any_variant = false;
    for (const SchemaRow& r : schema.rows)
      if (r.section == section && !r.variants.empty()) any_variant = true;
    o << "| Key |" << (any_variant ? " For |" : "") << " Type | Default | Meaning |\n"
      << "|---|" << (any_variant ? "---|" : "") << "---|---|---|\n";
    for (const SchemaRow& r : schema.rows) {
      if (r.section != section) continue;
      std::string meaning = r.meaning;
      const std::string path = full_path(section, r.key);
      const std::string sub = drop_indices(path);
      for (const std::string& target : {sub, sub + "[]"}) {
        const auto contexts = schema.section_contexts.find(target);
        if (section_set.count(target) && target != section &&
            overlaps(r.variants, contexts == schema.section_contexts.end() ? std::set<std::string>{}
                                                                           : contexts->second))
          meaning += " See [" + heading(target) + "](#" + anchor(heading(target)) + ").";
      }
      std::set<std::string> linked;
      for (const ScopeUse& u : schema.scopes) {
        if (u.at != sub || linked.count(u.name)) continue;
        if (!overlaps(r.variants, u.variant.empty() ? std::set<std::string>{}
                                                    : std::set<std::string>{u.variant}))
          continue;
        linked.insert(u.name);
        meaning += " See [" + heading(u.name) + "](#" + anchor(heading(u.name)) + ").";
      }
      o << "| " << code(r.key) << " |";
      if (any_variant) {
        std::vector<std::string> vs;
        for (const std::string& v : r.variants) vs.push_back(code(v));
        o << " " << join(vs, ", ") << " |";
      }
      o << " " << cell(r.type) << " | " << cell(default_cell(r.default_text)) << " | "
        << cell(meaning) << " |\n";
    }
  }
  return o.str();
}

}  // namespace strata
