// ParseCpuacctStat against fs/cpuacct.go getCpuUsageBreakdown.
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  fuzz::GuardedSlots slots(2);
  cgmgr::ParseError perr;
  const cgmgr::ParseStatus st = cgmgr::ParseCpuacctStat(in.view(), slots.slots(), &perr);
  fuzz::CheckParseError(perr, st, in.view());
  fuzz::CheckStatus(st);
  slots.CheckGuard();
  slots.CheckFlags(0, 2, false);
  const std::vector<std::string> f = ref::Fields(in.str());
  std::optional<uint64_t> user, system;
  if (f.size() >= 4 && f[0] == "user" && f[2] == "system") {
    user = ref::StrictUint(f[1]);
    system = ref::StrictUint(f[3]);
  }
  if (user && system) {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kOk, "status %d, Go ok", fuzz::Status(st));
    FUZZ_CHECK(slots.flag(0) == cgmgr::kValue && slots.value(0) == *user, "user");
    FUZZ_CHECK(slots.flag(1) == cgmgr::kValue && slots.value(1) == *system, "system");
  } else {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed, "status %d, Go malformed", fuzz::Status(st));
  }
  return 0;
}
