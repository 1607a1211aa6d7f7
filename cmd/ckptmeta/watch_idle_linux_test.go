package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWatchIdleTarget is issue 13's idle target: `ckptmeta watch` (the real binary) over
// 10,000 checkpoints, once its start-up scan is done and nothing changes, uses at most 1% of
// one core and at most 64 MiB resident. CPU time is the process's utime+stime from
// /proc/PID/stat over 30 s of idling; memory is VmRSS at the end (VmHWM, the peak of the
// scan, is logged).
func TestWatchIdleTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	const n = 10_000
	idle := 30 * time.Second
	dir := bigTree(t, n)
	start := time.Now()
	p := startWatch(t, dir, "outputs")
	p.waitLine(t, "msg=watching", 5*time.Minute)
	scan := time.Since(start)
	time.Sleep(2 * time.Second) // the last coverage publication and the scan's garbage
	pid := p.cmd.Process.Pid
	cpu0 := cpuTicks(t, pid)
	time.Sleep(idle)
	cpu1 := cpuTicks(t, pid)
	rss, hwm := procStatusKB(t, pid, "VmRSS:"), procStatusKB(t, pid, "VmHWM:")
	const ticksPerSecond = 100 // USER_HZ: what /proc reports in, on every Linux ABI Go supports
	used := time.Duration(cpu1-cpu0) * time.Second / ticksPerSecond
	share := float64(used) / float64(idle) * 100
	t.Logf("%d checkpoints: start-up scan %v; idle %v: CPU %v (%.2f%% of one core), VmRSS %.1f MiB (peak %.1f MiB during the scan); a shared 2-core machine",
		n, scan.Round(time.Millisecond), idle, used, share, float64(rss)/1024, float64(hwm)/1024)
	if share > 1 {
		t.Errorf("idle CPU %.2f%% of one core, target ≤ 1%%", share)
	}
	if rss > 64<<10 {
		t.Errorf("idle resident %.1f MiB, target ≤ 64 MiB", float64(rss)/1024)
	}
	if strings.Contains(p.stderr(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", p.stderr())
	}
}

// cpuTicks is utime+stime of a process, in clock ticks (/proc/PID/stat fields 14 and 15).
func cpuTicks(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // after "pid (comm) ": field 3 on
	ut, err1 := strconv.ParseInt(fields[11], 10, 64)
	st, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		t.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return ut + st
}

// procStatusKB reads one "Key: N kB" line of /proc/PID/status.
func procStatusKB(t *testing.T, pid int, key string) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, key) {
			v, err := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
	}
	t.Fatalf("no %s in /proc/%d/status", key, pid)
	return 0
}
