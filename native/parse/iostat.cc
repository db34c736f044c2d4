// io.stat (cgroup v2), as fs2/io.go reads it:
//   8:0 rbytes=90112 wbytes=0 rios=8 wios=0 dbytes=0 dios=0
// The library first builds map[first field] = rest of the fields from every line with at least two fields (so a later
// line with the same first field replaces an earlier one, and the replaced line is never looked at), then for each
// entry whose key has exactly one ':' parses major and minor (strconv.ParseUint, an error fails the read) and, per
// "key=value" token with exactly one '=', the values of the keys it knows. Here a device's identity is its first
// field as written ("8:0" and "08:0" are two entries, as in the Go map), devices come in order of first appearance,
// and the effective line of a device is the last line with its first field.
#include <cstring>

#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

namespace {

// First field of a line with at least two fields, or false.
bool KeyOf(std::string_view line, std::string_view* key) {
  scan::Fields f(line);
  std::string_view second;
  return f.Next(key) && f.Next(&second);
}

// Whether a line in [begin, end) has key as its first field (and a second field).
bool KeyOccursIn(const char* begin, const char* end, std::string_view key) {
  scan::Lines lines(std::string_view(begin, static_cast<size_t>(end - begin)));
  std::string_view line;
  std::string_view k;
  while (lines.Next(&line)) {
    if (KeyOf(line, &k) && k == key) return true;
  }
  return false;
}

// The last line in [begin, end) whose first field is key; *line is left alone if none.
void LastLineWithKey(const char* begin, const char* end, std::string_view key, std::string_view* last) {
  scan::Lines lines(std::string_view(begin, static_cast<size_t>(end - begin)));
  std::string_view line;
  std::string_view k;
  while (lines.Next(&line)) {
    if (KeyOf(line, &k) && k == key) *last = line;
  }
}

// Where the only c of s is, or npos when s has none or more than one.
inline size_t OnlyOne(std::string_view s, char c) {
  size_t at = std::string_view::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != c) continue;
    if (at != std::string_view::npos) return std::string_view::npos;
    at = i;
  }
  return at;
}

// Parses the requested keys of one effective line into the device's slots (if stored). A bad value of a requested
// key is the library's parse error (into *err, when given).
bool ParseTokens(std::string_view text, std::string_view line, KeySet keys, Slots out, size_t base, bool stored,
                 ParseError* err) {
  scan::Fields tokens(line);
  std::string_view tok;
  tokens.Next(&tok);  // the device
  while (tokens.Next(&tok)) {
    const size_t eq = OnlyOne(tok, '=');
    if (eq == std::string_view::npos) continue;
    bool parsed = false;
    uint64_t v = 0;
    for (uint32_t i = 0; i < keys.count; ++i) {
      const std::string_view k = keys.keys[i];
      if (k.size() != eq || (eq > 0 && (k[0] != tok[0] || std::memcmp(k.data(), tok.data(), eq) != 0))) continue;
      if (!parsed) {
        if (!scan::ParseUintStrict(tok.substr(eq + 1), &v)) {
          SetUintError(err, text, k, tok.substr(eq + 1));
          return false;
        }
        parsed = true;
      }
      if (stored) scan::SetValue(out, base + 2 + i, v);
    }
  }
  return true;
}

// Splits a map key at its ':'. False when the key does not have exactly one ':' (the library skips the entry).
bool SplitDevice(std::string_view key, std::string_view* major, std::string_view* minor) {
  const size_t colon = OnlyOne(key, ':');
  if (colon == std::string_view::npos) return false;
  *major = key.substr(0, colon);
  *minor = key.substr(colon + 1);
  return true;
}

// The device of an io.stat line, by the library's rules: a line whose first field is not "MAJ:MIN" with exactly one
// ':' is skipped; a non-numeric major or minor is malformed.
enum class DeviceKey { kSkip, kMalformed, kOk };
DeviceKey ParseDeviceKey(std::string_view text, std::string_view line, std::string_view* key,
                         std::string_view* major_text, std::string_view* minor_text, uint64_t* major, uint64_t* minor,
                         ParseError* err) {
  if (!KeyOf(line, key) || !SplitDevice(*key, major_text, minor_text)) return DeviceKey::kSkip;
  if (!scan::ParseUintStrict(*major_text, major)) {
    SetUintError(err, text, "major", *major_text);
    return DeviceKey::kMalformed;
  }
  if (!scan::ParseUintStrict(*minor_text, minor)) {
    SetUintError(err, text, "minor", *minor_text);
    return DeviceKey::kMalformed;
  }
  return DeviceKey::kOk;
}

inline bool HasLeadingZero(std::string_view digits) { return digits.size() > 1 && digits[0] == '0'; }

inline uint32_t Clamp32(uint64_t n) { return n > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(n); }

constexpr uint8_t kPendingError = 0x80;

enum class Fast { kDone, kFallback };

// The common case, in one pass: every device key is canonical (no leading zeros, so two keys are the same string
// exactly when their numbers are equal) and all devices fit in cap, so the slots themselves identify a device. A line
// for a known device resets its slots; a bad value is only remembered (kPendingError on the device's major flag)
// until a later line for the device replaces it, or the end of the file makes it an error.
Fast ParseFast(std::string_view text, KeySet keys, Slots out, uint32_t cap, uint32_t* count, ParseStatus* status) {
  const size_t per = 2 + static_cast<size_t>(keys.count);
  uint32_t devices = 0;
  // Clears the pending marks; true if there was one.
  const auto settle = [&]() {
    bool pending = false;
    for (uint32_t d = 0; d < devices; ++d) {
      if (out.flag[d * per] & kPendingError) {
        out.flag[d * per] = kValue;
        pending = true;
      }
    }
    return pending;
  };
  scan::Lines lines(text);
  std::string_view line;
  ParseStatus result = ParseStatus::kOk;
  while (lines.Next(&line)) {
    std::string_view key;
    std::string_view major_text;
    std::string_view minor_text;
    uint64_t major = 0;
    uint64_t minor = 0;
    const DeviceKey dk = ParseDeviceKey(text, line, &key, &major_text, &minor_text, &major, &minor, nullptr);
    if (dk == DeviceKey::kSkip) continue;
    if (dk == DeviceKey::kMalformed) {
      result = ParseStatus::kMalformed;
      break;
    }
    if (HasLeadingZero(major_text) || HasLeadingZero(minor_text)) {
      settle();
      return Fast::kFallback;
    }
    uint32_t d = 0;
    while (d < devices && !(out.value[d * per] == major && out.value[d * per + 1] == minor)) ++d;
    if (d == devices) {
      if (devices == cap) {
        settle();
        return Fast::kFallback;
      }
      ++devices;
    }
    const size_t base = d * per;
    scan::SetValue(out, base, major);
    scan::SetValue(out, base + 1, minor);
    scan::ClearSlots(Slots{out.value + base + 2, out.flag + base + 2}, keys.count);
    if (!ParseTokens(text, line, keys, out, base, true, nullptr)) out.flag[base] = kValue | kPendingError;
  }
  if (lines.error()) result = ParseStatus::kMalformed;
  if (settle()) result = ParseStatus::kMalformed;
  *count = devices;
  *status = result;
  return Fast::kDone;
}

// Any input: for each first appearance of a key, look back for an earlier line with it and forward for the last one.
// Quadratic in the number of lines, so only used when the fast pass cannot be.
ParseStatus ParseSlow(std::string_view text, KeySet keys, Slots out, uint32_t cap, uint32_t* count, ParseError* err) {
  const size_t per = 2 + static_cast<size_t>(keys.count);
  const char* const begin = text.data();
  const char* const end = begin + text.size();
  uint64_t devices = 0;
  scan::Lines lines(text);
  std::string_view line;
  const char* line_start = begin;
  ParseStatus result = ParseStatus::kOk;
  while (lines.Next(&line)) {
    const char* const this_start = line_start;
    line_start = lines.position();
    std::string_view key;
    std::string_view major_text;
    std::string_view minor_text;
    uint64_t major = 0;
    uint64_t minor = 0;
    const DeviceKey dk = ParseDeviceKey(text, line, &key, &major_text, &minor_text, &major, &minor, err);
    if (dk == DeviceKey::kSkip) continue;
    if (dk == DeviceKey::kMalformed) {
      result = ParseStatus::kMalformed;
      break;
    }
    if (KeyOccursIn(begin, this_start, key)) continue;  // not the first appearance: already handled
    std::string_view effective = line;
    LastLineWithKey(line_start, end, key, &effective);
    const uint64_t d = devices++;
    const bool stored = d < cap;
    const size_t base = static_cast<size_t>(d) * per;
    if (stored) {
      scan::SetValue(out, base, major);
      scan::SetValue(out, base + 1, minor);
      scan::ClearSlots(Slots{out.value + base + 2, out.flag + base + 2}, keys.count);
    }
    if (!ParseTokens(text, effective, keys, out, base, stored, err)) {
      result = ParseStatus::kMalformed;
      break;
    }
  }
  *count = Clamp32(devices);
  if (result != ParseStatus::kOk) return ParseStatus::kMalformed;
  if (lines.error()) {
    SetParseError(err, ParseReason::kLineTooLong, text, lines.position(), {}, {});
    return ParseStatus::kMalformed;
  }
  if (devices <= cap) return ParseStatus::kOk;
  SetParseError(err, ParseReason::kTooMany, text, nullptr, {}, {});
  return ParseStatus::kOverflow;
}

}  // namespace

ParseStatus ParseIoStat(std::string_view text, KeySet keys, Slots out, uint32_t cap, uint32_t* count, ParseError* err) {
  *count = 0;
  ParseStatus status = ParseStatus::kOk;
  if (ParseFast(text, keys, out, cap, count, &status) == Fast::kDone) {
    if (status == ParseStatus::kOk || err == nullptr) return status;
    // The fast pass only knows that the file is malformed: the literal pass says why (same semantics, same status;
    // the slots are partly filled either way).
    *count = 0;
    const ParseStatus again = ParseSlow(text, keys, out, cap, count, err);
    if (again == ParseStatus::kMalformed) return again;
    return status;
  }
  *count = 0;
  return ParseSlow(text, keys, out, cap, count, err);
}

}  // namespace cgmgr
