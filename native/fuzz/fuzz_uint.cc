// ParseUintToken (fscommon.ParseUint) and the strict strconv.ParseUint of scan.h against the literal Go ports.
#include "fuzz_util.h"
#include "parse/parse.h"
#include "parse/scan.h"
#include "reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ExactBuffer in(data, size);
  const std::string s = in.str();

  uint64_t got = 0xDEAD;
  const bool ok = cgmgr::ParseUintToken(in.view(), &got);
  const auto want = ref::FsParseUint(s);
  FUZZ_CHECK(ok == want.has_value(), "ParseUintToken(%s): ok=%d, Go ok=%d", s.c_str(), ok, want.has_value());
  if (ok)
    FUZZ_CHECK(got == *want, "ParseUintToken(%s) = %llu, Go %llu", s.c_str(), (unsigned long long)got,
               (unsigned long long)*want);
  if (!ok) FUZZ_CHECK(got == 0xDEAD, "ParseUintToken wrote its output on failure");

  uint64_t strict = 0;
  const bool sok = cgmgr::scan::ParseUintStrict(in.view(), &strict);
  const auto swant = ref::StrictUint(s);
  FUZZ_CHECK(sok == swant.has_value() && (!sok || strict == *swant), "ParseUintStrict(%s)", s.c_str());

  uint64_t v16 = 0;
  const bool ok16 = cgmgr::scan::ScanUint(in.view(), 65535, &v16) == cgmgr::scan::UintResult::kOk;
  const auto want16 = ref::StrictUint(s, 16);
  FUZZ_CHECK(ok16 == want16.has_value() && (!ok16 || v16 == *want16), "ScanUint(%s, 65535)", s.c_str());
  return 0;
}
