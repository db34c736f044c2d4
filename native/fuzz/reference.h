// Reference implementations for the fuzz targets: the Go standard library functions and opencontainers/cgroups
// readers that native/parse reproduces, written the obvious way (std::string, std::vector, std::map, a literal port of
// bufio.Scanner's buffer handling, strtod for float values) and independently of native/parse/scan.h, so that a
// fuzz target can compare the two on every input. Test code only: allocates freely.
#ifndef CGMGR_FUZZ_REFERENCE_H_
#define CGMGR_FUZZ_REFERENCE_H_

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ref {

using std::string;
using std::vector;

// ---- unicode/utf8 and unicode.IsSpace --------------------------------------------------------------------------

constexpr uint32_t kRuneError = 0xFFFD;

// utf8.DecodeRuneInString.
inline std::pair<uint32_t, size_t> DecodeRune(const string& s, size_t i) {
  const size_t n = s.size() - i;
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char b0 = b(0);
  if (b0 < 0x80) return {b0, 1};
  auto cont = [&](size_t k, unsigned char lo, unsigned char hi) { return k < n && b(k) >= lo && b(k) <= hi; };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    if (cont(1, 0x80, 0xBF)) return {static_cast<uint32_t>((b0 & 0x1F) << 6 | (b(1) & 0x3F)), 2};
    return {kRuneError, 1};
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
    if (cont(1, lo, hi) && cont(2, 0x80, 0xBF)) {
      return {static_cast<uint32_t>((b0 & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F)), 3};
    }
    return {kRuneError, 1};
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    unsigned char lo = 0x80, hi = 0xBF;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
    if (cont(1, lo, hi) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF)) {
      return {static_cast<uint32_t>((b0 & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F)), 4};
    }
    return {kRuneError, 1};
  }
  return {kRuneError, 1};
}

inline bool RuneStart(unsigned char c) { return (c & 0xC0) != 0x80; }

// utf8.DecodeLastRuneInString.
inline std::pair<uint32_t, size_t> DecodeLastRune(const string& s, size_t end) {
  if (end == 0) return {kRuneError, 0};
  size_t start = end - 1;
  const unsigned char last = static_cast<unsigned char>(s[start]);
  if (last < 0x80) return {last, 1};
  const size_t lim = end >= 4 ? end - 4 : 0;
  for (;;) {
    if (RuneStart(static_cast<unsigned char>(s[start]))) break;
    if (start == lim) break;
    --start;
  }
  const string sub = s.substr(start, end - start);
  auto [r, size] = DecodeRune(sub, 0);
  if (start + size != end) return {kRuneError, 1};
  return {r, size};
}

inline bool IsSpace(uint32_t r) {
  if (r <= 0xFF)
    return r == '\t' || r == '\n' || r == '\v' || r == '\f' || r == '\r' || r == ' ' || r == 0x85 || r == 0xA0;
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F || r == 0x205F ||
         r == 0x3000;
}

// strings.TrimSpace.
inline string TrimSpace(const string& s) {
  size_t b = 0;
  while (b < s.size()) {
    auto [r, n] = DecodeRune(s, b);
    if (!IsSpace(r)) break;
    b += n;
  }
  size_t e = s.size();
  while (e > b) {
    auto [r, n] = DecodeLastRune(s, e);
    if (!IsSpace(r)) break;
    e -= n;
  }
  return s.substr(b, e - b);
}

// strings.FieldsFunc.
template <typename F>
vector<string> FieldsFunc(const string& s, F is_sep) {
  vector<string> out;
  size_t i = 0;
  size_t start = string::npos;
  while (i < s.size()) {
    auto [r, n] = DecodeRune(s, i);
    if (is_sep(r)) {
      if (start != string::npos) out.push_back(s.substr(start, i - start));
      start = string::npos;
    } else if (start == string::npos) {
      start = i;
    }
    i += n;
  }
  if (start != string::npos) out.push_back(s.substr(start));
  return out;
}

// strings.Fields.
inline vector<string> Fields(const string& s) { return FieldsFunc(s, IsSpace); }

// strings.Split(s, sep) for a one-byte sep.
inline vector<string> Split(const string& s, char sep) {
  vector<string> out;
  size_t p = 0;
  for (;;) {
    const size_t q = s.find(sep, p);
    if (q == string::npos) {
      out.push_back(s.substr(p));
      return out;
    }
    out.push_back(s.substr(p, q - p));
    p = q + 1;
  }
}

// ---- bufio.Scanner (ScanLines) over an *os.File, ported literally -----------------------------------------------

struct ScanResult {
  vector<string> lines;
  bool too_long = false;
};

inline ScanResult ScanLines(const string& data) {
  constexpr size_t kMaxTokenSize = 64 * 1024;
  constexpr size_t kStartBufSize = 4096;
  ScanResult res;
  vector<char> buf;
  size_t start = 0, end = 0, rpos = 0;
  bool eof = false;
  for (;;) {
    if (end > start || eof) {
      const char* d = buf.data() + start;
      const size_t len = end - start;
      size_t advance = 0;
      bool token = false;
      string tok;
      if (eof && len == 0) {
        // no token
      } else {
        const void* nl = len ? std::memchr(d, '\n', len) : nullptr;
        if (nl != nullptr) {
          const size_t i = static_cast<const char*>(nl) - d;
          advance = i + 1;
          tok.assign(d, i);
          token = true;
        } else if (eof) {
          advance = len;
          tok.assign(d, len);
          token = true;
        }
        if (token && !tok.empty() && tok.back() == '\r') tok.pop_back();
      }
      start += advance;
      if (token) {
        res.lines.push_back(tok);
        continue;
      }
    }
    if (eof) return res;
    if (start > 0 && (end == buf.size() || start > buf.size() / 2)) {
      if (end > start) std::memmove(buf.data(), buf.data() + start, end - start);
      end -= start;
      start = 0;
    }
    if (end == buf.size()) {
      if (buf.size() >= kMaxTokenSize) {
        res.too_long = true;
        return res;
      }
      size_t ns = buf.empty() ? kStartBufSize : buf.size() * 2;
      ns = std::min(ns, kMaxTokenSize);
      vector<char> nb(ns);
      if (end > start) std::memcpy(nb.data(), buf.data() + start, end - start);
      end -= start;
      start = 0;
      buf.swap(nb);
    }
    const size_t n = std::min(buf.size() - end, data.size() - rpos);
    if (n > 0) std::memcpy(buf.data() + end, data.data() + rpos, n);
    end += n;
    rpos += n;
    if (n == 0) eof = true;  // os.File: (0, io.EOF) at the end
  }
}

// ---- strconv ----------------------------------------------------------------------------------------------------

enum class NumErr { kNone, kSyntax, kRange };

inline unsigned char Lower(unsigned char c) { return c | ('x' - 'X'); }

// strconv.ParseUint(s, 10, bitSize), literally.
inline std::pair<uint64_t, NumErr> ParseUint(const string& s, int bit_size) {
  if (s.empty()) return {0, NumErr::kSyntax};
  const uint64_t cutoff = UINT64_MAX / 10 + 1;
  const uint64_t max_val = bit_size == 64 ? UINT64_MAX : (uint64_t{1} << bit_size) - 1;
  uint64_t n = 0;
  for (unsigned char c : s) {
    unsigned d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (Lower(c) >= 'a' && Lower(c) <= 'z') {
      d = Lower(c) - 'a' + 10;
    } else {
      return {0, NumErr::kSyntax};
    }
    if (d >= 10) return {0, NumErr::kSyntax};
    if (n >= cutoff) return {max_val, NumErr::kRange};
    n *= 10;
    const uint64_t n1 = n + d;
    if (n1 < n || n1 > max_val) return {max_val, NumErr::kRange};
    n = n1;
  }
  return {n, NumErr::kNone};
}

// strconv.ParseInt(s, 10, 64), literally.
inline std::pair<int64_t, NumErr> ParseInt(const string& s0) {
  if (s0.empty()) return {0, NumErr::kSyntax};
  string s = s0;
  bool neg = false;
  if (s[0] == '+') {
    s = s.substr(1);
  } else if (s[0] == '-') {
    neg = true;
    s = s.substr(1);
  }
  auto [un, err] = ParseUint(s, 64);
  if (err != NumErr::kNone && err != NumErr::kRange) return {0, err};
  const uint64_t cutoff = uint64_t{1} << 63;
  if (!neg && un >= cutoff) return {INT64_MAX, NumErr::kRange};
  if (neg && un > cutoff) return {INT64_MIN, NumErr::kRange};
  int64_t n = static_cast<int64_t>(un);
  if (neg) n = static_cast<int64_t>(0 - un);
  return {n, NumErr::kNone};
}

// fscommon.ParseUint, literally.
inline std::optional<uint64_t> FsParseUint(const string& s) {
  auto [v, err] = ParseUint(s, 64);
  if (err == NumErr::kNone) return v;
  auto [iv, ierr] = ParseInt(s);
  if (ierr == NumErr::kNone && iv < 0) return 0;
  if (ierr == NumErr::kRange && iv < 0) return 0;
  return std::nullopt;
}

inline std::optional<uint64_t> StrictUint(const string& s, int bits = 64) {
  auto [v, err] = ParseUint(s, bits);
  if (err != NumErr::kNone) return std::nullopt;
  return v;
}

// strconv.Atoi on a 64-bit platform.
inline std::optional<int64_t> Atoi(const string& s) {
  if (!s.empty() && s.size() < 19) {
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+') {
      i = 1;
      if (s.size() < 2) return std::nullopt;
    }
    int64_t n = 0;
    for (; i < s.size(); ++i) {
      const unsigned d = static_cast<unsigned char>(s[i]) - '0';
      if (d > 9) return std::nullopt;
      n = n * 10 + d;
    }
    return s[0] == '-' ? -n : n;
  }
  auto [v, err] = ParseInt(s);
  if (err != NumErr::kNone) return std::nullopt;
  return v;
}

// ---- strconv.ParseFloat: syntax from the Go spec's float literal grammar, value from strtod ----------------------

class FloatGrammar {
 public:
  explicit FloatGrammar(const string& s) : s_(s) {}
  // [sign] (decimal integer | decimal float | hex float); underscores per the grammar.
  bool Match() {
    i_ = 0;
    if (At('+') || At('-')) ++i_;
    const size_t body = i_;
    if (HexFloat()) return i_ == s_.size();
    i_ = body;
    if (DecimalFloatOrInt()) return i_ == s_.size();
    return false;
  }

 private:
  bool At(char c) const { return i_ < s_.size() && s_[i_] == c; }
  bool AtFold(char lower) const { return i_ < s_.size() && (s_[i_] | 0x20) == lower; }
  static bool Dec(char c) { return c >= '0' && c <= '9'; }
  static bool Hex(char c) { return Dec(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
  // digits { [ "_" ] digit }
  bool Digits(bool (*is)(char)) {
    if (!(i_ < s_.size() && is(s_[i_]))) return false;
    ++i_;
    for (;;) {
      if (i_ < s_.size() && is(s_[i_])) {
        ++i_;
      } else if (At('_') && i_ + 1 < s_.size() && is(s_[i_ + 1])) {
        i_ += 2;
      } else {
        return true;
      }
    }
  }
  bool Exponent(char lower) {
    if (!AtFold(lower)) return false;
    const size_t save = i_;
    ++i_;
    if (At('+') || At('-')) ++i_;
    if (!Digits(Dec)) {
      i_ = save;
      return false;
    }
    return true;
  }
  bool DecimalFloatOrInt() {
    if (Digits(Dec)) {
      if (At('.')) {
        ++i_;
        Digits(Dec);
      }
      Exponent('e');
      return true;
    }
    if (At('.')) {
      ++i_;
      if (!Digits(Dec)) return false;
      Exponent('e');
      return true;
    }
    return false;
  }
  bool HexFloat() {
    if (!(At('0') && i_ + 1 < s_.size() && (s_[i_ + 1] | 0x20) == 'x')) return false;
    i_ += 2;
    if (At('_') && i_ + 1 < s_.size() && Hex(s_[i_ + 1])) ++i_;
    if (Digits(Hex)) {
      if (At('.')) {
        ++i_;
        Digits(Hex);
      }
    } else if (At('.')) {
      ++i_;
      if (!Digits(Hex)) return false;
    } else {
      return false;
    }
    return Exponent('p');
  }
  const string& s_;
  size_t i_ = 0;
};

inline bool FoldEq(const string& s, const char* lower) {
  if (s.size() != std::strlen(lower)) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    if (c != lower[i]) return false;
  }
  return true;
}

// strconv.ParseFloat(s, 64) == nil, with its value's bits.
inline std::optional<uint64_t> ParseFloatBits(const string& s) {
  auto bits = [](double d) {
    uint64_t b;
    std::memcpy(&b, &d, 8);
    return b;
  };
  string body = s;
  bool neg = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    neg = body[0] == '-';
    body = body.substr(1);
  }
  if (FoldEq(body, "inf") || FoldEq(body, "infinity")) return bits(neg ? -HUGE_VAL : HUGE_VAL);
  if (FoldEq(s, "nan")) return uint64_t{0x7FF8000000000001ULL};
  if (!FloatGrammar(s).Match()) return std::nullopt;
  string plain;
  for (char c : s) {
    if (c != '_') plain.push_back(c);
  }
  errno = 0;
  char* endp = nullptr;
  const double d = std::strtod(plain.c_str(), &endp);
  if (endp != plain.c_str() + plain.size()) return std::nullopt;  // cannot happen after the grammar
  if (d == HUGE_VAL || d == -HUGE_VAL) return std::nullopt;       // ErrRange
  return bits(d);
}

}  // namespace ref

#endif  // CGMGR_FUZZ_REFERENCE_H_
