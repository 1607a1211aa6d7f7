package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLibrariesDoNotImportCobra keeps the CLI framework out of the library packages: they
// do the work, cmd only maps flags to options (DESIGN.md).
func TestLibrariesDoNotImportCobra(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../schemas/...", "../../validate/...", "../../migrate/...", "../../generate/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/spf13/") {
			t.Errorf("a library package depends on %s", pkg)
		}
	}
	if !strings.Contains(string(out), "github.com/ckptmeta/ckptmeta/validate") {
		t.Fatalf("go list listed none of our packages:\n%s", out)
	}
}
