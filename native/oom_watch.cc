#include "oom_watch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "errors.h"
#include "handle.h"

namespace cgmgr {
namespace {

void CloseFd(int fd) {
  // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
  if (fd >= 0) close(fd);
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
  set_.Start(env, info[0].As<Napi::Function>(), "cgmgr.OomWatch", EpollWatchSet::Fire::kDrainEventfd, kOomFdsPerWatch);
}

Napi::Value OomWatch::Add(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!set_.running()) {
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
  // One descriptor of the process budget (the eventfd), within the watches' share of it; from here every failure ends
  // in set_.Discard(watch), which closes what was opened and releases the share. memory.oom_control is open only while
  // the event is registered: the kernel takes what it needs from it then (memcg_write_event_control drops its
  // reference before returning) and the event lives until the eventfd is closed or the cgroup removed, as containerd's
  // v1 OOM watcher relies on (it closes the file at once too).
  if (!TryHoldWatchFds(kOomFdsPerWatch)) {
    ThrowSysError(env, EMFILE, "openat", dir + "/memory.oom_control");
    return env.Undefined();
  }
  EpollWatchSet::Watch watch;  // wait_fd: the eventfd the kernel signals (no held_fd)
  auto fail = [&](int err, const char* syscall, const std::string& path) {
    set_.Discard(watch);
    ThrowSysError(env, err, syscall, path);
    return env.Undefined();
  };
  int dfd = open(dir.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0) return fail(errno, "openat", dir);
  struct stat st;
  if (fstat(dfd, &st) != 0) {
    int err = errno;
    CloseFd(dfd);
    return fail(err, "fstat", dir);
  }
  if (ino != 0 && static_cast<double>(st.st_ino) != ino) {
    CloseFd(dfd);
    set_.Discard(watch);
    ThrowCgroupError(env, "ERR_CGROUP_GONE", "cgroup " + dir + " is gone (another cgroup is at its path)", dir);
    return env.Undefined();
  }
  int ofd = openat(dfd, "memory.oom_control", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (ofd < 0) {
    int err = errno;
    CloseFd(dfd);
    return fail(err, "openat", dir + "/memory.oom_control");
  }
  watch.wait_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (watch.wait_fd < 0) {
    int err = errno;
    CloseFd(ofd);
    CloseFd(dfd);
    return fail(err, "eventfd", "");
  }
  int cfd = openat(dfd, "cgroup.event_control", O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  int err = cfd < 0 ? errno : 0;
  CloseFd(dfd);
  if (cfd < 0) {
    CloseFd(ofd);
    return fail(err, "openat", dir + "/cgroup.event_control");
  }
  char line[32];
  int len = snprintf(line, sizeof line, "%d %d", watch.wait_fd, ofd);
  ssize_t w = write(cfd, line, static_cast<size_t>(len));
  err = w < 0 ? errno : (w != len ? EIO : 0);
  CloseFd(cfd);
  CloseFd(ofd);
  if (err != 0) return fail(err, "write", dir + "/cgroup.event_control");
  set_.Insert(env, token, watch);  // owns the watch from here, also when it fails
  return env.Undefined();
}

Napi::Value OomWatch::Remove(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    ThrowTypeError(env, "remove(token: number)");
    return env.Undefined();
  }
  return Napi::Boolean::New(env, set_.Remove(info[0].As<Napi::Number>().Uint32Value()));
}

Napi::Value OomWatch::Close(const Napi::CallbackInfo& info) {
  set_.Shutdown();
  return info.Env().Undefined();
}

Napi::Value OomWatch::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(set_.Size()));
}

}  // namespace cgmgr
