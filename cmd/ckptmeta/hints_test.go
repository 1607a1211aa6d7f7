package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/validate"
)

// hintCommand is how a hint names a command: "run `ckptmeta migrate X`", "run `ckptmeta fix X`".
// A hint without it is advice for an edit by hand (remove a key).
var hintCommand = regexp.MustCompile("run `([^`]+)`")

type hintFinding struct{ path, rule, hint string }

// TestHintsWork runs every command a hint names over a copy of the fixtures, with the real
// binary, exactly as printed, and checks that the finding it was given for is gone when
// validate runs again. New command hints that appear (the superseded JSON a legacy
// migration leaves) are run in the next round.
func TestHintsWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs it many times; not in -short")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the conflict hint is a POSIX rm command")
	}
	bin := realBinary(t)
	work := fixableTree(t)

	ckptmeta := func(args ...string) ([]byte, error) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		return cmd.Output()
	}
	lint := func() []hintFinding {
		t.Helper()
		out, err := ckptmeta("validate", "-o", "json", "outputs", "sidecars")
		if err != nil && len(out) == 0 {
			t.Fatalf("validate: %v", err)
		}
		var env struct {
			Results []struct {
				Path     string `json:"path"`
				Findings []struct {
					Rule string `json:"rule"`
					Hint string `json:"hint"`
				} `json:"findings"`
			} `json:"results"`
		}
		if err := json.Unmarshal(out, &env); err != nil {
			t.Fatalf("validate -o json: %v\n%s", err, out)
		}
		var fs []hintFinding
		for _, r := range env.Results {
			for _, f := range r.Findings {
				fs = append(fs, hintFinding{r.Path, f.Rule, f.Hint})
			}
		}
		return fs
	}

	ran := map[string]bool{}   // commands run
	fixed := map[string]bool{} // rules whose hint was run and checked
	for round := 0; round < 4; round++ {
		findings := lint()
		todo := map[string][]hintFinding{} // command → the findings it should fix
		for _, f := range findings {
			if strings.Contains(f.hint, "`ckptmeta fix ") && !slices.Contains(validate.FixRules, f.rule) {
				t.Errorf("%s [%s]: the hint runs ckptmeta fix, but the rule is not one fix covers (validate.FixRules): %q", f.path, f.rule, f.hint)
			}
			m := hintCommand.FindStringSubmatch(f.hint)
			if m == nil {
				if strings.Contains(f.hint, "`ckptmeta") {
					t.Errorf("%s [%s]: hint names a command but not as \"run `…`\": %q", f.path, f.rule, f.hint)
				}
				continue
			}
			if !ran[m[1]] {
				todo[m[1]] = append(todo[m[1]], f)
			}
		}
		if len(todo) == 0 {
			break
		}
		cmds := make([]string, 0, len(todo))
		for c := range todo {
			cmds = append(cmds, c)
		}
		sort.Strings(cmds)
		for _, c := range cmds {
			ran[c] = true
			args := strings.Fields(c)
			var out []byte
			var err error
			switch args[0] {
			case "ckptmeta":
				out, err = ckptmeta(args[1:]...)
				var exit *exec.ExitError
				if len(args) > 1 && args[1] == "fix" && errors.As(err, &exit) && exit.ExitCode() == 1 {
					err = nil // fix exits 1 when it changed a file, as pre-commit's fixers do; the re-validation below judges it
				}
			case "rm":
				cmd := exec.Command("rm", args[1:]...)
				cmd.Dir = work
				out, err = cmd.CombinedOutput()
			default:
				t.Errorf("hint names a command this test cannot run: %q", c)
				continue
			}
			if err != nil {
				t.Errorf("hint command %q failed: %v\n%s", c, err, out)
			}
		}
		after := map[hintFinding]bool{}
		for _, f := range lint() {
			after[hintFinding{f.path, f.rule, ""}] = true
		}
		for _, c := range cmds {
			for _, f := range todo[c] {
				if after[hintFinding{f.path, f.rule, ""}] {
					t.Errorf("%s [%s]: still reported after running its hint %q", f.path, f.rule, c)
				} else {
					fixed[f.rule] = true
				}
			}
		}
	}
	t.Logf("hint commands run: %q", keys(ran))
	// The test must have exercised every rule whose hint is a command.
	for _, rule := range append([]string{"sidecar/legacy", "sidecar/superseded", "sidecar/conflict", "sidecar/stale"}, validate.FixRules...) {
		if !fixed[rule] {
			t.Errorf("no %s finding had its hint run and checked (ran %v)", rule, keys(ran))
		}
	}
	for _, f := range lint() {
		if hintCommand.MatchString(f.hint) {
			t.Errorf("%s [%s]: a command hint is left after %d rounds: %q", f.path, f.rule, 4, f.hint)
		}
	}
}

// fixableTree is a copy of testdata/outputs and testdata/sidecars with the cases the
// committed trees lack: a sidecar copied from another run (misplaced), a checkpoint
// overwritten after its 2.0 sidecar was made (stale), a free-text value written `off` and a
// key PyYAML reads as a number. The sidecars corpus has the rest of what fix covers
// (unquoted versions and timestamps, yes where a boolean goes, keys repeated with the same
// value and with another, a .yml name).
func fixableTree(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	for _, d := range []string{"outputs", "sidecars"} {
		if err := os.CopyFS(filepath.Join(work, d), os.DirFS(filepath.Join("..", "..", "testdata", d))); err != nil {
			t.Fatal(err)
		}
	}
	testenv.CopyFile(t, filepath.Join(work, "outputs/transforms_test-dbnetpp-dbnetpp_decoder-resnet18/checkpoints/epoch-18_step-003895.ckpt.metadata.yaml"),
		filepath.Join(work, "outputs/canonical-fix2-dbnet-fpn_decoder-mobilenetv3_small_050/checkpoints/last.ckpt.metadata.yaml"))
	testenv.CopyFile(t, "../../testdata/ckpt/lightning2.ckpt",
		filepath.Join(work, "outputs/experiments/train/ocr/parseq_baseline/20260111_104512_42/checkpoints/epoch-01_step-000412.ckpt"))
	src, err := os.ReadFile(filepath.Join(work, "sidecars/valid/convert-omits-nulls.metadata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fixable := strings.Replace(strings.Replace(string(src), "exp_name: my_experiment", "exp_name: off", 1),
		"  additional_metrics:\n", "  additional_metrics:\n    2024: 0.5\n", 1)
	if fixable == string(src) || !strings.Contains(fixable, "exp_name: off") || !strings.Contains(fixable, "2024: 0.5") {
		t.Fatal("the fixture to edit has changed; update the replacements")
	}
	if err := os.WriteFile(filepath.Join(work, "sidecars/valid/fixable.metadata.yaml"), []byte(fixable), 0o644); err != nil {
		t.Fatal(err)
	}
	return work
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
