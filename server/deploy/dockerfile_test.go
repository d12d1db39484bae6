package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestDockerfileCopiesWhatTheBuildNeeds checks the Dockerfile (which this
// machine cannot build: it has no Docker engine) against the module: its
// build stage copies every top-level directory server/cmd/backbeat is built
// from, and the runtime stage is non-root with a health check, like the
// image build.sh makes.
func TestDockerfileCopiesWhatTheBuildNeeds(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(b)
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./server/cmd/backbeat")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var need []string
	for _, dir := range strings.Fields(string(out)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency, downloaded in the image
		}
		top := strings.Split(filepath.ToSlash(rel), "/")[0]
		if !slices.Contains(need, top) {
			need = append(need, top)
		}
	}
	for _, top := range need {
		if !regexp.MustCompile(`(?m)^COPY ` + regexp.QuoteMeta(top) + `/ `).MatchString(df) {
			t.Errorf("the Dockerfile does not copy %s/, which the binary is built from", top)
		}
	}
	for _, want := range []string{"\nUSER 10001:10001\n", "\nHEALTHCHECK ", "AS build\n", "--from=build "} {
		if !strings.Contains(df, want) {
			t.Errorf("the Dockerfile lacks %q", strings.TrimSpace(want))
		}
	}
	script, err := os.ReadFile(filepath.Join("image", "build.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "uid=10001") {
		t.Error("build.sh's user is not the Dockerfile's (10001)")
	}
}
