#include "pid_watch.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "handle.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

namespace cgmgr {
namespace {

constexpr uint64_t kStopToken = UINT64_MAX;

int CloseFd(int fd) {
  // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
  return fd >= 0 ? close(fd) : 0;
}

}  // namespace

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
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    ThrowSysError(env, errno, "epoll_create1", "");
    return;
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    int err = errno;
    CloseFd(epoll_fd_);
    epoll_fd_ = -1;
    ThrowSysError(env, err, "eventfd", "");
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStopToken;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev) != 0) {
    int err = errno;
    CloseFd(stop_fd_);
    CloseFd(epoll_fd_);
    stop_fd_ = epoll_fd_ = -1;
    ThrowSysError(env, err, "epoll_ctl", "");
    return;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "cgmgr.PidWatch", 0, 1);
  if (static_cast<napi_threadsafe_function>(tsfn_) == nullptr || ExceptionPending(env)) {
    CloseFd(stop_fd_);
    CloseFd(epoll_fd_);
    stop_fd_ = epoll_fd_ = -1;
    return;  // the exception (or the environment's teardown) is the caller's answer
  }
  tsfn_.Unref(env);  // watching alone does not keep the process alive
  running_ = true;
  env_ = env;
  hooked_ = napi_add_env_cleanup_hook(env, CleanupHook, this) == napi_ok;
  thread_ = std::thread([this] { Run(); });
}

PidWatch::~PidWatch() { Shutdown(); }

void PidWatch::CleanupHook(void* self) {
  auto* w = static_cast<PidWatch*>(self);
  w->hooked_ = false;  // the environment removes a hook as it runs it
  w->Shutdown();
}

void PidWatch::DropLocked(std::unordered_map<uint32_t, int>::iterator it) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second, nullptr);
  CloseFd(it->second);
  ReleaseWatchFds(1);
  watches_.erase(it);
}

void PidWatch::Run() {
  epoll_event events[64];
  for (;;) {
    int n = epoll_wait(epoll_fd_, events, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EBADF/EINVAL cannot happen while the descriptors live; nothing to report to
    }
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == kStopToken) return;
      uint32_t token = static_cast<uint32_t>(events[i].data.u64);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = watches_.find(token);
        if (it == watches_.end()) continue;  // removed meanwhile
        DropLocked(it);                      // one-shot: the process has exited
      }
      tsfn_.NonBlockingCall([token](Napi::Env env, Napi::Function fn) {
        if (env != nullptr && fn != nullptr) fn.Call({Napi::Number::New(env, token)});
      });
    }
  }
}

Napi::Value PidWatch::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!running_) {
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
  int pfd = static_cast<int>(fd);  // pidfd_open sets close-on-exec itself
  std::lock_guard<std::mutex> lock(mutex_);
  auto old = watches_.find(token);
  if (old != watches_.end()) DropLocked(old);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, pfd, &ev) != 0) {
    int err = errno;
    CloseFd(pfd);
    ReleaseWatchFds(1);
    ThrowSysError(env, err, "epoll_ctl", "");
    return env.Undefined();
  }
  watches_.emplace(token, pfd);
  return env.Undefined();
}

Napi::Value PidWatch::Remove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowTypeError(env, "remove(token: number)");
    return env.Undefined();
  }
  uint32_t token = info[0].As<Napi::Number>().Uint32Value();
  if (!running_) return Napi::Boolean::New(env, false);
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = watches_.find(token);
  if (it == watches_.end()) return Napi::Boolean::New(env, false);
  DropLocked(it);
  return Napi::Boolean::New(env, true);
}

void PidWatch::Shutdown() {
  if (!running_) return;
  running_ = false;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) != sizeof one) {
    // An eventfd write fails only on counter overflow, impossible here; the thread would still exit on close below.
  }
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [token, fd] : watches_) {
      CloseFd(fd);
      ReleaseWatchFds(1);
    }
    watches_.clear();
  }
  CloseFd(stop_fd_);
  CloseFd(epoll_fd_);
  stop_fd_ = epoll_fd_ = -1;
  tsfn_.Release();
  if (hooked_) {
    hooked_ = false;
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  }
}

Napi::Value PidWatch::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value PidWatch::Size(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Napi::Number::New(info.Env(), static_cast<double>(watches_.size()));
}

}  // namespace cgmgr
