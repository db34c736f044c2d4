// OOM notifications of cgroup v1 memory controllers, for many cgroups at once: per cgroup an eventfd registered
// through cgroup.event_control for memory.oom_control (the kernel's only v1 OOM notification), all of them in one
// epoll set served by one thread, which hands the cgroup's token to a JavaScript callback (a thread-safe function
// that does not keep the event loop alive). The kernel also signals the eventfd when the cgroup is removed; the
// callback tells the two apart by reading the oom_kill counter.
#ifndef CGMGR_OOM_WATCH_H_
#define CGMGR_OOM_WATCH_H_

#include <napi.h>

#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace cgmgr {

class OomWatch : public Napi::ObjectWrap<OomWatch> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit OomWatch(const Napi::CallbackInfo& info);
  ~OomWatch() override;

 private:
  struct Fds {
    int efd;  // the eventfd the kernel signals
    int ofd;  // memory.oom_control, kept open while registered
  };

  // add(dir: string, token: uint32, ino: number (0 = any)): registers the cgroup directory `dir` (absolute path of
  // its v1 memory directory). Throws a CgroupError (ENOENT, ERR_CGROUP_GONE when the inode is not `ino`, ...).
  Napi::Value Add(const Napi::CallbackInfo& info);
  // remove(token) -> boolean
  Napi::Value Remove(const Napi::CallbackInfo& info);
  // close(): stops the thread and closes every descriptor. Idempotent.
  Napi::Value Close(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);

  void Run();
  void Shutdown();
  // Runs when the environment (a worker thread's, say) is torn down before close(): stops the thread and releases
  // the thread-safe function while both are still valid (registered after the tsfn, so it runs before the tsfn's own
  // teardown).
  static void CleanupHook(void* self);
  static void CloseFds(const Fds& f);

  Napi::ThreadSafeFunction tsfn_;
  std::thread thread_;
  std::mutex mutex_;  // guards watches_ (the thread reads an eventfd only under it)
  std::unordered_map<uint32_t, Fds> watches_;
  int epoll_fd_ = -1;
  int stop_fd_ = -1;
  bool running_ = false;
  napi_env env_ = nullptr;
  bool hooked_ = false;
};

// Each watch holds two descriptors of the process budget (handle.h); the watches of a process take at most this share
// of it, so reads keep room to hold descriptors.
constexpr size_t kOomFdsPerWatch = 2;

}  // namespace cgmgr

#endif  // CGMGR_OOM_WATCH_H_
