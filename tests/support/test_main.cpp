// The main of the single-process test programs: new host memory is filled with NaN
// (core/memory.h), so a test fails wherever code relies on memory it did not write - device
// memory is never zeroed.
#include <gtest/gtest.h>

#include "core/memory.h"

int main(int argc, char** argv) {
  strata::set_new_memory_fill(strata::NewMemoryFill::kNaN);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
