#include "core/precision.h"

#include "core/error.h"

namespace strata {

Precision parse_precision(const std::string& name, const std::string& key) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "tf32") return Precision::kTf32;
  if (name == "bf16") return Precision::kBf16;
  STRATA_THROW(key << ": unknown precision '" << name << "'; choose fp32, tf32 or bf16");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kTf32:
      return "tf32";
    case Precision::kBf16:
      return "bf16";
  }
  return "?";
}

}  // namespace strata
