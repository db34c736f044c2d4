#include "reader.h"

#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <string_view>

#include "errors.h"
#include "parse/parse.h"

namespace cgmgr {
namespace {

constexpr size_t kInitialBuffer = 64 * 1024;
constexpr size_t kMaxBuffer = 16 * 1024 * 1024;

int32_t StatusOf(ParseStatus s) {
  switch (s) {
    case ParseStatus::kOk:
      return kFileOk;
    case ParseStatus::kMalformed:
      return kFileMalformed;
    case ParseStatus::kOverflow:
      return kFileOverflow;
    case ParseStatus::kEmpty:
      return kFileEmpty;
  }
  return kFileMalformed;
}

int32_t ParseInto(const PlanFile& f, std::string_view text, Slots s, ParseError* err) {
  KeySet keys{f.keys.data(), static_cast<uint32_t>(f.keys.size())};
  uint32_t count = 0;
  ParseStatus st = ParseStatus::kOk;
  switch (f.format) {
    case Format::kSingle:
      st = ParseSingle(text, s, err);
      break;
    case Format::kFlatKeyed:
      st = ParseFlatKeyed(text, keys, true, s, err);
      break;
    case Format::kKeyLookup:
      st = ParseFlatKeyed(text, keys, false, s, err);
      break;
    case Format::kList:
      st = ParseList(text, Slots{s.value + 1, s.flag + 1}, f.cap, &count, err);
      break;
    case Format::kCpuacctStat:
      st = ParseCpuacctStat(text, s, err);
      break;
    case Format::kPsi:
      st = ParsePsi(text, s, err);
      break;
    case Format::kIoStat:
      st = ParseIoStat(text, keys, Slots{s.value + 1, s.flag + 1}, f.cap, &count, err);
      break;
    case Format::kBlkio:
      st = ParseBlkio(text, Slots{s.value + 1, s.flag + 1}, f.cap, &count, err);
      break;
    case Format::kCpuset:
      st = ParseCpuset(text, s, err);
      break;
    case Format::kCpuMax:
      st = ParseCpuMax(text, s, err);
      break;
    case Format::kNewlines:
      s.value[0] = CountNewlines(text);
      s.flag[0] = kValue;
      break;
    case Format::kCount:
      return kFileMalformed;
  }
  if (f.format == Format::kList || f.format == Format::kIoStat || f.format == Format::kBlkio) {
    s.value[0] = count;
    s.flag[0] = kValue;
  }
  return StatusOf(st);
}

double NowMs() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

}  // namespace

Reader::Reader() : buf_(kInitialBuffer) {}

long Reader::ReadAll(int fd) {
  for (;;) {
    ssize_t n = pread(fd, buf_.data(), buf_.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    // A cgroup file is generated whole at offset 0; a read that fills the buffer may have been cut short.
    if (static_cast<size_t>(n) < buf_.size()) return n;
    if (buf_.size() >= kMaxBuffer) return -EFBIG;  // no cgroup file is this big: refuse it rather than parse a part
    buf_.resize(buf_.size() * 4);
  }
}

Handle* Reader::BeginRow(HandleTable& table, uint32_t id, const Plan& plan, BatchOut& out, size_t row) {
  // Only the flags are cleared: a value cell counts only where its flag says so (every reader of a result checks the
  // flag first), so clearing 8 bytes per slot of a wide row (device lists) every sweep would only churn the cache.
  // A file the row does not read keeps its flags (and status) under keep_unread.
  const bool whole = out.WritesWholeRow(plan, row);
  if (whole) {
    memset(out.flags + row * plan.slots, 0, plan.slots);
  } else {
    for (size_t i = 0; i < plan.files.size(); i++) {
      const PlanFile& f = plan.files[i];
      if (out.Reads(plan, row, i)) memset(out.flags + row * plan.slots + f.slot_offset, 0, f.slot_count);
    }
  }
  if (out.sample_ms != nullptr) out.sample_ms[row] = NowMs();
  Handle* h = table.Get(id);
  if (h == nullptr) {
    int32_t* status = out.file_status + row * plan.files.size();
    for (size_t i = 0; i < plan.files.size(); i++) {
      if (whole || out.Reads(plan, row, i)) status[i] = kFileSkipped;
    }
    out.item_status[row] = kItemBadHandle;
  }
  return h;
}

void Reader::ReadFile(HandleTable& table, const Plan& plan, size_t i, RowState& st, BatchOut& out, size_t row) {
  const PlanFile& f = plan.files[i];
  int32_t* status = out.file_status + row * plan.files.size() + i;
  int32_t sc = 0;
  bool held = false;
  int fd = table.OpenFile(*st.handle, f.file_id, false, f.hold, &held, &sc);
  if (fd == HandleTable::kNotInHierarchy) {
    *status = kFileNotInHierarchy;
    return;
  }
  if (fd == HandleTable::kNotRegular) {
    *status = kFileNotRegular;
    return;
  }
  if (fd == HandleTable::kKnownAbsent) {
    *status = EncodeSysStatus(kSysOpenat, ENOENT);
    if (f.hierarchy < 64) st.absent_in |= 1ull << f.hierarchy;
    return;
  }
  if (fd < 0) {
    *status = EncodeSysStatus(sc, -fd);
    if (fd == -ENOENT && f.hierarchy < 64) {
      st.missing_in |= 1ull << f.hierarchy;
      // Only a file's own ENOENT (openat in a resolved directory) says the file is absent.
      if (sc == kSysOpenat && st.new_absent_count < RowState::kMaxNewAbsent)
        st.new_absent[st.new_absent_count++] = f.file_id;
    }
    return;
  }
  long n = ReadAll(fd);
  if (n < 0) {
    *status = EncodeSysStatus(kSysPread, static_cast<int>(-n));
    if (n == -ENODEV) st.gone = true;
    if (held) table.DropFile(*st.handle, f.file_id);  // a dead descriptor is of no further use
    else close(fd);
    return;
  }
  if (!held) close(fd);
  if (f.hierarchy < 64 && table.hierarchy(f.hierarchy).cgroupfs) st.read_in |= 1ull << f.hierarchy;
  ParseError* const err = out.parse_errors != nullptr ? &parse_error_ : nullptr;
  *status = ParseInto(
      f, std::string_view(buf_.data(), static_cast<size_t>(n)),
      Slots{out.values + row * plan.slots + f.slot_offset, out.flags + row * plan.slots + f.slot_offset}, err);
  if (*status != kFileOk && err != nullptr) {
    out.parse_errors->push_back(FileParseError{static_cast<uint32_t>(row), static_cast<uint32_t>(i), *err});
    parse_error_.reason = ParseReason::kNone;
  }
}

void Reader::FinishRow(HandleTable& table, const Plan& plan, RowState& st, BatchOut& out, size_t row) {
  table.EndRow(*st.handle);
  // A file that is not there is either absent from a live cgroup or the sign that the cgroup went away: tell apart.
  // A file remembered absent needs no check where another file of its hierarchy was read in this row (a removed cgroup's
  // files read ENODEV, or do not open at all).
  uint64_t check = st.missing_in | (st.absent_in & ~st.read_in);
  for (uint32_t hier = 0; !st.gone && check != 0 && hier < 64; hier++) {
    if ((check >> hier) & 1) st.gone = table.IsGone(*st.handle, hier);
  }
  if (!st.gone) {
    for (size_t k = 0; k < st.new_absent_count; k++) table.MarkAbsent(*st.handle, st.new_absent[k]);
  }
  out.item_status[row] = st.gone ? kItemGone : kItemOk;
  if (!out.as_double) return;
  if (out.WritesWholeRow(plan, row)) {
    ToDoubles(out.values + row * plan.slots, out.flags + row * plan.slots, plan.slots);
    return;
  }
  // The cells of a file kept as the caller held them are doubles already.
  for (size_t i = 0; i < plan.files.size(); i++) {
    const PlanFile& f = plan.files[i];
    if (out.Reads(plan, row, i))
      ToDoubles(out.values + row * plan.slots + f.slot_offset, out.flags + row * plan.slots + f.slot_offset,
                f.slot_count);
  }
}

// Turns the u64 cells [0, n) into doubles by their flags (a kMax cell is +Infinity, an absent one 0).
void Reader::ToDoubles(uint64_t* values, const uint8_t* flags, size_t n) {
  for (size_t s = 0; s < n; s++) {
    double d;
    switch (flags[s]) {
      case kValue:
        d = static_cast<double>(values[s]);
        break;
      case kMax:
        d = INFINITY;
        break;
      case kFloat:
        continue;  // already a double
      default:
        d = 0;
    }
    memcpy(&values[s], &d, sizeof d);
  }
}

void Reader::ReadRow(HandleTable& table, uint32_t id, const Plan& plan, BatchOut& out, size_t row) {
  std::shared_lock<std::shared_mutex> lock(table.mutex());
  std::lock_guard<std::mutex> row_lock(table.row_mutex(id));
  RowState st;
  st.handle = BeginRow(table, id, plan, out, row);
  if (st.handle == nullptr) return;
  for (size_t i = 0; i < plan.files.size(); i++) {
    if (!out.Reads(plan, row, i)) {
      if (!out.keep_unread) out.file_status[row * plan.files.size() + i] = kFileNotRead;
      continue;
    }
    ReadFile(table, plan, i, st, out, row);
  }
  FinishRow(table, plan, st, out, row);
}

void Reader::ReadBatch(HandleTable& table, const uint32_t* ids, size_t count, const Plan& plan, BatchOut& out) {
  for (size_t row = 0; row < count; row++) ReadRow(table, ids[row], plan, out, row);
}

}  // namespace cgmgr
