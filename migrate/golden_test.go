package migrate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
	"github.com/ckptmeta/ckptmeta/validate"
)

var update = flag.Bool("update", false, "rewrite the golden .want.yaml files")

// goldenOptions are the options every golden migration runs with.
func goldenOptions(to string) Options {
	// Every step's output is validated: these tests are the proof that steps keep valid
	// documents valid, which lets Run validate only the result.
	return Options{To: to, ToolVersion: "0.0.0-test", Root: "/data/outputs", ValidateEachStep: true}
}

// goldenName is the path a golden input pretends to have, so that legacy documents get
// the experiment name "exp-<case>".
func goldenName(in string) string {
	base := filepath.Base(in)
	c := strings.SplitN(base, ".in.", 2)
	if len(c) != 2 {
		c = strings.SplitN(base, ".want.", 2)
	}
	return filepath.Join("outputs", "exp-"+c[0], "checkpoints", c[0]+".metadata."+c[1])
}

type goldenCase struct {
	name, from, to, in, want string
}

func goldenCases(t testing.TB) []goldenCase {
	dirs, err := filepath.Glob("testdata/golden/*_*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no golden directories: %v", err)
	}
	var out []goldenCase
	for _, dir := range dirs {
		from, to, _ := strings.Cut(filepath.Base(dir), "_")
		ins, _ := filepath.Glob(filepath.Join(dir, "*.in.*"))
		if len(ins) == 0 {
			t.Fatalf("%s has no cases", dir)
		}
		for _, in := range ins {
			c := strings.SplitN(filepath.Base(in), ".in.", 2)[0]
			out = append(out, goldenCase{name: filepath.Base(dir) + "/" + c, from: from, to: to, in: in,
				want: filepath.Join(dir, c+".want.yaml")})
		}
	}
	return out
}

// TestGolden runs every step on its golden inputs: one hop, byte-exact output, valid in
// the target version, and a second run changes nothing.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			m, err := MigrateBytes(goldenName(tc.in), src, goldenOptions(tc.to))
			if err != nil {
				t.Fatalf("MigrateBytes: %v", err)
			}
			if m.From != tc.from || m.To != tc.to || len(m.Steps) != 1 || m.Steps[0] != tc.from+"->"+tc.to {
				t.Errorf("From, To, Steps = %s, %s, %v; want %s, %s, [%s->%s]", m.From, m.To, m.Steps, tc.from, tc.to, tc.from, tc.to)
			}
			if !m.Changed {
				t.Errorf("Changed = false")
			}
			if *update {
				if err := os.WriteFile(tc.want, m.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(tc.want)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(m.Data, want) {
				t.Errorf("output differs from %s:\n%s", tc.want, unifiedDiff(tc.want, "got", want, m.Data))
			}
			assertValid(t, tc.to, m.Data)
			again, err := MigrateBytes(goldenName(tc.want), m.Data, goldenOptions(tc.to))
			if err != nil || again.Changed || len(again.Steps) != 0 {
				t.Errorf("second run: changed=%v steps=%v err=%v", again != nil && again.Changed, again, err)
			}
		})
	}
}

// assertValid checks data parses cleanly and validates against version's schema (unknown
// keys included: a golden output has none).
func assertValid(t testing.TB, version string, data []byte) {
	t.Helper()
	doc, findings := validate.Parse("out.yaml", data)
	for _, f := range findings {
		if f.Severity == validate.SeverityError {
			t.Errorf("output finding: %+v", f)
		}
	}
	if doc == nil {
		t.Fatalf("output does not parse:\n%s", data)
	}
	if doc.Version != version {
		t.Errorf("output schema_version = %q, want %q", doc.Version, version)
	}
	s, err := schemas.Default().Lookup(version)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(doc.Value); err != nil {
		t.Errorf("output is not valid %s: %v\n%s", version, err, data)
	}
}

func TestGoldenVersionsQuoted(t *testing.T) {
	for _, tc := range goldenCases(t) {
		want, err := os.ReadFile(tc.want)
		if err != nil {
			continue // TestGolden reports it
		}
		line := string(bytes.SplitN(want, []byte("schema_version: "), 2)[1])
		if !strings.HasPrefix(line, "'") && !strings.HasPrefix(line, `"`) {
			t.Errorf("%s: schema_version is not quoted", tc.want)
		}
	}
}
