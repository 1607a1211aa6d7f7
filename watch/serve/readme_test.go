package serve

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ckptmeta/ckptmeta/internal/testenv"
)

// TestREADMEPrometheusConfig: the scrape config and alert rules the README gives are what
// Prometheus accepts (promtool parses the config, the rule file and every PromQL expression).
func TestREADMEPrometheusConfig(t *testing.T) {
	promtool := testenv.Command(t, "promtool", "prometheus")
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	found := map[string]bool{}
	for _, m := range regexp.MustCompile("(?s)```yaml\n# ([a-z-]+\\.yml)\n(.*?)```").FindAllStringSubmatch(string(readme), -1) {
		found[m[1]] = true
		if err := os.WriteFile(filepath.Join(dir, m[1]), []byte(m[2]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !found["prometheus.yml"] || !found["ckptmeta-rules.yml"] {
		t.Fatalf("README has no prometheus.yml and ckptmeta-rules.yml blocks (found %v)", found)
	}
	out, err := exec.Command(promtool, "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SUCCESS: 3 rules found") {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
}
