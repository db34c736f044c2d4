// ParseSingle against fscommon.GetCgroupParamUint (TrimSpace, "max", fscommon.ParseUint).
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  fuzz::GuardedSlots slots(1);
  cgmgr::ParseError perr;
  const cgmgr::ParseStatus st = cgmgr::ParseSingle(in.view(), slots.slots(), &perr);
  fuzz::CheckParseError(perr, st, in.view());
  fuzz::CheckStatus(st);
  slots.CheckGuard();
  slots.CheckFlags(0, 1, false);

  const std::string t = ref::TrimSpace(in.str());
  if (t.empty()) {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kEmpty, "empty after trim: status %d", fuzz::Status(st));
    FUZZ_CHECK(slots.flag(0) == cgmgr::kAbsent, "empty: flag %u", slots.flag(0));
  } else if (t == "max") {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kOk && slots.flag(0) == cgmgr::kMax, "max: status %d", fuzz::Status(st));
  } else if (auto v = ref::FsParseUint(t)) {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kOk && slots.flag(0) == cgmgr::kValue && slots.value(0) == *v,
               "value %llu: status %d flag %u value %llu", (unsigned long long)*v, fuzz::Status(st), slots.flag(0),
               (unsigned long long)slots.value(0));
  } else {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed && slots.flag(0) == cgmgr::kAbsent, "malformed: status %d",
               fuzz::Status(st));
  }
  return 0;
}
