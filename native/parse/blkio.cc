// cgroup v1 blkio statistics (blkio.throttle.io_service_bytes_recursive, blkio.io_serviced, blkio.bfq.*, ...), as
// fs/blkio.go getBlkioStat reads them:
//   8:0 Read 4096
//   8:0 Write 0
//   ...
//   Total 4096
// bufio.Scanner lines, each split with strings.FieldsFunc on ' ' and ':' (only those two: a tab is part of a field).
#include "parse/parse.h"
#include "parse/scan.h"

namespace cgmgr {

namespace {

BlkioOp OpCode(std::string_view op) {
  if (op == "Read") return kOpRead;
  if (op == "Write") return kOpWrite;
  if (op == "Sync") return kOpSync;
  if (op == "Async") return kOpAsync;
  if (op == "Discard") return kOpDiscard;
  if (op == "Total") return kOpTotal;
  return kOpOther;
}

// Up to 4 fields of the line into f; returns the number of fields, capped at 5 (5 meaning "more than 4").
size_t SplitBlkio(std::string_view line, std::string_view f[4]) {
  size_t n = 0;
  size_t i = 0;
  const size_t len = line.size();
  while (i < len) {
    while (i < len && (line[i] == ' ' || line[i] == ':')) ++i;
    if (i >= len) break;
    const size_t start = i;
    while (i < len && line[i] != ' ' && line[i] != ':') ++i;
    if (n == 4) return 5;
    f[n++] = line.substr(start, i - start);
  }
  return n;
}

// Why a blkio file that ParseBlkio found malformed is so: the first line that fails, by the same rules (the hot loop
// below records nothing, so that the success path keeps its registers). Cold: only after a failure.
__attribute__((cold, noinline)) void BlkioError(std::string_view text, ParseError* err) {
  if (err == nullptr) return;
  scan::Lines lines(text);
  std::string_view line;
  uint64_t ignored = 0;
  while (lines.Next(&line)) {
    std::string_view f[4];
    const size_t n = SplitBlkio(line, f);
    if (n < 3) {
      if (n == 2 && f[0] == "Total") continue;
      SetParseError(err, ParseReason::kMalformedLine, text, line.data(), {}, line);
      return;
    }
    if (!scan::ParseUintStrict(f[0], &ignored)) return SetUintError(err, text, "major", f[0]);
    if (!scan::ParseUintStrict(f[1], &ignored)) return SetUintError(err, text, "minor", f[1]);
    const std::string_view value = n == 4 ? f[3] : f[2];
    if (!scan::ParseUintStrict(value, &ignored)) return SetUintError(err, text, "value", value);
  }
  if (lines.error()) SetParseError(err, ParseReason::kLineTooLong, text, lines.position(), {}, {});
}

}  // namespace

ParseStatus ParseBlkio(std::string_view text, Slots out, uint32_t cap, uint32_t* count, ParseError* err) {
  uint64_t entries = 0;
  ParseStatus result = ParseStatus::kOk;
  scan::Lines lines(text);
  std::string_view line;
  while (lines.Next(&line)) {
    std::string_view f[4];
    const size_t n = SplitBlkio(line, f);
    if (n < 3) {
      if (n == 2 && f[0] == "Total") continue;
      result = ParseStatus::kMalformed;  // malformedLine
      break;
    }
    uint64_t major = 0;
    uint64_t minor = 0;
    uint64_t value = 0;
    BlkioOp op = kOpNone;
    // len(fields) == 4: "MAJ MIN OP VALUE"; 3 or more than 4: "MAJ MIN VALUE ..." with op "".
    if (!scan::ParseUintStrict(f[0], &major) || !scan::ParseUintStrict(f[1], &minor)) {
      result = ParseStatus::kMalformed;
      break;
    }
    if (n == 4) {
      op = OpCode(f[2]);
      if (!scan::ParseUintStrict(f[3], &value)) {
        result = ParseStatus::kMalformed;
        break;
      }
    } else if (!scan::ParseUintStrict(f[2], &value)) {
      result = ParseStatus::kMalformed;
      break;
    }
    if (entries < cap) {
      const size_t base = static_cast<size_t>(entries) * kBlkioSlotsPerEntry;
      scan::SetValue(out, base, major);
      scan::SetValue(out, base + 1, minor);
      scan::SetValue(out, base + 2, op);
      scan::SetValue(out, base + 3, value);
    }
    ++entries;
  }
  *count = entries > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(entries);
  if (result != ParseStatus::kOk || lines.error()) {
    BlkioError(text, err);
    return ParseStatus::kMalformed;
  }
  if (entries <= cap) return ParseStatus::kOk;
  SetParseError(err, ParseReason::kTooMany, text, nullptr, {}, {});
  return ParseStatus::kOverflow;
}

}  // namespace cgmgr
