// ParseBlkio against fs/blkio.go getBlkioStat.
#include <array>

#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

namespace {

uint64_t OpCode(const std::string& op) {
  if (op.empty()) return cgmgr::kOpNone;
  if (op == "Read") return cgmgr::kOpRead;
  if (op == "Write") return cgmgr::kOpWrite;
  if (op == "Sync") return cgmgr::kOpSync;
  if (op == "Async") return cgmgr::kOpAsync;
  if (op == "Discard") return cgmgr::kOpDiscard;
  if (op == "Total") return cgmgr::kOpTotal;
  return cgmgr::kOpOther;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  bool bad = false;
  std::vector<std::array<uint64_t, 4>> want;
  const ref::ScanResult sr = ref::ScanLines(in.str());
  for (const auto& line : sr.lines) {
    const auto f = ref::FieldsFunc(line, [](uint32_t r) { return r == ' ' || r == ':'; });
    if (f.size() < 3) {
      if (f.size() == 2 && f[0] == "Total") continue;
      bad = true;
      break;
    }
    const auto major = ref::StrictUint(f[0]), minor = ref::StrictUint(f[1]);
    std::string op;
    size_t vf = 2;
    if (f.size() == 4) op = f[2], vf = 3;
    const auto value = ref::StrictUint(f[vf]);
    if (!major || !minor || !value) {
      bad = true;
      break;
    }
    want.push_back({*major, *minor, OpCode(op), *value});
  }
  if (sr.too_long) bad = true;
  for (const uint32_t cap : {0u, 1u, 4u, 64u}) {
    fuzz::GuardedSlots slots(cap * 4);
    uint32_t count = 0xFFFFFFFF;
    cgmgr::ParseError perr;
    const cgmgr::ParseStatus st = cgmgr::ParseBlkio(in.view(), slots.slots(), cap, &count, &perr);
    fuzz::CheckParseError(perr, st, in.view());
    fuzz::CheckStatus(st);
    slots.CheckGuard();
    if (bad) {
      FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed, "cap %u: status %d, Go malformed", cap, fuzz::Status(st));
      continue;
    }
    FUZZ_CHECK(count == want.size(), "cap %u: count %u, Go %zu", cap, count, want.size());
    FUZZ_CHECK(st == (count > cap ? cgmgr::ParseStatus::kOverflow : cgmgr::ParseStatus::kOk), "cap %u: status %d", cap,
               fuzz::Status(st));
    const size_t stored = std::min<size_t>(cap, count);
    slots.CheckFlags(0, stored * 4, false);
    for (size_t e = 0; e < stored; ++e) {
      for (size_t k = 0; k < 4; ++k) {
        FUZZ_CHECK(slots.flag(e * 4 + k) == cgmgr::kValue && slots.value(e * 4 + k) == want[e][k], "entry %zu slot %zu",
                   e, k);
      }
      FUZZ_CHECK(slots.value(e * 4 + 2) <= cgmgr::kOpOther, "op code");
    }
  }
  return 0;
}
