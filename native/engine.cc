#include "engine.h"

#include <sys/resource.h>

#include <cerrno>
#include <string>

#include "errors.h"
#include "fsops.h"
#include "parse/parse.h"
#include "procs.h"

namespace cgmgr {
namespace {

// Typed array argument of an exact type with at least min_length elements; throws a TypeError/RangeError otherwise.
template <typename T>
T* TypedArg(const Napi::CallbackInfo& info, size_t index, napi_typedarray_type type, size_t min_length,
            const char* what) {
  Napi::Env env = info.Env();
  if (index >= info.Length() || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != type) {
    Napi::TypeError::New(env, std::string(what) + " has the wrong type").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::TypedArray a = info[index].As<Napi::TypedArray>();
  if (a.ElementLength() < min_length) {
    Napi::RangeError::New(env, std::string(what) + " is too short").ThrowAsJavaScriptException();
    return nullptr;
  }
  auto* base = static_cast<uint8_t*>(a.ArrayBuffer().Data());
  return reinterpret_cast<T*>(base + a.ByteOffset());
}

bool Uint32Arg(const Napi::CallbackInfo& info, size_t index, const char* what, uint32_t* out) {
  if (index >= info.Length() || !info[index].IsNumber()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a number").ThrowAsJavaScriptException();
    return false;
  }
  double d = info[index].As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4294967295.0) || d != static_cast<double>(static_cast<uint32_t>(d))) {
    Napi::RangeError::New(info.Env(), std::string(what) + " must be an unsigned 32-bit integer")
        .ThrowAsJavaScriptException();
    return false;
  }
  *out = static_cast<uint32_t>(d);
  return true;
}

bool StringArg(const Napi::CallbackInfo& info, size_t index, const char* what, std::string* out) {
  if (index >= info.Length() || !info[index].IsString()) {
    Napi::TypeError::New(info.Env(), std::string(what) + " must be a string").ThrowAsJavaScriptException();
    return false;
  }
  *out = info[index].As<Napi::String>().Utf8Value();
  return true;
}

// Keeps JS objects (the typed arrays, the engine) alive while a worker uses their memory.
class Pinned {
 public:
  void Add(Napi::Value v) {
    if (v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

 private:
  std::vector<Napi::ObjectReference> refs_;
};

class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, std::shared_ptr<HandleTable> table, std::shared_ptr<const Plan> plan,
             const uint32_t* ids, size_t count, BatchOut out)
      : Napi::AsyncWorker(env, "cgmgr.read"),
        deferred_(Napi::Promise::Deferred::New(env)),
        table_(std::move(table)),
        plan_(std::move(plan)),
        ids_(ids),
        count_(count),
        out_(out) {}
  Pinned& pinned() { return pinned_; }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { reader_.ReadBatch(*table_, ids_, count_, *plan_, out_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<HandleTable> table_;
  std::shared_ptr<const Plan> plan_;
  const uint32_t* ids_;
  size_t count_;
  BatchOut out_;
  Reader reader_;
  Pinned pinned_;
};

class WritePidsWorker : public Napi::AsyncWorker {
 public:
  WritePidsWorker(Napi::Env env, std::shared_ptr<HandleTable> table, const uint32_t* ids, const int32_t* pids,
                  size_t count, int32_t hier, int32_t* results)
      : Napi::AsyncWorker(env, "cgmgr.writePids"),
        deferred_(Napi::Promise::Deferred::New(env)),
        table_(std::move(table)),
        ids_(ids),
        pids_(pids),
        count_(count),
        hier_(hier),
        results_(results) {}
  Pinned& pinned() { return pinned_; }
  Napi::Promise Promise() { return deferred_.Promise(); }
  void Execute() override { WritePids(*table_, ids_, pids_, count_, hier_, results_); }
  void OnOK() override { deferred_.Resolve(Env().Undefined()); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<HandleTable> table_;
  const uint32_t* ids_;
  const int32_t* pids_;
  size_t count_;
  int32_t hier_;
  int32_t* results_;
  Pinned pinned_;
};

}  // namespace

void Engine::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Engine",
                                    {
                                        InstanceMethod<&Engine::Open>("open"),
                                        InstanceMethod<&Engine::Close>("close"),
                                        InstanceMethod<&Engine::Info>("info"),
                                        InstanceMethod<&Engine::CreatePlan>("createPlan"),
                                        InstanceMethod<&Engine::Read>("read"),
                                        InstanceMethod<&Engine::ReadAsync>("readAsync"),
                                        InstanceMethod<&Engine::ReadFile>("readFile"),
                                        InstanceMethod<&Engine::ReadPids>("readPids"),
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
    Napi::TypeError::New(env, "Engine(paths, fdBudget, resolveMode): paths must be an array").ThrowAsJavaScriptException();
    return;
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  std::vector<std::string> paths;
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) {
      Napi::TypeError::New(env, "Engine: every hierarchy path must be a string").ThrowAsJavaScriptException();
      return;
    }
    paths.push_back(v.As<Napi::String>().Utf8Value());
  }
  uint32_t budget = 0, mode = 0;
  if (!Uint32Arg(info, 1, "fdBudget", &budget) || !Uint32Arg(info, 2, "resolveMode", &mode)) return;
  if (mode > 2) {
    Napi::RangeError::New(env, "resolveMode must be 0, 1 or 2").ThrowAsJavaScriptException();
    return;
  }
  size_t failed = 0;
  SysResult r = table_->Init(paths, budget, static_cast<ResolveMode>(mode), &failed);
  if (!r.ok()) ThrowSysError(env, r.err, SyscallName(r.syscall), failed < paths.size() ? paths[failed] : "");
}

void Engine::ThrowStatus(Napi::Env env, int32_t status, uint32_t id, uint32_t hier, const std::string& name) {
  std::string path;
  {
    std::lock_guard<std::shared_mutex> lock(table_->mutex());
    Handle* h = table_->Get(id);
    if (h != nullptr && hier < table_->hierarchy_count()) path = table_->FullPath(*h, hier, name);
  }
  if (status < 0) {
    int32_t e = -status;
    ThrowSysError(env, e % 4096, SyscallName(e / 4096), path);
  } else if (status == kPidBadHandle) {
    ThrowCgroupError(env, "ERR_CGROUP_HANDLE_CLOSED", "the cgroup handle is closed");
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
    ThrowCgroupError(env, "ERR_CGROUP_INVALID_PATH",
                     "invalid cgroup path '" + rel + "': a relative path of names (no '..', '.', empty or absolute parts)");
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

// createPlan([{ hierarchy, name, format, keys, cap, hold }]) -> { id, slots, offsets: number[] }
Napi::Value Engine::CreatePlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    Napi::TypeError::New(env, "createPlan(files): files must be an array").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Array arr = info[0].As<Napi::Array>();
  auto plan = std::make_shared<Plan>();
  Napi::Array offsets = Napi::Array::New(env, arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) {
      Napi::TypeError::New(env, "createPlan: every file must be an object").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value hier = o.Get("hierarchy"), name = o.Get("name"), format = o.Get("format"), keys = o.Get("keys"),
                cap = o.Get("cap"), hold = o.Get("hold");
    if (!hier.IsNumber() || !name.IsString() || !format.IsNumber()) {
      Napi::TypeError::New(env, "createPlan: file needs hierarchy, name and format").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    PlanFile f;
    double h = hier.As<Napi::Number>().DoubleValue();
    double fm = format.As<Napi::Number>().DoubleValue();
    double c = cap.IsNumber() ? cap.As<Napi::Number>().DoubleValue() : 0;
    std::string n = name.As<Napi::String>().Utf8Value();
    if (!(h >= 0 && h < static_cast<double>(table_->hierarchy_count())) || h != static_cast<uint32_t>(h) ||
        !(fm >= 0 && fm < static_cast<double>(Format::kCount)) || fm != static_cast<uint32_t>(fm) ||
        !(c >= 0 && c <= kMaxCap) || c != static_cast<uint32_t>(c) || !IsValidName(n)) {
      Napi::RangeError::New(env, "createPlan: bad hierarchy, format, cap or name for file " + std::to_string(i))
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    f.hierarchy = static_cast<uint32_t>(h);
    f.format = static_cast<Format>(static_cast<uint32_t>(fm));
    f.cap = static_cast<uint32_t>(c);
    f.hold = !hold.IsBoolean() || hold.As<Napi::Boolean>().Value();
    if (keys.IsArray()) {
      Napi::Array ka = keys.As<Napi::Array>();
      for (uint32_t k = 0; k < ka.Length(); k++) {
        Napi::Value kv = ka.Get(k);
        if (!kv.IsString()) {
          Napi::TypeError::New(env, "createPlan: keys must be strings").ThrowAsJavaScriptException();
          return env.Undefined();
        }
        f.key_storage.push_back(kv.As<Napi::String>().Utf8Value());
      }
    }
    for (const std::string& k : f.key_storage) f.keys.emplace_back(k);
    f.slot_count = SlotCount(f.format, static_cast<uint32_t>(f.keys.size()), f.cap);
    if (f.slot_count == 0) {
      Napi::RangeError::New(env, "createPlan: file " + n + " needs keys or a capacity for its format")
          .ThrowAsJavaScriptException();
      return env.Undefined();
    }
    f.slot_offset = plan->slots;
    plan->slots += f.slot_count;
    {
      std::lock_guard<std::shared_mutex> lock(table_->mutex());
      f.file_id = table_->FileId(f.hierarchy, n);
    }
    offsets.Set(i, f.slot_offset);
    plan->files.push_back(std::move(f));
  }
  plans_.push_back(plan);
  Napi::Object out = Napi::Object::New(env);
  out.Set("id", static_cast<double>(plans_.size() - 1));
  out.Set("slots", plan->slots);
  out.Set("offsets", offsets);
  return out;
}

bool Engine::ParseReadArgs(const Napi::CallbackInfo& info, std::shared_ptr<const Plan>* plan, const uint32_t** ids,
                           size_t* count, BatchOut* out) {
  Napi::Env env = info.Env();
  uint32_t plan_id;
  if (!Uint32Arg(info, 0, "plan", &plan_id)) return false;
  if (plan_id >= plans_.size()) {
    Napi::RangeError::New(env, "no such plan").ThrowAsJavaScriptException();
    return false;
  }
  *plan = plans_[plan_id];
  if (info.Length() < 8 || !info[1].IsTypedArray()) {
    Napi::TypeError::New(env, "read(plan, ids, values, flags, fileStatus, itemStatus, sampleMs, asDouble)")
        .ThrowAsJavaScriptException();
    return false;
  }
  *count = info[1].As<Napi::TypedArray>().ElementLength();
  *ids = TypedArg<uint32_t>(info, 1, napi_uint32_array, 0, "ids");
  if (*ids == nullptr && *count > 0) return false;
  const size_t slots = (*plan)->slots * *count, files = (*plan)->files.size() * *count;
  out->as_double = info[7].ToBoolean().Value();
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
  return true;
}

Napi::Value Engine::Read(const Napi::CallbackInfo& info) {
  std::shared_ptr<const Plan> plan;
  const uint32_t* ids = nullptr;
  size_t count = 0;
  BatchOut out{};
  if (!ParseReadArgs(info, &plan, &ids, &count, &out)) return info.Env().Undefined();
  reader_->ReadBatch(*table_, ids, count, *plan, out);
  return info.Env().Undefined();
}

Napi::Value Engine::ReadAsync(const Napi::CallbackInfo& info) {
  std::shared_ptr<const Plan> plan;
  const uint32_t* ids = nullptr;
  size_t count = 0;
  BatchOut out{};
  if (!ParseReadArgs(info, &plan, &ids, &count, &out)) return info.Env().Undefined();
  auto* worker = new ReadWorker(info.Env(), table_, plan, ids, count, out);
  for (size_t i = 1; i <= 6; i++) worker->pinned().Add(info[i]);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
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
  if (ParsePidList(text, pids.Data(), count, &count) != ParseStatus::kOk) {
    std::lock_guard<std::shared_mutex> lock(table_->mutex());
    Handle* h = table_->Get(id);
    ThrowCgroupError(env, "ERR_CGROUP_PARSE", "unable to parse " + name + ": not a list of pids",
                     h ? table_->FullPath(*h, hier, name) : name);
    return env.Undefined();
  }
  return pids;
}

// writePids(ids: Uint32Array, pids: Int32Array, hierarchy: number (-1 = all), results: Int32Array); writePidsAsync(...)
// takes the same arguments and returns a Promise.
Napi::Value Engine::WritePidsSync(const Napi::CallbackInfo& info) { return WritePidsImpl(info, false); }
Napi::Value Engine::WritePidsAsync(const Napi::CallbackInfo& info) { return WritePidsImpl(info, true); }

Napi::Value Engine::WritePidsImpl(const Napi::CallbackInfo& info, bool async) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "writePids(ids, pids, hierarchy, results)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  size_t n = info[0].As<Napi::TypedArray>().ElementLength();
  const uint32_t* ids = TypedArg<uint32_t>(info, 0, napi_uint32_array, n, "ids");
  const int32_t* pids = TypedArg<int32_t>(info, 1, napi_int32_array, n, "pids");
  int32_t* results = TypedArg<int32_t>(info, 3, napi_int32_array, n, "results");
  if (ids == nullptr || pids == nullptr || results == nullptr) return env.Undefined();
  int32_t hier = info[2].As<Napi::Number>().Int32Value();
  if (hier < -1 || hier >= static_cast<int32_t>(table_->hierarchy_count())) {
    Napi::RangeError::New(env, "writePids: no such hierarchy").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  if (async) {
    auto* worker = new WritePidsWorker(env, table_, ids, pids, n, hier, results);
    worker->pinned().Add(info[0]);
    worker->pinned().Add(info[1]);
    worker->pinned().Add(info[3]);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
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
  return o;
}

// destroy(): closes every handle (and with them every held descriptor); later reads report closed handles.
Napi::Value Engine::Destroy(const Napi::CallbackInfo& info) {
  std::lock_guard<std::shared_mutex> lock(table_->mutex());
  table_->CloseAll();
  return info.Env().Undefined();
}

}  // namespace cgmgr
