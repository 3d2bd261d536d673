// CollectiveQueue: the ordered queue of collectives behind a communicator, with no MPI in it.
// Collectives are copied into a fixed ring of job slots (queuing allocates nothing) and complete
// in submission order, either on a communication thread that runs each with blocking calls, or
// on the calling thread, which starts each with nonblocking calls and polls it to completion.
// A CollectiveRunner (MpiCommunicator's, in mpi_communicator.cpp) makes the actual calls.
//
// Failures: a wait gives up after timeout_s and throws; an error from the runner is thrown by the
// wait of its collective. Either leaves the queue broken: every later submit or wait of an
// unfinished collective throws the first error at once (no second timeout while unwinding).
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "distributed/communicator.h"

namespace strata {

enum class CollectiveKind : uint8_t { kAllReduce, kBroadcast, kBarrier, kAllGather };

// One queued collective on buffers of one DataType: plain data, copied into a ring slot.
struct CollectiveJob {
  CollectiveKind kind = CollectiveKind::kBarrier;
  ReduceOp op = ReduceOp::kSum;
  DataType type = DataType::kF32;
  int root = 0;
  int64_t count = 0;         // elements of `type`
  void* data = nullptr;      // in and out (all_reduce, broadcast); out (all_gather)
  const void* in = nullptr;  // all_gather's input
};

// Makes the calls of one backend. run() is used in communication-thread mode, start() and test()
// in calling-thread mode; slot (< CollectiveQueue::kSlots) names the ring slot of a started job,
// so that the runner can keep per-job state (requests) without allocating. Errors are thrown.
class CollectiveRunner {
 public:
  virtual ~CollectiveRunner() = default;
  // Runs the job to completion with blocking calls (on the communication thread).
  virtual void run(const CollectiveJob& job) = 0;
  // Starts the job with nonblocking calls (on the calling thread).
  virtual void start(uint64_t slot, const CollectiveJob& job) = 0;
  // Whether the job started in slot has completed.
  virtual bool test(uint64_t slot) = 0;
};

class CollectiveQueue {
 public:
  // In-flight collectives before a new one waits for a free slot (a reducer has one per bucket).
  static constexpr uint64_t kSlots = 256;

  // threaded: run collectives on a communication thread (else on the calling thread). The thread
  // holds the queue (and its runner) alive, so that one stuck in a call can be abandoned.
  static std::shared_ptr<CollectiveQueue> create(std::unique_ptr<CollectiveRunner> runner,
                                                 double timeout_s, bool threaded);
  CollectiveQueue(const CollectiveQueue&) = delete;
  CollectiveQueue& operator=(const CollectiveQueue&) = delete;

  // Queues (communication thread) or starts (calling thread) a job; returns its sequence number.
  uint64_t submit(const CollectiveJob& job);
  // Returns once job seq has completed; throws on a timeout or an error (the queue is broken).
  void wait(uint64_t seq);
  // Lets queued collectives finish (unless broken; at most one timeout), then stops the thread.
  // Returns whether the runner is still in use (a job left running or started); the thread is
  // then detached, stuck in its call, and the runner's resources must not be released. The owner
  // calls it once, before letting go of the queue.
  bool stop();

  // Breaks the queue (unless already broken) with an error saying `reason`: this rank leaves its
  // sequence of collectives unfinished, so nothing more may be submitted. Jobs already queued
  // are not started; one running stays running (the owner's stop() then detaches it).
  void abandon(const std::string& reason);

  bool threaded() const { return threaded_; }
  bool broken() const;
  int64_t in_flight() const;

 private:
  CollectiveQueue(std::unique_ptr<CollectiveRunner> runner, double timeout_s, bool threaded);
  std::chrono::duration<double> timeout() const {
    return std::chrono::duration<double>(timeout_s_);
  }
  std::exception_ptr timeout_error(const CollectiveJob& job) const;
  [[noreturn]] void fail(std::exception_ptr error);
  bool poll(uint64_t slot, std::chrono::steady_clock::time_point deadline);
  void complete_through(uint64_t seq);
  static void thread_main(std::shared_ptr<CollectiveQueue> keep_alive);

  std::unique_ptr<CollectiveRunner> runner_;
  double timeout_s_;
  bool threaded_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // the communication thread waits for jobs
  std::condition_variable done_cv_;  // waiters wait for completions
  std::array<CollectiveJob, kSlots> jobs_;
  // Job seq lives in jobs_[seq % kSlots]; jobs [completed_, submitted_) are queued or running,
  // and they complete in order, so "job seq is done" is completed_ > seq.
  uint64_t submitted_ = 0, completed_ = 0;
  bool stop_ = false;
  bool busy_ = false;         // the communication thread is inside a runner call
  std::exception_ptr error_;  // set once broken; rethrown by every later call
  std::thread thread_;
};

}  // namespace strata
