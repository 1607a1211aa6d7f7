package pyyaml

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// decodeV3 is the reference: the first document as yaml.v3's Decoder builds it, and
// whether a second Decode finds another document or an error (the validator asks).
func decodeV3(src []byte) (doc *yaml.Node, more bool, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var n yaml.Node
	if err := dec.Decode(&n); err != nil {
		return nil, false, err
	}
	var next yaml.Node
	err = dec.Decode(&next)
	return &n, !errors.Is(err, io.EOF), nil
}

// diff reports the first difference between two trees, naming the path and the field,
// or "" when they are identical.
func diff(got, want *yaml.Node, path string) string {
	switch {
	case got == nil && want == nil:
		return ""
	case got == nil || want == nil:
		return fmt.Sprintf("%s: node %v, want %v", path, got, want)
	}
	type field struct {
		name      string
		got, want any
	}
	for _, f := range []field{
		{"Kind", got.Kind, want.Kind},
		{"Style", got.Style, want.Style},
		{"Tag", got.Tag, want.Tag},
		{"Value", got.Value, want.Value},
		{"Anchor", got.Anchor, want.Anchor},
		{"Line", got.Line, want.Line},
		{"Column", got.Column, want.Column},
		{"HeadComment", got.HeadComment, want.HeadComment},
		{"LineComment", got.LineComment, want.LineComment},
		{"FootComment", got.FootComment, want.FootComment},
		{"Alias", got.Alias != nil, want.Alias != nil},
		{"Content==nil", got.Content == nil, want.Content == nil},
		{"len(Content)", len(got.Content), len(want.Content)},
	} {
		if f.got != f.want {
			return fmt.Sprintf("%s: %s = %#v, want %#v", path, f.name, f.got, f.want)
		}
	}
	for i := range got.Content {
		if d := diff(got.Content[i], want.Content[i], fmt.Sprintf("%s/%d", path, i)); d != "" {
			return d
		}
	}
	return ""
}

// check runs the contract on one input: when Parse accepts it, yaml.v3 must decode the
// same tree and find nothing after it. It reports whether Parse accepted.
func check(t *testing.T, src []byte) bool {
	t.Helper()
	got, ok := parse(src, nil) // not Parse: a recovered panic must fail the test
	if !ok {
		if got != nil {
			t.Fatalf("parse returned a tree with ok=false")
		}
		return false
	}
	want, more, err := decodeV3(src)
	if err != nil {
		t.Fatalf("fastyaml accepted input yaml.v3 rejects (%v):\n%s", err, src)
	}
	if more {
		t.Fatalf("fastyaml accepted input with a second document or trailing error:\n%s", src)
	}
	if d := diff(got, want, "doc"); d != "" {
		t.Fatalf("tree differs from yaml.v3: %s\ninput:\n%s", d, src)
	}
	// The same input parsed into an arena that holds the trees of every input checked before
	// (this test's and the others'), as a run over many files does: the same tree.
	sharedArena.Lock()
	defer sharedArena.Unlock()
	inArena, ok := parse(src, &sharedArena.Arena)
	if !ok {
		t.Fatalf("parse refused in an arena what it accepted in fresh memory:\n%s", src)
	}
	if d := diff(inArena, want, "doc"); d != "" {
		t.Fatalf("tree parsed in a used arena differs from yaml.v3: %s\ninput:\n%s", d, src)
	}
	return true
}

var sharedArena struct {
	sync.Mutex
	Arena
}

func TestDiffFindsDifferences(t *testing.T) {
	base := func() *yaml.Node {
		return &yaml.Node{Kind: yaml.DocumentNode, Line: 1, Column: 1, Content: []*yaml.Node{
			{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1, Content: []*yaml.Node{
				{Kind: yaml.ScalarNode, Tag: "!!str", Value: "a", Line: 1, Column: 1},
				{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1", Line: 1, Column: 4},
			}},
		}}
	}
	if d := diff(base(), base(), "doc"); d != "" {
		t.Fatalf("identical trees differ: %s", d)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*yaml.Node)
	}{
		{"style", func(n *yaml.Node) { n.Content[0].Content[1].Style = yaml.DoubleQuotedStyle }},
		{"tag", func(n *yaml.Node) { n.Content[0].Content[1].Tag = "!!str" }},
		{"value", func(n *yaml.Node) { n.Content[0].Content[0].Value = "b" }},
		{"line", func(n *yaml.Node) { n.Content[0].Line = 2 }},
		{"column", func(n *yaml.Node) { n.Content[0].Content[1].Column = 5 }},
		{"head comment", func(n *yaml.Node) { n.HeadComment = "# x" }},
		{"foot comment", func(n *yaml.Node) { n.Content[0].Content[0].FootComment = "# x" }},
		{"anchor", func(n *yaml.Node) { n.Content[0].Anchor = "a" }},
		{"nil content", func(n *yaml.Node) { n.Content[0].Content[1].Content = []*yaml.Node{} }},
		{"content length", func(n *yaml.Node) { n.Content[0].Content = n.Content[0].Content[:1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := base()
			tc.mutate(n)
			if d := diff(n, base(), "doc"); d == "" {
				t.Fatal("difference not reported")
			}
		})
	}
}
