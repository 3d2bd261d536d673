// Counts heap allocations, for tests that a steady-state step allocates nothing. Calling
// heap_allocations() links tests/support/heap_counter.cpp into the test program, and with it a
// replacement of the global operator new that counts every call.
#pragma once

namespace strata::testing {

// Calls of operator new in this process so far.
long heap_allocations();

}  // namespace strata::testing
