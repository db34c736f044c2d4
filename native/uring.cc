#include "uring.h"

#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

namespace cgmgr {
namespace {

int Setup(unsigned entries, io_uring_params* p) {
  long fd = syscall(__NR_io_uring_setup, entries, p);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int Enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0);
  return r < 0 ? -errno : static_cast<int>(r);
}

template <typename T>
T* At(void* base, unsigned offset) {
  return reinterpret_cast<T*>(static_cast<char*>(base) + offset);
}

unsigned LoadAcquire(const unsigned* p) {
  return std::atomic_ref<const unsigned>(*p).load(std::memory_order_acquire);
}
void StoreRelease(unsigned* p, unsigned v) { std::atomic_ref<unsigned>(*p).store(v, std::memory_order_release); }

}  // namespace

Uring::~Uring() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (cq_ring_ != nullptr && cq_ring_ != sq_ring_) munmap(cq_ring_, cq_ring_size_);
  if (sq_ring_ != nullptr) munmap(sq_ring_, sq_ring_size_);
  if (fd_ >= 0) close(fd_);
}

int Uring::Init(unsigned entries) {
  io_uring_params p;
  memset(&p, 0, sizeof p);
  int fd = Setup(entries, &p);
  if (fd < 0) return fd;
  fd_ = fd;
  sq_entries_ = p.sq_entries;
  sq_ring_size_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  cq_ring_size_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  const bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) sq_ring_size_ = cq_ring_size_ = sq_ring_size_ > cq_ring_size_ ? sq_ring_size_ : cq_ring_size_;
  void* sq = mmap(nullptr, sq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return -errno;
  sq_ring_ = sq;
  if (single) {
    cq_ring_ = sq;
  } else {
    void* cq = mmap(nullptr, cq_ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) return -errno;
    cq_ring_ = cq;
  }
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
  if (sqes == MAP_FAILED) return -errno;
  sqes_ = sqes;
  sq_head_ = At<unsigned>(sq_ring_, p.sq_off.head);
  sq_tail_ = At<unsigned>(sq_ring_, p.sq_off.tail);
  sq_mask_ = At<unsigned>(sq_ring_, p.sq_off.ring_mask);
  sq_array_ = At<unsigned>(sq_ring_, p.sq_off.array);
  cq_head_ = At<unsigned>(cq_ring_, p.cq_off.head);
  cq_tail_ = At<unsigned>(cq_ring_, p.cq_off.tail);
  cq_mask_ = At<unsigned>(cq_ring_, p.cq_off.ring_mask);
  cqes_ = At<void>(cq_ring_, p.cq_off.cqes);
  return 0;
}

bool Uring::QueueRead(int fd, void* buf, unsigned len, uint64_t user_data) {
  if (queued_ + in_flight_ >= sq_entries_) return false;
  unsigned tail = *sq_tail_;
  unsigned index = tail & *sq_mask_;
  auto* sqe = static_cast<io_uring_sqe*>(sqes_) + index;
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_READ;
  sqe->fd = fd;
  sqe->addr = reinterpret_cast<uint64_t>(buf);
  sqe->len = len;
  sqe->off = 0;
  sqe->user_data = user_data;
  sq_array_[index] = index;
  StoreRelease(sq_tail_, tail + 1);
  queued_++;
  return true;
}

int Uring::SubmitAndWaitAll() {
  while (queued_ > 0 || in_flight_ > 0) {
    unsigned ready = LoadAcquire(cq_tail_) - *cq_head_;
    if (queued_ == 0 && ready >= in_flight_) return 0;
    int r = Enter(fd_, queued_, in_flight_ + queued_, IORING_ENTER_GETEVENTS);
    if (r < 0) {
      if (r == -EINTR || r == -EAGAIN || r == -EBUSY) continue;
      return r;
    }
    unsigned submitted = static_cast<unsigned>(r);
    queued_ -= submitted;
    in_flight_ += submitted;
  }
  return 0;
}

bool Uring::Reap(uint64_t* user_data, int32_t* res) {
  unsigned head = *cq_head_;
  if (head == LoadAcquire(cq_tail_)) return false;
  auto* cqe = static_cast<io_uring_cqe*>(cqes_) + (head & *cq_mask_);
  *user_data = cqe->user_data;
  *res = cqe->res;
  StoreRelease(cq_head_, head + 1);
  if (in_flight_ > 0) in_flight_--;
  return true;
}

bool Uring::Available() {
  static const bool available = [] {
    Uring probe;
    return probe.Init(2) == 0;
  }();
  return available;
}

}  // namespace cgmgr
