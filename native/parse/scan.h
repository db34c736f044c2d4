// Internal to native/parse: the text primitives of Go's standard library that opencontainers/cgroups builds its
// parsers from, reproduced byte for byte (strings.TrimSpace, strings.Fields, bufio.Scanner's ScanLines,
// strconv.ParseUint and fscommon.ParseUint). Header-only so that the per-format parsers inline them.
// Nothing here allocates, and nothing reads outside [data, data + size) of the views it is given.
#ifndef CGMGR_PARSE_SCAN_H_
#define CGMGR_PARSE_SCAN_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

// CGMGR_PARSE_NO_SIMD / CGMGR_PARSE_NO_SWAR switch the vector and word-at-a-time paths off (the fuzz script builds
// those variants too, so that the portable code is tested on x86).
#if defined(__SSE2__) && !defined(CGMGR_PARSE_NO_SIMD)
#define CGMGR_PARSE_SSE2 1
#include <emmintrin.h>
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && !defined(CGMGR_PARSE_NO_SWAR)
#define CGMGR_PARSE_SWAR 1
#endif

#include "parse/parse.h"

namespace cgmgr::scan {

// Go's asciiSpace: '\t', '\n', '\v', '\f', '\r', ' '.
inline bool IsAsciiSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Length of the UTF-8 encoded unicode.IsSpace rune that starts at p (p < end, *p >= 0x80), or 0. The non-ASCII
// spaces are U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F, U+205F, U+3000. Their encodings start
// with C2, E1, E2 or E3, which are never continuation bytes, so matching the exact bytes at any lead position gives
// the same answer as Go's rune-by-rune decoding (an invalid sequence decodes as one RuneError byte, not a space).
inline size_t UnicodeSpaceAt(const unsigned char* p, const unsigned char* end) {
  const size_t n = static_cast<size_t>(end - p);
  switch (p[0]) {
    case 0xC2:
      return (n >= 2 && (p[1] == 0x85 || p[1] == 0xA0)) ? 2 : 0;
    case 0xE1:
      return (n >= 3 && p[1] == 0x9A && p[2] == 0x80) ? 3 : 0;
    case 0xE2:
      if (n < 3) return 0;
      if (p[1] == 0x80) {
        const unsigned char c = p[2];
        return ((c >= 0x80 && c <= 0x8A) || c == 0xA8 || c == 0xA9 || c == 0xAF) ? 3 : 0;
      }
      return (p[1] == 0x81 && p[2] == 0x9F) ? 3 : 0;
    case 0xE3:
      return (n >= 3 && p[1] == 0x80 && p[2] == 0x80) ? 3 : 0;
    default:
      return 0;
  }
}

// Length of the whitespace rune (ASCII or not) that starts at p, or 0.
inline size_t SpaceAt(const unsigned char* p, const unsigned char* end) {
  if (*p < 0x80) return IsAsciiSpace(*p) ? 1 : 0;
  return UnicodeSpaceAt(p, end);
}

// Length of the whitespace rune that ends just before p (begin < p), as utf8.DecodeLastRune would find it, or 0.
inline size_t SpaceBefore(const unsigned char* begin, const unsigned char* p) {
  const unsigned char c = p[-1];
  if (c < 0x80) return IsAsciiSpace(c) ? 1 : 0;
  const size_t n = static_cast<size_t>(p - begin);
  if (n >= 2 && UnicodeSpaceAt(p - 2, p) == 2) return 2;
  if (n >= 3 && UnicodeSpaceAt(p - 3, p) == 3) return 3;
  return 0;
}

inline const unsigned char* UBegin(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// strings.TrimSpace.
inline std::string_view TrimSpace(std::string_view s) {
  const unsigned char* b = UBegin(s);
  const unsigned char* e = b + s.size();
  while (b < e) {
    const size_t k = SpaceAt(b, e);
    if (k == 0) break;
    b += k;
  }
  while (e > b) {
    const size_t k = SpaceBefore(b, e);
    if (k == 0) break;
    e -= k;
  }
  return std::string_view(reinterpret_cast<const char*>(b), static_cast<size_t>(e - b));
}

// The first whitespace rune (as SpaceAt) in [p, end), or end. Bytes that can start one are 0x09..0x0D, 0x20 and
// 0xC2/0xE1/0xE2/0xE3; sixteen bytes at a time, every byte <= 0x20 or >= 0x80 (one signed compare) is a candidate
// that SpaceAt then checks.
inline const unsigned char* FindSpace(const unsigned char* p, const unsigned char* end) {
#if defined(CGMGR_PARSE_SSE2)
  const __m128i limit = _mm_set1_epi8(0x21);
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    unsigned m = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmplt_epi8(v, limit)));
    while (m != 0) {
      const unsigned i = static_cast<unsigned>(__builtin_ctz(m));
      if (SpaceAt(p + i, end) != 0) return p + i;
      m &= m - 1;
    }
    p += 16;
  }
#endif
  while (p < end && SpaceAt(p, end) == 0) ++p;
  return p;
}

// strings.Fields, one field at a time.
class Fields {
 public:
  explicit Fields(std::string_view s) : p_(UBegin(s)), end_(p_ + s.size()) {}
  bool Next(std::string_view* field) {
    while (p_ < end_) {
      const size_t k = SpaceAt(p_, end_);
      if (k == 0) break;
      p_ += k;
    }
    if (p_ >= end_) return false;
    const unsigned char* start = p_;
    p_ = FindSpace(p_ + 1, end_);  // *start is not a space; a byte inside a rune never starts one
    *field = std::string_view(reinterpret_cast<const char*>(start), static_cast<size_t>(p_ - start));
    return true;
  }

 private:
  const unsigned char* p_;
  const unsigned char* end_;
};

// bufio.Scanner with ScanLines over an in-memory file: lines end at '\n', one trailing '\r' is dropped, the text
// after the last '\n' is a line only if it is not empty. A line longer than bufio.MaxScanTokenSize - 1 bytes (not
// counting its '\n') makes the Scanner fail with ErrTooLong: Next() then returns false and error() is true.
class Lines {
 public:
  static constexpr size_t kMaxLine = 64 * 1024 - 1;
  explicit Lines(std::string_view s) : p_(s.data()), end_(s.data() + s.size()) {}
  bool Next(std::string_view* line) {
    if (p_ >= end_ || error_) return false;
    const char* nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(end_ - p_)));
    const char* le = nl != nullptr ? nl : end_;
    if (static_cast<size_t>(le - p_) > kMaxLine) {
      error_ = true;
      return false;
    }
    const char* ce = (le > p_ && le[-1] == '\r') ? le - 1 : le;
    *line = std::string_view(p_, static_cast<size_t>(ce - p_));
    p_ = nl != nullptr ? nl + 1 : end_;
    return true;
  }
  bool error() const { return error_; }
  // Offset of the next unread byte.
  const char* position() const { return p_; }

 private:
  const char* p_;
  const char* end_;
  bool error_ = false;
};

// strconv.ParseUint(s, 10, 64) scans left to right and stops at the first problem: a byte that is not a digit is a
// syntax error, a digit that takes the value past 2^64-1 is a range error (so "99999999999999999999x" is a range
// error, not a syntax error; GoParseUint depends on that). With a smaller max (ParseUint's bitSize) the range error
// likewise comes at the first digit that takes the value past max ("70000x" with max 65535 is a range error).
enum class UintResult { kOk, kSyntax, kRange };

inline UintResult ScanUint(std::string_view s, uint64_t max, uint64_t* out) {
  const size_t n = s.size();
  if (n == 0) return UintResult::kSyntax;
  const unsigned char* p = UBegin(s);
  uint64_t v = 0;
  const size_t safe = n < 19 ? n : 19;  // 19 digits cannot overflow 64 bits
  size_t i = 0;
  for (; i < safe; ++i) {
    const unsigned d = p[i] - static_cast<unsigned>('0');
    if (d > 9) return UintResult::kSyntax;
    v = v * 10 + d;
    if (v > max) return UintResult::kRange;  // folds away for max == UINT64_MAX
  }
  for (; i < n; ++i) {
    const unsigned d = p[i] - static_cast<unsigned>('0');
    if (d > 9) return UintResult::kSyntax;
    if (__builtin_mul_overflow(v, uint64_t{10}, &v) || __builtin_add_overflow(v, uint64_t{d}, &v) || v > max) {
      return UintResult::kRange;
    }
  }
  *out = v;
  return UintResult::kOk;
}

// strconv.ParseUint(s, 10, 64) == nil.
inline bool ParseUintStrict(std::string_view s, uint64_t* out) {
  return ScanUint(s, UINT64_MAX, out) == UintResult::kOk;
}

// fscommon.ParseUint(s, 10, 64): strict unsigned; failing that, strconv.ParseInt(s, 10, 64) — and a negative result,
// or a range error while the value is negative (below INT64_MIN), gives 0. Consequences: "-1" -> 0,
// "-99999999999999999999" -> 0, even "-99999999999999999999x" -> 0 (the range error comes before the 'x'), but
// "-0", "+5", "-" and "" are errors.
inline bool GoParseUint(std::string_view s, uint64_t* out) {
  // Fast path: all digits, no overflow.
  if (ScanUint(s, UINT64_MAX, out) == UintResult::kOk) return true;
  if (s.size() < 2 || s[0] != '-') return false;
  uint64_t magnitude = 0;
  switch (ScanUint(s.substr(1), UINT64_MAX, &magnitude)) {
    case UintResult::kSyntax:
      return false;
    case UintResult::kRange:  // ParseInt clamps to INT64_MIN with ErrRange: < 0
      *out = 0;
      return true;
    case UintResult::kOk:
      if (magnitude == 0) return false;  // "-0" is 0, not negative: the error stands
      *out = 0;
      return true;
  }
  return false;
}

// Finds, in order, every byte of [begin, end) equal to a or b, sixteen bytes at a time (SSE2 where available, else
// eight at a time with SWAR on little-endian targets, else one at a time). The last partial block is copied into a
// zeroed local block, so nothing past end is read. A zero byte is never a or b for the callers here.
class Finder {
 public:
  Finder(const char* begin, const char* end, char a, char b) : end_(end), a_(a), b_(b) { Load(begin); }
  // The next a/b byte, or nullptr when there is none left.
  const char* Next() {
    while (mask_ == 0) {
      if (end_ - win_ <= kWidth) return nullptr;
      Load(win_ + kWidth);
    }
    const unsigned i = static_cast<unsigned>(__builtin_ctzll(mask_));
    mask_ &= mask_ - 1;
    return win_ + i;
  }

 private:
#if defined(CGMGR_PARSE_SSE2)
  static constexpr ptrdiff_t kWidth = 16;
  static uint64_t Match(const char* p, char a, char b) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(a)), _mm_cmpeq_epi8(v, _mm_set1_epi8(b)));
    return static_cast<uint32_t>(_mm_movemask_epi8(m));
  }
#elif defined(CGMGR_PARSE_SWAR)
  static constexpr ptrdiff_t kWidth = 8;
  // Exact per-byte equality: bit 8k+7 of the result is set when byte k equals c.
  static uint64_t Eq(uint64_t x, char c) {
    constexpr uint64_t k7f = 0x7F7F7F7F7F7F7F7FULL;
    const uint64_t y = x ^ (0x0101010101010101ULL * static_cast<unsigned char>(c));
    return ~(((y & k7f) + k7f) | y | k7f);
  }
  static uint64_t Match(const char* p, char a, char b) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    const uint64_t m = Eq(x, a) | Eq(x, b);
    // Compress bit 8k+7 to bit k.
    return ((m >> 7) * 0x0102040810204080ULL) >> 56;
  }
#else
  static constexpr ptrdiff_t kWidth = 1;
  static uint64_t Match(const char* p, char a, char b) { return (*p == a || *p == b) ? 1 : 0; }
#endif
  void Load(const char* p) {
    win_ = p;
    if (end_ - p >= kWidth) {
      mask_ = Match(p, a_, b_);
    } else {
      char block[kWidth] = {};
      if (end_ > p) std::memcpy(block, p, static_cast<size_t>(end_ - p));
      mask_ = Match(block, a_, b_);
    }
  }
  const char* win_ = nullptr;
  const char* const end_;
  const char a_;
  const char b_;
  uint64_t mask_ = 0;
};

// The first ' ' or '\n' in [p, end), or end.
inline const char* FindSpaceOrNewline(const char* p, const char* end) {
#if defined(CGMGR_PARSE_SSE2)
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i newline = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const unsigned m =
        static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, newline))));
    if (m != 0) return p + __builtin_ctz(m);
    p += 16;
  }
#endif
  while (p < end && *p != ' ' && *p != '\n') ++p;
  return p;
}

inline uint64_t Load8(const char* p) {
  uint64_t x;
  std::memcpy(&x, p, 8);
  return x;
}

// How many of the 8 bytes of x (little-endian) are ASCII digits before the first one that is not (0..8). Only the
// lowest non-digit byte is found exactly by this test, which is all that is asked.
inline unsigned LeadingDigits(uint64_t x) {
  const uint64_t m = ((x + 0x4646464646464646ULL) | (x - 0x3030303030303030ULL)) & 0x8080808080808080ULL;
  return m == 0 ? 8 : static_cast<unsigned>(__builtin_ctzll(m)) / 8;
}

// Value of a string of 8 ASCII digits loaded little-endian (first digit in the lowest byte).
inline uint64_t EightDigits(uint64_t x) {
  x -= 0x3030303030303030ULL;
  x = (x * 10) + (x >> 8);
  return (((x & 0x000000FF000000FFULL) * (100 + (1000000ULL << 32))) +
          (((x >> 16) & 0x000000FF000000FFULL) * (1 + (10000ULL << 32)))) >>
         32;
}

inline bool AllDigits(uint64_t x) {
  return (((x + 0x4646464646464646ULL) | (x - 0x3030303030303030ULL)) & 0x8080808080808080ULL) == 0;
}

// The digits [p, p + n), 1 <= n <= 8, when p + 8 <= limit (so 8 bytes may be loaded). False if one is not a digit.
inline bool ShortDigits(const char* p, size_t n, uint64_t* out) {
#if defined(CGMGR_PARSE_SWAR)
  uint64_t x;
  std::memcpy(&x, p, 8);
  const unsigned shift = static_cast<unsigned>(8 * (8 - n));
  // Keep the n digits (now in the high bytes) and put '0's in front of them.
  x = shift == 0 ? x : ((x << shift) | (0x3030303030303030ULL >> (64 - shift)));
  if (!AllDigits(x)) return false;
  *out = EightDigits(x);
  return true;
#else
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned char>(p[i]) - static_cast<unsigned>('0');
    if (d > 9) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
#endif
}

// fscommon.ParseUint of [p, p + n) where the bytes up to limit may be read: the common all-digits case of up to 16
// digits without a loop, everything else through GoParseUint.
__attribute__((always_inline)) inline bool FastGoParseUint(const char* p, size_t n, const char* limit, uint64_t* out) {
  if (n >= 1 && n <= 16 && limit - p >= 16) {
    uint64_t hi = 0;
    uint64_t lo = 0;
    if (n <= 8) {
      if (ShortDigits(p, n, out)) return true;
    } else if (ShortDigits(p, n - 8, &hi) && ShortDigits(p + (n - 8), 8, &lo)) {
      *out = hi * 100000000ULL + lo;
      return true;
    }
  }
  return GoParseUint(std::string_view(p, n), out);
}

inline void ClearSlots(Slots out, size_t n) {
  if (n == 0) return;
  std::memset(out.value, 0, n * sizeof(uint64_t));
  std::memset(out.flag, kAbsent, n);
}

inline void SetValue(Slots out, size_t i, uint64_t v) {
  out.value[i] = v;
  out.flag[i] = kValue;
}

}  // namespace cgmgr::scan

#endif  // CGMGR_PARSE_SCAN_H_
