// The machinery shared by the addon's watchers (oom_watch.h, pid_watch.h): a set of descriptors, each under a 32-bit
// token, in one epoll set served by one thread, which hands a fired watch's token to a JavaScript callback (a
// thread-safe function that does not keep the event loop alive). A watcher opens its own descriptors and gives them to
// Insert; the set closes them, releases their share of the process budget (handle.h) and stops its thread on
// Remove, Shutdown, its destructor, or the environment's teardown (a worker thread's, say), whichever comes first.
#ifndef CGMGR_EPOLL_WATCH_H_
#define CGMGR_EPOLL_WATCH_H_

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace cgmgr {

class EpollWatchSet {
 public:
  // What a readable watch descriptor means.
  enum class Fire {
    kDrainEventfd,  // an eventfd the kernel signals, perhaps again: read its count, keep the watch
    kOneShot,       // an event that happens once (a pidfd's exit): drop the watch
  };
  // The descriptors of one watch: `wait_fd` is in the epoll set; `held_fd` (or -1) is kept open beside it.
  struct Watch {
    int wait_fd = -1;
    int held_fd = -1;
  };

  EpollWatchSet() = default;
  EpollWatchSet(const EpollWatchSet&) = delete;
  EpollWatchSet& operator=(const EpollWatchSet&) = delete;
  ~EpollWatchSet() { Shutdown(); }

  // Creates the epoll set, its stop eventfd, the thread-safe function over `callback` and the thread. On failure an
  // exception is pending in env and false is returned; nothing is left open.
  bool Start(Napi::Env env, Napi::Function callback, const char* name, Fire fire, size_t fds_per_watch);
  // Takes ownership of w and of the budget share the caller holds for it (TryHoldWatchFds(fds_per_watch)), replacing
  // the token's earlier watch. On failure everything of w is closed and released, an exception is pending, and false
  // is returned.
  bool Insert(Napi::Env env, uint32_t token, Watch w);
  bool Remove(uint32_t token);
  size_t Size();
  bool running() const { return running_; }
  // Stops the thread and closes every descriptor. Idempotent.
  void Shutdown();

  // Closes a watch's descriptors and releases its budget share (for a caller whose Watch never reached Insert).
  void Discard(const Watch& w) const;

 private:
  void Run();
  void DropLocked(std::unordered_map<uint32_t, Watch>::iterator it);
  // Registered after the thread-safe function, so it runs before the tsfn's own teardown.
  static void CleanupHook(void* self);

  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  std::mutex mutex_;  // guards watches_ (the thread touches a watch's descriptors only under it)
  std::unordered_map<uint32_t, Watch> watches_;
  Fire fire_ = Fire::kOneShot;
  size_t fds_per_watch_ = 1;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  bool running_ = false;
  napi_env env_ = nullptr;
  bool hooked_ = false;
};

}  // namespace cgmgr

#endif  // CGMGR_EPOLL_WATCH_H_
