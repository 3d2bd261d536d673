// NcclCommunicator on device buffers: needs a CUDA GPU (one per rank), so ctest registers it only
// with -DSTRATA_TEST_GPU=ON (tests/CMakeLists.txt says how to run it). Without a GPU the program
// says so and exits 77, which ctest reports as skipped (never as passed). Runs with the world size
// it is started with: no mpirun (one rank), or mpirun -np <GPUs>. Buffers are filled from the
// rank on the host, copied to the GPU, reduced, copied back and compared; each rank's count of
// wrong elements is summed over ranks so that all ranks pass or fail together.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <memory>
#include <vector>

#include "core/error.h"
#include "distributed/communicator.h"
#include "distributed/nccl_communicator.h"

namespace strata {
namespace {

NcclCommunicator* g_nccl = nullptr;  // made by main

#define CUDA_OK(call) ASSERT_EQ((call), cudaSuccess) << #call

// A device array of floats, copied to and from host vectors.
class DeviceFloats {
 public:
  explicit DeviceFloats(int64_t count) : count_(count) {
    if (count > 0 && cudaMalloc(&data_, sizeof(float) * count) != cudaSuccess) {
      throw std::runtime_error("cudaMalloc failed");
    }
  }
  ~DeviceFloats() {
    if (data_) cudaFree(data_);
  }
  DeviceFloats(const DeviceFloats&) = delete;
  DeviceFloats& operator=(const DeviceFloats&) = delete;
  float* get() { return data_; }
  void upload(const std::vector<float>& host) {
    if (count_ > 0) cudaMemcpy(data_, host.data(), sizeof(float) * count_, cudaMemcpyHostToDevice);
  }
  std::vector<float> download() const {
    std::vector<float> host(count_);
    if (count_ > 0) cudaMemcpy(host.data(), data_, sizeof(float) * count_, cudaMemcpyDeviceToHost);
    return host;
  }

 private:
  float* data_ = nullptr;
  int64_t count_;
};

int64_t global_errors(int64_t local_errors) {
  DeviceFloats d(1);
  d.upload({static_cast<float>(local_errors)});
  g_nccl->all_reduce(d.get(), 1, ReduceOp::kSum);
  return static_cast<int64_t>(d.download()[0]);
}

bool near(float got, float want) {
  return std::fabs(got - want) <= 1e-5f * std::max(1.0f, std::fabs(want));
}

// value = rank + 1 + i % 3, so sum = size*(size+1)/2 + size*(i % 3).
std::vector<float> rank_values(int64_t count, int rank) {
  std::vector<float> v(count);
  for (int64_t i = 0; i < count; ++i) v[i] = static_cast<float>(rank + 1 + i % 3);
  return v;
}

int64_t count_reduce_errors(const std::vector<float>& got, int size, ReduceOp op) {
  int64_t errors = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const float sum = static_cast<float>(size * (size + 1) / 2 + size * (i % 3));
    errors += !near(got[i], op == ReduceOp::kSum ? sum : sum / static_cast<float>(size));
  }
  return errors;
}

TEST(Nccl, DescribesItself) {
  EXPECT_TRUE(g_nccl->device_buffers());
  EXPECT_EQ(g_nccl->name(), "nccl");
  EXPECT_GE(g_nccl->size(), 1);
  EXPECT_LT(g_nccl->rank(), g_nccl->size());
  EXPECT_GE(g_nccl->device(), 0);
  EXPECT_FALSE(g_nccl->broken());
}

TEST(Nccl, AllReduce) {
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kAverage}) {
    for (int64_t count : {0, 1, 7, 5'000'000}) {
      DeviceFloats d(count);
      d.upload(rank_values(count, g_nccl->rank()));
      g_nccl->all_reduce(d.get(), count, op);
      EXPECT_EQ(global_errors(count_reduce_errors(d.download(), g_nccl->size(), op)), 0)
          << "count " << count << " op " << static_cast<int>(op);
    }
  }
}

TEST(Nccl, AllReduceAsyncSeveralHandles) {
  const std::vector<int64_t> counts = {7, 5'000'000, 1, 0, 1000};
  const std::vector<ReduceOp> ops = {ReduceOp::kSum, ReduceOp::kAverage, ReduceOp::kSum,
                                     ReduceOp::kAverage, ReduceOp::kAverage};
  std::vector<std::unique_ptr<DeviceFloats>> bufs;
  std::vector<CommHandle> handles;
  for (size_t k = 0; k < counts.size(); ++k) {
    bufs.push_back(std::make_unique<DeviceFloats>(counts[k]));
    bufs[k]->upload(rank_values(counts[k], g_nccl->rank()));
    handles.push_back(g_nccl->all_reduce_async(bufs[k]->get(), counts[k], ops[k]));
  }
  for (size_t k : {3, 1, 4, 0, 2}) handles[k].wait();
  for (auto& handle : handles) handle.wait();  // a second wait is a no-op
  int64_t errors = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    errors += count_reduce_errors(bufs[k]->download(), g_nccl->size(), ops[k]);
    errors += handles[k].pending();
  }
  EXPECT_EQ(global_errors(errors), 0);
}

// More handles than the event pool had before: events are reused, none leak into a wrong wait.
TEST(Nccl, ManyRoundsOfAsyncReuseEvents) {
  DeviceFloats d(257);
  int64_t errors = 0;
  for (int round = 0; round < 20; ++round) {
    d.upload(rank_values(257, g_nccl->rank()));
    CommHandle h = g_nccl->all_reduce_async(d.get(), 257, ReduceOp::kSum);
    h.wait();
    errors += count_reduce_errors(d.download(), g_nccl->size(), ReduceOp::kSum);
  }
  EXPECT_EQ(global_errors(errors), 0);
}

// The collective waits for work enqueued on the compute stream: an async copy on a non-blocking
// stream that has not finished when all_reduce is called is still reduced.
TEST(Nccl, WaitsForTheComputeStream) {
  const int64_t count = 4'000'000;
  cudaStream_t compute = nullptr;
  CUDA_OK(cudaStreamCreateWithFlags(&compute, cudaStreamNonBlocking));
  float* pinned = nullptr;
  CUDA_OK(cudaMallocHost(&pinned, sizeof(float) * count));
  const std::vector<float> values = rank_values(count, g_nccl->rank());
  std::copy(values.begin(), values.end(), pinned);
  DeviceFloats d(count);
  CUDA_OK(cudaMemsetAsync(d.get(), 0, sizeof(float) * count, compute));
  CUDA_OK(cudaMemcpyAsync(d.get(), pinned, sizeof(float) * count, cudaMemcpyHostToDevice, compute));
  g_nccl->set_stream(compute);
  g_nccl->all_reduce(d.get(), count, ReduceOp::kSum);
  g_nccl->set_stream(nullptr);
  EXPECT_EQ(global_errors(count_reduce_errors(d.download(), g_nccl->size(), ReduceOp::kSum)), 0);
  cudaFreeHost(pinned);
  cudaStreamDestroy(compute);
}

TEST(Nccl, Broadcast) {
  int64_t errors = 0;
  for (int root = 0; root < g_nccl->size(); ++root) {
    for (int64_t count : {0, 1, 7, 1'000'000}) {
      DeviceFloats d(count);
      d.upload(rank_values(count, g_nccl->rank()));
      g_nccl->broadcast(d.get(), count, root);
      const std::vector<float> got = d.download();
      const std::vector<float> want = rank_values(count, root);
      for (int64_t i = 0; i < count; ++i) errors += got[i] != want[i];
    }
  }
  EXPECT_EQ(global_errors(errors), 0);
  float* any = nullptr;
  EXPECT_THROW(g_nccl->broadcast(any, 1, g_nccl->size()), Error);
}

TEST(Nccl, AllGather) {
  const int size = g_nccl->size();
  int64_t errors = 0;
  for (int64_t count : {0, 1, 7, 100'000}) {
    DeviceFloats in(count);
    DeviceFloats out(count * size);
    in.upload(rank_values(count, g_nccl->rank()));
    g_nccl->all_gather(in.get(), count, out.get());
    const std::vector<float> got = out.download();
    for (int r = 0; r < size; ++r) {
      const std::vector<float> want = rank_values(count, r);
      for (int64_t i = 0; i < count; ++i) errors += got[r * count + i] != want[i];
    }
  }
  EXPECT_EQ(global_errors(errors), 0);
}

TEST(Nccl, Barrier) {
  for (int i = 0; i < 5; ++i) g_nccl->barrier();
  EXPECT_FALSE(g_nccl->broken());
}

// A host buffer is refused before NCCL sees it, and the communicator stays usable.
TEST(Nccl, HostBufferIsRefusedClearly) {
  std::vector<float> host(16, 1.0f);
  try {
    g_nccl->all_reduce(host.data(), 16, ReduceOp::kSum);
    FAIL() << "a host buffer should throw";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("not GPU memory"), std::string::npos) << e.message();
  }
  EXPECT_THROW(g_nccl->all_reduce(nullptr, 4, ReduceOp::kSum), Error);
  EXPECT_THROW(g_nccl->all_reduce(nullptr, -1, ReduceOp::kSum), Error);
  EXPECT_FALSE(g_nccl->broken());
  g_nccl->barrier();
}

// With a timeout far below a kernel's run time a collective (or already the initialisation)
// usually times out; whatever happens, it must end in a clear error or a correct result, never
// a hang, and after an error the communicator is aborted and refuses further calls.
TEST(Nccl, TinyTimeoutAbortsCleanly) {
  int timeouts = 0;
  try {
    NcclCommunicator comm(1e-9);
    DeviceFloats d(5'000'000);
    for (int i = 0; i < 3; ++i) {
      try {
        comm.all_reduce(d.get(), 5'000'000, ReduceOp::kSum);
      } catch (const Error& e) {
        ++timeouts;
        EXPECT_TRUE(e.message().find("distributed.timeout_s") != std::string::npos ||
                    e.message().find("aborted") != std::string::npos)
            << e.message();
        EXPECT_TRUE(comm.broken());
      }
    }
    if (comm.broken()) {
      EXPECT_THROW(comm.barrier(), Error);
    }
  } catch (const Error& e) {
    ++timeouts;  // the initialisation timed out
    EXPECT_NE(e.message().find("distributed.timeout_s"), std::string::npos) << e.message();
  }
  std::cerr << "[rank " << g_nccl->rank() << "] tiny timeout: " << timeouts << " errors\n";
  g_nccl->barrier();  // the main communicator is unaffected
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  int gpus = 0;
  if (cudaGetDeviceCount(&gpus) != cudaSuccess || gpus == 0) {
    std::cerr << "strata_test_nccl: SKIPPED, needs a CUDA GPU" << std::endl;
    return 77;
  }
  std::unique_ptr<strata::Communicator> comm;
  try {
    comm = strata::make_communicator("nccl");
  } catch (const strata::Error& e) {
    std::cerr << "strata_test_nccl: " << e.what() << std::endl;
    return 1;
  }
  strata::g_nccl = dynamic_cast<strata::NcclCommunicator*>(comm.get());
  if (strata::g_nccl == nullptr) {
    std::cerr << "strata_test_nccl: make_communicator(\"nccl\") made '" << comm->name() << "'"
              << std::endl;
    return 1;
  }
  const int failed = RUN_ALL_TESTS() != 0 ? 1 : 0;
  // Every rank exits with the same code.
  int64_t any_failed = failed;
  try {
    any_failed = strata::global_errors(failed);
  } catch (const strata::Error& e) {
    std::cerr << "strata_test_nccl: " << e.what() << std::endl;
    any_failed = 1;
  }
  strata::g_nccl = nullptr;
  comm.reset();
  return any_failed > 0 ? 1 : 0;
}
