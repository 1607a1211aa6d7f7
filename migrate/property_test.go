package migrate

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/generate"
)

// fixtures are every migratable document the repository holds: the golden inputs and the
// shared valid and legacy sidecars.
// sortedFixtures is fixtures, with testdata's invalid sidecars too when withInvalid, and
// their paths in order: the tests that draw edits at random need one order to repeat them.
func sortedFixtures(t testing.TB, withInvalid bool) (map[string][]byte, []string) {
	inputs := fixtures(t)
	if withInvalid {
		invalid, _ := filepath.Glob("../testdata/sidecars/invalid/*")
		for _, p := range invalid {
			inputs[p] = readFixture(t, p)
		}
	}
	return inputs, slices.Sorted(maps.Keys(inputs))
}

func fixtures(t testing.TB) map[string][]byte {
	var paths []string
	for _, g := range []string{"testdata/golden/*/*.in.*", "../testdata/sidecars/valid/*", "../testdata/sidecars/legacy/*"} {
		m, _ := filepath.Glob(g)
		paths = append(paths, m...)
	}
	if len(paths) < 10 {
		t.Fatalf("only %d fixtures found", len(paths))
	}
	out := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	// Sidecars the generator writes for the shared checkpoints, in every version.
	var ckpts []string
	filepath.Walk("../testdata/outputs", func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".ckpt") {
			ckpts = append(ckpts, p)
		}
		return nil
	})
	for _, c := range ckpts {
		for _, v := range []string{"1.0", "1.1", "2.0"} {
			sc, err := generate.Build(c, generate.Options{Version: v, Now: fixedNow, ToolVersion: "0.0.0-test"})
			if err != nil {
				t.Logf("generate %s at %s: %v", c, v, err)
				continue
			}
			out[c+"@"+v+".yaml"] = sc.Data
		}
	}
	return out
}

func fixtureName(p string) string {
	if filepath.Ext(p) == ".json" {
		return goldenName(filepath.Base(p[:len(p)-len(".json")]) + ".in.json")
	}
	return goldenName(filepath.Base(p[:len(p)-len(filepath.Ext(p))]) + ".in.yaml")
}

// TestPropertyLatestIdempotentAndValid: migrate(x) is valid in the latest version and
// migrate(migrate(x)) == migrate(x), for every fixture.
func TestPropertyLatestIdempotentAndValid(t *testing.T) {
	for p, src := range fixtures(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			o := goldenOptions("latest")
			m, err := MigrateBytes(fixtureName(p), src, o)
			if err != nil {
				t.Fatal(err)
			}
			assertValid(t, "2.0", m.Data)
			again, err := MigrateBytes("again.metadata.yaml", m.Data, o)
			if err != nil {
				t.Fatal(err)
			}
			if again.Changed || string(again.Data) != string(m.Data) {
				t.Errorf("second migration changed the document:\n%s", unifiedDiff("first", "second", m.Data, again.Data))
			}
		})
	}
}

// TestPropertyEveryVersionValid: each fixture migrated to each version it can reach is
// valid there (and 0 -> 1.0 -> 1.1 -> 2.0 -> 1.1 -> 1.0 passes through valid documents).
func TestPropertyEveryVersionValid(t *testing.T) {
	for p, src := range fixtures(t) {
		for _, to := range []string{"1.0", "1.1", "2.0"} {
			m, err := MigrateBytes(fixtureName(p), src, goldenOptions(to))
			var le *LossError
			if errors.As(err, &le) {
				// Facts the older version cannot hold: the refusal is the right answer,
				// and with AllowLossy the result must be valid.
				o := goldenOptions(to)
				o.AllowLossy = true
				m, err = MigrateBytes(fixtureName(p), src, o)
			}
			var re *RequiredError
			if errors.As(err, &re) && len(re.Fields) > 0 {
				continue // 1.x needs facts this document lacks: a refusal naming them is right
			}
			if err != nil {
				t.Errorf("%s -> %s: %v", p, to, err)
				continue
			}
			assertValid(t, to, m.Data)
		}
	}
}

// TestPropertyRoundTrip10: 1.0 -> latest -> 1.0 gives the same data as yaml.safe_load
// reads it (provenance aside), for every fixture first brought to 1.0.
func TestPropertyRoundTrip10(t *testing.T) {
	for p, src := range fixtures(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			o := goldenOptions("1.0")
			o.AllowLossy = true // fixtures newer than 1.0 may hold facts 1.0 cannot; drop them once
			at10, err := MigrateBytes(fixtureName(p), src, o)
			var re *RequiredError
			if errors.As(err, &re) {
				t.Skipf("cannot be 1.0 (needs %v); the refusal is tested by TestPropertyEveryVersionValid", re.Fields)
			}
			if err != nil {
				t.Fatal(err)
			}
			up, err := MigrateBytes("x.metadata.yaml", at10.Data, goldenOptions("latest"))
			if err != nil {
				t.Fatal(err)
			}
			down, err := MigrateBytes("x.metadata.yaml", up.Data, goldenOptions("1.0"))
			if err != nil {
				t.Fatal(err)
			}
			sameData(t, "1.0 -> latest -> 1.0", at10.Data, down.Data)
		})
	}
}
