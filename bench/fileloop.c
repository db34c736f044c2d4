/*
 * cgmgr benchmark: the C loop at the syscall limit over a given list of files per cgroup (bench/container-stats.js
 * passes the files cgmgr's per-container call reads). Held descriptors + pread(fd, buf, n, 0) + a minimal parse (the
 * digits summed into a checksum), one cgroup after the other, no allocation in a sweep. Compiled at run time (cc -O2).
 *
 *   fileloop ROOT WARMUP SWEEPS FILES [procs|procs-prlimit] < cgroups.txt
 *
 * FILES has one "<hierarchy> <file name>" a line (hierarchy: a directory under ROOT, e.g. memory, or "." for the
 * root itself on cgroup v2); cgroups.txt one cgroup path per line, relative to each hierarchy root. A file that is
 * ENOENT at setup is re-tried every sweep with openat(held directory, name), as the engine does.
 * With "procs" the loop also does what the per-container call does for the processes of a cgroup (CRI-O's /proc scan):
 * the pids of the cgroup.procs it just read, and per pid open /proc/<pid>/fd + getdents64 + readlinkat per entry +
 * close, then the soft "Max open files" of /proc/<pid>/limits (open + read + close + the line parsed, as CRI-O does);
 * with "procs-prlimit" the soft limit comes from prlimit(2) instead of the file, as the call does for this process's
 * own /proc (native/proc_scan.cc).
 * "sweepCpuUs" is the process's user + system CPU time over the timed sweeps alone (getrusage; setup and warm-up
 * excluded). Prints one JSON line: {"n":..,"files":..,"sweepsMs":[..],"enoent":..,"errors":..,"heldFds":..,"checksum":..}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cbench.h"

#define PROG "fileloop"
#define MAX_FILES 256
#define BUF_SIZE 65536

struct dirent64_raw {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* The soft "Max open files" of a limits text, or 0 when the line is missing or the value is not a number. */
static unsigned long long nofile_soft(const char *text, long len) {
  static const char label[] = "Max open files";
  const long ll = (long)sizeof label - 1;
  for (long at = 0; at < len;) {
    if (len - at >= ll && memcmp(text + at, label, (size_t)ll) == 0) {
      long i = at + ll;
      while (i < len && text[i] == ' ') i++;
      unsigned long long v = 0;
      long start = i;
      for (; i < len && text[i] >= '0' && text[i] <= '9'; i++) v = v * 10 + (unsigned)(text[i] - '0');
      return i == start ? 0 : v;
    }
    const char *nl = memchr(text + at, '\n', (size_t)(len - at));
    if (nl == NULL) return 0;
    at = (long)(nl - text) + 1;
  }
  return 0;
}

/* CRI-O's /proc scan of one pid (as native/proc_scan.cc does it): its descriptors, those that are sockets, its soft
 * open-files limit. Adds them to sum[0..2]. */
static void scan_pid(int pid, int use_prlimit, unsigned long long *sum) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd", pid);
  int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    static char dbuf[8192] __attribute__((aligned(8)));
    char link[16];
    for (;;) {
      long n = syscall(SYS_getdents64, dfd, dbuf, sizeof dbuf);
      if (n <= 0) break;
      for (long off = 0; off < n;) {
        struct dirent64_raw *d = (struct dirent64_raw *)(dbuf + off);
        off += d->d_reclen;
        if (d->d_name[0] == '.' && (d->d_name[1] == '\0' || (d->d_name[1] == '.' && d->d_name[2] == '\0'))) continue;
        sum[0]++;
        ssize_t len = readlinkat(dfd, d->d_name, link, sizeof link);
        if (len >= 6 && memcmp(link, "socket", 6) == 0) sum[1]++;
      }
    }
    close(dfd);
  }
  if (use_prlimit) {
    struct rlimit lim;
    if (prlimit(pid, RLIMIT_NOFILE, NULL, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) sum[2] += lim.rlim_cur;
    return;
  }
  snprintf(path, sizeof path, "/proc/%d/limits", pid);
  int lfd = open(path, O_RDONLY | O_CLOEXEC);
  if (lfd < 0) return;
  static char lbuf[4096];
  ssize_t len = read(lfd, lbuf, sizeof lbuf);
  close(lfd);
  if (len > 0) sum[2] += nofile_soft(lbuf, len);
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: %s ROOT WARMUP SWEEPS FILES [procs|procs-prlimit] < cgroups.txt\n", PROG);
    return 2;
  }
  const char *mode = argc == 6 ? argv[5] : "";
  int scan = strcmp(mode, "procs") == 0 || strcmp(mode, "procs-prlimit") == 0;
  int use_prlimit = strcmp(mode, "procs-prlimit") == 0;
  if (argc == 6 && !scan) {
    fprintf(stderr, "%s: unknown mode %s (procs or procs-prlimit)\n", PROG, mode);
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
  // The file whose pids are scanned (the call's GetPids: cgroup.procs; v1 in the devices hierarchy).
  int procs_file = -1;
  for (int i = 0; i < nfiles && scan; i++)
    if (strcmp(fnames[i], "cgroup.procs") == 0) {
      procs_file = i;
      break;
    }
  if (scan && procs_file < 0) {
    fprintf(stderr, "%s: %s lists no cgroup.procs to scan the processes of\n", PROG, argv[4]);
    return 1;
  }
  unsigned long long proc_sum[3] = {0, 0, 0};
  long pids_scanned = 0;
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
  struct rusage ru0, ru1;
  for (int s = 0; s < warmup + sweeps; s++) {
    if (s == warmup && getrusage(RUSAGE_SELF, &ru0) != 0) return 1;
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
        if (i == procs_file) {
          // The pids, one a line, then each one's scan.
          int pid = 0;
          for (long j = 0; j < r; j++) {
            if (buf[j] >= '0' && buf[j] <= '9') {
              pid = pid * 10 + (buf[j] - '0');
            } else if (pid > 0) {
              scan_pid(pid, use_prlimit, proc_sum);
              if (s == warmup + sweeps - 1) pids_scanned++;
              pid = 0;
            }
          }
          if (pid > 0) {
            scan_pid(pid, use_prlimit, proc_sum);
            if (s == warmup + sweeps - 1) pids_scanned++;
          }
        }
      }
    }
    times[s] = now_ms() - t0;
    if (s == warmup + sweeps - 1) {
      enoent = e0;
      errors = x0;
    }
  }
  if (getrusage(RUSAGE_SELF, &ru1) != 0) return 1;
  double cpu_us = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e6 + (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) +
                  (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e6 + (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec);
  printf("{\"n\":%zu,\"files\":%d,\"sweepCpuUs\":%.0f,\"sweepsMs\":[", n, nfiles, cpu_us);
  print_sweeps(times, warmup, sweeps);
  printf("],\"enoent\":%ld,\"errors\":%ld,\"heldFds\":%ld,\"checksum\":%llu,\"pidsScanned\":%ld,\"procSum\":%llu}\n", enoent,
         errors, held, checksum, pids_scanned, proc_sum[0] + proc_sum[1] + proc_sum[2]);
  return 0;
}
