#include "sysinfo.h"

#include <sys/resource.h>
#include <sys/sysinfo.h>

#include <cerrno>
#include <cmath>

#include "errors.h"

namespace cgmgr {
namespace {

// sysinfo() -> { totalram: bigint (bytes, mem_unit applied), rawTotalram: bigint, memUnit: number }
Napi::Value JsSysinfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct sysinfo si;
  if (sysinfo(&si) != 0) {
    ThrowSysError(env, errno, "sysinfo", "");
    return env.Undefined();
  }
  Napi::Object o = Napi::Object::New(env);
  unsigned unit = si.mem_unit == 0 ? 1 : si.mem_unit;
  o.Set("totalram", Napi::BigInt::New(env, static_cast<uint64_t>(si.totalram) * unit));
  o.Set("rawTotalram", Napi::BigInt::New(env, static_cast<uint64_t>(si.totalram)));
  o.Set("memUnit", si.mem_unit);
  return o;
}

// nofileLimit() -> { soft, hard } (RLIM_INFINITY as Infinity)
Napi::Value JsNofileLimit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
    ThrowSysError(env, errno, "getrlimit", "");
    return env.Undefined();
  }
  auto conv = [](rlim_t v) { return v == RLIM_INFINITY ? INFINITY : static_cast<double>(v); };
  Napi::Object o = Napi::Object::New(env);
  o.Set("soft", conv(rl.rlim_cur));
  o.Set("hard", conv(rl.rlim_max));
  return o;
}

}  // namespace

void InitSysinfoBinding(Napi::Env env, Napi::Object exports) {
  exports.Set("sysinfo", Napi::Function::New(env, JsSysinfo, "sysinfo"));
  exports.Set("nofileLimit", Napi::Function::New(env, JsNofileLimit, "nofileLimit"));
}

}  // namespace cgmgr
