// Parsers for every cgroup file format of spec §3.2.
//
// Contract shared by all parsers:
//  * Input is the whole file content as read (a string_view; it need not be NUL-terminated).
//  * Nothing is allocated; results go into caller-provided slots.
//  * A slot is one 64-bit cell plus a flag byte. The flag says what the cell holds:
//      kAbsent  nothing was found for this slot (the cell is left 0)
//      kValue   an unsigned integer
//      kMax     the literal "max" (the cell holds UINT64_MAX)
//      kFloat   the bits of an IEEE double (PSI averages)
//  * Numbers follow opencontainers/cgroups' ParseUint: strict base-10 unsigned; if that fails and the text is a
//    negative base-10 integer (even below INT64_MIN) the value is 0; anything else is malformed.
//  * Every parser returns a ParseStatus. On kMalformed the slots may be partly filled.
//  * Every parser takes an optional ParseError*: on a status other than kOk it says why (reason, line, field and the
//    offending token, bounded), as the library would word it. It is written only on failure, so a caller that keeps
//    one on its stack pays nothing on success; nullptr skips the diagnosis.
#ifndef CGMGR_PARSE_PARSE_H_
#define CGMGR_PARSE_PARSE_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace cgmgr {

enum SlotFlag : uint8_t { kAbsent = 0, kValue = 1, kMax = 2, kFloat = 3 };

struct Slots {
  uint64_t* value;
  uint8_t* flag;
};

enum class ParseStatus : int32_t {
  kOk = 0,
  kMalformed = 1,  // content does not follow the format
  kOverflow = 2,   // more entries than the caller's capacity; *count says how many there were
  kEmpty = 3,      // the file is empty (or only whitespace) where a value is required
};

// Why a parse failed. Keep in step with lib/engine.ts PARSE_REASON.
enum class ParseReason : uint8_t {
  kNone = 0,
  kUintSyntax = 1,     // strconv.ParseUint: invalid syntax (token: the number's text)
  kUintRange = 2,      // strconv.ParseUint: value out of range
  kFloatSyntax = 3,    // strconv.ParseFloat: invalid syntax (PSI averages)
  kFloatRange = 4,     // strconv.ParseFloat: value out of range
  kKeyValueLine = 5,   // fscommon.ParseKeyValue: the line is not in "key value" format (token: the line)
  kMalformedLine = 6,  // malformedLine of fs/blkio.go, fs/cpuacct.go (token: the line; cpuacct.stat: the whole text)
  kNoEquals = 7,       // PSI: a token without '=' (token: it)
  kEmpty = 8,          // the file is empty where a value is required (status kEmpty)
  kReversedRange = 9,  // cpuset: a range whose start is after its end (token: the range)
  kLineTooLong = 10,   // bufio.Scanner: token too long (a line of 64 KiB or more)
  kNoFields = 11,      // PSI: a line without fields (the Go reader would panic)
  kTooMany = 12,       // more entries than the capacity (status kOverflow; token empty)
  kNotPid = 13,        // cgroup.procs: a line that is not a pid in 1..2^31-1 (token: the line)
  kCount = 14,
};

// The diagnosis of a failed parse.
struct ParseError {
  static constexpr size_t kMaxToken = 256;  // bytes of the token kept (a longer one is cut at a UTF-8 boundary)
  static constexpr size_t kMaxField = 64;
  ParseReason reason = ParseReason::kNone;
  uint32_t line = 0;        // 1-based line of the token in the file (0: no position)
  uint32_t token_size = 0;  // the whole token's size; token_len < token_size when it was cut
  uint16_t token_len = 0;
  uint8_t field_len = 0;
  char field[kMaxField];  // the key whose value failed (flat keyed, PSI, io.stat), "major"/"minor", or empty
  char token[kMaxToken];
};

// Fills *err (when err is not null): reason, the line of `at` (a pointer into text, or nullptr for none), the field
// and the token (each cut to its bound). Cold: only failing parses call it.
void SetParseError(ParseError* err, ParseReason reason, std::string_view text, const char* at, std::string_view field,
                   std::string_view token);
// The strconv.ParseUint(token, 10, bits) error of a token that failed (kUintSyntax or kUintRange), into *err.
void SetUintError(ParseError* err, std::string_view text, std::string_view field, std::string_view token,
                  uint64_t max = UINT64_MAX);

// The keys a keyed parser extracts, in slot order.
struct KeySet {
  const std::string_view* keys;
  uint32_t count;
};

// Go-compatible unsigned parse of one token (no surrounding whitespace). Returns false when malformed.
bool ParseUintToken(std::string_view token, uint64_t* out);

// Single value file (memory.usage_in_bytes, pids.max, cpu.weight, ...): 1 slot. Surrounding whitespace trimmed;
// "max" -> kMax; empty -> kEmpty.
ParseStatus ParseSingle(std::string_view text, Slots out, ParseError* err = nullptr);

// Flat keyed file (memory.stat, cpu.stat, memory.events): "key value" per line, split at the first space.
// strict = true (the library's ParseKeyValue over the whole file): every non-empty line must have a non-empty key and
//   a value that parses ("max" is NOT special here), else kMalformed.
// strict = false (the library's single-key lookup): no line-format check; the first line that starts with "<key> "
//   gives the value; a bad value of a requested key is kMalformed; other lines are ignored.
// Either way, a requested key that does not occur leaves its slot kAbsent. keys.count slots.
ParseStatus ParseFlatKeyed(std::string_view text, KeySet keys, bool strict, Slots out, ParseError* err = nullptr);

// Whitespace separated list of unsigned numbers (cpuacct.usage_percpu): strict unsigned (no negative -> 0 rule),
// up to cap slots; *count = number of entries in the file.
ParseStatus ParseList(std::string_view text, Slots out, uint32_t cap, uint32_t* count, ParseError* err = nullptr);

// v2 cpu.max ("$MAX $PERIOD\n", $MAX a number or "max"): strings.Fields must give exactly two fields, the quota
// ("max" -> kMax, else strict unsigned) and the period (strict unsigned). 2 slots: quota, period. Empty -> kEmpty.
ParseStatus ParseCpuMax(std::string_view text, Slots out, ParseError* err = nullptr);

// cpuacct.stat: the first four whitespace fields must be "user <n> system <n>". 2 slots: user ticks, system ticks.
ParseStatus ParseCpuacctStat(std::string_view text, Slots out, ParseError* err = nullptr);

// PSI (cpu.pressure, memory.pressure, io.pressure). 8 slots: some avg10, avg60, avg300 (kFloat), total (kValue),
// then full avg10, avg60, avg300, total. Lines whose first word is not "some"/"full" are ignored; unknown keys
// ignored; a token without "=" or a bad number is kMalformed.
ParseStatus ParsePsi(std::string_view text, Slots out, ParseError* err = nullptr);
constexpr uint32_t kPsiSlots = 8;

// io.stat (v2): "MAJ:MIN key=value ..." per line. Per device (in order of first appearance) 2 + keys.count slots:
// major, minor, then the requested keys. Lines with fewer than 2 fields, or whose first field does not have exactly
// one ":", are skipped; tokens without exactly one "=" are skipped; a later line for the same device replaces the
// earlier one (its key slots are reset first); a non-numeric major/minor, or a non-numeric value of a requested key,
// is kMalformed (values of keys not requested are never parsed). Up to cap devices; *count = devices in the file.
ParseStatus ParseIoStat(std::string_view text, KeySet keys, Slots out, uint32_t cap, uint32_t* count,
                        ParseError* err = nullptr);

// blkio (v1) lines: fields split on spaces and ":"; "MAJ MIN OP VALUE" or "MAJ MIN VALUE" (op ""); a 2-field line
// starting with "Total" is skipped; anything else is kMalformed. 4 slots per entry: major, minor, op code (BlkioOp),
// value. Up to cap entries; *count = entries in the file (0 for a file with no data lines).
enum BlkioOp : uint64_t {
  kOpNone = 0,
  kOpRead = 1,
  kOpWrite = 2,
  kOpSync = 3,
  kOpAsync = 4,
  kOpDiscard = 5,
  kOpTotal = 6,
  kOpOther = 7
};
ParseStatus ParseBlkio(std::string_view text, Slots out, uint32_t cap, uint32_t* count, ParseError* err = nullptr);
constexpr uint32_t kBlkioSlotsPerEntry = 4;

// cpuset list ("0-3,8,10-11\n"): validates the format; 1 slot = number of CPUs (or nodes) in the set.
// Empty -> kEmpty (the library's "empty file" error). A range with end < start is kMalformed.
ParseStatus ParseCpuset(std::string_view text, Slots out, ParseError* err = nullptr);

// cgroup.procs / cgroup.threads: one pid per line, blank lines skipped; each must be a positive 32-bit integer.
// Up to cap pids into out; *count = pids in the file.
ParseStatus ParsePidList(std::string_view text, int32_t* out, uint32_t cap, uint32_t* count, ParseError* err = nullptr);

// Number of '\n' characters (v2's pids.current fallback).
uint32_t CountNewlines(std::string_view text);

}  // namespace cgmgr

#endif  // CGMGR_PARSE_PARSE_H_
