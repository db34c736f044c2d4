// ParsePidList against the library's readProcsFile (bufio.Scanner, empty lines skipped, strconv.Atoi), narrowed to
// pids in 1..INT32_MAX.
#include "fuzz_util.h"
#include "parse/parse.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  bool bad = false;
  std::vector<int32_t> want;
  const ref::ScanResult sr = ref::ScanLines(in.str());
  for (const auto& line : sr.lines) {
    if (line.empty()) continue;
    const auto v = ref::Atoi(line);
    if (!v || *v < 1 || *v > INT32_MAX) {
      bad = true;
      break;
    }
    want.push_back(static_cast<int32_t>(*v));
  }
  if (sr.too_long) bad = true;
  for (const uint32_t cap : {0u, 1u, 3u, 128u}) {
    std::vector<int32_t> out(cap + fuzz::kGuard, -7);
    uint32_t count = 0xFFFFFFFF;
    cgmgr::ParseError perr;
    const cgmgr::ParseStatus st = cgmgr::ParsePidList(in.view(), out.data(), cap, &count, &perr);
    fuzz::CheckParseError(perr, st, in.view());
    fuzz::CheckStatus(st);
    for (size_t i = cap; i < out.size(); ++i) FUZZ_CHECK(out[i] == -7, "pid slot %zu past cap %u written", i, cap);
    if (bad) {
      FUZZ_CHECK(st == cgmgr::ParseStatus::kMalformed, "cap %u: status %d, Go malformed", cap, fuzz::Status(st));
      continue;
    }
    FUZZ_CHECK(count == want.size(), "cap %u: count %u, Go %zu", cap, count, want.size());
    FUZZ_CHECK(st == (count > cap ? cgmgr::ParseStatus::kOverflow : cgmgr::ParseStatus::kOk), "status %d",
               fuzz::Status(st));
    for (size_t i = 0; i < std::min<size_t>(cap, count); ++i) FUZZ_CHECK(out[i] == want[i], "pid %zu", i);
  }
  return 0;
}
