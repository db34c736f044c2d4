// Errors raised to JavaScript. The error class is defined in lib/errors.ts and handed to native once (init()); native
// code builds instances of it so that `instanceof CgroupError`, `code`, `errno`, `syscall` and `path` behave like Node's
// own fs errors.
#ifndef CGMGR_ERRORS_H_
#define CGMGR_ERRORS_H_

#include <napi.h>

#include <string>

namespace cgmgr {

// Syscall ids used in encoded per-item statuses (see EncodeSysStatus). Keep in step with lib/errors.ts SYSCALLS.
enum SyscallId : int32_t {
  kSysNone = 0,
  kSysOpenat = 1,
  kSysOpenat2 = 2,
  kSysRead = 3,
  kSysPread = 4,
  kSysWrite = 5,
  kSysFstat = 6,
  kSysStatfs = 7,
  kSysClose = 8,
  kSysGetrlimit = 9,
};
const char* SyscallName(int32_t id);

// A failed syscall: negative statuses in batch results are -(syscall * 4096 + errno).
inline int32_t EncodeSysStatus(int32_t syscall, int err) { return -(syscall * 4096 + err); }

// Stores the CgroupError constructor (and the JS function that words syscall errors as Node does) for this
// environment. Called from JS once: init(CgroupError, sysError).
Napi::Value JsInit(const Napi::CallbackInfo& info);

// Throws a CgroupError for a failed syscall (code = errno name, errno negative as in Node, syscall, path).
void ThrowSysError(Napi::Env env, int err, const char* syscall, const std::string& path);
// Throws a CgroupError with one of our own codes (ERR_CGROUP_*).
void ThrowCgroupError(Napi::Env env, const char* code, const std::string& message, const std::string& path = "");

// A TypeError / RangeError with a `code` (ERR_INVALID_ARG_TYPE / ERR_OUT_OF_RANGE by default). Like every throw here
// it does nothing when an exception is already pending (a throwing getter or Proxy trap, or an environment that is
// shutting down): one error reaches JavaScript, never a second napi_throw (which node-addon-api turns into an abort).
void ThrowTypeError(Napi::Env env, const std::string& message, const char* code = "ERR_INVALID_ARG_TYPE");
void ThrowRangeError(Napi::Env env, const std::string& message, const char* code = "ERR_OUT_OF_RANGE");
// True when JavaScript cannot take another exception now (one is pending).
bool ExceptionPending(Napi::Env env);

}  // namespace cgmgr

#endif  // CGMGR_ERRORS_H_
