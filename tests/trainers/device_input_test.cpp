// on_device / on_host / size_on (trainers/device_input.h): no copy where the tensor already is,
// a copy into the caller's buffer elsewhere that reallocates only to grow or to move.
#include "trainers/device_input.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

Tensor counting(int64_t n) {
  Tensor t(Shape{n});
  for (int64_t i = 0; i < n; ++i) t[i] = static_cast<float>(i) + 0.5f;
  return t;
}

TEST(DeviceInput, ATensorAlreadyThereIsReturnedAsItIs) {
  const Tensor host = counting(6);
  Tensor buffer;
  EXPECT_EQ(&on_device(host, Device::cpu(), buffer), &host);
  EXPECT_TRUE(buffer.empty());
  const Tensor dev = host.to(Device::emulated());
  EXPECT_EQ(&on_device(dev, Device::emulated(), buffer), &dev);
  EXPECT_TRUE(buffer.empty());
  const Tensor none;
  EXPECT_EQ(&on_device(none, Device::emulated(), buffer), &none);  // nothing to move
}

TEST(DeviceInput, ACopyGoesIntoTheBufferWhichGrowsOnlyWhenItMust) {
  Tensor buffer;
  const Tensor big = counting(8).reshaped(Shape{2, 4});
  const Tensor& a = on_device(big, Device::emulated(), buffer);
  EXPECT_EQ(&a, &buffer);
  EXPECT_EQ(a.device(), Device::emulated());
  EXPECT_EQ(a.shape(), Shape({2, 4}));
  const float* storage = buffer.data();
  const Tensor back = a.to(Device::cpu());
  for (int64_t i = 0; i < 8; ++i) EXPECT_EQ(back[i], big[i]);

  const Tensor small = counting(3);  // fits: the same memory, the new shape
  const Tensor& b = on_device(small, Device::emulated(), buffer);
  EXPECT_EQ(b.data(), storage);
  EXPECT_EQ(b.shape(), Shape({3}));
  EXPECT_EQ(b.to(Device::cpu())[2], 2.5f);

  const Tensor& c = on_device(counting(20), Device::emulated(), buffer);  // grows
  EXPECT_EQ(c.numel(), 20);
  EXPECT_EQ(c.to(Device::cpu())[19], 19.5f);
}

TEST(DeviceInput, OnHostReadsBackAndABufferMovesWithTheDevice) {
  const Tensor dev = counting(4).to(Device::emulated());
  Tensor host_buffer;
  const Tensor& h = on_host(dev, host_buffer);
  ASSERT_TRUE(h.on_cpu());
  EXPECT_EQ(h[3], 3.5f);  // a host accessor works on the copy

  Tensor buffer(Shape{16});  // on the CPU: remade on the device it is asked for
  const Tensor& d = on_device(counting(4), Device::emulated(), buffer);
  EXPECT_EQ(d.device(), Device::emulated());
  EXPECT_EQ(d.numel(), 4);
}

TEST(DeviceInput, SizeOnMakesScratchOnTheDevice) {
  Tensor t;
  size_on(t, Shape{2, 3}, Device::emulated());
  EXPECT_EQ(t.device(), Device::emulated());
  EXPECT_EQ(t.shape(), Shape({2, 3}));
  const float* storage = t.data();
  size_on(t, Shape{5}, Device::emulated());
  EXPECT_EQ(t.data(), storage);
  size_on(t, Shape{5}, Device::cpu());
  EXPECT_TRUE(t.on_cpu());
}

}  // namespace
}  // namespace strata
