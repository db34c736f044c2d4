#include "errors.h"

#include <string.h>

namespace cgmgr {
namespace {

struct ErrorData {
  Napi::FunctionReference cgroup_error;
  Napi::FunctionReference sys_error;  // (errno, syscall, path) -> CgroupError, worded as Node words fs errors
};

void Throw(Napi::Env env, const std::string& message, const char* code, int err, const char* syscall,
           const std::string& path) {
  if (ExceptionPending(env)) return;
  Napi::HandleScope scope(env);
  auto* data = env.GetInstanceData<ErrorData>();
  Napi::Object props = Napi::Object::New(env);
  props.Set("code", code);
  if (err != 0) props.Set("errno", -err);
  if (syscall != nullptr) props.Set("syscall", syscall);
  if (!path.empty()) props.Set("path", path);
  if (data == nullptr || data->cgroup_error.IsEmpty()) {
    // init() not called (only possible when the addon is loaded by hand): fall back to a plain Error.
    napi_throw_error(env, code, message.c_str());
    return;
  }
  Napi::Value error = data->cgroup_error.New({Napi::String::New(env, message), props});
  if (error.IsEmpty() || ExceptionPending(env)) return;  // the constructor itself threw; let that propagate
  napi_throw(env, error);
}

}  // namespace

const char* SyscallName(int32_t id) {
  static const char* const kNames[] = {"",      "openat", "openat2", "read",  "pread",
                                       "write", "fstat",  "statfs",  "close", "getrlimit"};
  if (id < 0 || id >= static_cast<int32_t>(sizeof(kNames) / sizeof(kNames[0]))) return "";
  return kNames[id];
}

Napi::Value JsInit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    Napi::TypeError::New(env, "init(CgroupError, sysError): a constructor is required").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* data = env.GetInstanceData<ErrorData>();
  if (data == nullptr) {
    data = new ErrorData();
    env.SetInstanceData(data);  // deleted by the environment's teardown
  }
  data->cgroup_error = Napi::Persistent(info[0].As<Napi::Function>());
  if (info.Length() >= 2 && info[1].IsFunction()) data->sys_error = Napi::Persistent(info[1].As<Napi::Function>());
  return env.Undefined();
}

void ThrowSysError(Napi::Env env, int err, const char* syscall, const std::string& path) {
  if (ExceptionPending(env)) return;
  auto* data = env.GetInstanceData<ErrorData>();
  if (data != nullptr && !data->sys_error.IsEmpty()) {
    Napi::HandleScope scope(env);
    Napi::Value e = data->sys_error.Call({Napi::Number::New(env, err), Napi::String::New(env, syscall),
                                          path.empty() ? env.Undefined() : Napi::String::New(env, path)});
    if (e.IsEmpty() || ExceptionPending(env)) return;
    napi_throw(env, e);  // a failure here means the environment is going away: nothing to report to
    return;
  }
  const char* name = strerrorname_np(err);
  std::string message = std::string(name ? name : "EUNKNOWN") + ": " + strerror(err) + ", " + syscall;
  if (!path.empty()) message += " '" + path + "'";
  Throw(env, message, name ? name : "EUNKNOWN", err, syscall, path);
}

void ThrowCgroupError(Napi::Env env, const char* code, const std::string& message, const std::string& path) {
  Throw(env, message, code, 0, nullptr, path);
}

bool ExceptionPending(Napi::Env env) {
  bool pending = false;
  // A failed query (the environment is being torn down) counts as pending: do not try to throw.
  return napi_is_exception_pending(env, &pending) != napi_ok || pending;
}

void ThrowTypeError(Napi::Env env, const std::string& message, const char* code) {
  if (!ExceptionPending(env)) napi_throw_type_error(env, code, message.c_str());
}

void ThrowRangeError(Napi::Env env, const std::string& message, const char* code) {
  if (!ExceptionPending(env)) napi_throw_range_error(env, code, message.c_str());
}

}  // namespace cgmgr
