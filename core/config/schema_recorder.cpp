#include "core/config/schema_recorder.h"

#include "core/config/yaml_map.h"
#include "core/error.h"

namespace strata {

namespace {
thread_local SchemaRecorder* g_recorder = nullptr;

// Whether `path` is `prefix` or lies under it ("a.b" is under "a", "a[2]" too; "ab" is not).
bool under(const std::string& path, const std::string& prefix) {
  if (prefix.empty()) return true;
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}
}  // namespace

std::string drop_indices(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    out += path[i];
    if (path[i] == '[') {
      while (i + 1 < path.size() && path[i + 1] != ']') ++i;
    }
  }
  return out;
}

SchemaRecorder::SchemaRecorder() {
  STRATA_CHECK(g_recorder == nullptr, "a SchemaRecorder is already recording on this thread");
  frames_.push_back({"", "", ""});
  g_recorder = this;
}

SchemaRecorder::~SchemaRecorder() {
  g_recorder = nullptr;
}

SchemaRecorder* SchemaRecorder::active() {
  return g_recorder;
}

void SchemaRecorder::set_context(const std::string& variant) {
  if (g_recorder) g_recorder->frames_.back().context = variant;
}

const SchemaRecorder::Frame& SchemaRecorder::frame_of(const std::string& map_path) const {
  for (size_t i = frames_.size(); i-- > 1;)
    if (under(map_path, frames_[i].prefix)) return frames_[i];
  return frames_.front();
}

std::string SchemaRecorder::section_of(const std::string& map_path) const {
  const Frame& f = frame_of(map_path);
  std::string rest = drop_indices(map_path.substr(f.prefix.size()));
  if (!rest.empty() && rest[0] == '.') rest.erase(0, 1);
  if (f.name.empty()) return rest;
  if (rest.empty()) return f.name;
  return rest[0] == '[' ? f.name + rest : f.name + "." + rest;
}

void SchemaRecorder::record(const std::string& map_path, const std::string& map_variant,
                            bool own_variant, const std::string& key, const std::string& type,
                            const std::string& default_text) {
  KeyUse u;
  u.section = section_of(map_path);
  u.variant = map_variant.empty() ? frame_of(map_path).context : map_variant;
  u.key = key;
  u.type = type;
  const bool placeholder = default_text == "(required)" || default_text == "(optional)";
  u.default_text = default_note_.empty() || placeholder ? default_text : default_note_;
  u.own_variant = own_variant;
  uses_.push_back(std::move(u));
}

SchemaScope::SchemaScope(const YamlMap& map, const std::string& name) : rec_(g_recorder) {
  if (!rec_) return;
  const std::string variant =
      map.variant().empty() ? rec_->frame_of(map.path()).context : map.variant();
  rec_->scopes_.push_back({name, rec_->section_of(map.path()), variant});
  rec_->frames_.push_back({map.path(), name, ""});
  map.set_variant("");  // inside, only the section's own kind is a variant
}

SchemaScope::~SchemaScope() {
  if (rec_ && g_recorder == rec_) rec_->frames_.pop_back();
}

SchemaDefaultNote::SchemaDefaultNote(const std::string& text) : rec_(g_recorder) {
  if (!rec_) return;
  previous_ = rec_->default_note_;
  rec_->default_note_ = text;
}

SchemaDefaultNote::~SchemaDefaultNote() {
  if (rec_ && g_recorder == rec_) rec_->default_note_ = previous_;
}

}  // namespace strata
