package watch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ckptmeta/ckptmeta/catalog"
	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// recorder is an Observer that keeps what it is told (Once calls it from one goroutine).
type recorder struct {
	events    []Event
	coverages []*catalog.Coverage
}

func (r *recorder) Coverage(c *catalog.Coverage) { r.coverages = append(r.coverages, c) }
func (r *recorder) Handled(e Event)              { r.events = append(r.events, e) }

func (r *recorder) actions() map[string]Action {
	m := map[string]Action{}
	for _, e := range r.events {
		m[e.Path] = e.Action
	}
	return m
}

// copyFile copies a file of the repository's testdata to dst (creating its directory).
func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	testenv.CopyFile(t, filepath.Join("..", "testdata", src), dst)
}

// onceTree is an outputs tree with one checkpoint in each state Once cares about: no
// sidecar, a stale sidecar (the checkpoint was overwritten after it was made), a 1.0 sidecar
// copied from another run (misplaced: invalid until migrate re-points and upgrades it), an
// invalid one, and a current one.
func onceTree(t *testing.T) (root, ckpts string) {
	t.Helper()
	dir := t.TempDir()
	root = filepath.Join(dir, "outputs")
	ckpts = filepath.Join(root, "exp", "checkpoints")
	copyFile(t, "ckpt/best.ckpt", filepath.Join(ckpts, "stale.ckpt"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(ckpts, "current.ckpt"))
	if _, err := generate.Run(context.Background(), []string{root}, generate.RunOptions{}, nil); err != nil {
		t.Fatal(err)
	}
	copyFile(t, "ckpt/lightning2.ckpt", filepath.Join(ckpts, "stale.ckpt"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(ckpts, "new.ckpt"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(ckpts, "seed.ckpt"))
	copyFile(t, "sidecars/valid/seed.ckpt.metadata.yaml", filepath.Join(ckpts, "seed.ckpt.metadata.yaml"))
	copyFile(t, "ckpt/best.ckpt", filepath.Join(ckpts, "bad.ckpt"))
	copyFile(t, "sidecars/invalid/bounds-and-types.metadata.yaml", filepath.Join(ckpts, "bad.metadata.yaml"))
	return root, filepath.ToSlash(ckpts)
}

func TestOnceFixesMissingAndStale(t *testing.T) {
	root, ckpts := onceTree(t)
	rec := &recorder{}
	sum, err := Once(context.Background(), []string{root}, Options{Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Action{ckpts + "/new.ckpt": ActionGenerated, ckpts + "/stale.ckpt": ActionRegenerated}
	if got := rec.actions(); !equalActions(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	if sum.Generated != 1 || sum.Regenerated != 1 || sum.Failed != 0 || sum.Migrated != 0 {
		t.Errorf("summary %+v", sum)
	}
	tot := sum.Coverage.Total
	if tot.Checkpoints != 5 || tot.Current != 3 || tot.Invalid != 2 { // seed's 1.0 sidecar names another checkpoint: misplaced
		t.Errorf("coverage after: %+v", tot)
	}
	// The invalid sidecar is left to migrate (or a person): not complete.
	if sum.Complete(false) {
		t.Error("Complete with an invalid sidecar left")
	}
	// What Once reports is what status sees afterwards.
	assertStatus(t, root, tot)
	if len(rec.coverages) == 0 || rec.coverages[len(rec.coverages)-1].Total != tot {
		t.Errorf("the observer's last coverage is not the summary's")
	}
	// A second run has nothing left to do (the invalid sidecar is reported, not touched).
	rec2 := &recorder{}
	sum2, err := Once(context.Background(), []string{root}, Options{Observer: rec2})
	if err != nil || len(rec2.events) != 0 || sum2.Coverage.Total != tot {
		t.Errorf("second run: err %v, events %v, total %+v", err, rec2.events, sum2.Coverage.Total)
	}
}

func TestOnceMigrate(t *testing.T) {
	root, ckpts := onceTree(t)
	rec := &recorder{}
	sum, err := Once(context.Background(), []string{root}, Options{Observer: rec, Migrate: true})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Action{
		ckpts + "/new.ckpt":   ActionGenerated,
		ckpts + "/stale.ckpt": ActionRegenerated,
		ckpts + "/seed.ckpt":  ActionMigrated,
		ckpts + "/bad.ckpt":   ActionRegenerated, // migrate rebuilds a sidecar invalid in its own version
	}
	if got := rec.actions(); !equalActions(got, want) {
		t.Errorf("actions %v, want %v", got, want)
	}
	if !sum.Complete(true) || sum.Coverage.Total.Current != 5 {
		t.Errorf("not complete after --migrate: %+v %+v", sum, sum.Coverage.Total)
	}
	assertStatus(t, root, sum.Coverage.Total)
}

// A checkpoint cut short long ago (not being written: unchanged for longer than Settle) is a
// failure, reported once; one still changing would be waited for.
func TestOnceTruncatedFails(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "outputs")
	p := filepath.Join(root, "exp", "checkpoints", "cut.ckpt")
	copyFile(t, "ckpt/truncated.ckpt", p)
	old := time.Now().Add(-time.Minute)
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	start := time.Now()
	sum, err := Once(context.Background(), []string{root}, Options{Observer: rec, Settle: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 1 || len(rec.events) != 1 || rec.events[0].Action != ActionFailed || rec.events[0].Err == nil {
		t.Fatalf("summary %+v events %+v", sum, rec.events)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("Once waited %v on a checkpoint that is not being written", time.Since(start))
	}
	if sum.Complete(false) {
		t.Error("Complete with a failed checkpoint")
	}
}

// A checkpoint cut short a moment ago may still be written: Once retries it, and reports it
// failed only once it stayed unchanged for Settle.
func TestOnceWaitsForRecentIncomplete(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "outputs")
	p := filepath.Join(root, "exp", "checkpoints", "cut.ckpt")
	copyFile(t, "ckpt/truncated.ckpt", p)
	go func() {
		time.Sleep(400 * time.Millisecond)
		copyFile(t, "ckpt/best.ckpt", p) // the writer finishes
	}()
	rec := &recorder{}
	sum, err := Once(context.Background(), []string{root}, Options{Observer: rec, Settle: 5 * time.Second, Quiet: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed != 0 || sum.Generated != 1 || !sum.Complete(false) {
		t.Fatalf("summary %+v events %+v", sum, rec.events)
	}
}

func equalActions(a, b map[string]Action) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// assertStatus checks a tally against a fresh `ckptmeta status` of root.
func assertStatus(t *testing.T, root string, want catalog.Counts) {
	t.Helper()
	cov, err := catalog.Status(context.Background(), []string{root}, catalog.StatusOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cov.Total != want {
		t.Errorf("status sees %+v, the watcher %+v", cov.Total, want)
	}
}
