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
//   - miss: the real binary with --no-cache on one valid 1.0 sidecar (everything is done:
//     the schema compiled, the file read, parsed and checked);
//   - changed: the same with the results cache on, the file edited before each iteration
//     (untimed): a cache miss that also reads and writes the cache table, as for a file the
//     commit changed;
//   - hit: the results cache on and a file that never changes: a cache hit, which compiles
//     no schema (testdata/script/cache_hit_compiles_nothing.txtar);
//   - sourcemeta: the peer's native binary (`jsonschema validate -c SCHEMA FILE`, from npm
//     @sourcemeta/jsonschema, installed by `bash bench/compare.sh --install`), when present;
//   - go-floor: a Go program that prints a line and exits (the runtime's own start-up);
//   - jsonschema-floor: the same program importing santhosh-tekuri/jsonschema/v6, whose
//     package init compiles every draft's metaschema (our floor while we use the library).
//
// Every program runs from a copy written with write(2), so all are mapped alike: on Linux a
// binary fresh from the linker (which writes it through mmap) was 0.3-0.6 ms slower per run
// than the same bytes copied (and still ~0.3 ms after its pages were dropped and read back),
// a cost of how the file was written, not of the program. It reports each program's median wall time in ms (ms/…) and median CPU time,
// user + system (cpu-ms/…: on a shared machine the wall time of the costlier process grows
// most, so CPU is the figure to compare), and the ratios of miss, changed and hit to
// sourcemeta (x-miss/sourcemeta, x-cpu-miss/sourcemeta, …; the target is <= 1.0) and of
// miss to the floors. Run it with -benchtime=200x for stable medians; DESIGN.md
// ("Start-up") records the figures.
func BenchmarkStartupOneFile(b *testing.B) {
	dir := b.TempDir()
	bin := installedCopy(b, realBinary(b), dir, "ckptmeta")
	seed, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sidecars", "valid", "seed.ckpt.metadata.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "best.ckpt.metadata.yaml")
	same := filepath.Join(dir, "last.ckpt.metadata.yaml") // the hit's file: never edited
	for _, f := range []string{file, same} {
		if err := os.WriteFile(f, seed, 0o644); err != nil {
			b.Fatal(err)
		}
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
	cacheDir := filepath.Join(dir, "cache")
	progs := []*program{
		{name: "miss", argv: []string{bin, "validate", "--no-cache", file}},
		{name: "changed", argv: []string{bin, "validate", "--cache-dir", cacheDir, file}},
		{name: "hit", argv: []string{bin, "validate", "--cache-dir", cacheDir, same}},
	}
	ours := len(progs)
	sm := sourcemetaBinary()
	if sm != "" {
		sm = installedCopy(b, sm, dir, "sourcemeta")
		progs = append(progs, &program{name: "sourcemeta", argv: []string{sm, "validate", "-c", schemaFile, file}})
	} else {
		b.Log("sourcemeta's native binary is not installed (bash bench/compare.sh --install): not compared")
	}
	progs = append(progs,
		&program{name: "go-floor", argv: []string{floorBinary(b, dir, "go-floor", "")}},
		&program{name: "jsonschema-floor", argv: []string{floorBinary(b, dir, "jsonschema-floor", `_ "github.com/santhosh-tekuri/jsonschema/v6"`)}},
	)
	for _, p := range progs { // once each before timing: page cache, a check that it works, the hit's cache
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
	wall, cpu := map[string]float64{}, map[string]float64{}
	for _, p := range progs {
		wall[p.name], cpu[p.name] = median(p.took), median(p.cpu)
		b.ReportMetric(wall[p.name], "ms/"+p.name)
		b.ReportMetric(cpu[p.name], "cpu-ms/"+p.name)
	}
	for _, p := range progs[ours:] {
		if p.name != "sourcemeta" {
			b.ReportMetric(wall["miss"]/wall[p.name], "x-miss/"+p.name)
			b.ReportMetric(cpu["miss"]/cpu[p.name], "x-cpu-miss/"+p.name)
			continue
		}
		for _, o := range progs[:ours] {
			b.ReportMetric(wall[o.name]/wall[p.name], "x-"+o.name+"/"+p.name)
			b.ReportMetric(cpu[o.name]/cpu[p.name], "x-cpu-"+o.name+"/"+p.name)
		}
	}
}

// installedCopy copies the executable src to dir/name with write(2), as cp or an unpacked
// release writes it, and returns its path (see BenchmarkStartupOneFile for why it matters).
func installedCopy(b *testing.B, src, dir, name string) string {
	b.Helper()
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	data, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	dst := filepath.Join(dir, name)
	if err := os.WriteFile(dst, data, 0o755); err != nil {
		b.Fatal(err)
	}
	return dst
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
	out := filepath.Join(dir, name+"-linked")
	if runtime.GOOS == "windows" {
		out += ".exe"
	}
	if msg, err := exec.Command("go", "build", "-o", out, src).CombinedOutput(); err != nil {
		b.Fatalf("building %s: %v\n%s", name, err, msg)
	}
	return installedCopy(b, out, dir, name)
}
