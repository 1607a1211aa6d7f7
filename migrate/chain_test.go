package migrate

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ckptmeta/ckptmeta/schemas"
)

func names(steps []Step) []string {
	out := []string{}
	for _, s := range steps {
		out = append(out, s.Name())
	}
	return out
}

func TestDefaultChain(t *testing.T) {
	c := Default()
	got := names(c.Steps())
	want := []string{"0->1.0", "1.0->1.1", "1.1->2.0", "2.0->1.1", "1.1->1.0"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Steps() = %v, want %v", got, want)
	}
	for _, s := range c.Steps() {
		if s.Summary == "" {
			t.Errorf("step %s has no summary", s.Name())
		}
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name      string
		from, to  string
		want      []string
		wantNewer bool
		wantUnk   bool
		wantNoWay bool
		wantLeg   bool
	}{
		{name: "legacy to latest", from: "0", to: "latest", want: []string{"0->1.0", "1.0->1.1", "1.1->2.0"}},
		{name: "empty target is latest", from: "1.0", to: "", want: []string{"1.0->1.1", "1.1->2.0"}},
		{name: "one up", from: "1.0", to: "1.1", want: []string{"1.0->1.1"}},
		{name: "semver spellings", from: "1.0.0", to: "2", want: []string{"1.0->1.1", "1.1->2.0"}},
		{name: "same", from: "1.1", to: "1.1", want: []string{}},
		{name: "same latest", from: "2.0", to: "latest", want: []string{}},
		{name: "down two", from: "2.0", to: "1.0", want: []string{"2.0->1.1", "1.1->1.0"}},
		{name: "down one", from: "1.1", to: "1.0", want: []string{"1.1->1.0"}},
		{name: "legacy to 1.0", from: "0", to: "1.0", want: []string{"0->1.0"}},
		{name: "newer source", from: "3.0", to: "latest", wantNewer: true},
		{name: "newer minor source", from: "2.1", to: "2.0", wantNewer: true},
		{name: "newer target", from: "1.0", to: "9.9", wantNewer: true},
		{name: "unknown source", from: "1.5", to: "latest", wantUnk: true},
		{name: "garbage source", from: "abc", to: "latest", wantUnk: true},
		{name: "unknown target", from: "1.0", to: "1.7", wantUnk: true},
		{name: "target legacy", from: "1.0", to: "0", wantLeg: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Plan(tc.from, tc.to)
			var ne *NewerVersionError
			var ue *schemas.UnknownVersionError
			var np *NoPathError
			switch {
			case tc.wantNewer:
				if !errors.As(err, &ne) {
					t.Fatalf("err = %v, want *NewerVersionError", err)
				}
			case tc.wantUnk:
				if !errors.As(err, &ue) {
					t.Fatalf("err = %v, want *schemas.UnknownVersionError", err)
				}
			case tc.wantNoWay:
				if !errors.As(err, &np) {
					t.Fatalf("err = %v, want *NoPathError", err)
				}
			case tc.wantLeg:
				if !errors.Is(err, ErrTargetLegacy) {
					t.Fatalf("err = %v, want ErrTargetLegacy", err)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if g := names(got); !reflect.DeepEqual(g, tc.want) {
					t.Errorf("Plan(%s, %s) = %v, want %v", tc.from, tc.to, g, tc.want)
				}
			}
		})
	}
}

func TestNewChainRejects(t *testing.T) {
	reg := schemas.Default()
	nop := func(*Doc) error { return nil }
	full := []Step{{From: "0", To: "1.0", Apply: nop}, {From: "1.0", To: "1.1", Apply: nop}, {From: "1.1", To: "2.0", Apply: nop}}
	if _, err := NewChain(reg, full...); err != nil {
		t.Fatalf("a full chain is rejected: %v", err)
	}
	tests := []struct {
		name  string
		steps []Step
	}{
		{name: "gap", steps: []Step{full[0], full[2]}},
		{name: "does not reach latest", steps: full[:2]},
		{name: "duplicate", steps: append(append([]Step{}, full...), full[1])},
		{name: "skips a version", steps: append(append([]Step{}, full...), Step{From: "1.0", To: "2.0", Apply: nop})},
		{name: "unknown version", steps: append(append([]Step{}, full...), Step{From: "2.0", To: "3.0", Apply: nop})},
		{name: "spelling not the registry's", steps: []Step{{From: "0", To: "1.0.0", Apply: nop}, full[1], full[2]}},
		{name: "down to legacy", steps: append(append([]Step{}, full...), Step{From: "1.0", To: "0", Apply: nop})},
		{name: "no apply", steps: []Step{full[0], full[1], {From: "1.1", To: "2.0"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewChain(reg, tc.steps...)
			var ce *ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *ChainError", err)
			}
		})
	}
}

// TestNoDownPath uses a chain without down steps: a downgrade has no path.
func TestNoDownPath(t *testing.T) {
	nop := func(*Doc) error { return nil }
	c, err := NewChain(schemas.Default(), Step{From: "0", To: "1.0", Apply: nop}, Step{From: "1.0", To: "1.1", Apply: nop}, Step{From: "1.1", To: "2.0", Apply: nop})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Plan("2.0", "1.0")
	var np *NoPathError
	if !errors.As(err, &np) || np.From != "2.0" || np.To != "1.0" {
		t.Fatalf("err = %v, want *NoPathError 2.0 -> 1.0", err)
	}
}
