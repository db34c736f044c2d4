// Pressure stall information files (cpu.pressure, memory.pressure, io.pressure), as fs2/psi.go reads them:
//   some avg10=0.00 avg60=0.00 avg300=0.00 total=0
//   full avg10=0.00 avg60=0.00 avg300=0.00 total=0
// The averages go through strconv.ParseFloat(v, 64), reproduced here exactly (Go float literal syntax, underscores,
// hexadecimal mantissas, "inf"/"infinity"/"nan", overflow an error, underflow 0), the total through
// strconv.ParseUint(v, 10, 64).
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

namespace {

inline unsigned char Lower(unsigned char c) { return c | 0x20; }
inline bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }

// strconv's underscoreOK: underscores only between digits (or after a base prefix).
bool UnderscoreOK(std::string_view s) {
  char saw = '^';
  size_t i = 0;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  bool hex = false;
  if (s.size() >= 2 && s[0] == '0') {
    const unsigned char c = Lower(static_cast<unsigned char>(s[1]));
    if (c == 'b' || c == 'o' || c == 'x') {
      i = 2;
      saw = '0';
      hex = c == 'x';
    }
  }
  for (; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (IsDigit(c) || (hex && Lower(c) >= 'a' && Lower(c) <= 'f')) {
      saw = '0';
      continue;
    }
    if (c == '_') {
      if (saw != '0') return false;
      saw = '_';
      continue;
    }
    if (saw == '_') return false;
    saw = '!';
  }
  return saw != '_';
}

bool EqualsFold(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 'A' && c <= 'Z') c = static_cast<unsigned char>(c + ('a' - 'A'));
    if (c != static_cast<unsigned char>(lower[i])) return false;
  }
  return true;
}

void AppendInt(char* buf, size_t* n, long v) {
  auto r = std::to_chars(buf + *n, buf + *n + 24, v);
  *n = static_cast<size_t>(r.ptr - buf);
}

// strconv.ParseFloat(s, 64) == nil, with its value. On failure *range (when given) says whether it was ErrRange.
bool GoParseFloat(std::string_view s, double* out, bool* range = nullptr) {
  const size_t n = s.size();
  if (n == 0) return false;
  const char* p = s.data();

  // special(): [+-]inf, [+-]infinity, nan (no sign), any case, and nothing after it.
  {
    size_t i = 0;
    bool neg = false;
    if (p[0] == '+' || p[0] == '-') {
      neg = p[0] == '-';
      i = 1;
    }
    if (i < n && Lower(static_cast<unsigned char>(p[i])) == 'i') {
      const std::string_view rest = s.substr(i);
      if (!EqualsFold(rest, "inf") && !EqualsFold(rest, "infinity")) return false;
      *out = neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
      return true;
    }
    if (i == 0 && Lower(static_cast<unsigned char>(p[0])) == 'n') {
      if (!EqualsFold(s, "nan")) return false;
      const uint64_t go_nan = 0x7FF8000000000001ULL;  // math.NaN()
      std::memcpy(out, &go_nan, sizeof go_nan);
      return true;
    }
  }

  // readFloat(): the syntax check.
  size_t i = 0;
  bool neg = false;
  if (p[0] == '+') {
    i = 1;
  } else if (p[0] == '-') {
    neg = true;
    i = 1;
  }
  bool hex = false;
  if (i + 2 < n && p[i] == '0' && Lower(static_cast<unsigned char>(p[i + 1])) == 'x') {
    hex = true;
    i += 2;
  }
  const size_t mant_begin = i;
  bool sawdot = false;
  bool sawdigits = false;
  bool underscores = false;
  for (; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(p[i]);
    if (c == '_') {
      underscores = true;
      continue;
    }
    if (c == '.') {
      if (sawdot) break;
      sawdot = true;
      continue;
    }
    if (IsDigit(c) || (hex && Lower(c) >= 'a' && Lower(c) <= 'f')) {
      sawdigits = true;
      continue;
    }
    break;
  }
  const size_t mant_end = i;
  if (!sawdigits) return false;
  long e = 0;
  int esign = 1;
  if (i < n && Lower(static_cast<unsigned char>(p[i])) == (hex ? 'p' : 'e')) {
    ++i;
    if (i >= n) return false;
    if (p[i] == '+') {
      ++i;
    } else if (p[i] == '-') {
      ++i;
      esign = -1;
    }
    if (i >= n || !IsDigit(static_cast<unsigned char>(p[i]))) return false;
    for (; i < n && (IsDigit(static_cast<unsigned char>(p[i])) || p[i] == '_'); ++i) {
      if (p[i] == '_') {
        underscores = true;
        continue;
      }
      if (e < 10000) e = e * 10 + (p[i] - '0');
    }
  } else if (hex) {
    return false;  // a hexadecimal mantissa needs a 'p' exponent
  }
  if (i != n) return false;
  if (underscores && !UnderscoreOK(s)) return false;

  // The value. Plain decimal text goes to std::from_chars as is (correctly rounded, like Go).
  if (!hex && !underscores && p[0] != '+') {
    double v = 0;
    const auto r = std::from_chars(p, p + n, v, std::chars_format::general);
    if (r.ec == std::errc() && r.ptr == p + n) {
      *out = v;
      return true;
    }
    // Out of range (or anything unexpected): the normalising path below decides.
  }

  // Normalise to [-]0.<significant digits>[sticky]e<exp> (p<exp> for hex) and convert that. Digits past the first
  // max_digits (800 decimal: a halfway point between doubles has at most 767; 32 hex) cannot change the rounding
  // beyond whether any of them is non-zero, which a final '1' records.
  const size_t max_digits = hex ? 32 : 800;
  char buf[900];
  size_t b = 0;
  if (neg) buf[b++] = '-';
  buf[b++] = '0';
  buf[b++] = '.';
  long nd = 0;  // significant digits seen
  long dp = 0;  // position of the point relative to the first significant digit
  size_t kept = 0;
  bool dropped_nonzero = false;
  bool dot = false;
  for (size_t j = mant_begin; j < mant_end; ++j) {
    const char c = p[j];
    if (c == '_') continue;
    if (c == '.') {
      dot = true;
      dp = nd;
      continue;
    }
    if (c == '0' && nd == 0) {
      --dp;
      continue;
    }
    ++nd;
    if (kept < max_digits) {
      buf[b++] = c;
      ++kept;
    } else if (c != '0') {
      dropped_nonzero = true;
    }
  }
  if (!dot) dp = nd;
  if (nd == 0) {
    *out = neg ? -0.0 : 0.0;
    return true;
  }
  if (dropped_nonzero) buf[b++] = '1';
  const long exponent = hex ? dp * 4 + esign * e : dp + esign * e;
  buf[b++] = hex ? 'p' : 'e';
  AppendInt(buf, &b, exponent);
  double v = 0;
  const auto r = std::from_chars(buf, buf + b, v, hex ? std::chars_format::hex : std::chars_format::general);
  if (r.ec == std::errc()) {
    *out = v;
    return true;
  }
  if (r.ec == std::errc::result_out_of_range) {
    // The value is 0.<digits> x base^exponent with a non-zero first digit: a positive exponent means it is too large
    // (Go: ±Inf and ErrRange), otherwise too small (Go: ±0, no error).
    if (exponent > 0) {
      if (range != nullptr) *range = true;
      return false;
    }
    *out = neg ? -0.0 : 0.0;
    return true;
  }
  return false;
}

constexpr double kExactPow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

// The kernel prints averages as "%lu.%02lu". For plain [digits][.digits] text of at most 15 digits the value is
// N / 10^k with N < 2^53 and 10^k exact, so one IEEE division gives the correctly rounded result, as Go's
// atof64exact does; anything else goes to GoParseFloat.
inline bool ParseAverage(std::string_view s, double* out) {
  uint64_t n = 0;
  unsigned digits = 0;
  unsigned frac = 0;
  bool dot = false;
  for (const char c : s) {
    const unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    if (d <= 9) {
      n = n * 10 + d;
      ++digits;
      frac += dot ? 1 : 0;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return GoParseFloat(s, out);
    }
  }
  if (digits == 0 || digits > 15) return GoParseFloat(s, out);
  *out = static_cast<double>(n) / kExactPow10[frac];
  return true;
}

// The ParseFloat error of a PSI average that failed.
__attribute__((cold)) void FloatError(ParseError* err, std::string_view text, std::string_view key,
                                      std::string_view val) {
  if (err == nullptr) return;
  double ignored = 0;
  bool range = false;
  GoParseFloat(val, &ignored, &range);
  SetParseError(err, range ? ParseReason::kFloatRange : ParseReason::kFloatSyntax, text, val.data(), key, val);
}

inline void SetFloat(Slots out, size_t i, double d) {
  std::memcpy(&out.value[i], &d, sizeof d);
  out.flag[i] = kFloat;
}

}  // namespace

ParseStatus ParsePsi(std::string_view text, Slots out, ParseError* err) {
  scan::ClearSlots(out, kPsiSlots);
  scan::Lines lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    scan::Fields fields(line);
    std::string_view word;
    if (!fields.Next(&word)) {  // the Go reader indexes parts[0]: it would panic
      SetParseError(err, ParseReason::kNoFields, text, line.data(), {}, line);
      return ParseStatus::kMalformed;
    }
    size_t base;
    if (word == "some") {
      base = 0;
    } else if (word == "full") {
      base = 4;
    } else {
      continue;
    }
    // A later line of the same kind replaces the earlier one entirely.
    for (size_t k = 0; k < 4; ++k) {
      out.value[base + k] = 0;
      out.flag[base + k] = kAbsent;
    }
    std::string_view tok;
    while (fields.Next(&tok)) {
      const size_t eq = tok.find('=');
      if (eq == std::string_view::npos) {  // invalid psi data
        SetParseError(err, ParseReason::kNoEquals, text, tok.data(), {}, tok);
        return ParseStatus::kMalformed;
      }
      const std::string_view key = tok.substr(0, eq);
      const std::string_view val = tok.substr(eq + 1);
      size_t slot;
      if (key == "avg10") {
        slot = 0;
      } else if (key == "avg60") {
        slot = 1;
      } else if (key == "avg300") {
        slot = 2;
      } else if (key == "total") {
        uint64_t t = 0;
        if (!scan::ParseUintStrict(val, &t)) {
          SetUintError(err, text, key, val);
          return ParseStatus::kMalformed;
        }
        scan::SetValue(out, base + 3, t);
        continue;
      } else {
        continue;  // unknown keys are ignored, their values never parsed
      }
      double d = 0;
      if (!ParseAverage(val, &d)) {
        FloatError(err, text, key, val);
        return ParseStatus::kMalformed;
      }
      SetFloat(out, base + slot, d);
    }
  }
  if (!lines.error()) return ParseStatus::kOk;
  SetParseError(err, ParseReason::kLineTooLong, text, lines.position(), {}, {});
  return ParseStatus::kMalformed;
}

}  // namespace cgmgr
