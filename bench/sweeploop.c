/*
 * sweeploop: the syscall-limit C loop of the sweep benchmark (bench/sweep.js) over any file set: the same files the
 * collector reads, so "collector / C loop" compares like with like.
 *
 *   sweeploop ROOT WARMUP SWEEPS CONTROLLER/FILE... < cgroups.txt
 *
 * stdin: one cgroup path per line, relative to the hierarchy roots (ROOT/<controller>/<path>). Setup opens every file
 * once (O_RDONLY); a file that is ENOENT at setup keeps its directory (O_PATH) and is retried with openat + pread +
 * close every sweep. A file given as CONTROLLER/!FILE is read that way every sweep on purpose (openat + pread + close
 * through the directory's O_PATH descriptor), as the collector reads the files it does not hold (v1 cgroup.procs). A sweep is, per cgroup and file, pread(fd, buf, 64 KiB, 0) and a parse of every number in the
 * text ("max" = 2^64-1) into a checksum — at least the parse work of the engine, which extracts selected keys.
 * Prints one JSON line: {"n":..,"files":..,"openMs":..,"heldFds":..,"enoent":..,"errors":..,"checksum":..,"sweepsMs":[..]}
 * With SWEEPLOOP_PER_FILE=1 each file's read + parse is timed too (two clock_gettime per file, so those sweeps are a
 * little slower and are not the headline figure), and the line ends with "perFileUs":[..]: per file, in the order
 * given, its mean cost per cgroup over the measured sweeps, read in context (all files of a cgroup, cgroup after
 * cgroup, as a sweep does: a file measured alone is cheaper, its kernel objects staying in cache).
 */
#define _GNU_SOURCE
#include <stdint.h>

#include "cbench.h"

#define PROG "sweeploop"

struct file_def {
  char controller[64];
  const char *name;
  int per_read; /* CONTROLLER/!FILE: opened, read and closed every sweep */
  int hier; /* index into the distinct controllers */
};

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
  struct file_def *files = xcalloc(PROG, sizeof *files * (size_t)nfiles);
  const char *hier_names[64];
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
    if (files[i].name[0] == '!') {
      files[i].per_read = 1;
      files[i].name++;
      if (files[i].name[0] == '\0') {
        fprintf(stderr, "sweeploop: bad file %s (want CONTROLLER/!FILE)\n", arg);
        return 2;
      }
    }
    files[i].hier = -1;
    for (int h = 0; h < nhier; h++) if (strcmp(hier_names[h], files[i].controller) == 0) files[i].hier = h;
    if (files[i].hier < 0) {
      if (nhier == 64) return 2;
      hier_names[nhier] = files[i].controller;
      files[i].hier = nhier++;
    }
  }

  size_t n;
  char **rels = read_cgroup_list(PROG, stdin, &n);

  int rootfd[64];
  if (open_hierarchy_roots(PROG, root, hier_names, nhier, rootfd) != 0) return 1;

  int *fds = xcalloc(PROG, sizeof(int) * n * (size_t)nfiles);      /* held file fds, -1 = absent at setup */
  int *dirfds = xcalloc(PROG, sizeof(int) * n * (size_t)nhier);    /* O_PATH dirs, only where a file was absent */
  long held = 0;
  double t0 = now_ms();
  for (size_t i = 0; i < n; i++) {
    for (int h = 0; h < nhier; h++) dirfds[i * nhier + h] = -1;
    for (int f = 0; f < nfiles; f++) {
      int h = files[f].hier;
      if (files[f].per_read) {
        int *d = &dirfds[i * nhier + h];
        if (*d < 0) {
          *d = openat(rootfd[h], rels[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (*d >= 0) held++;
        }
        if (*d < 0 && errno != ENOENT) {
          fprintf(stderr, "sweeploop: open %s/%s: %s\n", files[f].controller, rels[i], strerror(errno));
          return 1;
        }
        fds[i * nfiles + f] = -1;
        continue;
      }
      int fd = open_held(PROG, rootfd[h], files[f].controller, rels[i], files[f].name, O_RDONLY | O_CLOEXEC,
                         &dirfds[i * nhier + h], &held);
      if (fd == -2) return 1;
      fds[i * nfiles + f] = fd;
    }
  }
  double open_ms = now_ms() - t0;

  static char buf[65536];
  const char *pf = getenv("SWEEPLOOP_PER_FILE");
  int per_file = pf != NULL && strcmp(pf, "1") == 0;
  double *file_ns = xcalloc(PROG, sizeof(double) * (size_t)nfiles);
  double *times = xcalloc(PROG, sizeof(double) * (size_t)(warmup + sweeps));
  long enoent = 0, errors = 0;
  uint64_t checksum = 0;
  for (int s = 0; s < warmup + sweeps; s++) {
    enoent = 0;
    errors = 0;
    double a = now_ms();
    for (size_t i = 0; i < n; i++) {
      for (int f = 0; f < nfiles; f++) {
        struct timespec fa, fb;
        if (per_file) clock_gettime(CLOCK_MONOTONIC, &fa);
        long r = read_at0(fds[i * nfiles + f], dirfds[i * nhier + files[f].hier], files[f].name, buf, sizeof buf, &enoent,
                          &errors);
        if (r >= 0) parse_all(buf, buf + r, &checksum);
        else if (r != READ_SKIPPED) errors++;
        if (per_file) {
          clock_gettime(CLOCK_MONOTONIC, &fb);
          if (s >= warmup) file_ns[f] += (double)(fb.tv_sec - fa.tv_sec) * 1e9 + (double)(fb.tv_nsec - fa.tv_nsec);
        }
      }
    }
    times[s] = now_ms() - a;
  }
  printf("{\"n\":%zu,\"files\":%d,\"openMs\":%.4f,\"heldFds\":%ld,\"enoent\":%ld,\"errors\":%ld,\"checksum\":%llu,\"sweepsMs\":[",
         n, nfiles, open_ms, held, enoent, errors, (unsigned long long)checksum);
  print_sweeps(times, warmup, sweeps);
  printf("]");
  if (per_file) {
    printf(",\"perFileUs\":[");
    for (int f = 0; f < nfiles; f++) printf("%s%.4f", f ? "," : "", n > 0 ? file_ns[f] / 1e3 / (double)sweeps / (double)n : 0.0);
    printf("]");
  }
  printf("}\n");
  for (size_t i = 0; i < n * (size_t)nfiles; i++) if (fds[i] >= 0) close(fds[i]);
  for (size_t i = 0; i < n * (size_t)nhier; i++) if (dirfds[i] >= 0) close(dirfds[i]);
  for (size_t i = 0; i < n; i++) free(rels[i]);
  free(rels);
  free(fds);
  free(dirfds);
  free(times);
  free(file_ns);
  free(files);
  return 0;
}
