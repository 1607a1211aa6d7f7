package watch

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/validate"
)

// offRules turn off sidecar/stale and every error rule the trees below violate: the
// misplaced 1.0 sidecar's and bounds-and-types'.
var offRules = map[string]validate.RuleLevel{
	"sidecar/stale": validate.RuleOff, "sidecar/misplaced": validate.RuleOff,
	"sidecar/path-escapes": validate.RuleOff, "schema/minimum": validate.RuleOff, "schema/enum": validate.RuleOff,
	"schema/type": validate.RuleOff, "schema/maximum": validate.RuleOff, "schema/unknown-key": validate.RuleOff,
}

// statusUnder is what `ckptmeta status` with the same rule levels sees.
func statusUnder(t *testing.T, root string, rules map[string]validate.RuleLevel) catalog.Counts {
	t.Helper()
	cov, err := catalog.Status(context.Background(), []string{root}, catalog.StatusOptions{Validate: validate.Options{Rules: rules}})
	if err != nil {
		t.Fatal(err)
	}
	return cov.Total
}

// Once under rule levels: a rule that is off is no reason to act. The stale sidecar stays (its
// bytes too), the sidecars whose errors are all off are migrated to the latest version (the
// version steps do not depend on rules), not regenerated; the coverage is status's under the
// same levels, and complete.
func TestOnceFollowsRuleLevels(t *testing.T) {
	root, ckpts := onceTree(t)
	staleBefore, err := os.ReadFile(filepath.Join(filepath.FromSlash(ckpts), "stale.ckpt.metadata.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := statusUnder(t, root, offRules); got.Stale != 0 || got.Invalid != 0 || got.Missing != 1 {
		t.Fatalf("the tree under the levels is not what the test needs: %+v", got)
	}
	rec := &recorder{}
	sum, err := Once(context.Background(), []string{root}, Options{Observer: rec, Migrate: true, Rules: offRules})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Action{
		ckpts + "/new.ckpt":  ActionGenerated,
		ckpts + "/seed.ckpt": ActionMigrated,
		ckpts + "/bad.ckpt":  ActionMigrated, // its errors are off: migrated with its values, not rebuilt
	}
	if got := rec.actions(); !equalActions(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	if after, err := os.ReadFile(filepath.Join(filepath.FromSlash(ckpts), "stale.ckpt.metadata.yaml")); err != nil || string(after) != string(staleBefore) {
		t.Errorf("the stale sidecar was rewritten with sidecar/stale off (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(filepath.FromSlash(ckpts), "bad.metadata.yaml.bak")); err == nil {
		t.Error("bad.metadata.yaml was regenerated (a .bak kept) although its errors are off")
	}
	if !sum.Complete(true) || sum.Coverage.Total.Current != 5 {
		t.Errorf("not complete under the levels: %+v %+v", sum, sum.Coverage.Total)
	}
	if got := statusUnder(t, root, offRules); got != sum.Coverage.Total {
		t.Errorf("status under the same levels sees %+v, the watcher %+v", got, sum.Coverage.Total)
	}
	// Without the levels the same tree is not complete: the stale sidecar counts again.
	if got := statusUnder(t, root, nil); got.Stale != 1 {
		t.Errorf("without the levels status sees %+v, want the stale sidecar", got)
	}
}

// Run under rule levels: an overwritten checkpoint is not regenerated with sidecar/stale
// off, and an edited sidecar's findings of rules that are off are neither counted nor logged.
func TestRunFollowsRuleLevels(t *testing.T) {
	root := filepath.Join(t.TempDir(), "outputs")
	dir := filepath.Join(root, "exp", "checkpoints")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, "a.ckpt"))
	var findings atomic.Int64
	obs := startRun(t, root, Options{Quiet: 50 * time.Millisecond, Rules: offRules,
		Logger: slog.New(countingHandler{"finding", &findings})})
	a := filepath.ToSlash(filepath.Join(dir, "a.ckpt"))
	obs.waitFor(t, "a's sidecar", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool { return has(ev, a, ActionGenerated) })

	// a is overwritten, then b appears: by the time b's sidecar is written a's event was handled.
	copyFile(t, "ckpt/lightning2.ckpt", filepath.Join(dir, "a.ckpt"))
	time.Sleep(100 * time.Millisecond)
	copyFile(t, "ckpt/best.ckpt", filepath.Join(dir, "b.ckpt"))
	b := filepath.ToSlash(filepath.Join(dir, "b.ckpt"))
	obs.waitFor(t, "b's sidecar", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool { return has(ev, b, ActionGenerated) })

	// a's sidecar edited: an unknown key (schema/unknown-key off), and it is stale (off).
	side := a + ".metadata.yaml"
	data, err := os.ReadFile(side)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(side, append(data, []byte("my_note: hello\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	obs.waitFor(t, "the edited sidecar's validation", 10*time.Second, func(ev []Event, _ *catalog.Coverage) bool {
		return has(ev, side, ActionValidated)
	})
	obs.waitFor(t, "coverage of 2 current checkpoints", 10*time.Second, func(_ []Event, c *catalog.Coverage) bool {
		return c != nil && c.Total.Checkpoints == 2 && c.Total.Current == 2
	})
	obs.mu.Lock()
	defer obs.mu.Unlock()
	for _, e := range obs.events {
		if e.Path == a && e.Action == ActionRegenerated {
			t.Errorf("a was regenerated with sidecar/stale off: %+v", e)
		}
		if e.Path == side && e.Action == ActionValidated && e.Findings != 0 {
			t.Errorf("the edited sidecar counts %d findings; every rule it breaks is off", e.Findings)
		}
	}
	if n := findings.Load(); n != 0 {
		t.Errorf("%d findings logged; every rule the edited sidecar breaks is off", n)
	}
	if got := statusUnder(t, root, offRules); got.Current != 2 {
		t.Errorf("status under the same levels sees %+v", got)
	}
	if got := statusUnder(t, root, nil); got.Stale != 1 {
		t.Errorf("without the levels status sees %+v, want a's sidecar stale", got)
	}
}
