#include "engine.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>

#include "errors.h"
#include "fsops.h"
#include "parse/parse.h"
#include "parse_binding.h"
#include "procs.h"

namespace cgmgr {

// Throws the CgroupError of a ReadText/OpenOne status (a failed syscall, a closed handle, ...) for a file of a handle.
void ThrowTableStatus(Napi::Env env, HandleTable& table, int32_t status, uint32_t id, uint32_t hier,
                      const std::string& name);

namespace {

// The memory of a typed array argument, read with plain napi calls (which fail with a status, never abort): the
// exact element type, not detached, at least min_length elements. Works for SharedArrayBuffer-backed arrays too.
template <typename T>
T* TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, size_t min_length,
            const char* what, size_t* length = nullptr) {
  Napi::Env env = info.Env();
  if (ExceptionPending(env)) return nullptr;
  napi_value v = index < info.Length() ? static_cast<napi_value>(info[index]) : nullptr;
  bool is_ta = false;
  if (v == nullptr || napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) {
    ThrowTypeError(env, std::string(what) + " must be a typed array");
    return nullptr;
  }
  napi_typedarray_type actual;
  size_t len = 0, offset = 0;
  void* data = nullptr;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &actual, &len, &data, &ab, &offset) != napi_ok) {
    ThrowTypeError(env, std::string(what) + " is not a usable typed array");
    return nullptr;
  }
  if (actual != type) {
    ThrowTypeError(env, std::string(what) + " has the wrong type");
    return nullptr;
  }
  bool detached = false;
  if (napi_is_detached_arraybuffer(env, ab, &detached) == napi_ok && detached) {
    ThrowTypeError(env, std::string(what) + "'s buffer is detached", "ERR_INVALID_STATE");
    return nullptr;
  }
  if (len < min_length) {
    ThrowRangeError(env, std::string(what) + " is too short");
    return nullptr;
  }
  if (length != nullptr) *length = len;
  // An empty view may have no backing memory: hand out a valid pointer all the same (nothing is read or written).
  static T empty{};
  return data == nullptr ? &empty : static_cast<T*>(data);
}

bool Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* what, uint32_t* out) {
  if (index >= info.Length() || !info[index].IsNumber()) {
    ThrowTypeError(info.Env(), std::string(what) + " must be a number");
    return false;
  }
  double d = info[index].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    ThrowRangeError(info.Env(), std::string(what) + " must be an unsigned 32-bit integer");
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

bool StringArg(const Napi::CallbackInfo& info, size_t index, const char* what, std::string* out) {
  if (index >= info.Length() || !info[index].IsString()) {
    ThrowTypeError(info.Env(), std::string(what) + " must be a string");
    return false;
  }
  *out = info[index].As<Napi::String>().Utf8Value();
  if (out->find('\0') != std::string::npos) {
    ThrowTypeError(info.Env(), std::string(what) + " must not contain NUL", "ERR_INVALID_ARG_VALUE");
    return false;
  }
  return true;
}

// One off-thread job with a promise, on plain napi calls. The job works on native memory only: its inputs are copied
// when it is queued and its outputs are copied into the caller's typed arrays on the JS thread when it completes, so
// JavaScript may detach, transfer or drop those arrays meanwhile (the copy then finds them detached and rejects).
// Completion after the environment began tearing down (a terminated worker thread) touches no JavaScript: every napi
// status is checked and a failure is dropped silently, never thrown.
class AsyncJob {
 public:
  virtual ~AsyncJob() {
    for (napi_ref r : refs_) napi_delete_reference(env_, r);
    if (work_ != nullptr) napi_delete_async_work(env_, work_);
  }

  // Queues the job; returns its promise, or nullptr with an exception pending (the job is then deleted).
  static napi_value Queue(napi_env env, AsyncJob* job, const char* name) {
    napi_value promise = nullptr, resource_name;
    job->env_ = env;
    if (napi_create_promise(env, &job->deferred_, &promise) != napi_ok ||
        napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
        napi_create_async_work(env, nullptr, resource_name, ExecuteCb, CompleteCb, job, &job->work_) != napi_ok ||
        napi_queue_async_work(env, job->work_) != napi_ok) {
      if (job->deferred_ != nullptr) {
        napi_value undefined;
        napi_get_undefined(env, &undefined);
        napi_resolve_deferred(env, job->deferred_, undefined);  // settles (and frees) the deferred
      }
      delete job;
      ThrowTypeError(Napi::Env(env), std::string(name) + ": could not queue the work", "ERR_CGROUP_INTERNAL");
      return nullptr;
    }
    return promise;
  }

  // Keeps a JS value referenced until completion (the typed arrays results are copied into).
  void Keep(napi_value v) {
    napi_ref r;
    if (napi_create_reference(env_, v, 1, &r) == napi_ok) refs_.push_back(r);
  }
  void SetEnv(napi_env env) { env_ = env; }

 protected:
  virtual void Execute() = 0;
  // Copies the results back; on failure returns false with *code / *message set (the promise rejects with a TypeError).
  virtual bool CopyOut(napi_env env, std::string* code, std::string* message) = 0;
  // What the promise resolves with after CopyOut succeeded (undefined unless a job says otherwise). nullptr with an
  // exception pending rejects the promise with that exception (a job's own error, thrown the way a sync call throws).
  virtual napi_value ResolveValue(napi_env env) {
    napi_value undefined = nullptr;
    return napi_get_undefined(env, &undefined) == napi_ok ? undefined : nullptr;
  }
  napi_value Ref(size_t i) {
    napi_value v = nullptr;
    if (i < refs_.size() && napi_get_reference_value(env_, refs_[i], &v) != napi_ok) v = nullptr;
    return v;
  }

 private:
  static void ExecuteCb(napi_env, void* data) { static_cast<AsyncJob*>(data)->Execute(); }
  static void CompleteCb(napi_env env, napi_status status, void* data) {
    auto* job = static_cast<AsyncJob*>(data);
    napi_handle_scope scope;
    if (status != napi_cancelled && napi_open_handle_scope(env, &scope) == napi_ok) {
      std::string code, message;
      if (job->CopyOut(env, &code, &message)) {
        napi_value value = job->ResolveValue(env);
        bool pending = false;
        napi_value error = nullptr;
        if (value == nullptr && napi_is_exception_pending(env, &pending) == napi_ok && pending &&
            napi_get_and_clear_last_exception(env, &error) == napi_ok && error != nullptr) {
          napi_reject_deferred(env, job->deferred_, error);  // the job's own error (ResolveValue threw it)
        } else {
          if (value == nullptr) napi_get_undefined(env, &value);  // no value and no error: settle all the same
          if (value != nullptr) napi_resolve_deferred(env, job->deferred_, value);
        }
      } else {
        napi_value c, m, err;
        if (napi_create_string_utf8(env, code.c_str(), NAPI_AUTO_LENGTH, &c) == napi_ok &&
            napi_create_string_utf8(env, message.c_str(), NAPI_AUTO_LENGTH, &m) == napi_ok &&
            napi_create_type_error(env, c, m, &err) == napi_ok) {
          napi_reject_deferred(env, job->deferred_, err);
        }
      }
      napi_close_handle_scope(env, scope);
    }
    delete job;
  }

  napi_env env_ = nullptr;
  napi_deferred deferred_ = nullptr;
  napi_async_work work_ = nullptr;
  std::vector<napi_ref> refs_;
};

// The data of a typed array kept as a reference when it still holds at least `bytes`; null when it was detached or
// shrunk meanwhile.
void* ArrayData(napi_env env, napi_value v, size_t bytes) {
  if (v == nullptr) return nullptr;
  napi_typedarray_type type;
  size_t len = 0, offset = 0;
  void* data = nullptr;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &len, &data, &ab, &offset) != napi_ok || data == nullptr) return nullptr;
  size_t elem = 1;
  switch (type) {
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      elem = 4;
      break;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      elem = 8;
      break;
    case napi_int16_array:
    case napi_uint16_array:
      elem = 2;
      break;
    default:
      elem = 1;
  }
  return len * elem < bytes ? nullptr : data;
}

// Copies n bytes into the typed array kept as a reference; false when it was detached or shrunk meanwhile.
bool CopyInto(napi_env env, napi_value v, const void* src, size_t bytes) {
  if (bytes == 0) return true;
  void* data = ArrayData(env, v, bytes);
  if (data == nullptr) return false;
  memcpy(data, src, bytes);
  return true;
}

// Copies cells [at, at + n) of src to dst, gathering adjacent ranges into one memcpy: Add() ranges in ascending order,
// then Flush().
template <typename T>
class RunCopy {
 public:
  RunCopy(T* dst, const T* src) : dst_(dst), src_(src) {}
  void Add(size_t at, size_t n) {
    if (at != end_) {
      Flush();
      start_ = at;
    }
    end_ = at + n;
  }
  void Flush() {
    if (end_ > start_) memcpy(dst_ + start_, src_ + start_, (end_ - start_) * sizeof(T));
    start_ = end_;
  }

 private:
  T* dst_;
  const T* src_;
  size_t start_ = 0, end_ = 0;
};

// Whether the output arrays of a read (arguments 2-5, and 6 when sample times are asked) all live in
// SharedArrayBuffers: such memory cannot be detached or transferred away, and the references the job keeps hold it,
// so the workers may write it in place. (A typed array's buffer that is no ArrayBuffer is a SharedArrayBuffer.)
bool SharedMemory(napi_env env, const Napi::CallbackInfo& info, bool with_sample) {
  for (size_t i = 2; i <= (with_sample ? 6u : 5u); i++) {
    napi_typedarray_type type;
    size_t len = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    bool plain = true;
    if (napi_get_typedarray_info(env, info[i], &type, &len, &data, &ab, &offset) != napi_ok ||
        napi_is_arraybuffer(env, ab, &plain) != napi_ok || plain)
      return false;
  }
  return true;
}

const char kDetachedCode[] = "ERR_INVALID_STATE";
const char kDetachedMessage[] =
    "a result array was detached or transferred while the read ran: do not touch a result until the promise settles";

class ReadJob : public AsyncJob {
 public:
  // in_place: the caller's arrays are shared memory (SharedMemory()): the workers read into them directly.
  ReadJob(std::shared_ptr<HandleTable> table, std::shared_ptr<const Plan> plan, const uint32_t* ids, size_t count,
          const BatchOut& shape, bool in_place)
      : table_(std::move(table)),
        in_place_(in_place ? std::optional<BatchOut>(shape) : std::nullopt),
        plan_(std::move(plan)),
        ids_(ids, ids + count),
        want_sample_(shape.sample_ms != nullptr),
        as_double_(shape.as_double),
        keep_unread_(shape.keep_unread && shape.row_tier != nullptr) {
    if (shape.row_tier != nullptr) row_tier_.assign(shape.row_tier, shape.row_tier + count);
  }

 protected:
  // The output buffers are allocated (and zeroed) here, on the worker: for a wide plan they are megabytes (the v1
  // default plan's device lists: 21 KB a row), whose page faults and zeroing took ~48 ms of the JS thread per 1000
  // rows when the call made them.
  void Execute() override {
    // The pool thread was just woken by the JS thread, and a woken thread with sleeper credit preempts the thread that
    // woke it when they share a CPU: the event loop then waited 2-15 ms in the runqueue on every async read of a
    // loaded 2-vCPU machine (measured: /proc/thread-self/schedstat run delay across readAsync). Yielding once gives
    // the CPU back to the event loop; the read runs when the JS thread sleeps or another CPU takes it.
    sched_yield();
    const size_t count = ids_.size();
    if (in_place_.has_value()) {
      out_ = *in_place_;
      out_.parse_errors = &parse_errors_;
      out_.row_tier = row_tier_.empty() ? nullptr : row_tier_.data();
      reader_.ReadBatch(*table_, ids_.data(), count, *plan_, out_);
      return;
    }
    const size_t slots = plan_->slots * count, files = plan_->files.size() * count;
    values_.resize(slots);
    flags_.resize(slots);
    file_status_.resize(files);
    item_status_.resize(count);
    if (want_sample_) sample_ms_.resize(count);
    out_ = BatchOut{values_.data(),
                    flags_.data(),
                    file_status_.data(),
                    item_status_.data(),
                    want_sample_ ? sample_ms_.data() : nullptr,
                    as_double_,
                    &parse_errors_,
                    row_tier_.empty() ? nullptr : row_tier_.data(),
                    keep_unread_};
    reader_.ReadBatch(*table_, ids_.data(), count, *plan_, out_);
  }
  bool CopyOut(napi_env env, std::string* code, std::string* message) override {
    // References: 0 values, 1 flags, 2 fileStatus, 3 itemStatus, 4 sampleMs (optional).
    if (in_place_.has_value()) return true;  // written in place
    bool ok = CopyCells(env, Ref(0), Ref(1), Ref(2)) &&
              CopyInto(env, Ref(3), item_status_.data(), item_status_.size() * sizeof(int32_t)) &&
              (sample_ms_.empty() || CopyInto(env, Ref(4), sample_ms_.data(), sample_ms_.size() * sizeof(double)));
    if (!ok) {
      *code = kDetachedCode;
      *message = kDetachedMessage;
    }
    return ok;
  }
  // The parse failures of the batch (undefined when there were none).
  napi_value ResolveValue(napi_env env) override { return ParseErrorsToJs(env, parse_errors_); }

 private:
  // Files of a plan next to each other that a row of some tier reads: the copy-out's unit. A list, blkio or ioStat
  // file is a segment of its own (only its count and the entries it holds are copied).
  struct Segment {
    uint32_t file_begin, file_end;  // files [file_begin, file_end)
    uint32_t slot_begin, slot_end;  // their slots in a row
    bool variable;
  };

  // The segments a row reads: under keep_unread those of its tier, else every file (a file not read has its flags
  // absent, so its cells are copied like the others'). Made once per tier a job meets.
  const std::vector<Segment>& SegmentsOf(size_t row) {
    const Plan& p = *plan_;
    const uint8_t tier = keep_unread_ && row_tier_[row] < p.max_tier ? row_tier_[row] : p.max_tier;
    if (segments_.size() <= tier) segments_.resize(static_cast<size_t>(tier) + 1);
    std::vector<Segment>& segs = segments_[tier];
    if (!segs.empty() || p.files.empty()) return segs;
    for (uint32_t i = 0; i < p.files.size(); i++) {
      const PlanFile& f = p.files[i];
      if (keep_unread_ && f.tier > tier) continue;
      const bool variable = f.format == Format::kList || f.format == Format::kBlkio || f.format == Format::kIoStat;
      if (!variable && !segs.empty() && !segs.back().variable && segs.back().file_end == i) {
        segs.back().file_end = i + 1;
        segs.back().slot_end = f.slot_offset + f.slot_count;
      } else {
        segs.push_back(Segment{i, i + 1, f.slot_offset, f.slot_offset + f.slot_count, variable});
      }
    }
    if (segs.empty()) segs.push_back(Segment{0, 0, 0, 0, false});  // a row of a tier below every file's
    return segs;
  }

  // The cells of a list, blkio or ioStat file that hold something: its count and the entries it holds.
  size_t HeldCells(const PlanFile& f, size_t at) const {
    const uint32_t per = f.format == Format::kList    ? 1
                         : f.format == Format::kBlkio ? 4
                                                      : 2 + static_cast<uint32_t>(f.keys.size());
    uint64_t count = 0;
    if (flags_[at] == kValue) {
      if (out_.as_double) {
        double d;
        memcpy(&d, &values_[at], sizeof d);
        count = d > 0 ? static_cast<uint64_t>(d) : 0;
      } else {
        count = values_[at];
      }
    }
    const uint64_t held = count < f.cap ? count : f.cap;
    const size_t n = static_cast<size_t>(1 + held * per);
    return n < f.slot_count ? n : f.slot_count;
  }

  // Copies what the read wrote into the caller's arrays, on the JS thread: the value cells of every fixed-size file,
  // and of a list, blkio or ioStat file its count and the entries it holds (a value counts only where its flag says
  // so) — not the whole capacity of every device list in every row (21 KB a row for the v1 default plan); the flags
  // and statuses whole, or under keep_unread those of the files each row read (the others stay as the caller's
  // arrays hold them). Cells are gathered into runs (files are contiguous in a row and rows in an array): one memcpy
  // per run instead of one per file and row (21,000 for 1000 rows of the collector's plan, ~0.1 ms of the JS thread).
  bool CopyCells(napi_env env, napi_value values, napi_value flags, napi_value status) {
    if (values_.empty()) return true;
    if (values == nullptr) return false;
    napi_typedarray_type type;
    size_t len = 0, offset = 0;
    void* data = nullptr;
    napi_value ab;
    if (napi_get_typedarray_info(env, values, &type, &len, &data, &ab, &offset) != napi_ok || data == nullptr)
      return false;
    if ((type != napi_float64_array && type != napi_biguint64_array) || len < values_.size()) return false;
    uint8_t* flags_dst = nullptr;
    int32_t* status_dst = nullptr;
    if (keep_unread_) {
      flags_dst = static_cast<uint8_t*>(ArrayData(env, flags, flags_.size()));
      status_dst = static_cast<int32_t*>(ArrayData(env, status, file_status_.size() * sizeof(int32_t)));
      if (flags_dst == nullptr || status_dst == nullptr) return false;
    } else if (!CopyInto(env, flags, flags_.data(), flags_.size()) ||
               !CopyInto(env, status, file_status_.data(), file_status_.size() * sizeof(int32_t))) {
      return false;
    }
    const Plan& p = *plan_;
    const size_t files = p.files.size();
    RunCopy<uint64_t> value_run(static_cast<uint64_t*>(data), values_.data());
    RunCopy<uint8_t> flag_run(flags_dst, flags_.data());
    RunCopy<int32_t> status_run(status_dst, file_status_.data());
    for (size_t row = 0; row < ids_.size(); row++) {
      const size_t base = row * p.slots;
      for (const Segment& g : SegmentsOf(row)) {
        const size_t at = base + g.slot_begin, n = g.slot_end - g.slot_begin;
        value_run.Add(at, g.variable ? HeldCells(p.files[g.file_begin], at) : n);
        if (keep_unread_) {
          flag_run.Add(at, n);
          status_run.Add(row * files + g.file_begin, g.file_end - g.file_begin);
        }
      }
    }
    value_run.Flush();
    flag_run.Flush();
    status_run.Flush();
    return true;
  }

  std::shared_ptr<HandleTable> table_;
  std::optional<BatchOut> in_place_;  // the caller's shared arrays, when written in place
  std::shared_ptr<const Plan> plan_;
  std::vector<uint32_t> ids_;
  bool want_sample_;
  bool as_double_;
  bool keep_unread_;
  std::vector<uint8_t> row_tier_;               // copied at the call, like ids_
  std::vector<std::vector<Segment>> segments_;  // by tier (SegmentsOf)
  std::vector<uint64_t> values_;
  std::vector<uint8_t> flags_;
  std::vector<int32_t> file_status_, item_status_;
  std::vector<double> sample_ms_;
  std::vector<FileParseError> parse_errors_;
  BatchOut out_{};
  Reader reader_;
};

// Throws the error of a cgroup.procs that does not parse (the sync and async readPids word it alike).
void ThrowPidListError(Napi::Env env, HandleTable& table, uint32_t id, uint32_t hier, const std::string& name,
                       const ParseError& error) {
  std::string path = name;
  {
    std::lock_guard<std::shared_mutex> lock(table.mutex());
    Handle* h = table.Get(id);
    if (h != nullptr && hier < table.hierarchy_count()) path = table.FullPath(*h, hier, name);
  }
  std::string why = "not a list of pids";
  if (error.reason == ParseReason::kLineTooLong) {
    why += " (bufio.Scanner: token too long)";
  } else if (error.line > 0) {
    why += " (line " + std::to_string(error.line) + ")";
  }
  ThrowCgroupError(env, "ERR_CGROUP_PARSE", "unable to parse " + name + ": " + why, path);
}

// readPidsAsync: reads and parses a cgroup.procs on the pool; resolves with an Int32Array, or rejects with the error
// the sync readPids throws.
class ReadPidsJob : public AsyncJob {
 public:
  ReadPidsJob(std::shared_ptr<HandleTable> table, uint32_t id, uint32_t hier, std::string name)
      : table_(std::move(table)), id_(id), hier_(hier), name_(std::move(name)) {}

 protected:
  void Execute() override {
    status_ = ReadText(*table_, id_, hier_, name_, &text_);
    if (status_ != kPidOk) return;
    uint32_t count = 0;
    ParsePidList(text_, nullptr, 0, &count);
    pids_.resize(count);
    parsed_ = ParsePidList(text_, pids_.data(), count, &count, &error_);
  }
  bool CopyOut(napi_env, std::string*, std::string*) override { return true; }
  napi_value ResolveValue(napi_env env) override {
    Napi::Env e(env);
    if (status_ != kPidOk) {
      ThrowTableStatus(e, *table_, status_, id_, hier_, name_);
      return nullptr;
    }
    if (parsed_ != ParseStatus::kOk) {
      ThrowPidListError(e, *table_, id_, hier_, name_, error_);
      return nullptr;
    }
    Napi::Int32Array pids = Napi::Int32Array::New(e, pids_.size());
    if (pids.IsEmpty() || ExceptionPending(e) || (!pids_.empty() && pids.Data() == nullptr)) return nullptr;
    if (!pids_.empty()) memcpy(pids.Data(), pids_.data(), pids_.size() * sizeof(int32_t));
    return pids;
  }

 private:
  std::shared_ptr<HandleTable> table_;
  uint32_t id_, hier_;
  std::string name_, text_;
  int32_t status_ = kPidOk;
  ParseStatus parsed_ = ParseStatus::kOk;
  ParseError error_;
  std::vector<int32_t> pids_;
};

// readProcFilesAsync(paths: string[]) -> Promise<[Uint8Array data, Int32Array length, Float64Array ino]>: for each pair
// (file, link) of paths, reads the whole file (e.g. /proc/<pid>/net/dev) and then stats the link (e.g.
// /proc/<pid>/ns/net) on the pool. length[i]: the file's bytes (data holds the files one after the other), or
// -errno; ino[i]: the link's inode, -1 when it is gone, -2 when it may not be looked at (EACCES/EPERM). No descriptor
// outlives the job. The collector's network figures (lib/collector/network.ts) read the pods' net/dev this way.
class ReadProcFilesJob : public AsyncJob {
 public:
  explicit ReadProcFilesJob(std::vector<std::string> paths) : paths_(std::move(paths)) {}

 protected:
  void Execute() override {
    const size_t n = paths_.size() / 2;
    length_.assign(n, 0);
    ino_.assign(n, -1);
    for (size_t i = 0; i < n; i++) {
      length_[i] = ReadWhole(paths_[2 * i]);
      struct stat st;
      if (stat(paths_[2 * i + 1].c_str(), &st) == 0) {
        ino_[i] = static_cast<double>(st.st_ino);
      } else {
        ino_[i] = errno == EACCES || errno == EPERM ? -2 : -1;
      }
    }
  }
  bool CopyOut(napi_env, std::string*, std::string*) override { return true; }
  napi_value ResolveValue(napi_env env) override {
    Napi::Env e(env);
    Napi::Uint8Array data = Napi::Uint8Array::New(e, data_.size());
    if (data.IsEmpty() || ExceptionPending(e) || (!data_.empty() && data.Data() == nullptr)) return nullptr;
    if (!data_.empty()) memcpy(data.Data(), data_.data(), data_.size());
    Napi::Int32Array length = Napi::Int32Array::New(e, length_.size());
    if (length.IsEmpty() || ExceptionPending(e) || (!length_.empty() && length.Data() == nullptr)) return nullptr;
    if (!length_.empty()) memcpy(length.Data(), length_.data(), length_.size() * sizeof(int32_t));
    Napi::Float64Array ino = Napi::Float64Array::New(e, ino_.size());
    if (ino.IsEmpty() || ExceptionPending(e) || (!ino_.empty() && ino.Data() == nullptr)) return nullptr;
    if (!ino_.empty()) memcpy(ino.Data(), ino_.data(), ino_.size() * sizeof(double));
    Napi::Array out = Napi::Array::New(e, 3);
    if (out.IsEmpty() || ExceptionPending(e)) return nullptr;
    out.Set(uint32_t{0}, data);
    out.Set(uint32_t{1}, length);
    out.Set(uint32_t{2}, ino);
    return ExceptionPending(e) ? nullptr : static_cast<napi_value>(out);
  }

 private:
  // Appends the whole file to data_: its length, or -errno (nothing appended).
  int32_t ReadWhole(const std::string& file) {
    int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    const size_t start = data_.size();
    int32_t result = 0;
    for (;;) {
      if (data_.size() - start >= kMaxFile) {
        result = -EFBIG;
        break;
      }
      const size_t at = data_.size();
      data_.resize(at + kChunk);
      ssize_t k = read(fd, data_.data() + at, kChunk);
      if (k < 0 && errno == EINTR) {
        data_.resize(at);
        continue;
      }
      if (k <= 0) {
        data_.resize(at);
        result = k < 0 ? -errno : static_cast<int32_t>(at - start);
        break;
      }
      data_.resize(at + static_cast<size_t>(k));
    }
    close(fd);
    if (result < 0) data_.resize(start);
    return result;
  }
  static constexpr size_t kChunk = 4096;
  static constexpr size_t kMaxFile = 1 << 20;  // a net/dev of ~7000 interfaces; more is not a /proc file we read
  std::vector<std::string> paths_;
  std::vector<uint8_t> data_;
  std::vector<int32_t> length_;
  std::vector<double> ino_;
};

class WritePidsJob : public AsyncJob {
 public:
  WritePidsJob(std::shared_ptr<HandleTable> table, const uint32_t* ids, const int32_t* pids, size_t count, int32_t hier)
      : table_(std::move(table)), ids_(ids, ids + count), pids_(pids, pids + count), results_(count), hier_(hier) {}

 protected:
  void Execute() override { WritePids(*table_, ids_.data(), pids_.data(), ids_.size(), hier_, results_.data()); }
  bool CopyOut(napi_env env, std::string* code, std::string* message) override {
    if (CopyInto(env, Ref(0), results_.data(), results_.size() * sizeof(int32_t))) return true;
    *code = kDetachedCode;
    *message = kDetachedMessage;
    return false;
  }

 private:
  std::shared_ptr<HandleTable> table_;
  std::vector<uint32_t> ids_;
  std::vector<int32_t> pids_;
  std::vector<int32_t> results_;
  int32_t hier_;
};

}  // namespace

void Engine::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Engine",
                                    {
                                        InstanceMethod<&Engine::Open>("open"),
                                        InstanceMethod<&Engine::Close>("close"),
                                        InstanceMethod<&Engine::Info>("info"),
                                        InstanceMethod<&Engine::CreatePlan>("createPlan"),
                                        InstanceMethod<&Engine::FreePlan>("freePlan"),
                                        InstanceMethod<&Engine::Read>("read"),
                                        InstanceMethod<&Engine::ReadAsync>("readAsync"),
                                        InstanceMethod<&Engine::ReadFile>("readFile"),
                                        InstanceMethod<&Engine::ReadPids>("readPids"),
                                        InstanceMethod<&Engine::ReadPidsAsync>("readPidsAsync"),
                                        InstanceMethod<&Engine::ReadProcFilesAsync>("readProcFilesAsync"),
                                        InstanceMethod<&Engine::WritePidsSync>("writePids"),
                                        InstanceMethod<&Engine::WritePidsAsync>("writePidsAsync"),
                                        InstanceMethod<&Engine::Usage>("usage"),
                                        InstanceMethod<&Engine::Destroy>("destroy"),
                                    });
  exports.Set("Engine", ctor);
}

// new Engine(hierarchyPaths: string[], fdBudget: number, resolveMode: 0 auto | 1 openat2 | 2 walk)
Engine::Engine(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Engine>(info) {
  Napi::Env env = info.Env();
  table_ = std::make_shared<HandleTable>();
  TagEngine(env, info.This());
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowTypeError(env, "Engine(paths, fdBudget, resolveMode): paths must be an array");
    return;
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) {
      ThrowTypeError(env, "Engine: every hierarchy path must be a string");
      return;
    }
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  uint32_t budget = 0, mode = 0;
  if (!Uint32Arg(info, 1, "fdBudget", &budget) || !Uint32Arg(info, 2, "resolveMode", &mode)) return;
  if (mode > 2) {
    ThrowRangeError(env, "resolveMode must be 0, 1 or 2");
    return;
  }
  size_t failed = 0;
  SysResult r = table_->Init(paths, budget, static_cast<ResolveMode>(mode), &failed);
  if (!r.ok()) ThrowSysError(env, r.err, SyscallName(r.syscall), failed < paths.size() ? paths[failed] : "");
}

void Engine::ThrowStatus(Napi::Env env, int32_t status, uint32_t id, uint32_t hier, const std::string& name) {
  ThrowTableStatus(env, *table_, status, id, hier, name);
}

void ThrowTableStatus(Napi::Env env, HandleTable& table, int32_t status, uint32_t id, uint32_t hier,
                      const std::string& name) {
  std::string path;
  {
    std::lock_guard<std::shared_mutex> lock(table.mutex());
    Handle* h = table.Get(id);
    if (h != nullptr && hier < table.hierarchy_count()) path = table.FullPath(*h, hier, name);
  }
  if (status < 0) {
    int32_t e = -status;
    ThrowSysError(env, e % 4096, SyscallName(e / 4096), path);
  } else if (status == kPidBadHandle) {
    ThrowCgroupError(env, "ERR_CGROUP_HANDLE_CLOSED", "the cgroup handle is closed");
  } else if (status == kPidNotRegular) {
    ThrowCgroupError(env, "ERR_CGROUP_NOT_REGULAR_FILE", "not a regular file: " + path, path);
  } else if (status == kPidNotInHierarchy) {
    ThrowCgroupError(env, "ERR_CGROUP_NOT_IN_HIERARCHY",
                     "the cgroup does not exist in hierarchy " + std::to_string(hier), path);
  } else {
    ThrowCgroupError(env, "ERR_CGROUP_INTERNAL", "unexpected status " + std::to_string(status), path);
  }
}

// open(relPath) -> id
Napi::Value Engine::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string rel;
  if (!StringArg(info, 0, "path", &rel)) return env.Undefined();
  if (!IsValidRelPath(rel)) {
    ThrowCgroupError(
        env, "ERR_CGROUP_INVALID_PATH",
        "invalid cgroup path '" + rel + "': a relative path of names (no '..', '.', empty or absolute parts)");
    return env.Undefined();
  }
  if (table_->shut_down()) {
    ThrowCgroupError(env, "ERR_CGROUP_ENGINE_DESTROYED", "the engine was destroyed");
    return env.Undefined();
  }
  uint32_t id = 0;
  SysResult r;
  {
    std::lock_guard<std::shared_mutex> lock(table_->mutex());
    r = table_->Open(rel, &id);
  }
  if (!r.ok()) {
    std::string where = table_->hierarchy_count() > 0 ? table_->hierarchy(0).path : "";
    if (!where.empty() && where.back() != '/' && !rel.empty()) where += '/';
    ThrowSysError(env, r.err, SyscallName(r.syscall), where + rel);
    return env.Undefined();
  }
  return Napi::Number::New(env, id);
}

Napi::Value Engine::Close(const Napi::CallbackInfo& info) {
  uint32_t id;
  if (!Uint32Arg(info, 0, "id", &id)) return info.Env().Undefined();
  std::lock_guard<std::shared_mutex> lock(table_->mutex());
  return Napi::Boolean::New(info.Env(), table_->Close(id));
}

// info(id) -> { path, present: boolean[], ino: number[] } or null for a closed id
Napi::Value Engine::Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id;
  if (!Uint32Arg(info, 0, "id", &id)) return env.Undefined();
  std::lock_guard<std::shared_mutex> lock(table_->mutex());
  Handle* h = table_->Get(id);
  if (h == nullptr) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("path", h->rel);
  Napi::Array present = Napi::Array::New(env, h->dirs.size());
  Napi::Array held = Napi::Array::New(env, h->dirs.size());
  Napi::Array ino = Napi::Array::New(env, h->dirs.size());
  for (uint32_t i = 0; i < h->dirs.size(); i++) {
    present.Set(i, h->dirs[i].state != HandleDir::kMissing);
    held.Set(i, h->dirs[i].state == HandleDir::kHeld);
    ino.Set(i, static_cast<double>(h->dirs[i].ino));
  }
  o.Set("present", present);
  o.Set("held", held);
  o.Set("ino", ino);
  return o;
}

// createPlan([{ hierarchy, name, format, keys, cap, hold, tier }]) -> { id, slots, offsets: number[] }. Plan ids are unique
// over the engine's lifetime; freePlan(id) ends a plan (lib/engine.ts calls it when the ReadPlan is collected or
// freed). Every property is read once; a throwing getter or Proxy trap ends the call with its own exception.
Napi::Value Engine::CreatePlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowTypeError(env, "createPlan(files): files must be an array");
    return env.Undefined();
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  const uint32_t length = arr.Length();
  if (ExceptionPending(env)) return env.Undefined();
  if (length > kMaxPlanFiles) {
    ThrowRangeError(env, "createPlan: at most " + std::to_string(kMaxPlanFiles) + " files");
    return env.Undefined();
  }
  if (next_plan_id_ == UINT32_MAX) {
    ThrowCgroupError(env, "ERR_CGROUP_PLAN_IDS", "this engine has used every plan id: create a new Engine");
    return env.Undefined();
  }
  auto plan = std::make_shared<Plan>();
  std::vector<uint32_t> offsets;
  for (uint32_t i = 0; i < length; i++) {
    Napi::Value v = arr.Get(i);
    if (ExceptionPending(env)) return env.Undefined();
    if (!v.IsObject()) {
      ThrowTypeError(env, "createPlan: every file must be an object");
      return env.Undefined();
    }
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value got[7];
    const char* const props[7] = {"hierarchy", "name", "format", "keys", "cap", "hold", "tier"};
    for (int k = 0; k < 7; k++) {
      got[k] = o.Get(props[k]);
      if (ExceptionPending(env)) return env.Undefined();
    }
    Napi::Value hier = got[0], name = got[1], format = got[2], keys = got[3], cap = got[4], hold = got[5],
                tier = got[6];
    if (!hier.IsNumber() || !name.IsString() || !format.IsNumber()) {
      ThrowTypeError(env, "createPlan: file " + std::to_string(i) + " needs hierarchy, name and format");
      return env.Undefined();
    }
    PlanFile f;
    double h = hier.As<Napi::Number>().DoubleValue();
    double fm = format.As<Napi::Number>().DoubleValue();
    double c = cap.IsNumber() ? cap.As<Napi::Number>().DoubleValue() : 0;
    double t = tier.IsNumber() ? tier.As<Napi::Number>().DoubleValue() : 0;
    std::string n = name.As<Napi::String>().Utf8Value();
    if (!(h >= 0 && h < static_cast<double>(table_->hierarchy_count())) || h != static_cast<uint32_t>(h) ||
        !(fm >= 0 && fm < static_cast<double>(Format::kCount)) || fm != static_cast<uint32_t>(fm) ||
        !(c >= 0 && c <= kMaxCap) || c != static_cast<uint32_t>(c) || !(t >= 0 && t <= UINT8_MAX) ||
        t != static_cast<uint32_t>(t) || !IsValidName(n)) {
      ThrowRangeError(env, "createPlan: bad hierarchy, format, cap, tier or name for file " + std::to_string(i),
                      "ERR_CGROUP_PLAN");
      return env.Undefined();
    }
    f.hierarchy = static_cast<uint32_t>(h);
    f.format = static_cast<Format>(static_cast<uint32_t>(fm));
    f.cap = static_cast<uint32_t>(c);
    f.hold = !hold.IsBoolean() || hold.As<Napi::Boolean>().Value();
    f.tier = static_cast<uint8_t>(t);
    if (keys.IsArray()) {
      Napi::Array ka = keys.As<Napi::Array>();
      const uint32_t nk = ka.Length();
      if (ExceptionPending(env)) return env.Undefined();
      if (nk > kMaxKeys) {
        ThrowRangeError(env, "createPlan: at most " + std::to_string(kMaxKeys) + " keys per file", "ERR_CGROUP_PLAN");
        return env.Undefined();
      }
      for (uint32_t k = 0; k < nk; k++) {
        Napi::Value kv = ka.Get(k);
        if (ExceptionPending(env)) return env.Undefined();
        if (!kv.IsString()) {
          ThrowTypeError(env, "createPlan: keys must be strings");
          return env.Undefined();
        }
        f.key_storage.push_back(kv.As<Napi::String>().Utf8Value());
      }
    }
    for (const std::string& k : f.key_storage) f.keys.emplace_back(k);
    f.slot_count = SlotCount(f.format, static_cast<uint32_t>(f.keys.size()), f.cap);
    if (f.slot_count == 0) {
      ThrowRangeError(env, "createPlan: file " + n + " needs keys or a capacity for its format", "ERR_CGROUP_PLAN");
      return env.Undefined();
    }
    if (plan->slots > kMaxPlanSlots - f.slot_count) {
      ThrowRangeError(env, "createPlan: more than " + std::to_string(kMaxPlanSlots) + " slots per row",
                      "ERR_CGROUP_PLAN");
      return env.Undefined();
    }
    f.slot_offset = plan->slots;
    plan->slots += f.slot_count;
    if (f.tier > plan->max_tier) plan->max_tier = f.tier;
    {
      std::lock_guard<std::shared_mutex> lock(table_->mutex());
      f.file_id = table_->FileId(f.hierarchy, n);
    }
    offsets.push_back(f.slot_offset);
    plan->files.push_back(std::move(f));
  }
  Napi::Array js_offsets = Napi::Array::New(env, offsets.size());
  for (uint32_t i = 0; i < offsets.size(); i++) js_offsets.Set(i, offsets[i]);
  const uint32_t id = next_plan_id_++;
  plans_.emplace(id, std::move(plan));
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", static_cast<double>(id));
  out.Set("slots", plans_[id]->slots);
  out.Set("offsets", js_offsets);
  return out;
}

// freePlan(id) -> boolean: ends a plan (reads in flight keep their own reference to it).
Napi::Value Engine::FreePlan(const Napi::CallbackInfo& info) {
  uint32_t id;
  if (!Uint32Arg(info, 0, "plan", &id)) return info.Env().Undefined();
  return Napi::Boolean::New(info.Env(), plans_.erase(id) > 0);
}

bool Engine::ParseReadArgs(const Napi::CallbackInfo& info, std::shared_ptr<const Plan>* plan, const uint32_t** ids,
                           size_t* count, BatchOut* out) {
  Napi::Env env = info.Env();
  uint32_t plan_id;
  if (!Uint32Arg(info, 0, "plan", &plan_id)) return false;
  auto it = plans_.find(plan_id);
  if (it == plans_.end()) {
    ThrowRangeError(env, "no such plan (freed, or never made by this engine)", "ERR_CGROUP_NO_SUCH_PLAN");
    return false;
  }
  *plan = it->second;
  if (info.Length() < 8) {
    ThrowTypeError(env, "read(plan, ids, values, flags, fileStatus, itemStatus, sampleMs, asDouble)");
    return false;
  }
  *ids = TypedArg<uint32_t>(info, 1, napi_uint32_array, 0, "ids", count);
  if (*ids == nullptr) return false;
  const size_t nslots = (*plan)->slots, nfiles = (*plan)->files.size();
  if (*count > 0 && (nslots > SIZE_MAX / 8 / *count || nfiles > SIZE_MAX / 4 / *count)) {
    ThrowRangeError(env, "read: too many rows");
    return false;
  }
  const size_t slots = nslots * *count, files = nfiles * *count;
  // Plain napi calls: a coercion can fail (a terminating environment), and node-addon-api would then call on an
  // empty value and abort.
  bool as_double = false;
  napi_value flag = info[7];
  napi_valuetype flag_type;
  if (napi_typeof(env, flag, &flag_type) != napi_ok) return false;
  if (flag_type == napi_boolean) {
    if (napi_get_value_bool(env, flag, &as_double) != napi_ok) return false;
  } else if (flag_type != napi_undefined && flag_type != napi_null) {
    ThrowTypeError(env, "asDouble must be a boolean");
    return false;
  }
  out->as_double = as_double;
  out->values = TypedArg<uint64_t>(info, 2, out->as_double ? napi_float64_array : napi_biguint64_array, slots,
                                   out->as_double ? "values (Float64Array)" : "values (BigUint64Array)");
  if (out->values == nullptr) return false;
  out->flags = TypedArg<uint8_t>(info, 3, napi_uint8_array, slots, "flags");
  if (out->flags == nullptr) return false;
  out->file_status = TypedArg<int32_t>(info, 4, napi_int32_array, files, "fileStatus");
  if (out->file_status == nullptr) return false;
  out->item_status = TypedArg<int32_t>(info, 5, napi_int32_array, *count, "itemStatus");
  if (out->item_status == nullptr) return false;
  out->sample_ms = nullptr;
  if (!info[6].IsUndefined() && !info[6].IsNull()) {
    out->sample_ms = TypedArg<double>(info, 6, napi_float64_array, *count, "sampleMs");
    if (out->sample_ms == nullptr) return false;
  }
  // Optional rowTiers (Uint8Array, one per row): files of a higher tier than the row's are not read.
  out->row_tier = nullptr;
  if (info.Length() > 8 && !info[8].IsUndefined() && !info[8].IsNull()) {
    out->row_tier = TypedArg<uint8_t>(info, 8, napi_uint8_array, *count, "rowTiers");
    if (out->row_tier == nullptr) return false;
  }
  // Optional keepUnread (boolean): with rowTiers, the files a row does not read keep the arrays' cells.
  out->keep_unread = false;
  if (info.Length() > 9 && !info[9].IsUndefined() && !info[9].IsNull()) {
    bool keep = false;
    if (napi_get_value_bool(env, info[9], &keep) != napi_ok) {
      ThrowTypeError(env, "keepUnread must be a boolean");
      return false;
    }
    out->keep_unread = keep && out->row_tier != nullptr;
  }
  return true;
}

Napi::Value Engine::Read(const Napi::CallbackInfo& info) {
  std::shared_ptr<const Plan> plan;
  const uint32_t* ids = nullptr;
  size_t count = 0;
  BatchOut out{};
  if (!ParseReadArgs(info, &plan, &ids, &count, &out)) return info.Env().Undefined();
  std::vector<FileParseError> parse_errors;  // allocates only when a file fails to parse
  out.parse_errors = &parse_errors;
  reader_->ReadBatch(*table_, ids, count, *plan, out);
  // undefined, or the parse failures: [{ row, file, reason, line, field, token, tokenSize }]
  napi_value result = ParseErrorsToJs(info.Env(), parse_errors);
  return result == nullptr ? info.Env().Undefined() : Napi::Value(info.Env(), result);
}

// readAsync(...) -> Promise: reads into native memory off the JS thread and copies into the arrays on completion.
Napi::Value Engine::ReadAsync(const Napi::CallbackInfo& info) {
  std::shared_ptr<const Plan> plan;
  const uint32_t* ids = nullptr;
  size_t count = 0;
  BatchOut out{};
  if (!ParseReadArgs(info, &plan, &ids, &count, &out)) return info.Env().Undefined();
  auto* job = new ReadJob(table_, plan, ids, count, out, SharedMemory(info.Env(), info, out.sample_ms != nullptr));
  job->SetEnv(info.Env());
  for (size_t i = 2; i <= 6; i++) job->Keep(info[i]);
  napi_value promise = AsyncJob::Queue(info.Env(), job, "cgmgr.read");
  return promise == nullptr ? info.Env().Undefined() : Napi::Value(info.Env(), promise);
}

// Arguments (id, hierarchy, name) and the whole file as text; false (with an exception pending) on failure.
bool Engine::ReadTextArgs(const Napi::CallbackInfo& info, uint32_t* id, uint32_t* hier, std::string* name,
                          std::string* text) {
  if (!Uint32Arg(info, 0, "id", id) || !Uint32Arg(info, 1, "hierarchy", hier) || !StringArg(info, 2, "name", name))
    return false;
  int32_t st = ReadText(*table_, *id, *hier, *name, text);
  if (st != 0) {
    ThrowStatus(info.Env(), st, *id, *hier, *name);
    return false;
  }
  return true;
}

// readFile(id, hierarchy, name) -> string
Napi::Value Engine::ReadFile(const Napi::CallbackInfo& info) {
  uint32_t id, hier;
  std::string name, text;
  if (!ReadTextArgs(info, &id, &hier, &name, &text)) return info.Env().Undefined();
  return Napi::String::New(info.Env(), text);
}

// readPids(id, hierarchy, name) -> Int32Array (blank lines skipped)
Napi::Value Engine::ReadPids(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t id, hier;
  std::string name, text;
  if (!ReadTextArgs(info, &id, &hier, &name, &text)) return env.Undefined();
  uint32_t count = 0;
  ParsePidList(text, nullptr, 0, &count);
  Napi::Int32Array pids = Napi::Int32Array::New(env, count);
  if (pids.IsEmpty() || ExceptionPending(env) || (count > 0 && pids.Data() == nullptr)) return env.Undefined();
  ParseError error;
  if (ParsePidList(text, pids.Data(), count, &count, &error) != ParseStatus::kOk) {
    ThrowPidListError(env, *table_, id, hier, name, error);
    return env.Undefined();
  }
  return pids;
}

// readPidsAsync(id, hierarchy, name) -> Promise<Int32Array>: readPids on the pool.
Napi::Value Engine::ReadPidsAsync(const Napi::CallbackInfo& info) {
  uint32_t id, hier;
  std::string name;
  if (!Uint32Arg(info, 0, "id", &id) || !Uint32Arg(info, 1, "hierarchy", &hier) || !StringArg(info, 2, "name", &name))
    return info.Env().Undefined();
  auto* job = new ReadPidsJob(table_, id, hier, name);
  job->SetEnv(info.Env());
  napi_value promise = AsyncJob::Queue(info.Env(), job, "cgmgr.readPids");
  return promise == nullptr ? info.Env().Undefined() : Napi::Value(info.Env(), promise);
}

// readProcFilesAsync(paths: string[]) -> Promise<[data, length, ino]>: ReadProcFilesJob (pairs of file and link).
Napi::Value Engine::ReadProcFilesAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowTypeError(env, "paths must be an array of strings (file, link, file, link, ...)");
    return env.Undefined();
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  const uint32_t n = arr.Length();
  if (n % 2 != 0) {
    ThrowTypeError(env, "paths must hold pairs (file, link)");
    return env.Undefined();
  }
  std::vector<std::string> paths;
  paths.reserve(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = arr.Get(i);
    if (ExceptionPending(env)) return env.Undefined();
    if (!v.IsString()) {
      ThrowTypeError(env, "paths must be an array of strings (file, link, file, link, ...)");
      return env.Undefined();
    }
    std::string p = v.As<Napi::String>().Utf8Value();
    if (p.empty() || p.find('\0') != std::string::npos) {
      ThrowTypeError(env, "a path must be non-empty and hold no NUL", "ERR_INVALID_ARG_VALUE");
      return env.Undefined();
    }
    paths.push_back(std::move(p));
  }
  auto* job = new ReadProcFilesJob(std::move(paths));
  job->SetEnv(env);
  napi_value promise = AsyncJob::Queue(env, job, "cgmgr.readProcFiles");
  return promise == nullptr ? env.Undefined() : Napi::Value(env, promise);
}

// writePids(ids: Uint32Array, pids: Int32Array, hierarchy: number (-1 = all), results: Int32Array); writePidsAsync(...)
// takes the same arguments and returns a Promise.
Napi::Value Engine::WritePidsSync(const Napi::CallbackInfo& info) { return WritePidsImpl(info, false); }
Napi::Value Engine::WritePidsAsync(const Napi::CallbackInfo& info) { return WritePidsImpl(info, true); }

Napi::Value Engine::WritePidsImpl(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[2].IsNumber()) {
    ThrowTypeError(env, "writePids(ids, pids, hierarchy, results)");
    return env.Undefined();
  }
  size_t n = 0;
  const uint32_t* ids = TypedArg<uint32_t>(info, 0, napi_uint32_array, 0, "ids", &n);
  if (ids == nullptr) return env.Undefined();
  const int32_t* pids = TypedArg<int32_t>(info, 1, napi_int32_array, n, "pids");
  if (pids == nullptr) return env.Undefined();
  int32_t* results = TypedArg<int32_t>(info, 3, napi_int32_array, n, "results");
  if (results == nullptr) return env.Undefined();
  double hd = info[2].As<Napi::Number>().DoubleValue();
  if (!(hd >= -1 && hd < static_cast<double>(table_->hierarchy_count())) || hd != static_cast<int32_t>(hd)) {
    ThrowRangeError(env, "writePids: no such hierarchy");
    return env.Undefined();
  }
  const int32_t hier = static_cast<int32_t>(hd);
  if (async) {
    auto* job = new WritePidsJob(table_, ids, pids, n, hier);
    job->SetEnv(env);
    job->Keep(info[3]);
    napi_value promise = AsyncJob::Queue(env, job, "cgmgr.writePids");
    return promise == nullptr ? env.Undefined() : Napi::Value(env, promise);
  }
  WritePids(*table_, ids, pids, n, hier, results);
  return env.Undefined();
}

// usage() -> { heldFds, fdBudget, handles, hierarchies }
Napi::Value Engine::Usage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::lock_guard<std::shared_mutex> lock(table_->mutex());
  Napi::Object o = Napi::Object::New(env);
  o.Set("heldFds", static_cast<double>(table_->held_fds()));
  o.Set("fdBudget", static_cast<double>(table_->fd_budget()));
  o.Set("handles", static_cast<double>(table_->open_count()));
  o.Set("hierarchies", static_cast<double>(table_->hierarchy_count()));
  o.Set("plans", static_cast<double>(plans_.size()));
  ProcessFds p = ProcessFdUsage();
  o.Set("processHeldFds", static_cast<double>(p.held));
  o.Set("processFdBudget", p.budget == SIZE_MAX ? INFINITY : static_cast<double>(p.budget));
  o.Set("nofileLimit", p.limit == SIZE_MAX ? INFINITY : static_cast<double>(p.limit));
  o.Set("fdPressure", p.pressure);
  return o;
}

// destroy(): closes every handle (and with them every held descriptor) and the hierarchy roots; later reads report
// closed handles, open() fails with ERR_CGROUP_ENGINE_DESTROYED.
Napi::Value Engine::Destroy(const Napi::CallbackInfo& info) {
  std::lock_guard<std::shared_mutex> lock(table_->mutex());
  table_->Shutdown();
  return info.Env().Undefined();
}

}  // namespace cgmgr
