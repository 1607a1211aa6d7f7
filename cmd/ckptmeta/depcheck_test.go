package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/ckptmeta/ckptmeta/"

// designGraph reads the package table of DESIGN.md: for each package, in table order (top
// to bottom), the module packages it may import.
func designGraph(t *testing.T) (order []string, allowed map[string][]string) {
	t.Helper()
	f, err := os.Open("../../DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := regexp.MustCompile("^\\| `([a-z/]+)` \\|.*\\|\\s*([a-z/, ]*?)\\s*\\|$")
	allowed = map[string][]string{}
	inTable := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			inTable = strings.HasPrefix(line, "## Packages")
			continue
		}
		m := row.FindStringSubmatch(line)
		if !inTable || m == nil {
			continue
		}
		var deps []string
		for _, d := range strings.Split(m[2], ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, d)
			}
		}
		order = append(order, m[1])
		allowed[m[1]] = deps
	}
	if len(order) < 5 {
		t.Fatalf("DESIGN.md: found %d package rows, the table moved or changed shape", len(order))
	}
	return order, allowed
}

// goImports lists each module package's imports of other module packages, from go list.
func goImports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], modulePath)
		got[pkg] = nil
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, modulePath) {
				got[pkg] = append(got[pkg], strings.TrimPrefix(imp, modulePath))
			}
		}
	}
	return got
}

// TestImportGraph holds the code to DESIGN.md's package table: every module package has a row,
// it imports exactly the packages its row names, and only packages below it in the table, so
// an upward import (or a cycle) fails here before it can land.
func TestImportGraph(t *testing.T) {
	order, allowed := designGraph(t)
	got := goImports(t)
	rank := map[string]int{}
	for i, p := range order {
		rank[p] = i
	}
	for pkg, imports := range got {
		want, ok := allowed[pkg]
		if !ok {
			t.Errorf("package %s has no row in DESIGN.md's package table", pkg)
			continue
		}
		for _, imp := range imports {
			if !slices.Contains(want, imp) {
				t.Errorf("%s imports %s, which DESIGN.md does not list for it", pkg, imp)
			}
			if r, ok := rank[imp]; ok && r <= rank[pkg] {
				t.Errorf("%s imports %s, which is not below it in DESIGN.md's table (an upward import)", pkg, imp)
			}
		}
		for _, w := range want {
			if !slices.Contains(imports, w) {
				t.Errorf("DESIGN.md says %s imports %s, but it does not: update the table", pkg, w)
			}
		}
	}
	for _, p := range order {
		if _, ok := got[p]; !ok {
			t.Errorf("DESIGN.md lists %s, which is not a package of the module", p)
		}
	}
}

// TestThirdPartyImports keeps the CLI framework in cmd, the pickle library in the
// checkpoint reader and the Prometheus client in watch/serve: the library does the work, cmd only maps flags to options.
func TestThirdPartyImports(t *testing.T) {
	confined := map[string]string{ // dependency prefix → the only package that may depend on it
		"github.com/spf13/":              "cmd/ckptmeta",
		"github.com/nlpodyssey/gopickle": "internal/ckpt",
		"github.com/prometheus/":         "watch/serve",
	}
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := strings.TrimPrefix(fields[0], modulePath)
		seen++
		for _, dep := range fields[1:] {
			for prefix, owner := range confined {
				if strings.HasPrefix(dep, prefix) && pkg != owner && !strings.HasPrefix(dep, modulePath) {
					// A package may reach gopickle only through internal/ckpt, client_golang only through watch/serve.
					if prefix != "github.com/spf13/" && slices.Contains(fields[1:], modulePath+owner) {
						continue
					}
					t.Errorf("%s depends on %s; only %s may", pkg, dep, owner)
				}
			}
		}
	}
	if seen < 5 {
		t.Fatalf("go list listed %d packages:\n%s", seen, out)
	}
}
