package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkStartupOneFile times `ckptmeta validate FILE` from exec to exit: the pre-commit
// case, where a hook checks the one sidecar a commit touches. Each iteration runs, one after
// the other (so a busy machine slows them alike):
//
//   - ckptmeta: the real binary on one valid 1.0 sidecar, edited before each iteration
//     (a results-cache miss, as for a file a commit changed);
//   - sourcemeta: the peer's native binary (`jsonschema validate -c SCHEMA FILE`, from npm
//     @sourcemeta/jsonschema, installed by `bash bench/compare.sh --install`), when present;
//   - go-floor: a Go program that prints a line and exits (the runtime's own start-up);
//   - jsonschema-floor: the same program importing santhosh-tekuri/jsonschema/v6, whose
//     package init compiles every draft's metaschema (our floor while we use the library).
//
// It reports the median wall time of each in ms (ms/…), its median CPU time, user + system
// (cpu-ms/…: on a shared machine the wall time of the costlier process grows most), and
// ckptmeta's ratios to each (x/…, x-cpu/…). Run it with -benchtime=200x for stable
// medians; DESIGN.md ("Start-up") records the figures.
func BenchmarkStartupOneFile(b *testing.B) {
	bin := realBinary(b)
	dir := b.TempDir()
	seed, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sidecars", "valid", "seed.ckpt.metadata.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "best.ckpt.metadata.yaml")
	if err := os.WriteFile(file, seed, 0o644); err != nil {
		b.Fatal(err)
	}
	schema, err := exec.Command(bin, "schema", "show", "1.0").Output()
	if err != nil {
		b.Fatal(err)
	}
	schemaFile := filepath.Join(dir, "schema-1.0.json")
	if err := os.WriteFile(schemaFile, schema, 0o644); err != nil {
		b.Fatal(err)
	}

	type program struct {
		name string
		argv []string
		took []time.Duration
		cpu  []time.Duration // user + system
	}
	// The hook checks a file the commit changed: a results-cache miss, with the cache
	// read and written. Each iteration edits the file (untimed) so that it is one.
	cacheDir := filepath.Join(dir, "cache")
	progs := []*program{{name: "ckptmeta", argv: []string{bin, "validate", "--cache-dir", cacheDir, file}}}
	if sm := sourcemetaBinary(); sm != "" {
		progs = append(progs, &program{name: "sourcemeta", argv: []string{sm, "validate", "-c", schemaFile, file}})
	} else {
		b.Log("sourcemeta's native binary is not installed (bash bench/compare.sh --install): not compared")
	}
	progs = append(progs,
		&program{name: "go-floor", argv: []string{floorBinary(b, dir, "go-floor", "")}},
		&program{name: "jsonschema-floor", argv: []string{floorBinary(b, dir, "jsonschema-floor", `_ "github.com/santhosh-tekuri/jsonschema/v6"`)}},
	)
	for _, p := range progs { // once each before timing: page cache, and a check that it works
		if out, err := exec.Command(p.argv[0], p.argv[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("%s: %v\n%s", p.name, err, out)
		}
	}

	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		edited := bytes.Replace(seed, []byte("global_step: 3895"), []byte(fmt.Sprintf("global_step: %d", 4000+i)), 1)
		if err := os.WriteFile(file, edited, 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, p := range progs {
			cmd := exec.Command(p.argv[0], p.argv[1:]...)
			start := time.Now()
			err := cmd.Run()
			p.took = append(p.took, time.Since(start))
			p.cpu = append(p.cpu, cmd.ProcessState.UserTime()+cmd.ProcessState.SystemTime())
			var exit *exec.ExitError
			if err != nil && !errors.As(err, &exit) {
				b.Fatalf("%s: %v", p.name, err)
			}
			if err != nil {
				b.Fatalf("%s exited %d on a valid sidecar", p.name, exit.ExitCode())
			}
		}
	}
	b.StopTimer()
	median := func(d []time.Duration) float64 {
		slices.Sort(d)
		return float64(d[len(d)/2].Microseconds()) / 1000
	}
	ours, oursCPU := median(progs[0].took), median(progs[0].cpu)
	b.ReportMetric(ours, "ms/ckptmeta")
	b.ReportMetric(oursCPU, "cpu-ms/ckptmeta")
	for _, p := range progs[1:] {
		m, c := median(p.took), median(p.cpu)
		b.ReportMetric(m, "ms/"+p.name)
		b.ReportMetric(ours/m, "x/"+p.name)
		b.ReportMetric(c, "cpu-ms/"+p.name)
		b.ReportMetric(oursCPU/c, "x-cpu/"+p.name)
	}
}

// sourcemetaBinary is the peer's native binary in bench/node_modules, or "".
func sourcemetaBinary() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "arm64"}[runtime.GOARCH]
	name := fmt.Sprintf("jsonschema-%s-%s", runtime.GOOS, arch)
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	p := filepath.Join("..", "..", "bench", "node_modules", "@sourcemeta", "jsonschema", "build", "github-releases", name)
	if info, err := os.Stat(p); err != nil || !info.Mode().IsRegular() {
		return ""
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	return abs
}

// floorBinary builds a Go program that writes one line and exits, with imp as its one
// extra import, using this module's dependencies (so the library version is ours).
func floorBinary(b *testing.B, dir, name, imp string) string {
	b.Helper()
	src := filepath.Join(dir, name+".go")
	prog := "package main\n\nimport (\n\t\"os\"\n\t" + imp + "\n)\n\nfunc main() { os.Stdout.WriteString(\"ok\\n\") }\n"
	if err := os.WriteFile(src, []byte(prog), 0o644); err != nil {
		b.Fatal(err)
	}
	out := filepath.Join(dir, name)
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	if msg, err := exec.Command("go", "build", "-o", out, src).CombinedOutput(); err != nil {
		b.Fatalf("building %s: %v\n%s", name, err, msg)
	}
	return out
}
