// TensorBoard's events file of a run (logging.tensorboard): the run folder's
//   events.out.tfevents.<seconds>.<host>
// holds, as TFRecords (event_file.h) of Events (tensorboard_event.proto), a file_version record
// and then the scalars of every metrics.jsonl record (tag "<phase>/<name>", at the record's step)
// and the pictures written to samples/ (tag "<phase>/samples", PNG bytes). Each record is written
// with one fwrite and flushed, so a killed run leaves whole records and at worst a torn last one,
// which readers skip. Rank 0 only.
//
// A run folder holds one events file. Opening the log starts a new file (its name sorts after the
// earlier one's) holding the records of the newest earlier file up to the checkpoint's step, then
// removes the earlier files: after a resume every step is in the file once and in order, as in
// metrics.jsonl. A process killed between the new file's rename and the removal leaves both; the
// newest holds everything, and the next start removes the other.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace strata {

class EventLog {
 public:
  // Starts the events file in dir, carrying over the earlier records whose step is at most
  // keep_through (-1: none). Throws naming the path when it cannot be written.
  EventLog(const std::string& dir, int64_t keep_through);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // One Event at step with a scalar "<phase>/<name>" per value (as float; non-finite values too).
  void scalars(int64_t step, const std::string& phase,
               const std::vector<std::pair<std::string, double>>& values);
  // One Event at step with an image: png holds a PNG file's bytes (its size is read from them).
  void image(int64_t step, const std::string& tag, const std::string& png);

  const std::string& path() const { return path_; }
  // Records of the earlier file left out (steps after keep_through).
  int64_t dropped() const { return dropped_; }

 private:
  void append(const std::string& event_bytes);

  std::FILE* f_ = nullptr;
  std::string path_;
  int64_t dropped_ = 0;
};

// Whether a file name is an events file (and not a temporary one being written).
bool is_events_file_name(const std::string& name);
// The events files in dir, by name.
std::vector<std::string> events_files(const std::string& dir);

}  // namespace strata
