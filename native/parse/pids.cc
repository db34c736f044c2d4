// cgroup.procs / cgroup.threads, as the library's readProcsFile reads them: bufio.Scanner lines, empty lines
// skipped, every other line strconv.Atoi (an optional sign, decimal digits).
#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

// Atoi accepts any int; a pid here must also be in 1..INT32_MAX (the kernel's pid_max is at most 2^22), so "0", a
// negative number or a number past INT32_MAX is kMalformed where Go would return it.
ParseStatus ParsePidList(std::string_view text, int32_t* out, uint32_t cap, uint32_t* count, ParseError* err) {
  uint64_t n = 0;
  ParseStatus result = ParseStatus::kOk;
  scan::Lines lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    if (line.empty()) continue;
    std::string_view digits = line;
    bool neg = false;
    if (digits[0] == '+' || digits[0] == '-') {
      neg = digits[0] == '-';
      digits.remove_prefix(1);
    }
    uint64_t v = 0;
    if (scan::ScanUint(digits, UINT64_MAX, &v) != scan::UintResult::kOk || neg || v == 0 || v > INT32_MAX) {
      SetParseError(err, ParseReason::kNotPid, text, line.data(), {}, line);
      result = ParseStatus::kMalformed;
      break;
    }
    if (n < cap) out[n] = static_cast<int32_t>(v);
    ++n;
  }
  *count = n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
  if (result != ParseStatus::kOk) return ParseStatus::kMalformed;
  if (lines.error()) {
    SetParseError(err, ParseReason::kLineTooLong, text, lines.position(), {}, {});
    return ParseStatus::kMalformed;
  }
  if (n <= cap) return ParseStatus::kOk;
  SetParseError(err, ParseReason::kTooMany, text, nullptr, {}, {});
  return ParseStatus::kOverflow;
}

}  // namespace cgmgr
