// A minimal io_uring for batched reads on held descriptors, on the raw syscalls (no liburing: nothing more to
// install for users). Only what the reader needs: queue IORING_OP_READ at offset 0, submit, reap.
//
// Measured on this machine kind (docs/benchmark.md): batched reads on held descriptors cost one io_uring_enter per
// chunk instead of one pread per file. Where io_uring is unavailable (old kernel, io_uring_disabled, a seccomp
// filter) Init fails and the reader stays on pread.
#ifndef CGMGR_URING_H_
#define CGMGR_URING_H_

#include <cstddef>
#include <cstdint>

namespace cgmgr {

class Uring {
 public:
  Uring() = default;
  ~Uring();
  Uring(const Uring&) = delete;
  Uring& operator=(const Uring&) = delete;

  // Sets up a ring of `entries` submission entries. Returns 0 or -errno.
  int Init(unsigned entries);
  bool ready() const { return fd_ >= 0; }
  unsigned capacity() const { return sq_entries_; }

  // Queues a read of len bytes at offset 0 of fd into buf. Returns false when the ring is full.
  bool QueueRead(int fd, void* buf, unsigned len, uint64_t user_data);
  // Submits everything queued and waits until all of it has completed. Returns 0 or -errno.
  int SubmitAndWaitAll();
  // Takes one completion; false when none is left.
  bool Reap(uint64_t* user_data, int32_t* res);

  // True when this kernel lets this process use io_uring (tried once per process).
  static bool Available();

 private:
  int fd_ = -1;
  unsigned sq_entries_ = 0;
  unsigned queued_ = 0;     // queued, not yet submitted
  unsigned in_flight_ = 0;  // submitted, not yet reaped
  void* sq_ring_ = nullptr;
  size_t sq_ring_size_ = 0;
  void* cq_ring_ = nullptr;
  size_t cq_ring_size_ = 0;
  void* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned* sq_mask_ = nullptr;
  unsigned* sq_array_ = nullptr;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned* cq_mask_ = nullptr;
  void* cqes_ = nullptr;
};

}  // namespace cgmgr

#endif  // CGMGR_URING_H_
