/*
 * cgmgr benchmark: the C loop at the syscall limit over the 12-file "collector" set of PERF-FACTS.
 *
 * Held descriptors + pread(fd, buf, n, 0) + a minimal parse, no allocation in a sweep. Compiled by
 * bench/benchmark.js at run time (cc -O2) into a temp dir.
 *
 *   cloop ROOT WARMUP SWEEPS [pread|uring|uring-defer|uring-nowait|uring-nonblock [QD]] < dirs.txt
 *
 * ROOT is the cgroup mount root (/sys/fs/cgroup); dirs.txt has one cgroup path per line, relative to each v1
 * hierarchy root (e.g. cgmgr-bench-123-ab12/pod-0/ctr-3). Every file of the set is opened once and held; a file
 * that cannot be opened at setup with ENOENT (memory.memsw.* without swap accounting) is re-tried every sweep with
 * openat(held memory dir fd, name) so every variant does the same work for it.
 * Modes: pread (default, the reference row); uring = IORING_OP_READ at offset 0 on the held fds, QD reads per
 * io_uring_enter (raw syscalls, no liburing); uring-nowait = the same with RWF_NOWAIT in the SQE (a short read of a
 * cgroup file, which is S_ISREG, then completes at once instead of being retried through poll + task_work; kernfs
 * refuses it with EOPNOTSUPP on this kernel, kept to show that); uring-nonblock = the held fds opened O_NONBLOCK,
 * which gets the same "no retry of a short read" from io_uring without RWF_NOWAIT.
 * Prints one JSON line:
 *   {"n":..,"openMs":..,"sweepsMs":[..],"enoent":..,"errors":..,"heldFds":..,"checksum":..}
 */
#define _GNU_SOURCE
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <stdint.h>
#include <sys/resource.h>

#include "cbench.h"

#define PROG "cloop"

enum kind { SINGLE, KEYED, LIST };
enum hier { H_MEMORY, H_CPU, H_CPUACCT, H_PIDS, H_COUNT };
static const char *hier_names[H_COUNT] = {"memory", "cpu", "cpuacct", "pids"};

static const char *memstat_keys[] = {"cache", "rss", "total_rss", "total_cache", "total_inactive_file",
                                     "total_mapped_file", "mapped_file", "pgfault"};
static const char *cpuacct_keys[] = {"user", "system"};
static const char *cpustat_keys[] = {"nr_periods", "nr_throttled", "throttled_time"};

#define LIST_CAP 64

struct file_def {
  const char *name;
  enum hier hier;
  enum kind kind;
  const char **keys;
  int nkeys;
  int slot;  /* first slot in a row */
};

static struct file_def files[] = {
    {"memory.stat", H_MEMORY, KEYED, memstat_keys, 8, 0},
    {"memory.usage_in_bytes", H_MEMORY, SINGLE, NULL, 0, 0},
    {"memory.limit_in_bytes", H_MEMORY, SINGLE, NULL, 0, 0},
    {"memory.max_usage_in_bytes", H_MEMORY, SINGLE, NULL, 0, 0},
    {"memory.failcnt", H_MEMORY, SINGLE, NULL, 0, 0},
    {"memory.memsw.usage_in_bytes", H_MEMORY, SINGLE, NULL, 0, 0},
    {"cpuacct.usage", H_CPUACCT, SINGLE, NULL, 0, 0},
    {"cpuacct.usage_percpu", H_CPUACCT, LIST, NULL, 0, 0},
    {"cpuacct.stat", H_CPUACCT, KEYED, cpuacct_keys, 2, 0},
    {"cpu.stat", H_CPU, KEYED, cpustat_keys, 3, 0},
    {"pids.current", H_PIDS, SINGLE, NULL, 0, 0},
    {"pids.max", H_PIDS, SINGLE, NULL, 0, 0},
};
#define NFILES ((int)(sizeof files / sizeof files[0]))

static size_t key_len[NFILES][8];
static int slots_per_row;

struct cg {
  int dirfd[H_COUNT]; /* O_PATH dir fds, kept only for files that were ENOENT at setup */
  int fd[NFILES];     /* held file fds, -1 = re-open each sweep */
};

#define U64_MAX_VALUE UINT64_MAX

/* Parses one unsigned number ("max" = UINT64_MAX) at *pp, advancing it. Returns 0 when there is none. */
static inline int parse_u64(const char **pp, const char *end, uint64_t *out) {
  const char *p = *pp;
  while (p < end && (*p == ' ' || *p == '\t')) p++;
  if (p + 3 <= end && p[0] == 'm' && p[1] == 'a' && p[2] == 'x') {
    *out = U64_MAX_VALUE;
    *pp = p + 3;
    return 1;
  }
  if (p >= end || (unsigned)(*p - '0') > 9) return 0;
  uint64_t v = 0;
  while (p < end && (unsigned)(*p - '0') <= 9) v = v * 10 + (uint64_t)(*p++ - '0');
  *out = v;
  *pp = p;
  return 1;
}

/* Parses a file into row slots; returns 0 on success, 1 when malformed. */
static int parse_file(const struct file_def *f, int fi, const char *buf, long n, uint64_t *row) {
  const char *p = buf, *end = buf + n;
  uint64_t *s = row + f->slot;
  switch (f->kind) {
    case SINGLE:
      return parse_u64(&p, end, &s[0]) ? 0 : 1;
    case LIST: {
      uint64_t count = 0, v;
      while (count < LIST_CAP && parse_u64(&p, end, &v)) s[1 + count++] = v;
      s[0] = count;
      return 0;
    }
    case KEYED:
      while (p < end) {
        const char *key = p;
        while (p < end && *p != ' ') p++;
        size_t klen = (size_t)(p - key);
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) nl = end;
        for (int k = 0; k < f->nkeys; k++) {
          if (key_len[fi][k] == klen && memcmp(key, f->keys[k], klen) == 0) {
            if (!parse_u64(&p, nl, &s[k])) return 1;
            break;
          }
        }
        p = nl + 1;
      }
      return 0;
  }
  return 1;
}

/* ---- a minimal io_uring on raw syscalls ---- */
struct ring {
  int fd;
  unsigned entries;
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
};

static int ring_init(struct ring *r, unsigned entries, unsigned flags) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = flags;
  r->fd = (int)syscall(__NR_io_uring_setup, entries, &p);
  if (r->fd < 0) return -errno;
  r->entries = p.sq_entries;
  size_t sq_sz = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_sz = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP) sq_sz = cq_sz = sq_sz > cq_sz ? sq_sz : cq_sz;
  char *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_SQ_RING);
  if (sq == MAP_FAILED) return -errno;
  char *cq = sq;
  if (!(p.features & IORING_FEAT_SINGLE_MMAP)) {
    cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, r->fd, IORING_OFF_CQ_RING);
    if (cq == MAP_FAILED) return -errno;
  }
  r->sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                 r->fd, IORING_OFF_SQES);
  if (r->sqes == MAP_FAILED) return -errno;
  r->sq_head = (unsigned *)(sq + p.sq_off.head);
  r->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  r->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  r->sq_array = (unsigned *)(sq + p.sq_off.array);
  r->cq_head = (unsigned *)(cq + p.cq_off.head);
  r->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  r->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  r->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  return 0;
}

static void ring_queue_read(struct ring *r, int fd, void *buf, unsigned len, uint64_t ud, int nowait) {
  unsigned tail = *r->sq_tail;
  unsigned idx = tail & *r->sq_mask;
  struct io_uring_sqe *sqe = &r->sqes[idx];
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_READ;
  sqe->fd = fd;
  sqe->addr = (uint64_t)(uintptr_t)buf;
  sqe->len = len;
  sqe->off = 0;
  sqe->rw_flags = nowait ? RWF_NOWAIT : 0;
  sqe->user_data = ud;
  r->sq_array[idx] = idx;
  __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);
}

static int ring_submit_wait(struct ring *r, unsigned n) {
  unsigned submitted = 0;
  while (submitted < n) {
    long k = syscall(__NR_io_uring_enter, r->fd, n - submitted, n - submitted, IORING_ENTER_GETEVENTS, NULL, 0);
    if (k < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EBUSY) continue;
      return -errno;
    }
    submitted += (unsigned)k;
  }
  /* wait until all n completions are there */
  while (__atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE) - *r->cq_head < n) {
    long k = syscall(__NR_io_uring_enter, r->fd, 0, n, IORING_ENTER_GETEVENTS, NULL, 0);
    if (k < 0 && errno != EINTR) return -errno;
  }
  return 0;
}

#define SLOT_BYTES 4096

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: cloop ROOT WARMUP SWEEPS < dirs.txt\n");
    return 2;
  }
  const char *root = argv[1];
  int warmup = atoi(argv[2]), sweeps = atoi(argv[3]);
  const char *mode = argc > 4 ? argv[4] : "pread";
  int use_uring = strncmp(mode, "uring", 5) == 0;
  int nowait = strcmp(mode, "uring-nowait") == 0;
  /* uring-nonblock: the held fds are opened O_NONBLOCK, so io_uring marks the reads REQ_F_NOWAIT and a short read
   * completes at once (kernfs files lack FMODE_NOWAIT, so RWF_NOWAIT itself fails with EOPNOTSUPP). */
  int open_flags = O_RDONLY | O_CLOEXEC | (strcmp(mode, "uring-nonblock") == 0 ? O_NONBLOCK : 0);
  unsigned qd = argc > 5 ? (unsigned)atoi(argv[5]) : 64;
  struct ring ring;
  memset(&ring, 0, sizeof ring);
  char *arena = NULL;
  size_t *slot_k = NULL;
  if (use_uring) {
    /* uring-defer: IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN (task work, such as the retry of a short
     * read, runs inside io_uring_enter(GETEVENTS) instead of through task_work_add). */
    unsigned setup_flags = strcmp(mode, "uring-defer") == 0 ? (IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN) : 0;
    int e = ring_init(&ring, qd, setup_flags);
    if (e < 0) {
      fprintf(stderr, "cloop: io_uring_setup: %s\n", strerror(-e));
      return 1;
    }
    qd = ring.entries;
    arena = aligned_alloc(4096, (size_t)qd * SLOT_BYTES);
    slot_k = calloc(qd, sizeof *slot_k);
  }
  long eagain = 0, requeued = 0;
  int first_err = 0;

  for (int i = 0; i < NFILES; i++) {
    files[i].slot = slots_per_row;
    slots_per_row += files[i].kind == SINGLE ? 1 : files[i].kind == LIST ? 1 + LIST_CAP : files[i].nkeys;
    for (int k = 0; k < files[i].nkeys; k++) key_len[i][k] = strlen(files[i].keys[k]);
  }

  size_t n;
  char **rels = read_cgroup_list(PROG, stdin, &n);

  int rootfd[H_COUNT];
  if (open_hierarchy_roots(PROG, root, hier_names, H_COUNT, rootfd) != 0) return 1;

  struct cg *cgs = calloc(n, sizeof *cgs);
  uint64_t *rows = calloc(n * (size_t)slots_per_row, sizeof(uint64_t));
  long held = 0;
  double t0 = now_ms();
  for (size_t i = 0; i < n; i++) {
    for (int h = 0; h < H_COUNT; h++) cgs[i].dirfd[h] = -1;
    for (int f = 0; f < NFILES; f++) {
      /* A file absent here keeps its directory instead and is re-tried every sweep. */
      int h = files[f].hier;
      int fd = open_held(PROG, rootfd[h], hier_names[h], rels[i], files[f].name, open_flags, &cgs[i].dirfd[h], &held);
      if (fd == -2) return 1;
      cgs[i].fd[f] = fd;
    }
  }
  double open_ms = now_ms() - t0;

  static char buf[65536];
  double *times = calloc((size_t)(warmup + sweeps) + 1, sizeof(double));
  long enoent = 0, errors = 0;
  uint64_t checksum = 0;
  struct rusage ru0, ru1;
  memset(&ru0, 0, sizeof ru0);
  for (int s = 0; s < warmup + sweeps; s++) {
    if (s == warmup) getrusage(RUSAGE_SELF, &ru0);
    enoent = 0;
    errors = 0;
    double a = now_ms();
    if (use_uring) {
      /* Held fds go through the ring, QD reads per io_uring_enter; the rest (absent files) as in pread mode. */
      size_t total = n * (size_t)NFILES, k = 0;
      while (k < total) {
        unsigned q = 0;
        size_t start = k;
        for (; k < total && q < qd; k++) {
          int fd = cgs[k / NFILES].fd[k % NFILES];
          if (fd >= 0) {
            slot_k[q] = k;
            ring_queue_read(&ring, fd, arena + (size_t)q * SLOT_BYTES, SLOT_BYTES, q, nowait);
            q++;
          }
        }
        if (q && ring_submit_wait(&ring, q) < 0) {
          fprintf(stderr, "cloop: io_uring_enter failed\n");
          return 1;
        }
        unsigned head = *ring.cq_head;
        for (unsigned c = 0; c < q; c++, head++) {
          struct io_uring_cqe *cqe = &ring.cqes[head & *ring.cq_mask];
          unsigned slot = (unsigned)cqe->user_data;
          size_t kk = slot_k[slot];
          int f = (int)(kk % NFILES);
          size_t i = kk / NFILES;
          long r = cqe->res;
          const char *text = arena + (size_t)slot * SLOT_BYTES;
          if (r == -EAGAIN || r >= SLOT_BYTES) {
            if (r == -EAGAIN) eagain++;
            requeued++;
            r = pread(cgs[i].fd[f], buf, sizeof buf, 0);
            text = buf;
          }
          if (r < 0 || parse_file(&files[f], f, text, r, rows + i * (size_t)slots_per_row) != 0) {
            if (r < 0 && first_err == 0) first_err = (int)-r;
            errors++;
          }
        }
        __atomic_store_n(ring.cq_head, head, __ATOMIC_RELEASE);
        for (size_t j = start; j < k; j++) {
          size_t i = j / NFILES;
          int f = (int)(j % NFILES);
          if (cgs[i].fd[f] >= 0) continue;
          long r = read_at0(-1, cgs[i].dirfd[files[f].hier], files[f].name, buf, sizeof buf, &enoent, &errors);
          if (r == READ_SKIPPED) continue;
          if (r < 0 || parse_file(&files[f], f, buf, r, rows + i * (size_t)slots_per_row) != 0) errors++;
        }
      }
    } else {
    for (size_t i = 0; i < n; i++) {
      uint64_t *row = rows + i * (size_t)slots_per_row;
      for (int f = 0; f < NFILES; f++) {
        long r = read_at0(cgs[i].fd[f], cgs[i].dirfd[files[f].hier], files[f].name, buf, sizeof buf, &enoent, &errors);
        if (r == READ_SKIPPED) continue;
        if (r < 0 || parse_file(&files[f], f, buf, r, row) != 0) errors++;
      }
    }
    }
    times[s] = now_ms() - a;
    for (size_t i = 0; i < n * (size_t)slots_per_row; i += 7) checksum += rows[i];
  }

  getrusage(RUSAGE_SELF, &ru1);
  double user_us = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e6 + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec);
  double sys_us = (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
  printf("{\"mode\":\"%s\",\"qd\":%u,\"eagain\":%ld,\"requeued\":%ld,\"firstErrno\":%d,", mode, use_uring ? qd : 0, eagain,
         requeued, first_err);
  printf("\"userUs\":%.0f,\"sysUs\":%.0f,\"n\":%zu,\"openMs\":%.4f,\"heldFds\":%ld,\"enoent\":%ld,\"errors\":%ld,\"checksum\":%llu,\"sweepsMs\":[", user_us, sys_us, n,
         open_ms, held, enoent, errors, (unsigned long long)checksum);
  print_sweeps(times, warmup, sweeps);
  /* row 0 for the cross-check of parsed values */
  printf("],\"row0\":[");
  for (int k = 0; n > 0 && k < slots_per_row; k++) printf("%s%llu", k ? "," : "", (unsigned long long)rows[k]);
  printf("]}\n");
  return 0;
}
