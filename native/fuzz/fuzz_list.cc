// ParseList (strings.Fields + strict strconv.ParseUint) at several capacities, against the reference.
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  const std::vector<std::string> fields = ref::Fields(in.str());
  bool bad = false;
  std::vector<uint64_t> want;
  for (const auto& f : fields) {
    const auto v = ref::StrictUint(f);
    if (!v) {
      bad = true;
      break;
    }
    want.push_back(*v);
  }
  for (const uint32_t cap : {0u, 1u, 2u, 5u, 64u}) {
    fuzz::GuardedSlots slots(cap);
    uint32_t count = 0xFFFFFFFF;
    cgmgr::ParseError perr;
    const cgmgr::ParseStatus st = cgmgr::ParseList(in.view(), slots.slots(), cap, &count, &perr);
    fuzz::CheckParseError(perr, st, in.view());
    fuzz::CheckStatus(st);
    slots.CheckGuard();
    if (bad) {
      FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed, "cap %u: status %d, Go malformed", cap, fuzz::Status(st));
      continue;
    }
    FUZZ_CHECK(count == want.size(), "cap %u: count %u, Go %zu", cap, count, want.size());
    FUZZ_CHECK(st == (want.size() > cap ? cgmgr::ParseStatus::kOverflow : cgmgr::ParseStatus::kOk), "cap %u: status %d",
               cap, fuzz::Status(st));
    const size_t stored = std::min<size_t>(cap, count);
    slots.CheckFlags(0, stored, false);
    for (size_t i = 0; i < stored; ++i) {
      FUZZ_CHECK(slots.flag(i) == cgmgr::kValue && slots.value(i) == want[i], "entry %zu", i);
    }
  }
  return 0;
}
