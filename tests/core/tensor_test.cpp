#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "core/memory.h"
#include "core/tensor.h"

namespace strata {
namespace {

TEST(Shape, NumelAndStr) {
  Shape s{2, 3, 4, 5};
  EXPECT_EQ(s.numel(), 120);
  EXPECT_EQ(s.sample_numel(), 60);
  EXPECT_EQ(s.str(), "[2, 3, 4, 5]");
  EXPECT_EQ(s.with_batch(7), (Shape{7, 3, 4, 5}));
  EXPECT_THROW((Shape{1, 2, 3, 4, 5}), Error);
  EXPECT_THROW((Shape{1, -2}), Error);
}

TEST(Tensor, OwningIsAlignedAndZerosIsZero) {
  Tensor t(Shape{3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  EXPECT_EQ(t.device(), Device::cpu());
  const Tensor z = Tensor::zeros(Shape{3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(z.data()) % 64, 0u);
  for (int64_t i = 0; i < z.numel(); ++i) EXPECT_EQ(z[i], 0.0f);
}

// The test programs fill new host memory with NaN (tests/support/test_main.cpp), so that a test
// fails wherever code reads memory it did not write; the default is zeros.
TEST(Tensor, NewMemoryIsNaNInTheTestsAndZeroByDefault) {
  ASSERT_EQ(new_memory_fill(), NewMemoryFill::kNaN);
  const Tensor t(Shape{17});
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_TRUE(std::isnan(t[i])) << i;
  set_new_memory_fill(NewMemoryFill::kZero);
  const Tensor z(Shape{17});
  set_new_memory_fill(NewMemoryFill::kNaN);
  for (int64_t i = 0; i < z.numel(); ++i) EXPECT_EQ(z[i], 0.0f) << i;
}

// Without the CUDA build (or without a GPU), a CUDA tensor is refused with what to do; host
// accessors refuse a tensor that is not on the CPU.
TEST(Tensor, DeviceMemoryAndHostAccessorsSayWhatIsWrong) {
  try {
    Tensor t(Shape{4}, Device::cuda(0));
    // A GPU machine: the tensor exists on the device, and the host may not touch it.
    EXPECT_EQ(t.device(), Device::cuda(0));
    EXPECT_THROW(t.fill(1.0f), Error);
    Tensor host = Tensor::zeros(Shape{4});
    host[2] = 3.0f;
    copy(t, host);
    const Tensor back = t.to(Device::cpu());
    EXPECT_EQ(back[2], 3.0f);
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("cuda:0"), std::string::npos) << e.message();
  }
  float v[2] = {1, 2};
  const Tensor on_gpu = Tensor::view(v, Shape{2}, Device::cuda(1));  // a view; nothing is read
  try {
    (void)on_gpu[0];
    ADD_FAILURE() << "a host read of a device tensor was allowed";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("lives on cuda:1"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("to(Device::cpu())"), std::string::npos) << e.message();
  }
  EXPECT_EQ(Device::cuda(1).str(), "cuda:1");
  EXPECT_EQ(Device::cpu().str(), "cpu");
}

TEST(Tensor, ToCopiesOnTheCpu) {
  Tensor a = Tensor::zeros(Shape{3});
  a[1] = 5.0f;
  Tensor b = a.to(Device::cpu());
  EXPECT_NE(b.data(), a.data());
  EXPECT_EQ(b[1], 5.0f);
}

TEST(Tensor, ResizeReusesStorageWhenItFits) {
  Tensor t(Shape{10, 10});
  const float* before = t.data();
  t.resize(Shape{5, 10});
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{10, 10});
  EXPECT_EQ(t.data(), before);
  t.resize(Shape{20, 10});
  EXPECT_NE(t.data(), nullptr);
  EXPECT_EQ(t.numel(), 200);
}

TEST(Tensor, ViewAndReshapeShareValues) {
  float buf[6] = {0, 1, 2, 3, 4, 5};
  Tensor v = Tensor::view(buf, Shape{2, 3});
  Tensor r = v.reshaped(Shape{3, 2});
  r[5] = 50.0f;
  EXPECT_EQ(buf[5], 50.0f);
  EXPECT_THROW(v.reshaped(Shape{4, 2}), Error);
  EXPECT_THROW(v.resize(Shape{3, 3}), Error);  // a view cannot grow
}

TEST(Error, CarriesRankAndLocation) {
  set_error_rank(3);
  try {
    STRATA_THROW("bad thing " << 42);
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "bad thing 42");
    EXPECT_NE(std::string(e.what()).find("[rank 3, "), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("tensor_test.cpp:"), std::string::npos);
  }
  set_error_rank(0);
}

}  // namespace
}  // namespace strata
