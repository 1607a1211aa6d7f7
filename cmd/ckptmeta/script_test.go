package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain lets the scripts run `ckptmeta` as a real command, in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){"ckptmeta": func() { os.Exit(Main()) }})
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
