// ParseCpuMax (strings.Fields: exactly "<quota|max> <period>", strict unsigned numbers) against the reference.
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  const std::vector<std::string> fields = ref::Fields(in.str());
  fuzz::GuardedSlots slots(2);
  cgmgr::ParseError perr;
  const cgmgr::ParseStatus st = cgmgr::ParseCpuMax(in.view(), slots.slots(), &perr);
  fuzz::CheckStatus(st);
  fuzz::CheckParseError(perr, st, in.view());
  slots.CheckGuard();
  if (fields.empty()) {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kEmpty, "no fields: status %d", fuzz::Status(st));
    return 0;
  }
  const bool max = fields.size() == 2 && fields[0] == "max";
  const auto quota = fields.size() == 2 && !max ? ref::StrictUint(fields[0]) : std::nullopt;
  const auto period = fields.size() == 2 ? ref::StrictUint(fields[1]) : std::nullopt;
  if (!period || (!max && !quota)) {
    FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed, "%zu fields: status %d, reference malformed", fields.size(),
               fuzz::Status(st));
    FUZZ_CHECK(slots.flag(0) == cgmgr::kAbsent && slots.flag(1) == cgmgr::kAbsent, "malformed: slots left set");
    return 0;
  }
  FUZZ_CHECK(st == cgmgr::ParseStatus::kOk, "status %d", fuzz::Status(st));
  if (max) {
    FUZZ_CHECK(slots.flag(0) == cgmgr::kMax && slots.value(0) == UINT64_MAX, "max quota");
  } else {
    FUZZ_CHECK(slots.flag(0) == cgmgr::kValue && slots.value(0) == *quota, "quota");
  }
  FUZZ_CHECK(slots.flag(1) == cgmgr::kValue && slots.value(1) == *period, "period");
  return 0;
}
