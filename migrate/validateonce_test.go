package migrate

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// TestValidateOnceSameAsEachStep: validating the input and the result once (the default)
// gives what validating the input and every step's output gives (Options.ValidateEachStep),
// byte for byte or error for error, on every fixture and on thousands of broken variants
// of them (a value made negative, a string, null, a list; a line dropped), to the latest
// version and down to 1.0.
func TestValidateOnceSameAsEachStep(t *testing.T) {
	inputs, names := sortedFixtures(t, true)

	type input struct {
		name, variant string
		src           []byte
	}
	var cases []input
	step := 2 // every other variant: about 4,600 inputs
	if testing.Short() {
		step = 4
	}
	for _, p := range names {
		src := inputs[p]
		cases = append(cases, input{p, "", src})
		lines := bytes.SplitAfter(src, []byte("\n"))
		for i, l := range lines {
			colon := bytes.Index(l, []byte(": "))
			if colon < 0 || bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
				continue
			}
			for k, v := range []string{"-7", "'text'", "null", "[1, 2]", ""} {
				if (i+k)%step != 0 {
					continue
				}
				var b bytes.Buffer
				for j, m := range lines {
					switch {
					case j != i:
						b.Write(m)
					case v == "": // the line dropped
					default:
						b.Write(l[:colon+2])
						b.WriteString(v + "\n")
					}
				}
				cases = append(cases, input{p, fmt.Sprintf(":%d:%s", i+1, v), b.Bytes()})
			}
		}
	}

	same := 0
	for _, c := range cases {
		for _, o := range []Options{
			goldenOptions("latest"),
			{To: "latest", ToolVersion: "0.0.0-test", Root: "/data/outputs", AllowLossy: true},
			{To: "1.0", ToolVersion: "0.0.0-test", Root: "/data/outputs", AllowLossy: true},
		} {
			o.ValidateEachStep = true
			each, eachErr := MigrateBytes(c.name, c.src, o)
			o.ValidateEachStep = false
			once, onceErr := MigrateBytes(c.name, c.src, o)
			switch {
			case eachErr == nil && onceErr == nil:
				if !bytes.Equal(each.Data, once.Data) || fmt.Sprint(each.Steps) != fmt.Sprint(once.Steps) {
					t.Errorf("%s%s to %s: outputs differ:\neach step:\n%s\nonce:\n%s", c.name, c.variant, o.To, each.Data, once.Data)
				}
			case eachErr != nil && onceErr != nil:
				// jsonschema lists additional properties in map order: compare the words.
				if words(eachErr.Error()) != words(onceErr.Error()) || fmt.Sprintf("%T", eachErr) != fmt.Sprintf("%T", onceErr) {
					t.Errorf("%s%s to %s: errors differ:\neach step: %v\nonce:      %v", c.name, c.variant, o.To, eachErr, onceErr)
				}
			default:
				t.Errorf("%s%s to %s: validating once gives %v, validating each step %v", c.name, c.variant, o.To, onceErr, eachErr)
				continue
			}
			same++
		}
	}
	t.Logf("%d inputs × 3 option sets: %d the same", len(cases), same)
	if min := 1000; same < min {
		t.Errorf("only %d comparisons, want %d or more", same, min)
	}
}

// words is s's words, sorted, without the punctuation around them.
func words(s string) string {
	f := strings.Fields(s)
	for i, w := range f {
		f[i] = strings.Trim(w, ",;'")
	}
	sort.Strings(f)
	return strings.Join(f, " ")
}
