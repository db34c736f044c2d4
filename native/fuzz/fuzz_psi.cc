// ParsePsi against fs2/psi.go (strconv.ParseFloat checked by the Go float grammar, values by strtod).
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

namespace {

struct Expect {
  cgmgr::ParseStatus status = cgmgr::ParseStatus::kOk;
  uint64_t value[8] = {};
  uint8_t flag[8] = {};
};

Expect RefPsi(const std::string& text) {
  Expect e;
  const ref::ScanResult sr = ref::ScanLines(text);
  for (const auto& line : sr.lines) {
    const auto parts = ref::Fields(line);
    if (parts.empty()) return {cgmgr::ParseStatus::kMalformed};  // Go: index out of range
    size_t base;
    if (parts[0] == "some") {
      base = 0;
    } else if (parts[0] == "full") {
      base = 4;
    } else {
      continue;
    }
    for (size_t k = 0; k < 4; ++k) e.value[base + k] = 0, e.flag[base + k] = cgmgr::kAbsent;
    for (size_t i = 1; i < parts.size(); ++i) {
      const size_t eq = parts[i].find('=');
      if (eq == std::string::npos) return {cgmgr::ParseStatus::kMalformed};
      const std::string key = parts[i].substr(0, eq), val = parts[i].substr(eq + 1);
      int slot = key == "avg10" ? 0 : key == "avg60" ? 1 : key == "avg300" ? 2 : key == "total" ? 3 : -1;
      if (slot < 0) continue;
      if (slot == 3) {
        const auto v = ref::StrictUint(val);
        if (!v) return {cgmgr::ParseStatus::kMalformed};
        e.value[base + 3] = *v;
        e.flag[base + 3] = cgmgr::kValue;
      } else {
        const auto bits = ref::ParseFloatBits(val);
        if (!bits) return {cgmgr::ParseStatus::kMalformed};
        e.value[base + slot] = *bits;
        e.flag[base + slot] = cgmgr::kFloat;
      }
    }
  }
  if (sr.too_long) return {cgmgr::ParseStatus::kMalformed};
  return e;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  fuzz::GuardedSlots slots(cgmgr::kPsiSlots);
  cgmgr::ParseError perr;
  const cgmgr::ParseStatus st = cgmgr::ParsePsi(in.view(), slots.slots(), &perr);
  fuzz::CheckParseError(perr, st, in.view());
  fuzz::CheckStatus(st);
  slots.CheckGuard();
  slots.CheckFlags(0, 8, true);
  for (size_t i = 0; i < 8; ++i) {
    const uint8_t want = (i % 4 == 3) ? cgmgr::kValue : cgmgr::kFloat;
    FUZZ_CHECK(slots.flag(i) == cgmgr::kAbsent || slots.flag(i) == want, "slot %zu flag %u", i, slots.flag(i));
  }
  const Expect e = RefPsi(in.str());
  FUZZ_CHECK(st == e.status, "status %d, Go %d", fuzz::Status(st), fuzz::Status(e.status));
  if (st != cgmgr::ParseStatus::kOk) return 0;
  for (size_t i = 0; i < 8; ++i) {
    FUZZ_CHECK(slots.flag(i) == e.flag[i] && slots.value(i) == e.value[i],
               "slot %zu: flag %u value %016llx, Go %u %016llx", i, slots.flag(i), (unsigned long long)slots.value(i),
               e.flag[i], (unsigned long long)e.value[i]);
  }
  return 0;
}
