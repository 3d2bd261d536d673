#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "core/error.h"
#include "core/layers/reshape.h"
#include "core/sequential.h"
#include "tests/support/gradcheck.h"

namespace strata {
namespace {

std::string build_error(Reshape& r, const Shape& in) {
  try {
    r.build(in);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(Flatten, ShapeAndValues) {
  Reshape f;
  EXPECT_STREQ(f.kind(), "flatten");
  const Shape in{2, 3, 4, 5};
  ASSERT_EQ(f.build(in), (Shape{2, 60}));
  Tensor x(in), y(Shape{2, 60}), dx(in);
  testing::fill_random(x, 1);
  f.forward(x, y, {});
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(y[i], x[i]);
  f.backward(x, y, y, &dx, {});
  for (int64_t i = 0; i < x.numel(); ++i) EXPECT_EQ(dx[i], x[i]);
  EXPECT_EQ(f.build(Shape{1, 7}), (Shape{1, 7}));  // already flat
}

TEST(Reshape, InfersMinusOne) {
  Reshape r({-1, 4});
  EXPECT_STREQ(r.kind(), "reshape");
  EXPECT_EQ(r.build(Shape{2, 12}), (Shape{2, 3, 4}));
  Reshape r2({1, 28, -1});
  EXPECT_EQ(r2.build(Shape{5, 784}), (Shape{5, 1, 28, 28}));
  Reshape r3({6});
  EXPECT_EQ(r3.build(Shape{1, 2, 3}), (Shape{1, 6}));
}

TEST(Reshape, MismatchNamesBothShapes) {
  Reshape r({5, 5});
  const std::string msg = build_error(r, Shape{2, 12});
  EXPECT_NE(msg.find("[2, 12]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("[5, 5]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("12 values"), std::string::npos) << msg;
  EXPECT_NE(msg.find("25 values"), std::string::npos) << msg;

  Reshape inferred({-1, 5});
  const std::string msg2 = build_error(inferred, Shape{2, 12});
  EXPECT_NE(msg2.find("[2, 12]"), std::string::npos) << msg2;
  EXPECT_NE(msg2.find("[-1, 5]"), std::string::npos) << msg2;
}

TEST(Reshape, RejectsBadTargets) {
  EXPECT_THROW(Reshape({-1, -1}), Error);
  EXPECT_THROW(Reshape({0, 4}), Error);
  EXPECT_THROW(Reshape({-2, 4}), Error);
  EXPECT_THROW(Reshape({1, 2, 3, 4}), Error);  // a sample has at most 3 dimensions
  Reshape f;
  EXPECT_THROW(f.build(Shape{5}), Error);  // no sample dimensions to flatten
}

TEST(Reshape, ErrorInAModelNamesTheLayer) {
  Sequential m;
  m.add(std::make_unique<Reshape>(std::vector<int64_t>{7, 7}));
  try {
    m.build(Shape{1, 28, 28}, 1);
    FAIL() << "expected a shape error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("0.reshape"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("[7, 7]"), std::string::npos) << e.message();
  }
}

TEST(Reshape, GradientCheck) {
  Reshape f;
  EXPECT_EQ(testing::check_layer_gradients(f, Shape{3, 2, 3, 2}), 0);
  Reshape r({2, -1});
  EXPECT_EQ(testing::check_layer_gradients(r, Shape{3, 12}), 0);
}

}  // namespace
}  // namespace strata
