// The diagnosis of a failed parse (ParseError): where it failed and on what, cut to the record's bounds.
#include <cstring>

#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

namespace {

// The longest prefix of s of at most max bytes that does not end inside a UTF-8 sequence (a cut through a rune would
// quote as \x escapes that are not in the file's token).
size_t CutAtRune(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t n = max;
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the rune that the cut goes through, if any.
  size_t back = 0;
  while (n > 0 && back < 3 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
    --n;
    ++back;
  }
  return n == 0 ? max : n;
}

}  // namespace

__attribute__((cold)) void SetParseError(ParseError* err, ParseReason reason, std::string_view text, const char* at,
                                         std::string_view field, std::string_view token) {
  if (err == nullptr) return;
  err->reason = reason;
  err->line = 0;
  if (at != nullptr && at >= text.data() && at <= text.data() + text.size()) {
    uint64_t line = 1;
    const char* p = text.data();
    while (p < at) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(at - p)));
      if (nl == nullptr) break;
      ++line;
      p = nl + 1;
    }
    err->line = line > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(line);
  }
  const size_t flen = CutAtRune(field, ParseError::kMaxField);
  if (flen > 0) std::memcpy(err->field, field.data(), flen);
  err->field_len = static_cast<uint8_t>(flen);
  const size_t tlen = CutAtRune(token, ParseError::kMaxToken);
  if (tlen > 0) std::memcpy(err->token, token.data(), tlen);
  err->token_len = static_cast<uint16_t>(tlen);
  err->token_size = token.size() > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(token.size());
}

__attribute__((cold)) void SetUintError(ParseError* err, std::string_view text, std::string_view field,
                                        std::string_view token, uint64_t max) {
  if (err == nullptr) return;
  uint64_t ignored = 0;
  const scan::UintResult r = scan::ScanUint(token, max, &ignored);
  SetParseError(err, r == scan::UintResult::kRange ? ParseReason::kUintRange : ParseReason::kUintSyntax, text,
                token.data(), field, token);
}

}  // namespace cgmgr
