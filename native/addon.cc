// Module initialisation only: each unit registers its own exports.
#include <napi.h>

#include "engine.h"
#include "errors.h"
#include "fsops.h"
#include "mounts.h"
#include "oom_watch.h"
#include "parse_binding.h"
#include "pid_watch.h"
#include "proc_scan.h"
#include "sysinfo.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, cgmgr::JsInit, "init"));
  cgmgr::Engine::Init(env, exports);
  cgmgr::InitFsOpsBinding(env, exports);
  cgmgr::InitMountsBinding(env, exports);
  cgmgr::OomWatch::Init(env, exports);
  cgmgr::InitParseBinding(env, exports);
  cgmgr::PidWatch::Init(env, exports);
  cgmgr::InitProcScanBinding(env, exports);
  cgmgr::InitSysinfoBinding(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cgmgr, Init)
