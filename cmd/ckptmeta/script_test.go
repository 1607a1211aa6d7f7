package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run `ckptmeta` as a real command, in-process.
func TestMain(m *testing.M) {
	testscript.Main(removingRealBinary{m}, map[string]func(){
		"ckptmeta":      func() { os.Exit(Main()) },
		"ckptmeta-exit": func() { os.Exit(expectExit()) },
		"ckptmeta-compiled": func() {
			code := Main()
			fmt.Fprintf(os.Stderr, "compiled schemas: %s\n", compiledSchemas())
			os.Exit(code)
		},
	})
}

// compiledSchemas lists the embedded schema versions this process compiled, or "none".
// The script command ckptmeta-compiled (ckptmeta, then this line on stderr) lets a script
// prove a path needs no schema: a results-cache hit compiles none.
func compiledSchemas() string {
	var vs []string
	for _, s := range schemas.Default().All() {
		if s.IsCompiled() {
			vs = append(vs, s.Version)
		}
	}
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, " ")
}

// removingRealBinary runs the tests, then removes the binary realBinary built, if any
// (testscript.Main ends in os.Exit, so this is the last place to do it).
type removingRealBinary struct{ m *testing.M }

func (r removingRealBinary) Run() int {
	// The real binary's runs keep their results cache in a temp dir, not in the user's
	// cache directory (tests that need the default set the variable themselves).
	if os.Getenv(cacheDirEnv) == "" {
		if dir, err := os.MkdirTemp("", "ckptmeta-test-cache-"); err == nil {
			os.Setenv(cacheDirEnv, dir)
			defer os.RemoveAll(dir)
		}
	}
	code := r.m.Run()
	if realBin.dir != "" {
		os.RemoveAll(realBin.dir)
	}
	return code
}

// realBin is the ckptmeta binary built once for the tests that measure or run the real
// program (memory, hints): `go build` links for seconds, so they share one.
var realBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// realBinary returns the path of ckptmeta built from this package, building it on first use.
func realBinary(t testing.TB) string {
	t.Helper()
	realBin.once.Do(func() {
		if realBin.dir, realBin.err = os.MkdirTemp("", "ckptmeta-bin-"); realBin.err != nil {
			return
		}
		realBin.path = filepath.Join(realBin.dir, "ckptmeta")
		if out, err := exec.Command("go", "build", "-o", realBin.path, ".").CombinedOutput(); err != nil {
			realBin.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if realBin.err != nil {
		t.Fatal(realBin.err)
	}
	return realBin.path
}

// expectExit is `ckptmeta-exit N ARGS...`: it runs `ckptmeta ARGS...` and exits 0 when
// ckptmeta's exit code is exactly N (or one of "N|M"), so a script can assert codes
// (`! exec` only says "non-zero"). Otherwise it says both on stderr and exits 1.
func expectExit() int {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: ckptmeta-exit CODE[|CODE...] ARGS...")
		return 2
	}
	want := map[int]bool{}
	for _, c := range strings.Split(os.Args[1], "|") {
		n, err := strconv.Atoi(c)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ckptmeta-exit: bad exit code:", os.Args[1])
			return 2
		}
		want[n] = true
	}
	os.Args = append([]string{"ckptmeta"}, os.Args[2:]...)
	if got := Main(); !want[got] {
		fmt.Fprintf(os.Stderr, "ckptmeta-exit: ckptmeta exited %d, want %s\n", got, os.Args[1])
		return 1
	}
	return 0
}

// TestScript runs testdata/script/*.txtar, one CLI behaviour per script.
// UPDATE=1 rewrites the scripts' golden sections from what the commands print.
func TestScript(t *testing.T) {
	testdata, err := filepath.Abs("../../testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(testdata, "script"),
		UpdateScripts:       os.Getenv("UPDATE") != "",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Setup: func(env *testscript.Env) error {
			env.Setenv("FIXTURES", testdata)
			env.Setenv("NO_COLOR", "1")
			env.Setenv("GITHUB_STEP_SUMMARY", "")
			return nil
		},
	})
}
