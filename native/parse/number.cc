// Number-shaped files: one token (ParseUintToken), a single value file (ParseSingle), a whitespace separated list
// (ParseList), v2 cpu.max (ParseCpuMax) and the newline count of cgroup.procs (CountNewlines).
#include <cstring>

#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

bool ParseUintToken(std::string_view token, uint64_t* out) {
  uint64_t v = 0;
  if (!scan::GoParseUint(token, &v)) return false;
  *out = v;
  return true;
}

// fscommon.GetCgroupParamUint: TrimSpace, "max" -> MaxUint64, else fscommon.ParseUint.
ParseStatus ParseSingle(std::string_view text, Slots out, ParseError* err) {
  scan::ClearSlots(out, 1);
  const std::string_view s = scan::TrimSpace(text);
  if (s.empty()) {
    // The library parses the empty string: strconv.ParseUint's syntax error with token "".
    SetParseError(err, ParseReason::kUintSyntax, text, nullptr, {}, {});
    return ParseStatus::kEmpty;
  }
  if (s == "max") {
    out.value[0] = UINT64_MAX;
    out.flag[0] = kMax;
    return ParseStatus::kOk;
  }
  uint64_t v = 0;
  if (!scan::GoParseUint(s, &v)) {
    SetUintError(err, text, {}, s);  // fscommon.ParseUint returns ParseUint's error
    return ParseStatus::kMalformed;
  }
  scan::SetValue(out, 0, v);
  return ParseStatus::kOk;
}

// fs/cpuacct.go getPercpuUsage: strings.Fields, strconv.ParseUint (no negative -> 0 here). Every field is checked,
// also past cap, so a bad field anywhere is kMalformed (which wins over kOverflow).
ParseStatus ParseList(std::string_view text, Slots out, uint32_t cap, uint32_t* count, ParseError* err) {
  scan::Fields fields(text);
  std::string_view f;
  uint64_t n = 0;
  bool malformed = false;
  while (fields.Next(&f)) {
    uint64_t v = 0;
    if (!scan::ParseUintStrict(f, &v)) {
      SetUintError(err, text, {}, f);
      malformed = true;
      break;
    }
    if (n < cap) scan::SetValue(out, static_cast<size_t>(n), v);
    ++n;
  }
  *count = n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
  if (malformed) return ParseStatus::kMalformed;
  if (n <= cap) return ParseStatus::kOk;
  SetParseError(err, ParseReason::kTooMany, text, nullptr, {}, {});
  return ParseStatus::kOverflow;
}

// cAdvisor's GetSpec reads cpu.max as "<quota|max> <period>"; the kernel writes exactly that. Anything else (one
// field, three, a negative or non-numeric quota, a "max" period) is malformed rather than half a value.
ParseStatus ParseCpuMax(std::string_view text, Slots out, ParseError* err) {
  scan::ClearSlots(out, 2);
  scan::Fields fields(text);
  std::string_view f[2];
  uint32_t n = 0;
  std::string_view extra;
  while (n < 2 && fields.Next(&f[n])) ++n;
  if (n == 0) {
    SetParseError(err, ParseReason::kEmpty, text, nullptr, {}, {});
    return ParseStatus::kEmpty;
  }
  if (n < 2 || fields.Next(&extra)) {
    SetParseError(err, ParseReason::kMalformedLine, text, text.data(), {}, scan::TrimSpace(text));
    return ParseStatus::kMalformed;
  }
  uint64_t quota = 0;
  uint64_t period = 0;
  if (!scan::ParseUintStrict(f[1], &period)) {
    SetUintError(err, text, "period", f[1]);
    return ParseStatus::kMalformed;
  }
  if (f[0] == "max") {
    out.value[0] = UINT64_MAX;
    out.flag[0] = kMax;
  } else if (scan::ParseUintStrict(f[0], &quota)) {
    scan::SetValue(out, 0, quota);
  } else {
    scan::ClearSlots(out, 2);
    SetUintError(err, text, "quota", f[0]);
    return ParseStatus::kMalformed;
  }
  scan::SetValue(out, 1, period);
  return ParseStatus::kOk;
}

uint32_t CountNewlines(std::string_view text) {
  uint64_t n = 0;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
    if (nl == nullptr) break;
    ++n;
    p = nl + 1;
  }
  return n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n);
}

}  // namespace cgmgr
