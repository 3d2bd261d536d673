// A run folder's checkpoints/: step-<9 digits>.h5 files, the last `keep` of them kept, and a
// `latest` text file naming the newest (written atomically, like the checkpoints).
// resolve_checkpoint turns what a user typed (a file, a checkpoints/ folder, a run folder) into
// one checkpoint file.
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "trainers/run/checkpoint.h"

namespace strata {

namespace fs = std::filesystem;

namespace {

// The step of a "step-<digits>.h5" name, or -1 for any other name.
int64_t step_of(const std::string& name) {
  const std::string prefix = "step-", suffix = ".h5";
  if (name.size() <= prefix.size() + suffix.size() || name.rfind(prefix, 0) != 0 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return -1;
  const std::string digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoll(digits);
}

// The name written in dir/latest (trimmed), or "" when there is no such file.
std::string read_latest_name(const std::string& dir) {
  std::ifstream in(fs::path(dir) / "latest");
  if (!in) return "";
  std::string name;
  std::getline(in, name);
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  name.erase(name.begin(), std::find_if(name.begin(), name.end(), not_space));
  name.erase(std::find_if(name.rbegin(), name.rend(), not_space).base(), name.end());
  return name;
}

// dir/name, or name itself when `latest` holds an absolute path.
std::string in_dir(const std::string& dir, const std::string& name) {
  return fs::path(name).is_absolute() ? name : (fs::path(dir) / name).string();
}

void write_latest(const std::string& dir, const std::string& name) {
  write_text_atomically((fs::path(dir) / "latest").string(), name + "\n");
}

}  // namespace

CheckpointDir::CheckpointDir(std::string dir, int keep) : dir_(std::move(dir)), keep_(keep) {
  STRATA_CHECK(keep >= 1, dir_ << ": keeping " << keep
                               << " checkpoints; set the number of checkpoints to keep to 1 or "
                                  "more");
  std::error_code ec;
  fs::create_directories(dir_, ec);
  STRATA_CHECK(!ec && fs::is_directory(dir_),
               dir_ << ": cannot create the checkpoints folder ("
                    << (ec ? ec.message() : "a file of that name exists")
                    << "); check that the run folder is writable");
}

std::string CheckpointDir::save(const StateRegistry& state, const CheckpointMeta& meta) {
  STRATA_CHECK(meta.pos.global_step >= 0, dir_ << ": a checkpoint at global step "
                                               << meta.pos.global_step
                                               << "; this is a bug in the caller");
  char name[32];
  std::snprintf(name, sizeof(name), "step-%09lld.h5", static_cast<long long>(meta.pos.global_step));
  const std::string path = (fs::path(dir_) / name).string();
  write_checkpoint(path, state, meta);
  write_latest(dir_, name);

  // Keep the file just written and the keep - 1 others of the highest steps (a run resumed from
  // an earlier checkpoint may leave files of higher steps; `latest` still names the right one).
  std::vector<std::pair<int64_t, fs::path>> others;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir_, ec)) {
    const std::string file = e.path().filename().string();
    const int64_t step = step_of(file);
    if (step >= 0 && file != name && e.is_regular_file()) others.emplace_back(step, e.path());
  }
  std::sort(others.begin(), others.end(),
            [](const auto& a, const auto& b) { return a.first > b.first; });
  for (size_t i = static_cast<size_t>(keep_ - 1); i < others.size(); ++i) {
    fs::remove(others[i].second, ec);  // best effort: a file we cannot delete only costs space
  }
  return path;
}

std::optional<std::string> CheckpointDir::latest() const {
  const std::string name = read_latest_name(dir_);
  if (name.empty()) return std::nullopt;
  const std::string path = in_dir(dir_, name);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  return path;
}

std::string resolve_checkpoint(const std::string& path_or_dir) {
  const std::string& p = path_or_dir;
  std::error_code ec;
  STRATA_CHECK(fs::exists(p, ec),
               p << ": no such file or folder; pass a checkpoint (.h5), a run's checkpoints/ "
                    "folder or a run folder");
  if (!fs::is_directory(p, ec)) return p;  // a file: read_checkpoint checks what it is
  const std::string candidates[] = {p, (fs::path(p) / "checkpoints").string()};
  for (const std::string& dir : candidates) {
    const std::string name = read_latest_name(dir);
    if (name.empty()) continue;
    const std::string path = in_dir(dir, name);
    STRATA_CHECK(fs::is_regular_file(path, ec),
                 (fs::path(dir) / "latest").string()
                     << " names " << name << ", which does not exist; pass one of the step-*.h5 "
                     << "files of " << dir << " instead");
    return path;
  }
  STRATA_THROW(p << ": no checkpoint found: looked for " << (fs::path(p) / "latest").string()
                 << " (a checkpoints/ folder) and "
                 << (fs::path(p) / "checkpoints" / "latest").string()
                 << " (a run folder); pass a checkpoint (.h5) file, or a run that has saved one");
}

}  // namespace strata
