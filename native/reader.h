// Batched reads: one call reads a plan's files for a list of cgroup handles and parses them into caller-owned rows.
// The same code serves the synchronous call and the asynchronous one (one worker per batch).
#ifndef CGMGR_READER_H_
#define CGMGR_READER_H_

#include <cstdint>
#include <vector>

#include "handle.h"
#include "parse/parse.h"
#include "plan.h"

namespace cgmgr {

// Per file status (Int32Array cell). Negative values are failed syscalls, EncodeSysStatus(syscall, errno).
// Keep in step with lib/engine.ts FILE_STATUS.
enum FileStatus : int32_t {
  kFileOk = 0,
  kFileMalformed = 1,
  kFileOverflow = 2,  // more entries than the plan's capacity; the count slot says how many
  kFileEmpty = 3,
  kFileNotInHierarchy = 4,  // the cgroup does not exist in that file's hierarchy (or it is not mounted)
  kFileSkipped = 5,         // not read: the handle is invalid
  kFileNotRead = 6,         // not read: the file's tier is above the row's (BatchOut::row_tier); its slots are absent
  kFileNotRegular = 7,      // not a regular file (a FIFO, device or directory): never read
};

// Per item status (Int32Array cell). Keep in step with lib/engine.ts ITEM_STATUS.
enum ItemStatus : int32_t {
  kItemOk = 0,         // the cgroup was there; file statuses say what was read
  kItemGone = 1,       // the cgroup was removed (held descriptors read ENODEV, or its path is gone or replaced)
  kItemBadHandle = 2,  // the id is not an open handle
};

// Why a file of a batch did not parse (its status is kFileMalformed, kFileEmpty or kFileOverflow).
struct FileParseError {
  uint32_t row;
  uint32_t file;  // index in the plan
  ParseError error;
};

// Output arrays of one batch, all owned by the caller (JS typed arrays).
struct BatchOut {
  uint64_t* values;      // rows * plan.slots cells (u64 bits, or doubles when as_double)
  uint8_t* flags;        // rows * plan.slots
  int32_t* file_status;  // rows * plan.files.size()
  int32_t* item_status;  // rows
  double* sample_ms;     // rows, may be null: CLOCK_REALTIME of the row's read, in ms (like Date.now())
  bool as_double;
  // Side table of parse failures, appended to only when a file fails to parse (nothing is allocated on success);
  // may be null (no diagnosis kept).
  std::vector<FileParseError>* parse_errors = nullptr;
  // Per row, the highest file tier read (PlanFile::tier); null reads every file. May be null.
  const uint8_t* row_tier = nullptr;
  // With row_tier: a file a row does not read keeps its cells (status, flags, values) as the caller's arrays hold them,
  // instead of kFileNotRead with its slots absent — for a caller that carries a file's values from an earlier read of
  // the same row (the collector's spec files).
  bool keep_unread = false;

  // Whether row `row` reads file `i` of `plan` (its tier is at most the row's).
  bool Reads(const Plan& plan, size_t row, size_t i) const {
    return row_tier == nullptr || plan.files[i].tier <= row_tier[row];
  }
  // Whether every file of `row` is written (read, or marked not read): false only where keep_unread leaves files alone.
  bool WritesWholeRow(const Plan& plan, size_t row) const {
    return !keep_unread || row_tier == nullptr || plan.max_tier <= row_tier[row];
  }
};

class Reader {
 public:
  Reader();
  // Reads one row: one pread per held file, openat + read + close for the others. Holds table.mutex() shared and the
  // handle's row lock for the duration of the row (other rows may be read by other workers meanwhile).
  void ReadRow(HandleTable& table, uint32_t id, const Plan& plan, BatchOut& out, size_t row);
  // Reads every row, row by row.
  void ReadBatch(HandleTable& table, const uint32_t* ids, size_t count, const Plan& plan, BatchOut& out);

 private:
  struct RowState {
    Handle* handle = nullptr;
    bool gone = false;
    uint64_t missing_in = 0;  // hierarchies (bit per index < 64) where a file was ENOENT
    uint64_t absent_in = 0;   // hierarchies where a file known absent was skipped (HandleTable::kKnownAbsent)
    uint64_t read_in = 0;     // cgroupfs hierarchies where a file was read (the cgroup is there)
    // Files that were ENOENT in this row: remembered as absent when the row finds the cgroup still there.
    static constexpr size_t kMaxNewAbsent = 16;
    uint32_t new_absent[kMaxNewAbsent];
    size_t new_absent_count = 0;
  };
  // Clears the row, stamps its time and finds its handle (nullptr: a bad handle, already reported).
  Handle* BeginRow(HandleTable& table, uint32_t id, const Plan& plan, BatchOut& out, size_t row);
  // Reads file i of the row (pread on its held descriptor, or openat + read + close) and parses it.
  void ReadFile(HandleTable& table, const Plan& plan, size_t i, RowState& st, BatchOut& out, size_t row);
  void FinishRow(HandleTable& table, const Plan& plan, RowState& st, BatchOut& out, size_t row);
  static void ToDoubles(uint64_t* values, const uint8_t* flags, size_t n);
  // Reads a whole file at offset 0 into buf_ (growing it when full). Returns bytes or -errno.
  long ReadAll(int fd);

  std::vector<char> buf_;
  ParseError parse_error_;  // the parsers' diagnosis of the file being read (written only when it fails)
};

}  // namespace cgmgr

#endif  // CGMGR_READER_H_
