#include "distributed/thread_plan.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "core/blas.h"
#include "core/cpu_threads.h"
#include "core/error.h"

namespace strata {
namespace {

// A rank's record in the all_gather: the node's name and the affinity mask, fixed size.
constexpr size_t kNodeBytes = 64;
constexpr size_t kMaskBytes = CPU_SETSIZE / 8;
constexpr size_t kRecordBytes = kNodeBytes + kMaskBytes;

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

std::vector<unsigned char> encode(const RankCpus& r) {
  std::vector<unsigned char> rec(kRecordBytes, 0);
  std::memcpy(rec.data(), r.node.data(), std::min(r.node.size(), kNodeBytes));
  for (int c : r.cpus)
    if (c >= 0 && c < CPU_SETSIZE)
      rec[kNodeBytes + c / 8] |= static_cast<unsigned char>(1u << (c % 8));
  return rec;
}

RankCpus decode(const unsigned char* rec) {
  RankCpus r;
  const char* node = reinterpret_cast<const char*>(rec);
  r.node.assign(node, strnlen(node, kNodeBytes));
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (rec[kNodeBytes + c / 8] & (1u << (c % 8))) r.cpus.push_back(c);
  return r;
}

}  // namespace

RankCpus this_rank_cpus() {
  RankCpus r;
  r.node = read_boot_id();
  if (r.node.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    r.node = host;
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) r.cpus.push_back(c);
  }
  if (r.cpus.empty()) {  // no mask: every online CPU
    const long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (long c = 0; c < std::max(1L, n); ++c) r.cpus.push_back(static_cast<int>(c));
  }
  return r;
}

int share_of_cpus(const std::vector<RankCpus>& all, int me, int* sharing_ranks) {
  const RankCpus& mine = all.at(me);
  std::map<int, int> users;  // CPU -> ranks of my node that may use it
  int sharing = 0;
  for (const RankCpus& r : all) {
    if (r.node != mine.node) continue;
    bool overlaps = false;
    for (int c : r.cpus) {
      if (std::binary_search(mine.cpus.begin(), mine.cpus.end(), c)) {
        ++users[c];
        overlaps = true;
      }
    }
    sharing += overlaps ? 1 : 0;
  }
  double share = 0;
  for (int c : mine.cpus) share += 1.0 / std::max(1, users[c]);
  if (sharing_ranks != nullptr) *sharing_ranks = std::max(1, sharing);
  return std::max(1, static_cast<int>(share + 1e-9));
}

std::string ThreadPlan::describe() const {
  std::ostringstream os;
  os << threads << (threads == 1 ? " thread" : " threads") << " per rank (";
  if (source == "auto") {
    os << "auto: " << cpus << (cpus == 1 ? " CPU" : " CPUs") << " allowed";
    if (sharing_ranks > 1) os << ", shared by " << sharing_ranks << " ranks of this node";
    os << "; set --threads or OMP_NUM_THREADS to choose";
  } else {
    os << "from " << source;
  }
  os << ")";
  return os.str();
}

ThreadPlan plan_cpu_threads(Communicator& comm, int requested) {
  STRATA_CHECK(requested >= 0, "--threads must be at least 1, got " << requested);
  ThreadPlan plan;
  const RankCpus mine = this_rank_cpus();
  plan.cpus = static_cast<int>(mine.cpus.size());
  // Every rank takes part in the gather, whatever it decides, so that no rank waits alone.
  std::vector<RankCpus> all{mine};
  if (comm.size() > 1 && !comm.device_buffers()) {
    const std::vector<unsigned char> rec = encode(mine);
    std::vector<unsigned char> recs(kRecordBytes * comm.size());
    comm.all_gather(rec.data(), static_cast<int64_t>(kRecordBytes), DataType::kBytes, recs.data());
    all.clear();
    for (int r = 0; r < comm.size(); ++r) all.push_back(decode(recs.data() + r * kRecordBytes));
  }
  const int me = all.size() == 1 ? 0 : comm.rank();
  int sharing = 1;
  const int automatic = share_of_cpus(all, me, &sharing);
  if (all.size() == 1 && comm.local_size() > 1) {
    // Device-buffer communicators gather no host records: assume the node's ranks share the mask.
    sharing = comm.local_size();
  }
  plan.sharing_ranks = sharing;
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (requested > 0) {
    plan.threads = requested;
    plan.source = "--threads";
  } else if (env != nullptr && *env != '\0') {
    plan.threads = cpu_threads();  // the OpenMP runtime has applied it already
    plan.source = "OMP_NUM_THREADS";
  } else {
    plan.threads = all.size() == 1 && sharing > 1 ? std::max(1, plan.cpus / sharing) : automatic;
    plan.source = "auto";
  }
  set_cpu_threads(plan.threads);
  return plan;
}

}  // namespace strata
