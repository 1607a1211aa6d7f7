package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The exit-code table (README, DESIGN.md, each command's --help) asserted exactly, for every
// command × situation, by running the real command: TestMain's testscript.Main puts
// `ckptmeta` (this test binary, running Main) on $PATH. The interrupted column is
// TestSignalStopsWithinASecond.

// fixture copies a file from testdata into dir.
func fixture(t *testing.T, dir, from, to string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", from))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, to), string(b))
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ckptmeta runs the real command in dir and returns its exit code and combined output.
func ckptmeta(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("ckptmeta", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1", "GITHUB_STEP_SUMMARY=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("ckptmeta %v: %v", args, err)
	return -1, ""
}

// cleanTree is outputs/exp/checkpoints/best.ckpt (a real torch.save) with the sidecar
// ckptmeta generates for it: valid, current, not stale.
func cleanTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/best.ckpt")
	if code, out := ckptmeta(t, dir, "generate", "outputs"); code != 0 {
		t.Fatalf("setup: generate exited %d:\n%s", code, out)
	}
	return dir
}

func TestExitCodes(t *testing.T) {
	type situation struct {
		name  string
		setup func(t *testing.T, dir string) // on a clean tree (cwd), before the command
		args  []string
		want  int
	}
	emptyDir := func(t *testing.T, dir string) {
		if err := os.RemoveAll(filepath.Join(dir, "outputs")); err != nil {
			t.Fatal(err)
		}
	}
	invalid := func(t *testing.T, dir string) {
		fixture(t, dir, "sidecars/invalid/bounds-and-types.metadata.yaml", "outputs/exp/checkpoints/bad.metadata.yaml")
		fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/bad.ckpt")
	}
	outdated := func(t *testing.T, dir string) { // a valid 1.0 sidecar: migrate would upgrade it
		fixture(t, dir, "sidecars/valid/seed.ckpt.metadata.yaml", "outputs/exp/checkpoints/seed.ckpt.metadata.yaml")
		fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/seed.ckpt")
	}
	symlink := func(t *testing.T, target, link string) {
		if err := os.Symlink(target, link); err != nil {
			if runtime.GOOS == "windows" {
				t.Skipf("symbolic links are not available: %v", err)
			}
			t.Fatal(err)
		}
	}
	danglingSidecar := func(t *testing.T, dir string) {
		symlink(t, "nowhere", filepath.Join(dir, "outputs/exp/checkpoints/gone.ckpt.metadata.yaml"))
	}
	danglingCkpt := func(t *testing.T, dir string) {
		symlink(t, "nowhere", filepath.Join(dir, "outputs/exp/checkpoints/gone.ckpt"))
	}
	brokenSidecar := func(t *testing.T, dir string) {
		writeFile(t, filepath.Join(dir, "outputs/exp/checkpoints/broken.ckpt.metadata.yaml"), "a: [1,\n")
	}
	unwritable := filepath.Join("no-such-dir", "report.out")
	orphanSidecar := func(t *testing.T, dir string) { // a valid sidecar whose checkpoint is not there
		fixture(t, dir, "sidecars/valid/seed.ckpt.metadata.yaml", "outputs/exp/checkpoints/gone.ckpt.metadata.yaml")
	}
	badConfig := func(t *testing.T, dir string) {
		writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "strict: true\nstrct: true\n")
	}
	// A cache directory that cannot be made (under a file): a warning, never another exit code.
	blockedCache := func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "blocker"), "") }
	badCache := filepath.Join("blocker", "cache")
	sidecarOf := func(dir string) string { return filepath.Join(dir, "outputs/exp/checkpoints/best.ckpt.metadata.yaml") }
	ymlName := func(t *testing.T, dir string) { // the clean sidecar under the name no reader looks for
		if err := os.Rename(sidecarOf(dir), strings.TrimSuffix(sidecarOf(dir), ".yaml")+".yml"); err != nil {
			t.Fatal(err)
		}
	}
	ymlBesideYAML := func(t *testing.T, dir string) { // a .yml and a .yaml for one checkpoint: a conflict fix leaves
		b, err := os.ReadFile(sidecarOf(dir))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, strings.TrimSuffix(sidecarOf(dir), ".yaml")+".yml", string(b))
	}
	duplicate := func(line string) func(t *testing.T, dir string) { // the clean sidecar with line appended
		return func(t *testing.T, dir string) {
			b, err := os.ReadFile(sidecarOf(dir))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, sidecarOf(dir), string(b)+line+"\n")
		}
	}

	misplaced := func(t *testing.T, dir string) { // the clean sidecar naming another checkpoint
		b, err := os.ReadFile(sidecarOf(dir))
		if err != nil {
			t.Fatal(err)
		}
		moved := strings.Replace(string(b), "  path: exp/checkpoints/best.ckpt\n", "  path: other/checkpoints/best.ckpt\n", 1)
		if moved == string(b) {
			t.Fatal("setup: the clean sidecar has no checkpoint path to move")
		}
		writeFile(t, sidecarOf(dir), moved)
	}

	cases := []situation{
		// validate
		{"validate/clean", nil, []string{"validate", "outputs"}, 0},
		{"validate/default-path", nil, []string{"validate"}, 0},
		{"validate/findings", invalid, []string{"validate", "outputs"}, 1},
		{"validate/usage", nil, []string{"validate", "--no-such-flag"}, 2},
		{"validate/bad-format", nil, []string{"validate", "-o", "yaml", "outputs"}, 2},
		{"validate/missing-path", nil, []string{"validate", "missing"}, 1},
		{"validate/no-path-no-outputs", emptyDir, []string{"validate"}, 2},
		{"validate/unwritable-output", nil, []string{"validate", "--output", unwritable, "outputs"}, 2},
		{"validate/per-file-failure", danglingSidecar, []string{"validate", "outputs"}, 1},
		{"validate/clean-unusable-cache", blockedCache, []string{"validate", "--cache-dir", badCache, "outputs"}, 0},
		{"validate/findings-unusable-cache", func(t *testing.T, dir string) { blockedCache(t, dir); invalid(t, dir) },
			[]string{"validate", "--cache-dir", badCache, "outputs"}, 1},
		// migrate
		{"migrate/clean", nil, []string{"migrate", "outputs"}, 0},
		{"migrate/default-path", nil, []string{"migrate"}, 0},
		{"migrate/findings", brokenSidecar, []string{"migrate", "--no-regenerate", "outputs"}, 1},
		{"migrate/usage", nil, []string{"migrate", "--to", "9.9", "outputs"}, 2},
		{"migrate/missing-path", nil, []string{"migrate", "missing"}, 1},
		{"migrate/no-path-no-outputs", emptyDir, []string{"migrate"}, 2},
		{"migrate/per-file-failure", danglingSidecar, []string{"migrate", "outputs"}, 1},
		// migrate --check
		{"migrate-check/clean", nil, []string{"migrate", "--check", "outputs"}, 0},
		{"migrate-check/default-path", nil, []string{"migrate", "--check"}, 0},
		{"migrate-check/findings", outdated, []string{"migrate", "--check", "outputs"}, 1},
		{"migrate-check/default-path-findings", outdated, []string{"migrate", "--check"}, 1},
		{"migrate-check/usage", nil, []string{"migrate", "--check", "-o", "yaml", "outputs"}, 2},
		{"migrate-check/missing-path", nil, []string{"migrate", "--check", "missing"}, 1},
		{"migrate-check/no-path-no-outputs", emptyDir, []string{"migrate", "--check"}, 2},
		{"migrate-check/per-file-failure", danglingSidecar, []string{"migrate", "--check", "outputs"}, 1},
		{"migrate-check/clean-unusable-cache", blockedCache, []string{"migrate", "--check", "--cache-dir", badCache, "outputs"}, 0},
		// fix: 1 when it changed a file (the invalid fixture's `pretrained: yes`), as pre-commit's fixers do
		{"fix/clean", nil, []string{"fix", "outputs"}, 0},
		{"fix/default-path", nil, []string{"fix"}, 0},
		{"fix/findings", invalid, []string{"fix", "outputs"}, 1},
		{"fix/dry-run", invalid, []string{"fix", "--dry-run", "outputs"}, 1},
		{"fix/usage", nil, []string{"fix", "-o", "yaml", "outputs"}, 2},
		{"fix/missing-path", nil, []string{"fix", "missing"}, 1},
		{"fix/no-path-no-outputs", emptyDir, []string{"fix"}, 2},
		{"fix/per-file-failure", brokenSidecar, []string{"fix", "outputs"}, 1},
		{"fix/renamed", ymlName, []string{"fix", "outputs"}, 1},
		{"fix/rename-dry-run", ymlName, []string{"fix", "--dry-run", "--diff", "outputs"}, 1},
		{"fix/rename-blocked", ymlBesideYAML, []string{"fix", "outputs/exp/checkpoints/best.ckpt.metadata.yml"}, 1},
		{"fix/duplicate-equal", duplicate("schema_version: '2.0'"), []string{"fix", "outputs"}, 1},
		{"fix/duplicate-differs", duplicate("schema_version: '1.1'"), []string{"fix", "outputs"}, 1},
		{"validate/yml-name", ymlName, []string{"validate", "outputs"}, 0},
		{"validate/yml-name-strict", ymlName, []string{"validate", "--strict", "outputs"}, 1},
		// generate
		{"generate/clean", nil, []string{"generate", "outputs"}, 0},
		{"generate/default-path", nil, []string{"generate"}, 0},
		{"generate/findings", func(t *testing.T, dir string) {
			fixture(t, dir, "ckpt/not_a_checkpoint.ckpt", "outputs/exp/checkpoints/junk.ckpt")
		}, []string{"generate", "outputs"}, 1},
		{"generate/usage", nil, []string{"generate", "--schema-version", "0", "outputs"}, 2},
		{"generate/missing-path", nil, []string{"generate", "missing"}, 1},
		{"generate/no-path-no-outputs", emptyDir, []string{"generate"}, 2},
		{"generate/per-file-failure", danglingCkpt, []string{"generate", "outputs"}, 1},
		// inspect (takes checkpoints, no default path)
		{"inspect/clean", nil, []string{"inspect", "outputs/exp/checkpoints/best.ckpt"}, 0},
		{"inspect/findings", func(t *testing.T, dir string) {
			fixture(t, dir, "ckpt/hostile_reduce.ckpt", "hostile.ckpt")
		}, []string{"inspect", "hostile.ckpt"}, 1},
		{"inspect/usage", nil, []string{"inspect", "-o", "yaml", "outputs/exp/checkpoints/best.ckpt"}, 2},
		{"inspect/missing-path", nil, []string{"inspect", "missing.ckpt"}, 1},
		{"inspect/no-path", nil, []string{"inspect"}, 2},
		{"inspect/per-file-failure", func(t *testing.T, dir string) {
			fixture(t, dir, "ckpt/truncated.ckpt", "truncated.ckpt")
		}, []string{"inspect", "outputs/exp/checkpoints/best.ckpt", "truncated.ckpt"}, 1},
		// status
		{"status/clean", nil, []string{"status", "outputs"}, 0},
		{"status/default-path", nil, []string{"status"}, 0},
		{"status/findings", func(t *testing.T, dir string) {
			fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/other.ckpt")
		}, []string{"status", "--fail-under", "100", "outputs"}, 1},
		{"status/usage", nil, []string{"status", "--fail-under", "101", "outputs"}, 2},
		{"status/missing-path", nil, []string{"status", "missing"}, 1},
		{"status/no-path-no-outputs", emptyDir, []string{"status"}, 2},
		{"status/unwritable-output", nil, []string{"status", "--output", unwritable, "outputs"}, 2},
		{"status/per-file-failure", danglingCkpt, []string{"status", "outputs"}, 1},
		{"status/clean-unusable-cache", blockedCache, []string{"status", "--cache-dir", badCache, "outputs"}, 0},
		// list
		{"list/clean", nil, []string{"list", "outputs"}, 0},
		{"list/default-path", nil, []string{"list"}, 0},
		{"list/usage", nil, []string{"list", "--sort", "nosuchfield", "outputs"}, 2},
		{"list/missing-path", nil, []string{"list", "missing"}, 1},
		{"list/no-path-no-outputs", emptyDir, []string{"list"}, 2},
		{"list/per-file-failure", danglingCkpt, []string{"list", "outputs"}, 1},
		{"list/clean-unusable-cache", blockedCache, []string{"list", "--cache-dir", badCache, "outputs"}, 0},
		// watch --once (the daemon's 0 on SIGTERM is TestWatchSignalExitsZero; it exits 2 before
		// watching for usage and no path)
		{"watch-once/clean", nil, []string{"watch", "--once", "outputs"}, 0},
		{"watch-once/default-path", nil, []string{"watch", "--once"}, 0},
		{"watch-once/fixed", func(t *testing.T, dir string) {
			fixture(t, dir, "ckpt/best.ckpt", "outputs/exp/checkpoints/other.ckpt")
		}, []string{"watch", "--once", "outputs"}, 0},
		{"watch-once/findings", invalid, []string{"watch", "--once", "outputs"}, 1},
		{"watch-once/findings-rules-off", invalid, []string{"watch", "--once", "--disable",
			"sidecar/path-escapes,schema/minimum,schema/enum,schema/type,schema/maximum", "outputs"}, 0},
		{"watch-once/unknown-rule", nil, []string{"watch", "--once", "--disable", "orphan", "outputs"}, 2},
		{"watch/unknown-preset", nil, []string{"watch", "--preset", "no-ckpts", "outputs"}, 2},
		{"watch-once/usage", nil, []string{"watch", "--once", "--log-format", "xml", "outputs"}, 2},
		{"watch-once/missing-path", nil, []string{"watch", "--once", "missing"}, 1},
		{"watch-once/no-path-no-outputs", emptyDir, []string{"watch", "--once"}, 2},
		{"watch-once/per-file-failure", func(t *testing.T, dir string) {
			fixture(t, dir, "ckpt/not_a_checkpoint.ckpt", "outputs/exp/checkpoints/junk.ckpt")
		}, []string{"watch", "--once", "outputs"}, 1},
		{"watch/usage", nil, []string{"watch", "--no-such-flag"}, 2},
		{"watch/no-path-no-outputs", emptyDir, []string{"watch"}, 2},
		{"watch/listen-bad-address", nil, []string{"watch", "--listen", "no-port", "outputs"}, 2},
		{"watch/listen-with-once", nil, []string{"watch", "--once", "--listen", "127.0.0.1:0", "outputs"}, 2},
		// (a --listen port in use: TestWatchListenPortInUse)
		// schema (reads nothing from disk: clean and usage only)
		{"schema/clean", nil, []string{"schema", "show", "latest"}, 0},
		{"schema/usage", nil, []string{"schema", "show", "9.9"}, 2},
		{"schema/no-arg", nil, []string{"schema", "show"}, 2},
		// the configuration file and the rule switches (an orphan sidecar is a warning: exit 0,
		// under --strict exit 1, and the no-checkpoints preset makes --strict pass)
		{"validate/orphan", orphanSidecar, []string{"validate", "outputs"}, 0},
		{"validate/orphan-strict", orphanSidecar, []string{"validate", "--strict", "outputs"}, 1},
		{"validate/orphan-strict-preset", orphanSidecar, []string{"validate", "--strict", "--preset", "no-checkpoints", "outputs"}, 0},
		{"validate/orphan-severity-error", orphanSidecar, []string{"validate", "--severity", "sidecar/orphan=error", "outputs"}, 1},
		{"validate/invalid-severity-warning", invalid, []string{"validate", "--severity",
			"schema/minimum=warning,schema/maximum=warning,schema/enum=warning,schema/type=warning,sidecar/path-escapes=warning,sidecar/misplaced=off", "outputs"}, 0},
		{"validate/unknown-rule", nil, []string{"validate", "--disable", "sidecar/orphn", "outputs"}, 2},
		{"validate/bad-level", nil, []string{"validate", "--severity", "sidecar/orphan=loud", "outputs"}, 2},
		{"validate/unknown-preset", nil, []string{"validate", "--preset", "none", "outputs"}, 2},
		{"validate/config-strict", func(t *testing.T, dir string) {
			orphanSidecar(t, dir)
			writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "strict: true\n")
		}, []string{"validate", "outputs"}, 1},
		{"validate/config-preset", func(t *testing.T, dir string) {
			orphanSidecar(t, dir)
			writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "strict: true\npreset: no-checkpoints\n")
		}, []string{"validate", "outputs"}, 0},
		{"validate/no-config", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "strct: true\n")
		}, []string{"validate", "--no-config", "outputs"}, 0},
		{"validate/config-paths", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "paths: [missing]\n")
		}, []string{"validate"}, 1},
		{"validate/config-unknown-key", badConfig, []string{"validate", "outputs"}, 2},
		{"validate/config-missing", nil, []string{"validate", "--config", "missing.yaml", "outputs"}, 2},
		{"validate/config-and-no-config", nil, []string{"validate", "--config", "x.yaml", "--no-config", "outputs"}, 2},
		{"status/config-unknown-key", badConfig, []string{"status", "outputs"}, 2},
		{"status/unknown-rule", nil, []string{"status", "--disable", "orphn", "outputs"}, 2},
		{"list/config-unknown-key", badConfig, []string{"list", "outputs"}, 2},
		{"migrate/config-unknown-key", badConfig, []string{"migrate", "--check", "outputs"}, 2},
		{"fix/config-unknown-key", badConfig, []string{"fix", "outputs"}, 2},
		// the rule switches of list, migrate (--check or not) and fix: a bad switch is a usage
		// error; a rule that is off is neither fixed by fix nor by migrate, nor reported by --check
		{"list/unknown-rule", nil, []string{"list", "--disable", "orphn", "outputs"}, 2},
		{"list/bad-level", nil, []string{"list", "--severity", "sidecar/orphan=loud", "outputs"}, 2},
		{"list/rule-off", invalid, []string{"list", "--valid-only", "--disable", "schema/minimum", "outputs"}, 0},
		{"migrate/unknown-preset", nil, []string{"migrate", "--preset", "none", "outputs"}, 2},
		{"migrate-check/unknown-rule", nil, []string{"migrate", "--check", "--enable", "orphn", "outputs"}, 2},
		{"migrate-check/misplaced", misplaced, []string{"migrate", "--check", "outputs"}, 1},
		{"migrate-check/misplaced-off", misplaced, []string{"migrate", "--check", "--disable", "sidecar/misplaced", "outputs"}, 0},
		{"migrate-check/misplaced-off-config", func(t *testing.T, dir string) {
			misplaced(t, dir)
			writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "rules: {sidecar/misplaced: off}\n")
		}, []string{"migrate", "--check", "outputs"}, 0},
		{"migrate-check/outdated-rules-off", outdated, []string{"migrate", "--check", "--preset", "no-checkpoints", "outputs"}, 1},
		{"fix/unknown-rule", nil, []string{"fix", "--severity", "orphn=off", "outputs"}, 2},
		{"fix/rule-off", invalid, []string{"fix", "--disable", "yaml/truthy", "outputs"}, 0},
		{"fix/misplaced", misplaced, []string{"fix", "outputs"}, 1},
		{"fix/misplaced-off", misplaced, []string{"fix", "--disable", "sidecar/misplaced", "outputs"}, 0},
		{"generate/config-unknown-key", badConfig, []string{"generate", "outputs"}, 2},
		{"generate/config-bad-version", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, ".ckptmeta.yaml"), "generate: {schema_version: '0'}\n")
		}, []string{"generate", "outputs"}, 2},
		// config: prints the effective configuration
		{"config/clean", nil, []string{"config"}, 0},
		{"config/usage", nil, []string{"config", "-o", "yaml"}, 2},
		{"config/unknown-rule", nil, []string{"config", "--disable", "nope"}, 2},
		{"config/config-unknown-key", badConfig, []string{"config"}, 2},
		{"schema/config", badConfig, []string{"schema", "show", "config"}, 0},
		// the whole tool
		{"root/unknown-command", nil, []string{"frobnicate"}, 2},
	}
	base := cleanTree(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			if c.setup != nil {
				c.setup(t, dir)
			}
			code, out := ckptmeta(t, dir, c.args...)
			if code != c.want {
				t.Errorf("ckptmeta %s: exit %d, want %d\n%s", strings.Join(c.args, " "), code, c.want, out)
			}
		})
	}
}

// TestNoPathMessage: every command without a path says what it looked for, in one message.
func TestNoPathMessage(t *testing.T) {
	dir := t.TempDir()
	for _, command := range []string{"validate", "migrate", "generate", "status", "list", "watch"} {
		code, out := ckptmeta(t, dir, command)
		want := "ckptmeta: error: no PATH given and there is no ./outputs directory here\n" +
			"ckptmeta: hint: name what to look at: ckptmeta " + command + " path/to/outputs\n"
		if code != 2 || out != want {
			t.Errorf("%s without a path: exit %d\n%s\nwant exit 2\n%s", command, code, out, want)
		}
	}
}
