#include "oom_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "handle.h"

namespace cgmgr {
namespace {

constexpr uint64_t kStopToken = UINT64_MAX;

int CloseRetry(int fd) {
  // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
  return fd >= 0 ? close(fd) : 0;
}

}  // namespace

void OomWatch::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "OomWatch",
                                    {
                                        InstanceMethod<&OomWatch::Add>("add"),
                                        InstanceMethod<&OomWatch::Remove>("remove"),
                                        InstanceMethod<&OomWatch::Close>("close"),
                                        InstanceMethod<&OomWatch::Size>("size"),
                                    });
  exports.Set("OomWatch", ctor);
}

// new OomWatch(callback: (token: number) => void)
OomWatch::OomWatch(const Napi::CallbackInfo& info) : Napi::ObjectWrap<OomWatch>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsFunction()) {
    ThrowTypeError(env, "new OomWatch(callback): a function is required");
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
    CloseRetry(epoll_fd_);
    epoll_fd_ = -1;
    ThrowSysError(env, err, "eventfd", "");
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStopToken;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev) != 0) {
    int err = errno;
    CloseRetry(stop_fd_);
    CloseRetry(epoll_fd_);
    stop_fd_ = epoll_fd_ = -1;
    ThrowSysError(env, err, "epoll_ctl", "");
    return;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, info[0].As<Napi::Function>(), "cgmgr.OomWatch", 0, 1);
  if (static_cast<napi_threadsafe_function>(tsfn_) == nullptr || ExceptionPending(env)) {
    CloseRetry(stop_fd_);
    CloseRetry(epoll_fd_);
    stop_fd_ = epoll_fd_ = -1;
    return;  // the exception (or the environment's teardown) is the caller's answer
  }
  tsfn_.Unref(env);  // OOM watching alone does not keep the process alive
  running_ = true;
  env_ = env;
  hooked_ = napi_add_env_cleanup_hook(env, CleanupHook, this) == napi_ok;
  thread_ = std::thread([this] { Run(); });
}

OomWatch::~OomWatch() { Shutdown(); }

void OomWatch::CleanupHook(void* self) {
  auto* w = static_cast<OomWatch*>(self);
  w->hooked_ = false;  // the environment removes a hook as it runs it
  w->Shutdown();
}

void OomWatch::Run() {
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
        uint64_t count;
        if (read(it->second.efd, &count, sizeof count) != sizeof count) continue;  // EAGAIN: already drained
      }
      tsfn_.NonBlockingCall([token](Napi::Env env, Napi::Function fn) {
        if (env != nullptr && fn != nullptr) fn.Call({Napi::Number::New(env, token)});
      });
    }
  }
}

void OomWatch::CloseFds(const Fds& f) {
  CloseRetry(f.efd);
  CloseRetry(f.ofd);
}

Napi::Value OomWatch::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!running_) {
    ThrowCgroupError(env, "ERR_CGROUP_HANDLE_CLOSED", "the OOM watch is closed");
    return env.Undefined();
  }
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    ThrowTypeError(env, "add(dir: string, token: number, ino: number)");
    return env.Undefined();
  }
  std::string dir = info[0].As<Napi::String>().Utf8Value();
  double token_d = info[1].As<Napi::Number>().DoubleValue();
  double ino = info[2].As<Napi::Number>().DoubleValue();
  if (!(token_d >= 0 && token_d <= 4294967295.0) || token_d != static_cast<double>(static_cast<uint32_t>(token_d))) {
    ThrowRangeError(env, "token must be a 32-bit unsigned integer");
    return env.Undefined();
  }
  if (dir.empty() || dir[0] != '/' || dir.find('\0') != std::string::npos) {
    ThrowTypeError(env, "dir must be an absolute path");
    return env.Undefined();
  }
  uint32_t token = static_cast<uint32_t>(token_d);
  // Two descriptors of the process budget, within the watches' share of it.
  if (!TryHoldWatchFds(kOomFdsPerWatch)) {
    ThrowSysError(env, EMFILE, "openat", dir + "/memory.oom_control");
    return env.Undefined();
  }
  bool added = false;
  struct Release {
    bool* added;
    ~Release() {
      if (!*added) ReleaseWatchFds(kOomFdsPerWatch);
    }
  } release{&added};
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) {
    ThrowSysError(env, errno, "openat", dir);
    return env.Undefined();
  }
  struct stat st;
  if (fstat(dfd, &st) != 0) {
    int err = errno;
    CloseRetry(dfd);
    ThrowSysError(env, err, "fstat", dir);
    return env.Undefined();
  }
  if (ino != 0 && static_cast<double>(st.st_ino) != ino) {
    CloseRetry(dfd);
    ThrowCgroupError(env, "ERR_CGROUP_GONE", "cgroup " + dir + " is gone (another cgroup is at its path)", dir);
    return env.Undefined();
  }
  Fds f{-1, -1};
  f.ofd = openat(dfd, "memory.oom_control", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (f.ofd < 0) {
    int err = errno;
    CloseRetry(dfd);
    ThrowSysError(env, err, "openat", dir + "/memory.oom_control");
    return env.Undefined();
  }
  f.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (f.efd < 0) {
    int err = errno;
    CloseRetry(dfd);
    CloseFds(f);
    ThrowSysError(env, err, "eventfd", "");
    return env.Undefined();
  }
  int cfd = openat(dfd, "cgroup.event_control", O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  int err = cfd < 0 ? errno : 0;
  CloseRetry(dfd);
  if (cfd < 0) {
    CloseFds(f);
    ThrowSysError(env, err, "openat", dir + "/cgroup.event_control");
    return env.Undefined();
  }
  char line[32];
  int len = snprintf(line, sizeof line, "%d %d", f.efd, f.ofd);
  ssize_t w = write(cfd, line, static_cast<size_t>(len));
  err = w < 0 ? errno : (w != len ? EIO : 0);
  CloseRetry(cfd);
  if (err != 0) {
    CloseFds(f);
    ThrowSysError(env, err, "write", dir + "/cgroup.event_control");
    return env.Undefined();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  auto old = watches_.find(token);
  if (old != watches_.end()) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, old->second.efd, nullptr);
    CloseFds(old->second);
    ReleaseWatchFds(kOomFdsPerWatch);
    watches_.erase(old);
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, f.efd, &ev) != 0) {
    err = errno;
    CloseFds(f);
    ThrowSysError(env, err, "epoll_ctl", "");
    return env.Undefined();
  }
  watches_.emplace(token, f);
  added = true;
  return env.Undefined();
}

Napi::Value OomWatch::Remove(const Napi::CallbackInfo& info) {
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
  // Closing the eventfd unregisters the kernel's event (it sees the hang-up).
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.efd, nullptr);
  CloseFds(it->second);
  ReleaseWatchFds(kOomFdsPerWatch);
  watches_.erase(it);
  return Napi::Boolean::New(env, true);
}

void OomWatch::Shutdown() {
  if (!running_) return;
  running_ = false;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) != sizeof one) {
    // An eventfd write fails only on counter overflow, impossible here; the thread would still exit on close below.
  }
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& [token, f] : watches_) {
      CloseFds(f);
      ReleaseWatchFds(kOomFdsPerWatch);
    }
    watches_.clear();
  }
  CloseRetry(stop_fd_);
  CloseRetry(epoll_fd_);
  stop_fd_ = epoll_fd_ = -1;
  tsfn_.Release();
  if (hooked_) {
    hooked_ = false;
    napi_remove_env_cleanup_hook(env_, CleanupHook, this);
  }
}

Napi::Value OomWatch::Close(const Napi::CallbackInfo& info) {
  Shutdown();
  return info.Env().Undefined();
}

Napi::Value OomWatch::Size(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lock(mutex_);
  return Napi::Number::New(info.Env(), static_cast<double>(watches_.size()));
}

}  // namespace cgmgr
