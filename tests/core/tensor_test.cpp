#include <gtest/gtest.h>

#include "core/error.h"
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

TEST(Tensor, OwningIsZeroedAndAligned) {
  Tensor t(Shape{3, 5});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data()) % 64, 0u);
  for (int64_t i = 0; i < t.numel(); ++i) EXPECT_EQ(t[i], 0.0f);
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
