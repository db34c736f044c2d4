// getstats: runc's cgroup v1 library (libcontainer/cgroups/fs, the code CRI-O and cAdvisor run) reading the stats of
// many cgroups, as the sweep benchmark's Go reference (bench/sweep.js).
//
//	getstats ROOT WARMUP SWEEPS < cgroups.txt
//
// stdin: one cgroup path per line, relative to the hierarchy roots (ROOT/<controller>/<path>). For each cgroup one
// fs manager is built with explicit paths for the memory, cpu, cpuacct and pids hierarchies (what CRI-O's stats
// read); each sweep calls GetStats() on every manager in turn. Prints one JSON line:
//
//	{"n":..,"warmup":..,"sweepsMs":[..],"errors":..,"firstError":"..","sample":{..}}
//
// Build (offline, GOPATH mode, Debian's golang-go and golang-github-opencontainers-runc-dev):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o getstats bench/go/getstats/main.go
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/opencontainers/runc/libcontainer/cgroups"
	"github.com/opencontainers/runc/libcontainer/cgroups/fs"
	"github.com/opencontainers/runc/libcontainer/configs"
)

var controllers = []string{"memory", "cpu", "cpuacct", "pids"}

type sample struct {
	MemoryUsage  uint64 `json:"memoryUsage"`
	MemoryLimit  uint64 `json:"memoryLimit"`
	CPUTotalNano uint64 `json:"cpuTotalNano"`
	PidsCurrent  uint64 `json:"pidsCurrent"`
	PidsLimit    uint64 `json:"pidsLimit"`
}

type output struct {
	N          int       `json:"n"`
	Warmup     int       `json:"warmup"`
	SweepsMs   []float64 `json:"sweepsMs"`
	Errors     int       `json:"errors"`
	FirstError string    `json:"firstError,omitempty"`
	Sample     *sample   `json:"sample,omitempty"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "getstats: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: getstats ROOT WARMUP SWEEPS < cgroups.txt")
		os.Exit(2)
	}
	root := os.Args[1]
	warmup, err1 := strconv.Atoi(os.Args[2])
	sweeps, err2 := strconv.Atoi(os.Args[3])
	if err1 != nil || err2 != nil || warmup < 0 || sweeps < 1 {
		fail("WARMUP and SWEEPS must be integers (SWEEPS >= 1)")
	}

	var managers []cgroups.Manager
	scanner := bufio.NewScanner(os.Stdin)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		rel := scanner.Text()
		if rel == "" {
			continue
		}
		paths := make(map[string]string, len(controllers))
		for _, c := range controllers {
			paths[c] = filepath.Join(root, c, rel)
		}
		m, err := fs.NewManager(&configs.Cgroup{Resources: &configs.Resources{}}, paths)
		if err != nil {
			fail("NewManager %s: %v", rel, err)
		}
		managers = append(managers, m)
	}
	if err := scanner.Err(); err != nil {
		fail("reading stdin: %v", err)
	}

	out := output{N: len(managers), Warmup: warmup, SweepsMs: make([]float64, 0, sweeps)}
	var last *cgroups.Stats
	for s := 0; s < warmup+sweeps; s++ {
		errors := 0
		start := time.Now()
		for _, m := range managers {
			st, err := m.GetStats()
			if err != nil {
				errors++
				if out.FirstError == "" {
					out.FirstError = err.Error()
				}
				continue
			}
			last = st
		}
		elapsed := time.Since(start)
		out.Errors = errors
		if s >= warmup {
			out.SweepsMs = append(out.SweepsMs, float64(elapsed.Nanoseconds())/1e6)
		}
	}
	if last != nil {
		out.Sample = &sample{
			MemoryUsage: last.MemoryStats.Usage.Usage, MemoryLimit: last.MemoryStats.Usage.Limit,
			CPUTotalNano: last.CpuStats.CpuUsage.TotalUsage, PidsCurrent: last.PidsStats.Current, PidsLimit: last.PidsStats.Limit,
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fail("writing output: %v", err)
	}
}
