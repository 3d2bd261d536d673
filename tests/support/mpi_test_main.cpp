#include "tests/support/mpi_test_main.h"

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "core/error.h"
#include "core/memory.h"

namespace strata {

Communicator* g_comm = nullptr;

int64_t global_errors(Communicator& comm, int64_t local_errors) {
  comm.all_reduce(&local_errors, 1, DataType::kI64, ReduceOp::kSum);
  return local_errors;
}

namespace {

// Replaces the default printer on ranks other than 0: one copy of the output is enough, but a
// failure seen only there is still printed, tagged with the rank.
class RankFailurePrinter : public ::testing::EmptyTestEventListener {
 public:
  explicit RankFailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed()) return;
    std::cerr << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?") << ":"
              << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
};

// The harness's own collectives go through `harness`, which tests never touch, so it stays in step
// even when a test leaves g_comm out of step. Its timeout covers a rank that waits here while
// another is still in a collective of the test that has to time out first.
constexpr double kHarnessTimeoutS = 5 * kDefaultCommTimeoutS;

// After every test: do the ranks still agree on g_comm? If any rank's is broken, all replace it.
class CommRenewer : public ::testing::EmptyTestEventListener {
 public:
  CommRenewer(Communicator& harness, std::unique_ptr<Communicator>& comm)
      : harness_(harness), comm_(comm) {}
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (global_errors(harness_, comm_->broken() ? 1 : 0) == 0) return;
    if (harness_.rank() == 0)
      std::cerr << "[harness] " << info.test_suite_name() << "." << info.name()
                << " left the communicator broken on some rank; the next test gets a new one"
                << std::endl;
    g_comm = nullptr;
    comm_.reset();  // a collective stuck inside MPI keeps its own resources (mpi_communicator.h)
    comm_ = make_communicator("auto");
    g_comm = comm_.get();
  }

 private:
  Communicator& harness_;
  std::unique_ptr<Communicator>& comm_;
};

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  strata::set_new_memory_fill(strata::NewMemoryFill::kNaN);  // as tests/support/test_main.cpp
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<strata::Communicator> harness, comm;
  try {
    harness = strata::make_communicator("auto", strata::kHarnessTimeoutS);
    comm = strata::make_communicator("auto");
  } catch (const strata::Error& e) {
    std::cerr << "communicator: " << e.what() << std::endl;
    return 1;
  }
  strata::g_comm = comm.get();
  auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
  if (comm->rank() != 0) {
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new strata::RankFailurePrinter(comm->rank()));
  }
  listeners.Append(new strata::CommRenewer(*harness, comm));
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  // Every rank exits with the same code.
  const int64_t any_failed = strata::global_errors(*harness, failed);
  strata::g_comm = nullptr;
  comm.reset();  // frees the MPI communicators; MPI_Finalize runs at exit
  harness.reset();
  return any_failed > 0 ? 1 : 0;
}
