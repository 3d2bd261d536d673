#include "trainers/run/event_log.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"
#include "trainers/run/event_file.h"
#include "trainers/run/tensorboard_event.pb.h"

namespace strata {

namespace {

namespace fs = std::filesystem;
namespace tb = strata::tensorboard;

const char kPrefix[] = "events.out.tfevents.";

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The <seconds> of events.out.tfevents.<seconds>.<host> (0 when it has none).
long long name_seconds(const std::string& name) {
  return std::strtoll(name.c_str() + sizeof(kPrefix) - 1, nullptr, 10);
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  STRATA_CHECK(in, path << ": cannot read the events file");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string serialized(const tb::Event& e) {
  std::string out;
  STRATA_CHECK(e.SerializeToString(&out), "cannot encode a TensorBoard event");
  return out;
}

// Width, height and channels of a PNG from its IHDR chunk.
bool png_size(const std::string& png, int* width, int* height, int* channels) {
  if (png.size() < 26 || png.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      png.compare(12, 4, "IHDR") != 0)
    return false;
  auto be32 = [&](size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(png[at + i]);
    return static_cast<int>(v);
  };
  *width = be32(16);
  *height = be32(20);
  switch (static_cast<unsigned char>(png[25])) {  // the colour type
    case 0:
      *channels = 1;  // grey
      break;
    case 4:
      *channels = 2;  // grey and alpha
      break;
    case 6:
      *channels = 4;  // RGBA
      break;
    default:
      *channels = 3;  // RGB, or a palette's colours
  }
  return true;
}

}  // namespace

bool is_events_file_name(const std::string& name) {
  return name.rfind(kPrefix, 0) == 0 && !is_atomic_temp_name(name);
}

std::vector<std::string> events_files(const std::string& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec))
    if (is_events_file_name(e.path().filename().string())) found.push_back(e.path().string());
  std::sort(found.begin(), found.end());
  return found;
}

EventLog::EventLog(const std::string& dir, int64_t keep_through) {
  const std::vector<std::string> earlier = events_files(dir);
  // The newest earlier file: the latest <seconds>, then the last name.
  std::string newest;
  long long newest_s = 0;
  for (const std::string& p : earlier) {
    const long long s = name_seconds(fs::path(p).filename().string());
    if (newest.empty() || s >= newest_s) {
      newest = p;
      newest_s = s;
    }
  }

  const double wall = now_seconds();
  tb::Event version;
  version.set_wall_time(wall);
  version.set_file_version("brain.Event:2");
  std::string content = frame_record(serialized(version));
  if (!newest.empty()) {
    const RecordRead read = read_records(read_bytes(newest));
    for (const std::string& rec : read.records) {
      tb::Event e;
      STRATA_CHECK(e.ParseFromString(rec), newest << ": a record is not a TensorBoard event; "
                                                     "move the file out of the run folder");
      if (e.what_case() == tb::Event::kFileVersion) continue;
      if (keep_through >= 0 && e.step() <= keep_through)
        content += frame_record(rec);
      else
        ++dropped_;
    }
  }

  const long long seconds =
      std::max(static_cast<long long>(wall), newest.empty() ? 0 : newest_s + 1);
  path_ = (fs::path(dir) / (kPrefix + std::to_string(seconds) + "." + host_name())).string();
  write_text_atomically(path_, content);
  for (const std::string& p : earlier) {
    std::error_code ec;
    if (p != path_) fs::remove(p, ec);
  }
  f_ = std::fopen(path_.c_str(), "ab");
  STRATA_CHECK(f_ != nullptr, path_ << ": cannot open the events file for appending ("
                                    << std::strerror(errno)
                                    << "); check that the run folder is writable");
}

EventLog::~EventLog() {
  if (f_) std::fclose(f_);
}

void EventLog::append(const std::string& event_bytes) {
  const std::string rec = frame_record(event_bytes);
  const bool ok = std::fwrite(rec.data(), 1, rec.size(), f_) == rec.size();
  STRATA_CHECK(ok && std::fflush(f_) == 0, path_ << ": writing the events file failed ("
                                                 << std::strerror(errno)
                                                 << "); check free disk space");
}

void EventLog::scalars(int64_t step, const std::string& phase,
                       const std::vector<std::pair<std::string, double>>& values) {
  tb::Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  for (const auto& [name, value] : values) {
    tb::Summary::Value* v = e.mutable_summary()->add_value();
    v->set_tag(phase + "/" + name);
    v->set_simple_value(static_cast<float>(value));
  }
  append(serialized(e));
}

void EventLog::image(int64_t step, const std::string& tag, const std::string& png) {
  int width = 0, height = 0, channels = 0;
  STRATA_CHECK(png_size(png, &width, &height, &channels),
               "the picture for " << tag << " at step " << step << " is not a PNG");
  tb::Event e;
  e.set_wall_time(now_seconds());
  e.set_step(step);
  tb::Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  tb::Summary::Image* im = v->mutable_image();
  im->set_height(height);
  im->set_width(width);
  im->set_colorspace(channels);
  im->set_encoded_image_string(png);
  append(serialized(e));
}

}  // namespace strata
