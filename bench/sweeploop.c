/*
 * sweeploop: the syscall-limit C loop of the sweep benchmark (bench/sweep.js) over any file set: the same files the
 * collector reads, so "collector / C loop" compares like with like.
 *
 *   sweeploop ROOT WARMUP SWEEPS CONTROLLER/FILE... < cgroups.txt
 *
 * stdin: one cgroup path per line, relative to the hierarchy roots (ROOT/<controller>/<path>). Setup opens every file
 * once (O_RDONLY); a file that is ENOENT at setup keeps its directory (O_PATH) and is retried with openat + pread +
 * close every sweep. A sweep is, per cgroup and file, pread(fd, buf, 64 KiB, 0) and a parse of every number in the
 * text ("max" = 2^64-1) into a checksum — at least the parse work of the engine, which extracts selected keys.
 * Prints one JSON line: {"n":..,"files":..,"openMs":..,"heldFds":..,"enoent":..,"errors":..,"checksum":..,"sweepsMs":[..]}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct file_def {
  char controller[64];
  const char *name;
  int hier; /* index into the distinct controllers */
};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Adds every number of the text to *sum (an empty file, e.g. cgroup.procs of an empty cgroup, adds nothing). */
static void parse_all(const char *p, const char *end, uint64_t *sum) {
  while (p < end) {
    if ((unsigned)(*p - '0') <= 9) {
      uint64_t v = 0;
      while (p < end && (unsigned)(*p - '0') <= 9) v = v * 10 + (uint64_t)(*p++ - '0');
      *sum += v;
    } else if (p + 3 <= end && p[0] == 'm' && p[1] == 'a' && p[2] == 'x') {
      *sum += UINT64_MAX;
      p += 3;
    } else {
      p++;
    }
  }
}

static void *xmalloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (p == NULL) {
    fprintf(stderr, "sweeploop: out of memory\n");
    exit(1);
  }
  return p;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: sweeploop ROOT WARMUP SWEEPS CONTROLLER/FILE... < cgroups.txt\n");
    return 2;
  }
  const char *root = argv[1];
  int warmup = atoi(argv[2]), sweeps = atoi(argv[3]);
  if (warmup < 0 || sweeps < 1) {
    fprintf(stderr, "sweeploop: WARMUP >= 0 and SWEEPS >= 1\n");
    return 2;
  }
  int nfiles = argc - 4;
  struct file_def *files = xmalloc(sizeof *files * (size_t)nfiles);
  char *hier_names[64];
  int nhier = 0;
  for (int i = 0; i < nfiles; i++) {
    const char *arg = argv[4 + i];
    const char *slash = strchr(arg, '/');
    if (slash == NULL || slash == arg || (size_t)(slash - arg) >= sizeof files[i].controller || slash[1] == '\0') {
      fprintf(stderr, "sweeploop: bad file %s (want CONTROLLER/FILE)\n", arg);
      return 2;
    }
    memcpy(files[i].controller, arg, (size_t)(slash - arg));
    files[i].name = slash + 1;
    files[i].hier = -1;
    for (int h = 0; h < nhier; h++) if (strcmp(hier_names[h], files[i].controller) == 0) files[i].hier = h;
    if (files[i].hier < 0) {
      if (nhier == 64) return 2;
      hier_names[nhier] = files[i].controller;
      files[i].hier = nhier++;
    }
  }

  size_t cap = 1024, n = 0;
  char **rels = xmalloc(cap * sizeof *rels);
  char line[4096];
  while (fgets(line, sizeof line, stdin)) {
    size_t l = strlen(line);
    while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == '\r')) line[--l] = '\0';
    if (l == 0) continue;
    if (n == cap) {
      char **more = realloc(rels, (cap *= 2) * sizeof *rels);
      if (more == NULL) return 1;
      rels = more;
    }
    rels[n] = strdup(line);
    if (rels[n] == NULL) return 1;
    n++;
  }

  int rootfd[64];
  for (int h = 0; h < nhier; h++) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, hier_names[h]);
    rootfd[h] = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd[h] < 0) {
      fprintf(stderr, "sweeploop: open %s: %s\n", p, strerror(errno));
      return 1;
    }
  }

  int *fds = xmalloc(sizeof(int) * n * (size_t)nfiles);      /* held file fds, -1 = absent at setup */
  int *dirfds = xmalloc(sizeof(int) * n * (size_t)nhier);    /* O_PATH dirs, only where a file was absent */
  long held = 0;
  double t0 = now_ms();
  for (size_t i = 0; i < n; i++) {
    for (int h = 0; h < nhier; h++) dirfds[i * nhier + h] = -1;
    for (int f = 0; f < nfiles; f++) {
      char p[4096];
      snprintf(p, sizeof p, "%s/%s", rels[i], files[f].name);
      int fd = openat(rootfd[files[f].hier], p, O_RDONLY | O_CLOEXEC);
      if (fd < 0 && errno == ENOENT) {
        int *d = &dirfds[i * nhier + files[f].hier];
        if (*d < 0) {
          *d = openat(rootfd[files[f].hier], rels[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (*d >= 0) held++;
        }
      } else if (fd < 0) {
        fprintf(stderr, "sweeploop: open %s/%s: %s\n", files[f].controller, p, strerror(errno));
        return 1;
      } else {
        held++;
      }
      fds[i * nfiles + f] = fd;
    }
  }
  double open_ms = now_ms() - t0;

  static char buf[65536];
  double *times = xmalloc(sizeof(double) * (size_t)(warmup + sweeps));
  long enoent = 0, errors = 0;
  uint64_t checksum = 0;
  for (int s = 0; s < warmup + sweeps; s++) {
    enoent = 0;
    errors = 0;
    double a = now_ms();
    for (size_t i = 0; i < n; i++) {
      for (int f = 0; f < nfiles; f++) {
        long r;
        int fd = fds[i * nfiles + f];
        if (fd >= 0) {
          r = pread(fd, buf, sizeof buf, 0);
        } else {
          int d = dirfds[i * nhier + files[f].hier];
          int tfd = d >= 0 ? openat(d, files[f].name, O_RDONLY | O_CLOEXEC) : -1;
          if (tfd < 0) {
            if (errno == ENOENT) enoent++;
            else errors++;
            continue;
          }
          r = pread(tfd, buf, sizeof buf, 0);
          close(tfd);
        }
        if (r < 0) errors++;
        else parse_all(buf, buf + r, &checksum);
      }
    }
    times[s] = now_ms() - a;
  }
  printf("{\"n\":%zu,\"files\":%d,\"openMs\":%.4f,\"heldFds\":%ld,\"enoent\":%ld,\"errors\":%ld,\"checksum\":%llu,\"sweepsMs\":[",
         n, nfiles, open_ms, held, enoent, errors, (unsigned long long)checksum);
  for (int s = warmup; s < warmup + sweeps; s++) printf("%s%.4f", s > warmup ? "," : "", times[s]);
  printf("]}\n");
  for (size_t i = 0; i < n * (size_t)nfiles; i++) if (fds[i] >= 0) close(fds[i]);
  for (size_t i = 0; i < n * (size_t)nhier; i++) if (dirfds[i] >= 0) close(dirfds[i]);
  for (size_t i = 0; i < n; i++) free(rels[i]);
  free(rels);
  free(fds);
  free(dirfds);
  free(times);
  free(files);
  return 0;
}
