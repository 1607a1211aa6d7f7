package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run `ckptmeta` as a real command, in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ckptmeta":      func() { os.Exit(Main()) },
		"ckptmeta-exit": func() { os.Exit(expectExit()) },
	})
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
