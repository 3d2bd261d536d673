#include "trainers/run/run_folder.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config/yaml_diff.h"
#include "core/error.h"
#include "trainers/run/checkpoint.h"
#include "trainers/run/event_log.h"
#include "trainers/run/text_file.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

const char* const kRunEntries[] = {"config.yaml", "metrics.jsonl", "loss.png", "checkpoints",
                                   "samples"};

std::vector<std::string> run_entries(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const char* name : kRunEntries)
    if (fs::exists(dir / name, ec)) found.push_back(name);
  if (!events_files(dir.string()).empty()) found.push_back("events.out.tfevents.*");
  return found;
}

std::string list(const std::vector<std::string>& names) {
  std::string s;
  for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
  return s;
}

// Throws unless `theirs` (the experiment already in the folder or checkpoint) and `ours` agree on
// every key that changes the model or its training.
void check_same_experiment(const std::string& where, const std::string& theirs,
                           const std::string& ours) {
  const std::vector<YamlDifference> d = yaml_differences(theirs, ours, keys_free_on_resume());
  STRATA_CHECK(d.empty(), where << " holds a different experiment; these keys differ (there -> "
                                   "now): "
                                << describe_differences(d)
                                << ". Continue it with the same settings, or give another "
                                   "--run-dir for a new run");
}

// A metrics.jsonl line's step ({"step": N, ...}), or -1 when it has none.
int64_t step_of_record(const std::string& line) {
  const std::string key = "{\"step\": ";
  if (line.rfind(key, 0) != 0) return -1;
  char* end = nullptr;
  const long long v = std::strtoll(line.c_str() + key.size(), &end, 10);
  return end == line.c_str() + key.size() ? -1 : v;
}

}  // namespace

const std::vector<std::string>& keys_free_on_resume() {
  static const std::vector<std::string> keys = {"device",
                                                "precision",
                                                "cuda_graphs",
                                                "data.train",
                                                "data.test",
                                                "data.prefetch",
                                                "logging",
                                                "checkpoint",
                                                "distributed.backend",
                                                "distributed.timeout_s",
                                                "distributed.bucket_mb"};
  return keys;
}

RunStart plan_run_start(const std::string& dir_name, const std::string& resume,
                        const std::string& resolved_yaml) {
  const fs::path dir(dir_name);
  std::error_code ec;
  STRATA_CHECK(!fs::exists(dir, ec) || fs::is_directory(dir, ec),
               dir_name << " is a file, not a run folder; give another --run-dir");
  RunStart start;
  start.entries = run_entries(dir);
  const bool holds_run = !start.entries.empty();
  const fs::path config = dir / "config.yaml";
  if (resume.empty()) {
    STRATA_CHECK(!holds_run, "the run folder " << dir_name << " already holds a run ("
                                               << list(start.entries)
                                               << "); continue it with --resume auto, or give "
                                                  "another --run-dir for a new run");
    return start;
  }
  if (resume == "auto") {
    const std::string ckpt_dir = (dir / "checkpoints").string();
    if (fs::exists(fs::path(ckpt_dir) / "latest", ec))
      start.checkpoint = resolve_checkpoint(ckpt_dir);
  } else {
    start.checkpoint = resolve_checkpoint(resume);
  }
  if (!start.checkpoint.empty()) {
    check_same_experiment("the checkpoint " + start.checkpoint,
                          read_checkpoint_meta(start.checkpoint).config_yaml, resolved_yaml);
  }
  if (holds_run && fs::exists(config, ec))
    check_same_experiment("the run folder " + dir_name + " (config.yaml)",
                          read_text_file(config.string()), resolved_yaml);
  // No checkpoint to continue, but an earlier attempt's files: that attempt is started over.
  start.start_over = start.checkpoint.empty() && holds_run;
  return start;
}

std::string begin_run_folder(const std::string& dir_name, const RunStart& start,
                             const std::string& resolved_yaml, int64_t resume_step) {
  const fs::path dir(dir_name);
  std::ostringstream said;
  std::error_code ec;
  if (start.start_over) {
    for (const char* name : {"metrics.jsonl", "loss.png", "samples", "checkpoints"})
      fs::remove_all(dir / name, ec);
    for (const std::string& events : events_files(dir_name)) fs::remove(events, ec);
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))  // loss.png.tmp-<pid>
      if (is_atomic_temp_name(e.path().filename().string())) fs::remove(e.path(), ec);
    said << "no checkpoint in " << dir_name << " yet: starting the run over (removed "
         << list(start.entries) << " of the earlier attempt)";
  } else if (!start.checkpoint.empty()) {
    const fs::path metrics = dir / "metrics.jsonl";
    if (fs::exists(metrics, ec)) {
      const int64_t dropped = truncate_metrics_after(metrics.string(), resume_step);
      if (dropped > 0)
        said << "metrics.jsonl: dropped " << dropped << " record(s) after step " << resume_step
             << " (logged before the stop, logged again now)";
    }
  }
  fs::create_directories(dir / "samples", ec);
  STRATA_CHECK(!ec, "cannot create the run folder " << dir_name << ": " << ec.message()
                                                    << "; check the path and its permissions");
  write_text_atomically((dir / "config.yaml").string(), resolved_yaml);
  return said.str();
}

int64_t truncate_metrics_after(const std::string& path, int64_t step) {
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in, path << ": cannot read the metrics log");
  std::string kept, line;
  int64_t dropped = 0;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // a last line without its newline: half-written, never whole
    if (step_of_record(line) > step) {
      ++dropped;
      continue;
    }
    kept += line + "\n";
  }
  in.close();
  write_text_atomically(path, kept);
  return dropped;
}

}  // namespace strata
