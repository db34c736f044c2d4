// cpuset.cpus / cpuset.mems (and their .effective twins), as fs/cpuset.go getCpusetStat reads them: "0-3,8,10-11\n".
#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

// GetCgroupParamString (TrimSpace); an empty result is the "empty file" error; then strings.Split on ",", each part
// cut at its first "-", every number strconv.ParseUint(x, 10, 16) (so at most 65535), from > to an error. The slot
// holds how many numbers the list names (a CPU named twice counts twice, as the Go slice would hold it twice).
ParseStatus ParseCpuset(std::string_view text, Slots out, ParseError* err) {
  scan::ClearSlots(out, 1);
  const std::string_view s = scan::TrimSpace(text);
  if (s.empty()) {
    SetParseError(err, ParseReason::kEmpty, text, nullptr, {}, {});
    return ParseStatus::kEmpty;
  }
  uint64_t total = 0;
  size_t pos = 0;
  for (;;) {
    const size_t comma = s.find(',', pos);
    const std::string_view part = s.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    const size_t dash = part.find('-');
    uint64_t from = 0;
    uint64_t to = 0;
    if (dash == std::string_view::npos) {
      if (scan::ScanUint(part, 65535, &from) != scan::UintResult::kOk) {
        SetUintError(err, text, {}, part, 65535);
        return ParseStatus::kMalformed;
      }
      total += 1;
    } else {
      if (scan::ScanUint(part.substr(0, dash), 65535, &from) != scan::UintResult::kOk) {
        SetUintError(err, text, {}, part.substr(0, dash), 65535);
        return ParseStatus::kMalformed;
      }
      if (scan::ScanUint(part.substr(dash + 1), 65535, &to) != scan::UintResult::kOk) {
        SetUintError(err, text, {}, part.substr(dash + 1), 65535);
        return ParseStatus::kMalformed;
      }
      if (from > to) {
        SetParseError(err, ParseReason::kReversedRange, text, part.data(), {}, part);
        return ParseStatus::kMalformed;
      }
      total += to - from + 1;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  scan::SetValue(out, 0, total);
  return ParseStatus::kOk;
}

}  // namespace cgmgr
