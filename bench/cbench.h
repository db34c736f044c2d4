/*
 * cbench.h: what the C loops of the benchmarks share (bench/cloop.c for benchmark.js, bench/sweeploop.c for
 * sweep.js): the monotonic clock, the cgroup list on stdin, the hierarchy root descriptors, holding a file's
 * descriptor (or its directory's, when the file is absent at setup), one read at offset 0 per file and sweep, and the
 * JSON array of sweep times. Header-only (static inline): each loop is still built alone with `cc -O2 -Wall`.
 */
#ifndef CGMGR_BENCH_CBENCH_H
#define CGMGR_BENCH_CBENCH_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* read_at0(): the file could not be opened this sweep (counted as ENOENT or as an error); nothing was read. */
#define READ_SKIPPED (-2L)

static inline double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Zeroed memory, or exit(1) with "<prog>: out of memory". */
static inline void *xcalloc(const char *prog, size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "%s: out of memory\n", prog);
    exit(1);
  }
  return p;
}

/* The cgroup paths on f, one a line (relative to the hierarchy roots; empty lines skipped). Sets *count. */
static inline char **read_cgroup_list(const char *prog, FILE *f, size_t *count) {
  size_t cap = 1024, n = 0;
  char **rels = xcalloc(prog, cap * sizeof *rels);
  char line[4096];
  while (fgets(line, sizeof line, f)) {
    size_t l = strlen(line);
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = '\0';
    if (l == 0) continue;
    if (n == cap) {
      char **more = realloc(rels, (cap *= 2) * sizeof *rels);
      if (more == NULL) {
        fprintf(stderr, "%s: out of memory\n", prog);
        exit(1);
      }
      rels = more;
    }
    rels[n] = strdup(line);
    if (rels[n] == NULL) {
      fprintf(stderr, "%s: out of memory\n", prog);
      exit(1);
    }
    n++;
  }
  *count = n;
  return rels;
}

/* fds[h] = ROOT/<names[h]> opened O_PATH; returns 0, or 1 after saying which one failed. */
static inline int open_hierarchy_roots(const char *prog, const char *root, const char *const *names, int count, int *fds) {
  for (int h = 0; h < count; h++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, names[h]);
    fds[h] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fds[h] < 0) {
      fprintf(stderr, "%s: open %s: %s\n", prog, p, strerror(errno));
      return 1;
    }
  }
  return 0;
}

/*
 * Opens <rel>/<name> below rootfd (hierarchy hname) to hold it. A file that is ENOENT gives -1 and keeps rel's
 * directory instead (O_PATH, in *dirfd, opened once per hierarchy) for a re-try every sweep. Every descriptor kept
 * counts in *held. Any other failure gives -2 after saying why.
 */
static inline int open_held(const char *prog, int rootfd, const char *hname, const char *rel, const char *name, int flags,
                            int *dirfd, long *held) {
  char p[4096];
  snprintf(p, sizeof p, "%s/%s", rel, name);
  int fd = openat(rootfd, p, flags);
  if (fd >= 0) {
    (*held)++;
    return fd;
  }
  if (errno != ENOENT) {
    fprintf(stderr, "%s: open %s/%s: %s\n", prog, hname, p, strerror(errno));
    return -2;
  }
  if (*dirfd < 0) {
    *dirfd = openat(rootfd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd >= 0) (*held)++;
  }
  return -1;
}

/*
 * One read of a file at offset 0: pread on its held fd, or (fd < 0: absent at setup) openat through its directory +
 * pread + close. Returns the bytes read, -1 when pread failed, or READ_SKIPPED when the file could not be opened
 * (counted in *enoent when ENOENT, else in *errors).
 */
static inline long read_at0(int fd, int dirfd, const char *name, char *buf, size_t size, long *enoent, long *errors) {
  if (fd >= 0) return pread(fd, buf, size, 0);
  int tfd = dirfd >= 0 ? openat(dirfd, name, O_RDONLY | O_CLOEXEC) : -1;
  if (tfd < 0) {
    if (errno == ENOENT) (*enoent)++;
    else (*errors)++;
    return READ_SKIPPED;
  }
  long r = pread(tfd, buf, size, 0);
  close(tfd);
  return r;
}

/* The timed sweeps (after the warm-up ones) as the body of a JSON array. */
static inline void print_sweeps(const double *times, int warmup, int sweeps) {
  for (int s = warmup; s < warmup + sweeps; s++) printf("%s%.4f", s > warmup ? "," : "", times[s]);
}

#endif
