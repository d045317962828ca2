package ml_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRules enforces STYLE.md's import table: ml and its
// sub-packages import no app package and no I/O adapters; web never
// imports store.
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports", "github.com/freshet/freshet/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	const mod = "github.com/freshet/freshet/"
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkg := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			app := strings.TrimPrefix(imp, mod)
			isApp := app != imp
			switch {
			case pkg == "ml" || strings.HasPrefix(pkg, "ml/"):
				if isApp && app != "ml" && !strings.HasPrefix(app, "ml/") {
					t.Errorf("%s imports app package %s", pkg, app)
				}
				for _, banned := range []string{"database/sql", "net/http", "os/exec"} {
					if imp == banned {
						t.Errorf("%s imports %s: ml does no I/O", pkg, imp)
					}
				}
			case pkg == "web":
				if isApp && (app == "store" || app == "jobs" || app == "handlers") {
					t.Errorf("web imports %s", app)
				}
			case pkg == "store":
				if isApp && (app == "jobs" || app == "handlers" || app == "web") {
					t.Errorf("store imports %s", app)
				}
			}
			if isApp && (app == "handlers" || strings.HasPrefix(app, "cmd/")) && !strings.HasPrefix(pkg, "cmd/") {
				t.Errorf("%s imports %s; nothing but cmd may", pkg, app)
			}
		}
	}
}
