#include "epoll_watch.h"

#include <errno.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "errors.h"
#include "handle.h"

namespace cgmgr {
namespace {

constexpr uint64_t kStopToken = UINT64_MAX;

void CloseFd(int fd) {
  // close(2) must not be retried on EINTR on Linux: the descriptor is gone either way.
  if (fd >= 0) close(fd);
}

}  // namespace

bool EpollWatchSet::Start(Napi::Env env, Napi::Function callback, const char* name, Fire fire, size_t fds_per_watch) {
  fire_ = fire;
  fds_per_watch_ = fds_per_watch;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    ThrowSysError(env, errno, "epoll_create1", "");
    return false;
  }
  auto undo = [this] {
    CloseFd(stop_fd_);
    CloseFd(epoll_fd_);
    stop_fd_ = epoll_fd_ = -1;
  };
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    int err = errno;
    undo();
    ThrowSysError(env, err, "eventfd", "");
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStopToken;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, stop_fd_, &ev) != 0) {
    int err = errno;
    undo();
    ThrowSysError(env, err, "epoll_ctl", "");
    return false;
  }
  tsfn_ = Napi::ThreadSafeFunction::New(env, callback, name, 0, 1);
  if (static_cast<napi_threadsafe_function>(tsfn_) == nullptr || ExceptionPending(env)) {
    undo();
    return false;  // the exception (or the environment's teardown) is the caller's answer
  }
  tsfn_.Unref(env);  // watching alone does not keep the process alive
  running_ = true;
  env_ = env;
  hooked_ = napi_add_env_cleanup_hook(env, CleanupHook, this) == napi_ok;
  thread_ = std::thread([this] { Run(); });
  return true;
}

void EpollWatchSet::CleanupHook(void* self) {
  auto* set = static_cast<EpollWatchSet*>(self);
  set->hooked_ = false;  // the environment removes a hook as it runs it
  set->Shutdown();
}

void EpollWatchSet::Discard(const Watch& w) const {
  CloseFd(w.wait_fd);
  CloseFd(w.held_fd);
  ReleaseWatchFds(fds_per_watch_);
}

void EpollWatchSet::DropLocked(std::unordered_map<uint32_t, Watch>::iterator it) {
  // Closing an OOM eventfd also unregisters the kernel's event (it sees the hang-up).
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second.wait_fd, nullptr);
  Discard(it->second);
  watches_.erase(it);
}

bool EpollWatchSet::Insert(Napi::Env env, uint32_t token, Watch w) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto old = watches_.find(token);
  if (old != watches_.end()) DropLocked(old);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = token;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, w.wait_fd, &ev) != 0) {
    int err = errno;
    Discard(w);
    ThrowSysError(env, err, "epoll_ctl", "");
    return false;
  }
  watches_.emplace(token, w);
  return true;
}

bool EpollWatchSet::Remove(uint32_t token) {
  if (!running_) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = watches_.find(token);
  if (it == watches_.end()) return false;
  DropLocked(it);
  return true;
}

size_t EpollWatchSet::Size() {
  std::lock_guard<std::mutex> lock(mutex_);
  return watches_.size();
}

void EpollWatchSet::Run() {
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
        if (fire_ == Fire::kOneShot) {
          DropLocked(it);
        } else {
          uint64_t count;
          if (read(it->second.wait_fd, &count, sizeof count) != sizeof count) continue;  // EAGAIN: already drained
        }
      }
      tsfn_.NonBlockingCall([token](Napi::Env env, Napi::Function fn) {
        if (env != nullptr && fn != nullptr) fn.Call({Napi::Number::New(env, token)});
      });
    }
  }
}

void EpollWatchSet::Shutdown() {
  if (!running_) return;
  running_ = false;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) != sizeof one) {
    // An eventfd write fails only on counter overflow, impossible here; the thread would still exit on close below.
  }
  thread_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& entry : watches_) Discard(entry.second);
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

}  // namespace cgmgr
