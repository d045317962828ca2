package sampling

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestPure keeps the package pure: its non-test files import only the
// standard library (no I/O packages) and the ml domain package.
func TestPure(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	banned := []string{"os", "io", "io/fs", "io/ioutil", "bufio", "net", "database/sql", "syscall", "unsafe", "log", "log/slog"}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			switch {
			case path == "github.com/freshet/freshet/ml":
			case strings.Contains(first, "."):
				t.Errorf("%s imports %s: only the standard library and ml", name, path)
			case slicesContains(banned, path) || strings.HasPrefix(path, "net/") || strings.HasPrefix(path, "os/"):
				t.Errorf("%s imports %s: the package does no I/O", name, path)
			}
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
