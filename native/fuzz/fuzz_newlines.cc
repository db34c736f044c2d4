// CountNewlines against std::count.
#include <algorithm>

#include "fuzz_util.h"
#include "parse/parse.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  const auto want = std::count(data, data + size, static_cast<uint8_t>('\n'));
  const uint32_t got = cgmgr::CountNewlines(in.view());
  FUZZ_CHECK(got == static_cast<uint32_t>(want), "%u newlines, expected %lld", got, static_cast<long long>(want));
  return 0;
}
