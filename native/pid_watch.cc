#include "pid_watch.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errors.h"
#include "handle.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace cgmgr {
void PidWatch::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "PidWatch",
                                    {
                                        InstanceMethod<&PidWatch::Add>("add"),
                                        InstanceMethod<&PidWatch::Remove>("remove"),
                                        InstanceMethod<&PidWatch::Close>("close"),
                                        InstanceMethod<&PidWatch::Size>("size"),
                                    });
  exports.Set("PidWatch", ctor);
}

// new PidWatch(callback: (token: number) => void)
PidWatch::PidWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PidWatch>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowTypeError(env, "new PidWatch(callback): a function is required");
    return;
  }
  set_.Start(env, info[0].As<Napi::Function>(), "cgmgr.PidWatch", EpollWatchSet::Fire::kOneShot, 1);
}

Napi::Value PidWatch::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!set_.running()) {
    ThrowCgroupError(env, "ERR_CGROUP_HANDLE_CLOSED", "the pid watch is closed");
    return env.Undefined();
  }
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    ThrowTypeError(env, "add(pid: number, token: number)");
    return env.Undefined();
  }
  double pid_d = info[0].As<Napi::Number>().DoubleValue();
  double token_d = info[1].As<Napi::Number>().DoubleValue();
  if (!(pid_d >= 1 && pid_d <= 2147483647.0) || pid_d != static_cast<double>(static_cast<int32_t>(pid_d))) {
    ThrowRangeError(env, "pid must be a positive 32-bit integer");
    return env.Undefined();
  }
  if (!(token_d >= 0 && token_d <= 4294967295.0) || token_d != static_cast<double>(static_cast<uint32_t>(token_d))) {
    ThrowRangeError(env, "token must be a 32-bit unsigned integer");
    return env.Undefined();
  }
  pid_t pid = static_cast<pid_t>(pid_d);
  uint32_t token = static_cast<uint32_t>(token_d);
  if (!TryHoldWatchFds(1)) {
    ThrowSysError(env, EMFILE, "pidfd_open", "");
    return env.Undefined();
  }
  long fd = syscall(SYS_pidfd_open, pid, 0);
  if (fd < 0) {
    int err = errno;
    ReleaseWatchFds(1);
    ThrowSysError(env, err, "pidfd_open", "");
    return env.Undefined();
  }
  EpollWatchSet::Watch w;
  w.wait_fd = static_cast<int>(fd);  // pidfd_open sets close-on-exec itself
  set_.Insert(env, token, w);
  return env.Undefined();
}

Napi::Value PidWatch::Remove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowTypeError(env, "remove(token: number)");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, set_.Remove(info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value PidWatch::Close(const Napi::CallbackInfo& info) {
  set_.Shutdown();
  return info.Env().Undefined();
}

Napi::Value PidWatch::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(set_.Size()));
}

}  // namespace cgmgr
