// Flat keyed files (memory.stat, cpu.stat, memory.events, memory.oom_control, hugetlb.<size>.events) and
// cpuacct.stat.
#include <cstring>

#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

namespace {

inline bool SameBytes(const char* a, const char* b, size_t n) { return n == 0 || std::memcmp(a, b, n) == 0; }

// A one-word filter over the requested keys (length, first and last byte), so that most lines of a long file are
// dismissed with one test instead of one comparison per key.
inline unsigned KeyHash(const char* k, size_t klen) {
  return static_cast<unsigned>(klen * 7 + static_cast<unsigned char>(k[0]) +
                               static_cast<unsigned char>(k[klen - 1]) * 3) &
         63;
}

struct KeyFilter {
  explicit KeyFilter(KeySet keys) {
    for (uint32_t i = 0; i < keys.count; ++i) {
      if (!keys.keys[i].empty()) bits |= uint64_t{1} << KeyHash(keys.keys[i].data(), keys.keys[i].size());
    }
  }
  bool MayMatch(const char* k, size_t klen) const { return (bits >> KeyHash(k, klen)) & 1; }
  uint64_t bits = 0;
};

// Sets every slot whose key is [k, k + klen) (klen > 0).
inline void Store(KeySet keys, Slots out, const char* k, size_t klen, uint64_t v) {
  for (uint32_t i = 0; i < keys.count; ++i) {
    const std::string_view key = keys.keys[i];
    if (key.size() == klen && key[0] == k[0] && SameBytes(key.data(), k, klen)) scan::SetValue(out, i, v);
  }
}

#if defined(CGMGR_PARSE_SWAR)
// Value of the first n (1..8) digits of x (loaded little-endian from the text).
inline uint64_t DigitsValue(uint64_t x, unsigned n) {
  if (n < 8) {
    const unsigned shift = 8 * (8 - n);
    x = (x << shift) | (0x3030303030303030ULL >> (64 - shift));  // '0's in front
  }
  return scan::EightDigits(x);
}

constexpr uint64_t kPow10[9] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};
#endif

// strict: the library's bufio.Scanner loop over fscommon.ParseKeyValue (fs/memory.go, fs2/memory.go, fs/cpu.go,
// fs2/cpu.go): every line the Scanner yields — an empty line in the middle of the file included — is cut at its
// first ' '; an empty key or value, or a value fscommon.ParseUint rejects, is an error; a line longer than the
// Scanner's limit is an error. The map keeps the last value of a key that occurs twice.
// Fast route per line: the ' ' found sixteen bytes at a time, then up to 15 digits recognised eight at a time and
// followed by '\n'; the value is only converted when the key may be one of those requested. Anything else (a sign,
// '\r', 16 digits or more, garbage, the last 16 bytes of the file) takes the general route through GoParseUint.
// The error of the line at `line` (the first the loop below rejects): the Scanner's ErrTooLong when the line is too
// long (the Scanner fails before it yields the line), else ParseKeyValue's: the line shape, or the value's number.
__attribute__((cold)) void StrictError(std::string_view text, const char* line, ParseError* err) {
  if (err == nullptr) return;
  const char* const end = text.data() + text.size();
  const char* nl = static_cast<const char*>(std::memchr(line, '\n', static_cast<size_t>(end - line)));
  const char* const le = nl != nullptr ? nl : end;
  if (static_cast<size_t>(le - line) > scan::Lines::kMaxLine) {
    SetParseError(err, ParseReason::kLineTooLong, text, line, {}, {});
    return;
  }
  const std::string_view l(line, static_cast<size_t>((le > line && le[-1] == '\r' ? le - 1 : le) - line));
  const size_t sp = l.find(' ');
  if (sp == std::string_view::npos || sp == 0 || sp + 1 == l.size()) {
    SetParseError(err, ParseReason::kKeyValueLine, text, line, {}, l);
    return;
  }
  SetUintError(err, text, l.substr(0, sp), l.substr(sp + 1));
}

ParseStatus ParseStrict(std::string_view text, KeySet keys, Slots out, ParseError* err) {
  const KeyFilter filter(keys);
  const char* p = text.data();
  const char* const end = p + text.size();
  while (p < end) {
    const char* const line = p;
    const char* const sp = scan::FindSpaceOrNewline(p, end);
    if (sp == line || sp == end || *sp == '\n') {  // empty key, or no ' ' on the line
      StrictError(text, line, err);
      return ParseStatus::kMalformed;
    }
    const size_t klen = static_cast<size_t>(sp - line);
    const bool wanted = filter.MayMatch(line, klen);
    const char* const val = sp + 1;
    const char* le = nullptr;  // the line's '\n', or end
    uint64_t v = 0;
#if defined(CGMGR_PARSE_SWAR)
    if (end - val >= 16) {
      const uint64_t x = scan::Load8(val);
      unsigned n = scan::LeadingDigits(x);
      uint64_t y = 0;
      unsigned n2 = 0;
      if (n == 8) {
        y = scan::Load8(val + 8);
        n2 = scan::LeadingDigits(y);
      }
      const unsigned total = n + n2;  // < 16 unless n2 == 8
      if (total > 0 && n2 < 8 && val[total] == '\n') {
        le = val + total;
        if (wanted) {
          v = DigitsValue(x, n);
          if (n2 > 0) v = v * kPow10[n2] + DigitsValue(y, n2);
        }
      }
    }
#endif
    if (le == nullptr) {
      const char* nl = static_cast<const char*>(std::memchr(val, '\n', static_cast<size_t>(end - val)));
      le = nl != nullptr ? nl : end;
      const char* const ve = (le > val && le[-1] == '\r') ? le - 1 : le;  // the Scanner drops one '\r'
      if (!scan::GoParseUint(std::string_view(val, static_cast<size_t>(ve - val)), &v)) {
        StrictError(text, line, err);
        return ParseStatus::kMalformed;
      }
    }
    if (static_cast<size_t>(le - line) > scan::Lines::kMaxLine) {  // ErrTooLong
      StrictError(text, line, err);
      return ParseStatus::kMalformed;
    }
    if (wanted) Store(keys, out, line, klen, v);
    p = le == end ? end : le + 1;
  }
  return ParseStatus::kOk;
}

// !strict: fscommon.GetValueByKey, once per key: strings.Split(content, "\n") (no '\r' handling, no length limit),
// the first line with the prefix "<key> " gives the value (the whole rest of the line, fscommon.ParseUint).
// The library calls GetValueByKey once per key, in order: the error is that of the first key (in key order) whose
// first "<key> " line has a bad value. Cold: only after a lookup failed.
__attribute__((cold)) void LookupError(std::string_view text, KeySet keys, ParseError* err) {
  if (err == nullptr) return;
  const char* const end = text.data() + text.size();
  for (uint32_t i = 0; i < keys.count; ++i) {
    const std::string_view k = keys.keys[i];
    const char* p = text.data();
    for (;;) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
      const char* const le = nl != nullptr ? nl : end;
      const size_t len = static_cast<size_t>(le - p);
      if (len > k.size() && p[k.size()] == ' ' && SameBytes(k.data(), p, k.size())) {
        const std::string_view value(p + k.size() + 1, len - k.size() - 1);
        uint64_t v = 0;
        if (!scan::GoParseUint(value, &v)) {
          SetUintError(err, text, k, value);
          return;
        }
        break;  // the first such line is the key's: its value is fine
      }
      if (nl == nullptr) break;
      p = nl + 1;
    }
  }
}

ParseStatus ParseLookup(std::string_view text, KeySet keys, Slots out, ParseError* err) {
  uint32_t remaining = keys.count;
  const char* p = text.data();
  const char* const end = p + text.size();
  scan::Finder finder(p, end, '\n', '\n');
  while (remaining > 0) {
    const char* const nl = finder.Next();
    const char* const le = nl != nullptr ? nl : end;
    const size_t len = static_cast<size_t>(le - p);
    for (uint32_t i = 0; i < keys.count; ++i) {
      const std::string_view k = keys.keys[i];
      if (len <= k.size() || p[k.size()] != ' ' || out.flag[i] != kAbsent) continue;
      if (!k.empty() && (k[0] != p[0] || !SameBytes(k.data(), p, k.size()))) continue;
      uint64_t v = 0;
      if (!scan::FastGoParseUint(p + k.size() + 1, len - k.size() - 1, end, &v)) {
        LookupError(text, keys, err);
        return ParseStatus::kMalformed;
      }
      scan::SetValue(out, i, v);
      --remaining;
    }
    if (nl == nullptr) break;
    p = nl + 1;
  }
  return ParseStatus::kOk;
}

}  // namespace

ParseStatus ParseFlatKeyed(std::string_view text, KeySet keys, bool strict, Slots out, ParseError* err) {
  scan::ClearSlots(out, keys.count);
  return strict ? ParseStrict(text, keys, out, err) : ParseLookup(text, keys, out, err);
}

// fs/cpuacct.go getCpuUsageBreakdown: strings.Fields(data); at least 4 fields, fields[0] == "user",
// fields[2] == "system" (else a malformed-line error, an empty file included), then strconv.ParseUint of fields[1]
// and fields[3].
ParseStatus ParseCpuacctStat(std::string_view text, Slots out, ParseError* err) {
  scan::ClearSlots(out, 2);
  scan::Fields fields(text);
  std::string_view f[4];
  for (auto& field : f) {
    if (!fields.Next(&field)) {
      SetParseError(err, ParseReason::kMalformedLine, text, text.data(), {}, text);  // "malformed line: <data>"
      return ParseStatus::kMalformed;
    }
  }
  if (f[0] != "user" || f[2] != "system") {
    SetParseError(err, ParseReason::kMalformedLine, text, text.data(), {}, text);
    return ParseStatus::kMalformed;
  }
  uint64_t user = 0;
  uint64_t system = 0;
  if (!scan::ParseUintStrict(f[1], &user)) {
    SetUintError(err, text, "user", f[1]);
    return ParseStatus::kMalformed;
  }
  scan::SetValue(out, 0, user);
  if (!scan::ParseUintStrict(f[3], &system)) {
    SetUintError(err, text, "system", f[3]);
    return ParseStatus::kMalformed;
  }
  scan::SetValue(out, 1, system);
  return ParseStatus::kOk;
}

}  // namespace cgmgr
