// ParseCpuset against fs/cpuset.go getCpusetStat.
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  fuzz::GuardedSlots slots(1);
  cgmgr::ParseError perr;
  const cgmgr::ParseStatus st = cgmgr::ParseCpuset(in.view(), slots.slots(), &perr);
  fuzz::CheckParseError(perr, st, in.view());
  fuzz::CheckStatus(st);
  slots.CheckGuard();
  slots.CheckFlags(0, 1, false);

  const std::string s = ref::TrimSpace(in.str());
  cgmgr::ParseStatus want = cgmgr::ParseStatus::kOk;
  uint64_t n = 0;
  if (s.empty()) {
    want = cgmgr::ParseStatus::kEmpty;
  } else {
    for (const auto& part : ref::Split(s, ',')) {
      const size_t dash = part.find('-');
      if (dash != std::string::npos) {
        const auto from = ref::StrictUint(part.substr(0, dash), 16);
        const auto to = ref::StrictUint(part.substr(dash + 1), 16);
        if (!from || !to || *from > *to) {
          want = cgmgr::ParseStatus::kMalformed;
          break;
        }
        n += *to - *from + 1;
      } else {
        if (!ref::StrictUint(part, 16)) {
          want = cgmgr::ParseStatus::kMalformed;
          break;
        }
        n += 1;
      }
    }
  }
  FUZZ_CHECK(st == want, "status %d, Go %d", fuzz::Status(st), fuzz::Status(want));
  if (want == cgmgr::ParseStatus::kOk) {
    FUZZ_CHECK(slots.flag(0) == cgmgr::kValue && slots.value(0) == n, "count %llu, Go %llu",
               (unsigned long long)slots.value(0), (unsigned long long)n);
  } else {
    FUZZ_CHECK(slots.flag(0) == cgmgr::kAbsent, "flag on failure");
  }
  return 0;
}
