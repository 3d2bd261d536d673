#include "tests/support/mpi_test_main.h"

#include <gtest/gtest.h>

#include <iostream>
#include <memory>

#include "core/error.h"

namespace strata {

Communicator* g_comm = nullptr;

int64_t global_errors(Communicator& comm, int64_t local_errors) {
  float errors = static_cast<float>(local_errors);  // exact below 2^24
  comm.all_reduce(&errors, 1, ReduceOp::kSum);
  return static_cast<int64_t>(errors);
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

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::unique_ptr<strata::Communicator> comm;
  try {
    comm = strata::make_communicator("auto");
  } catch (const strata::Error& e) {
    std::cerr << "communicator: " << e.what() << std::endl;
    return 1;
  }
  strata::g_comm = comm.get();
  if (comm->rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new strata::RankFailurePrinter(comm->rank()));
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  // Every rank exits with the same code.
  const int64_t any_failed = strata::global_errors(*comm, failed);
  strata::g_comm = nullptr;
  comm.reset();  // frees the MPI communicators; MPI_Finalize runs at exit
  return any_failed > 0 ? 1 : 0;
}
