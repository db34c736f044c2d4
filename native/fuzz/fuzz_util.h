// Shared by the fuzz targets: exactly sized copies of the input (so ASan reports any read past the end), slots with
// guard cells after them, and a CHECK that aborts with a message (libFuzzer then saves the input).
#ifndef CGMGR_FUZZ_UTIL_H_
#define CGMGR_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "parse/parse.h"

#define FUZZ_CHECK(cond, ...)                                                                \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                                                     \
      std::fprintf(stderr, "\n");                                                            \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace fuzz {

// A heap copy of exactly n bytes: the parser gets nothing past the end to read.
class ExactBuffer {
 public:
  ExactBuffer(const uint8_t* data, size_t n) : p_(new char[n == 0 ? 1 : n]), n_(n) {
    if (n) std::memcpy(p_, data, n);
  }
  ~ExactBuffer() { delete[] p_; }
  ExactBuffer(const ExactBuffer&) = delete;
  ExactBuffer& operator=(const ExactBuffer&) = delete;
  // For n == 0 the view points at a 1-byte allocation but has size 0.
  std::string_view view() const { return std::string_view(p_, n_); }
  std::string str() const { return std::string(p_, n_); }

 private:
  char* p_;
  size_t n_;
};

constexpr uint64_t kCanaryValue = 0xC0FFEE0DDBA11ULL;
constexpr uint8_t kCanaryFlag = 0xEE;
constexpr size_t kGuard = 8;

// n slots followed by kGuard guard cells, everything pre-filled with canaries.
class GuardedSlots {
 public:
  explicit GuardedSlots(size_t n) : n_(n), values_(n + kGuard, kCanaryValue), flags_(n + kGuard, kCanaryFlag) {}
  cgmgr::Slots slots() { return cgmgr::Slots{values_.data(), flags_.data()}; }
  uint64_t value(size_t i) const { return values_[i]; }
  uint8_t flag(size_t i) const { return flags_[i]; }
  size_t size() const { return n_; }
  // The guard cells are untouched.
  void CheckGuard() const {
    for (size_t i = n_; i < n_ + kGuard; ++i) {
      FUZZ_CHECK(values_[i] == kCanaryValue && flags_[i] == kCanaryFlag, "slot %zu past the %zu slots was written", i,
                 n_);
    }
  }
  // Slots [from, to) hold a flag 0..3, and the value its flag promises.
  void CheckFlags(size_t from, size_t to, bool float_ok) const {
    for (size_t i = from; i < to; ++i) {
      const uint8_t f = flags_[i];
      FUZZ_CHECK(f <= cgmgr::kFloat, "slot %zu: flag %u", i, f);
      if (f == cgmgr::kAbsent)
        FUZZ_CHECK(values_[i] == 0, "slot %zu: absent but value %llu", i, static_cast<unsigned long long>(values_[i]));
      if (f == cgmgr::kMax)
        FUZZ_CHECK(values_[i] == UINT64_MAX, "slot %zu: kMax but value %llu", i,
                   static_cast<unsigned long long>(values_[i]));
      if (f == cgmgr::kFloat) FUZZ_CHECK(float_ok, "slot %zu: unexpected kFloat", i);
    }
  }

 private:
  size_t n_;
  std::vector<uint64_t> values_;
  std::vector<uint8_t> flags_;
};

inline int Status(cgmgr::ParseStatus s) { return static_cast<int>(s); }

inline void CheckStatus(cgmgr::ParseStatus s) {
  const int v = Status(s);
  FUZZ_CHECK(v >= 0 && v <= 3, "status %d", v);
}

// The parser's diagnosis agrees with its status and is well-formed: ok leaves it alone; every failure has a reason of
// the enum (kOverflow's is kTooMany; kEmpty's kEmpty, or ParseSingle's ParseUint error of ""); the field and token
// fit their bounds; a token is bytes of the text (every parser points into the text it was given) and is cut only
// when it is longer than the bound; the line is within the text's lines.
inline void CheckParseError(const cgmgr::ParseError& e, cgmgr::ParseStatus st, std::string_view text) {
  using cgmgr::ParseReason;
  const int r = static_cast<int>(e.reason);
  if (st == cgmgr::ParseStatus::kOk) {
    FUZZ_CHECK(e.reason == ParseReason::kNone, "ok but reason %d", r);
    return;
  }
  FUZZ_CHECK(e.reason != ParseReason::kNone && e.reason < ParseReason::kCount, "status %d: reason %d", Status(st), r);
  if (st == cgmgr::ParseStatus::kOverflow) FUZZ_CHECK(e.reason == ParseReason::kTooMany, "overflow: reason %d", r);
  if (st == cgmgr::ParseStatus::kEmpty) {
    FUZZ_CHECK(e.reason == ParseReason::kEmpty || e.reason == ParseReason::kUintSyntax, "empty: reason %d", r);
  }
  if (st == cgmgr::ParseStatus::kMalformed) {
    FUZZ_CHECK(e.reason != ParseReason::kTooMany && e.reason != ParseReason::kEmpty, "malformed: reason %d", r);
  }
  FUZZ_CHECK(e.field_len <= cgmgr::ParseError::kMaxField, "field_len %u", e.field_len);
  FUZZ_CHECK(e.token_len <= cgmgr::ParseError::kMaxToken, "token_len %u", e.token_len);
  FUZZ_CHECK(e.token_len <= e.token_size, "token_len %u > token_size %u", e.token_len, e.token_size);
  FUZZ_CHECK(e.token_size <= text.size(), "token_size %u > text %zu", e.token_size, text.size());
  if (e.token_size <= cgmgr::ParseError::kMaxToken) {
    FUZZ_CHECK(e.token_len == e.token_size, "short token cut: %u of %u", e.token_len, e.token_size);
  } else {
    FUZZ_CHECK(e.token_len + 3 >= cgmgr::ParseError::kMaxToken, "long token cut to %u", e.token_len);
  }
  if (e.token_len > 0) {
    FUZZ_CHECK(text.find(std::string_view(e.token, e.token_len)) != std::string_view::npos, "token not in the text");
  }
  size_t lines = 1;
  for (const char c : text) lines += c == '\n' ? 1 : 0;
  FUZZ_CHECK(e.line <= lines, "line %u of %zu", e.line, lines);
}

// Splits "<header>\n<body>" (no '\n': empty header). Used to let the fuzzer choose keys.
inline void SplitHeader(const uint8_t* data, size_t size, std::string* header, const uint8_t** body,
                        size_t* body_size) {
  const void* nl = size ? std::memchr(data, '\n', size) : nullptr;
  if (nl == nullptr) {
    header->clear();
    *body = data;
    *body_size = size;
    return;
  }
  const size_t h = static_cast<const uint8_t*>(nl) - data;
  header->assign(reinterpret_cast<const char*>(data), h);
  *body = data + h + 1;
  *body_size = size - h - 1;
}

// Space separated words of the header, at most max of them (empty words kept: "a  b" gives "a", "", "b").
inline std::vector<std::string> Words(const std::string& header, size_t max) {
  std::vector<std::string> out;
  if (header.empty()) return out;
  size_t p = 0;
  while (out.size() < max) {
    const size_t q = header.find(' ', p);
    out.push_back(header.substr(p, q == std::string::npos ? std::string::npos : q - p));
    if (q == std::string::npos) break;
    p = q + 1;
  }
  return out;
}

}  // namespace fuzz

#endif  // CGMGR_FUZZ_UTIL_H_
