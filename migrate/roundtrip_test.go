package migrate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/ckptmeta/ckptmeta/generate"
	"github.com/ckptmeta/ckptmeta/internal/testenv"
	"github.com/ckptmeta/ckptmeta/validate"
)

// docGen makes random 1.0 documents that are valid in 1.0: every optional key is present,
// absent or null (where the 1.0 schema allows null: the keys whose Python type is X|None),
// additional_metrics is absent, {} or holds logged names (some repeating precision/recall/hmean with the fixed value,
// as the original convert tool writes), random extra keys sit at every level, and some
// keys carry comments.
type docGen struct {
	r        *rand.Rand
	n        int // extra keys and comments made so far, to keep them unique
	comments []string
}

// three picks absent (0), null (1) or a value (2).
func (g *docGen) three() int { return g.r.Intn(3) }

// comment gives some keys a comment where the YAML parser would put it: a head comment
// on the key; a line comment on a scalar or flow value, or on the key of a block one.
func (g *docGen) comment(k, v *yaml.Node) {
	if g.r.Intn(6) != 0 {
		return
	}
	g.n++
	c := fmt.Sprintf("c%d about %s", g.n, k.Value)
	switch {
	case g.r.Intn(2) == 0:
		k.HeadComment = "# " + c
	case v.Kind == yaml.ScalarNode || v.Style&yaml.FlowStyle != 0:
		v.LineComment = "# " + c
	default:
		k.LineComment = "# " + c
	}
	g.comments = append(g.comments, c)
}

func (g *docGen) put(m *yaml.Node, key string, v *yaml.Node) {
	k := str(key)
	g.comment(k, v)
	m.Content = append(m.Content, k, v)
}

// opt puts key with value v, or null, or nothing.
func (g *docGen) opt(m *yaml.Node, key string, v func() *yaml.Node, nullOK bool) {
	switch g.three() {
	case 1:
		if nullOK {
			g.put(m, key, null())
		}
	case 2:
		g.put(m, key, v())
	}
}

func (g *docGen) extras(m *yaml.Node) {
	for i := g.r.Intn(3); i > 0; i-- {
		g.n++
		key := fmt.Sprintf("x_note%d", g.n)
		var v *yaml.Node
		switch g.r.Intn(4) {
		case 0:
			v = str(fmt.Sprintf("kept%d", g.n))
		case 1:
			v = integer(int64(g.r.Intn(1000)))
		case 2:
			v = null()
		default:
			v = mapping(str("inner"), str("deep"), str("list"), sequence(integer(1), integer(2)))
		}
		g.put(m, key, v)
	}
}

func (g *docGen) num() *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: fmt.Sprintf("0.%04d", g.r.Intn(10000))}
}

func (g *docGen) doc() *yaml.Node {
	root := mapping()
	g.put(root, "schema_version", versionNode("1.0"))
	g.put(root, "checkpoint_path", str("run/checkpoints/best.ckpt"))
	g.put(root, "exp_name", str("run"))
	g.put(root, "created_at", versionNode("2025-10-19T13:36:50.323967"))

	tr := mapping()
	g.put(tr, "epoch", integer(int64(g.r.Intn(50))))
	g.put(tr, "global_step", integer(int64(g.r.Intn(5000))))
	g.opt(tr, "training_phase", func() *yaml.Node { return str("validation") }, false)
	g.opt(tr, "max_epochs", func() *yaml.Node { return integer(25) }, true)
	g.extras(tr)
	g.put(root, "training", tr)

	model := mapping()
	g.put(model, "architecture", str("dbnet"))
	enc := mapping()
	g.put(enc, "model_name", str("resnet18"))
	g.opt(enc, "pretrained", func() *yaml.Node { return boolean(g.r.Intn(2) == 0) }, false)
	g.opt(enc, "frozen", func() *yaml.Node { return boolean(g.r.Intn(2) == 0) }, false)
	g.extras(enc)
	g.put(model, "encoder", enc)
	params := func(numbersOnly bool) func() *yaml.Node {
		return func() *yaml.Node {
			p := flowMap()
			for i := g.r.Intn(3); i > 0; i-- {
				if numbersOnly || g.r.Intn(2) == 0 {
					p.Content = append(p.Content, str(fmt.Sprintf("p%d", i)), g.num())
				} else {
					p.Content = append(p.Content, str(fmt.Sprintf("p%d", i)), boolean(true))
				}
			}
			return p
		}
	}
	dec := mapping()
	g.put(dec, "name", str("pan_decoder"))
	g.opt(dec, "in_channels", func() *yaml.Node {
		s := flowSeq()
		for i := g.r.Intn(4); i > 0; i-- {
			s.Content = append(s.Content, integer(int64(16*i)))
		}
		return s
	}, false)
	g.opt(dec, "inner_channels", func() *yaml.Node { return integer(256) }, true)
	g.opt(dec, "output_channels", func() *yaml.Node { return integer(128) }, true)
	g.opt(dec, "params", params(false), false)
	g.extras(dec)
	g.put(model, "decoder", dec)
	head := mapping()
	g.put(head, "name", str("db_head"))
	g.opt(head, "in_channels", func() *yaml.Node { return integer(128) }, true)
	g.opt(head, "params", params(false), false)
	g.put(model, "head", head)
	loss := mapping()
	g.put(loss, "name", str("db_loss"))
	g.opt(loss, "params", params(true), false)
	g.put(model, "loss", loss)
	g.extras(model)
	g.put(root, "model", model)

	metrics := mapping()
	fixed := map[string]*yaml.Node{}
	for _, name := range fixedNames {
		switch g.three() {
		case 1:
			g.put(metrics, name, null())
		case 2:
			fixed[name] = g.num()
			g.put(metrics, name, fixed[name])
		}
	}
	switch g.r.Intn(4) {
	case 1: // absent
	case 2:
		g.put(metrics, "additional_metrics", flowMap())
	case 3:
		add := mapping()
		for _, name := range []string{"val/loss", "precision", "cleval/hmean", "recall", "hmean", "val/iou"} {
			if g.r.Intn(2) == 0 {
				continue
			}
			v := g.num()
			if isFixed(name) {
				if fixed[name] == nil {
					continue // a repeat is only valid (and upgradable) with the fixed value
				}
				v = cloneScalar(fixed[name])
			}
			g.put(add, name, v)
		}
		if len(add.Content) == 0 {
			add.Style = yaml.FlowStyle // an empty mapping is written {}
		}
		g.put(metrics, "additional_metrics", add)
	}
	g.extras(metrics)
	g.put(root, "metrics", metrics)

	ck := mapping()
	g.put(ck, "monitor", str("val/hmean"))
	g.put(ck, "mode", str("max"))
	g.opt(ck, "save_top_k", func() *yaml.Node { return integer(int64(g.r.Intn(5) - 1)) }, false)
	g.opt(ck, "save_last", func() *yaml.Node { return boolean(g.r.Intn(2) == 0) }, false)
	g.extras(ck)
	g.put(root, "checkpointing", ck)
	g.opt(root, "hydra_config_path", func() *yaml.Node { return str("run/.hydra/config.yaml") }, true)
	g.opt(root, "wandb_run_id", func() *yaml.Node { return str("abc123") }, true)
	g.extras(root)
	return root
}

func encodeNode(t testing.TB, root *yaml.Node) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	enc.CompactSeqIndent()
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	return buf.Bytes()
}

// loaded is what yaml.safe_load returns for data, in validate's model of it (PyYAML's YAML
// 1.1 resolution, as JSON values), without provenance: provenance records which tool
// touched the file last, and each migration says so.
func loaded(t testing.TB, data []byte) map[string]any {
	t.Helper()
	doc, _ := validate.Parse("x.yaml", data)
	if doc == nil {
		t.Fatalf("does not parse:\n%s", data)
	}
	m, ok := doc.Value.(map[string]any)
	if !ok {
		t.Fatalf("not a mapping:\n%s", data)
	}
	delete(m, "provenance")
	delete(m, "schema_version")
	return m
}

func sameData(t testing.TB, what string, want, got []byte) {
	t.Helper()
	w, g := loaded(t, want), loaded(t, got)
	if !reflect.DeepEqual(w, g) {
		wj, _ := json.MarshalIndent(w, "", " ")
		gj, _ := json.MarshalIndent(g, "", " ")
		t.Errorf("%s changed the data:\n%s\nsource:\n%s\nresult:\n%s", what, unifiedDiff("want", "got", wj, gj), want, got)
	}
}

// sameComments checks every generated comment that the source holds is in got (the
// encoder that wrote the source drops a few, such as a line comment on a flow sequence's
// key).
func sameComments(t testing.TB, what string, comments []string, src, got []byte) {
	t.Helper()
	for _, c := range comments {
		if bytes.Contains(src, []byte("# "+c)) && !bytes.Contains(got, []byte("# "+c)) {
			t.Errorf("%s lost the comment %q:\n%s", what, c, got)
		}
	}
}

func migrateTo(t testing.TB, src []byte, to string) []byte {
	t.Helper()
	m, err := MigrateBytes("outputs/run/checkpoints/best.ckpt.metadata.yaml", src, goldenOptions(to))
	if err != nil {
		t.Fatalf("-> %s: %v\n%s", to, err, src)
	}
	doc, _ := validate.Parse("out.yaml", m.Data)
	if doc == nil || doc.Version != to {
		t.Fatalf("-> %s: output does not parse or has another version:\n%s", to, m.Data)
	}
	if err := validateValue(Default(), to, doc.Value); err != nil { // unknown keys are carried, as warnings
		t.Fatalf("-> %s: %v\n%s", to, err, m.Data)
	}
	return m.Data
}

// TestPropertyExactRoundTrips: for random documents (see docGen), each up-then-down pair
// returns the same data as yaml.safe_load reads it, and keeps every comment:
// 1.0 -> 1.1 -> 1.0, 1.1 -> 2.0 -> 1.1, 1.0 -> 2.0 -> 1.0, and the chain 1.0 -> 1.1 ->
// 2.0 -> 1.1 -> 1.0. The same runs from the unversioned (legacy 0) form of each document,
// which 0 -> 1.0 completes first.
func TestPropertyExactRoundTrips(t *testing.T) {
	n := 100
	if testing.Short() {
		n = 25
	}
	r := rand.New(rand.NewSource(9))
	var samples [][2][]byte
	for i := 0; i < n; i++ {
		g := &docGen{r: r}
		root := g.doc()
		v10 := encodeNode(t, root)
		starts := []struct {
			name string
			data []byte
		}{{"1.0", v10}}
		if i%4 == 0 {
			mdel(root, "schema_version")
			legacy := encodeNode(t, root)
			starts = append(starts, struct {
				name string
				data []byte
			}{"0", migrateTo(t, legacy, "1.0")})
		}
		for _, s := range starts {
			at10 := s.data
			at11 := migrateTo(t, at10, "1.1")
			at20 := migrateTo(t, at11, "2.0")
			back11 := migrateTo(t, at20, "1.1")
			back10 := migrateTo(t, back11, "1.0")
			sameData(t, s.name+": 1.0 -> 1.1 -> 1.0", at10, migrateTo(t, at11, "1.0"))
			sameData(t, s.name+": 1.1 -> 2.0 -> 1.1", at11, back11)
			sameData(t, s.name+": 1.0 -> 1.1 -> 2.0 -> 1.1 -> 1.0", at10, back10)
			sameData(t, s.name+": 1.0 -> 2.0 -> 1.0", at10, migrateTo(t, migrateTo(t, at10, "2.0"), "1.0"))
			sameComments(t, s.name+": 1.0 -> 1.1 -> 2.0 -> 1.1 -> 1.0", g.comments, at10, back10)
			if len(samples) < 40 {
				samples = append(samples, [2][]byte{at10, back10})
			}
		}
		if t.Failed() {
			t.Fatalf("document %d:\n%s", i, v10)
		}
	}
	crossCheckPyYAML(t, samples)
}

// crossCheckPyYAML loads sample pairs with the real yaml.safe_load and checks each pair
// is equal there too (provenance and schema_version aside), so that validate's model of
// PyYAML is not the only judge.
func crossCheckPyYAML(t *testing.T, pairs [][2][]byte) {
	py := testenv.Python(t, "yaml")
	dir := t.TempDir()
	var files []string
	for i, p := range pairs {
		for j, data := range p {
			f := filepath.Join(dir, fmt.Sprintf("%03d-%d.yaml", i, j))
			if err := os.WriteFile(f, data, 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
	}
	sort.Strings(files)
	const script = `
import sys, yaml
files = sys.argv[1:]
bad = 0
for a, b in zip(files[0::2], files[1::2]):
    x, y = (yaml.safe_load(open(f)) for f in (a, b))
    for d in (x, y):
        d.pop("provenance", None); d.pop("schema_version", None)
    if x != y:
        bad += 1
        print("differ:", a, b)
print("pairs", len(files) // 2, "bad", bad)
sys.exit(1 if bad else 0)
`
	out, err := exec.Command(py, append([]string{"-c", script}, files...)...).CombinedOutput()
	if err != nil {
		t.Errorf("PyYAML sees round trips that change the data: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("pairs %d bad 0", len(pairs))) {
		t.Errorf("PyYAML cross-check did not run over every pair:\n%s", out)
	}
}

// TestGeneratedVersionsAgree: for every shared checkpoint, the 2.0 sidecar generate writes,
// migrated down to 1.1 and 1.0, is the sidecar generate writes at that version (the
// provenance aside; at 1.0 also the checkpoint facts 1.0 cannot hold, dropped with
// AllowLossy), so the writer and the steps say the same thing. A 2.0 file whose model
// parts are unknown cannot go down (1.x requires them): the refusal names them.
func TestGeneratedVersionsAgree(t *testing.T) {
	var ckpts []string
	filepath.Walk("../testdata/outputs", func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, ".ckpt") {
			ckpts = append(ckpts, p)
		}
		return nil
	})
	compared := 0
	for _, c := range ckpts {
		build := func(v string) []byte {
			sc, err := generate.Build(c, generate.Options{Version: v, Now: fixedNow, ToolVersion: "0.0.0-test"})
			if err != nil {
				t.Fatalf("generate %s at %s: %v", c, v, err)
			}
			return sc.Data
		}
		at20 := build("2.0")
		for _, to := range []string{"1.1", "1.0"} {
			o := goldenOptions(to)
			o.AllowLossy = true // metrics.best (2.0) and, at 1.0, the checkpoint facts have no place there
			m, err := MigrateBytes(c+".metadata.yaml", at20, o)
			var re *RequiredError
			if errors.As(err, &re) {
				for _, f := range re.Fields {
					if !strings.HasPrefix(f, "/model/") && !strings.HasPrefix(f, "/metrics/mode") && !strings.HasPrefix(f, "/metrics/monitor") {
						t.Errorf("%s -> %s refused for %s", c, to, f)
					}
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s -> %s: %v", c, to, err)
			}
			sameData(t, c+" 2.0 -> "+to, build(to), m.Data)
			compared++
		}
	}
	if compared < 8 {
		t.Errorf("only %d comparisons", compared)
	}
}
