/*
 * cgmgr benchmark: the C loop at the syscall limit over a given list of files per cgroup (bench/container-stats.js
 * passes the files cgmgr's per-container call reads). Held descriptors + pread(fd, buf, n, 0) + a minimal parse (the
 * digits summed into a checksum), one cgroup after the other, no allocation in a sweep. Compiled at run time (cc -O2).
 *
 *   fileloop ROOT WARMUP SWEEPS FILES < cgroups.txt
 *
 * FILES has one "<hierarchy> <file name>" a line (hierarchy: a directory under ROOT, e.g. memory, or "." for the
 * root itself on cgroup v2); cgroups.txt one cgroup path per line, relative to each hierarchy root. A file that is
 * ENOENT at setup is re-tried every sweep with openat(held directory, name), as the engine does.
 * Prints one JSON line: {"n":..,"files":..,"sweepsMs":[..],"enoent":..,"errors":..,"heldFds":..,"checksum":..}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cbench.h"

#define PROG "fileloop"
#define MAX_FILES 256
#define BUF_SIZE 65536

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s ROOT WARMUP SWEEPS FILES < cgroups.txt\n", PROG);
    return 2;
  }
  const char *root = argv[1];
  int warmup = atoi(argv[2]), sweeps = atoi(argv[3]);
  FILE *spec = fopen(argv[4], "r");
  if (spec == NULL) {
    fprintf(stderr, "%s: open %s: %s\n", PROG, argv[4], strerror(errno));
    return 1;
  }
  char *hnames[MAX_FILES], *fnames[MAX_FILES];
  int nfiles = 0;
  char line[4096];
  while (fgets(line, sizeof line, spec) && nfiles < MAX_FILES) {
    char h[2048], f[2048];
    if (sscanf(line, "%2047s %2047s", h, f) != 2) continue;
    hnames[nfiles] = strdup(h);
    fnames[nfiles] = strdup(f);
    if (hnames[nfiles] == NULL || fnames[nfiles] == NULL) return 1;
    nfiles++;
  }
  fclose(spec);

  // One root descriptor per distinct hierarchy.
  const char *hier[MAX_FILES];
  int nh = 0, fh[MAX_FILES];
  for (int i = 0; i < nfiles; i++) {
    int k = 0;
    while (k < nh && strcmp(hier[k], hnames[i]) != 0) k++;
    if (k == nh) hier[nh++] = hnames[i];
    fh[i] = k;
  }
  int rootfds[MAX_FILES];
  if (open_hierarchy_roots(PROG, root, hier, nh, rootfds)) return 1;

  size_t n = 0;
  char **rels = read_cgroup_list(PROG, stdin, &n);
  int *fds = xcalloc(PROG, n * nfiles * sizeof *fds);
  int *dirfds = xcalloc(PROG, n * nh * sizeof *dirfds);
  long held = 0, enoent = 0, errors = 0;
  for (size_t c = 0; c < n; c++) {
    for (int k = 0; k < nh; k++) dirfds[c * nh + k] = -1;
    for (int i = 0; i < nfiles; i++) {
      int fd = open_held(PROG, rootfds[fh[i]], hier[fh[i]], rels[c], fnames[i], O_RDONLY | O_CLOEXEC, &dirfds[c * nh + fh[i]], &held);
      if (fd == -2) return 1;
      fds[c * nfiles + i] = fd;
    }
  }

  static char buf[BUF_SIZE];
  double *times = xcalloc(PROG, (warmup + sweeps) * sizeof *times);
  unsigned long long checksum = 0;
  for (int s = 0; s < warmup + sweeps; s++) {
    long e0 = 0, x0 = 0;
    double t0 = now_ms();
    for (size_t c = 0; c < n; c++) {
      for (int i = 0; i < nfiles; i++) {
        long r = read_at0(fds[c * nfiles + i], dirfds[c * nh + fh[i]], fnames[i], buf, sizeof buf, &e0, &x0);
        if (r == READ_SKIPPED) continue;
        if (r < 0) {
          x0++;
          continue;
        }
        for (long j = 0; j < r; j++) {
          unsigned d = (unsigned)(buf[j] - '0');
          if (d < 10) checksum += d;
        }
      }
    }
    times[s] = now_ms() - t0;
    if (s == warmup + sweeps - 1) {
      enoent = e0;
      errors = x0;
    }
  }
  printf("{\"n\":%zu,\"files\":%d,\"sweepsMs\":[", n, nfiles);
  print_sweeps(times, warmup, sweeps);
  printf("],\"enoent\":%ld,\"errors\":%ld,\"heldFds\":%ld,\"checksum\":%llu}\n", enoent, errors, held, checksum);
  return 0;
}
