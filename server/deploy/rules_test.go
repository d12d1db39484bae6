package deploy

import (
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
)

// exported are the metrics the server exports on --admin-addr's /metrics
// (histograms by their base name), besides Go's and the process's.
var exported = map[string]bool{
	"backbeat_rpc_requests_total":        true,
	"backbeat_rpc_duration_seconds":      true,
	"backbeat_store_op_duration_seconds": true,
	"backbeat_store_op_errors_total":     true,
	"backbeat_queue_depth":               true,
	"backbeat_consumer_lag":              true,
	"backbeat_job_duration_seconds":      true,
	"backbeat_transcode_realtime_ratio":  true,
	"backbeat_search_duration_seconds":   true,
	"backbeat_refusals_total":            true,
	"backbeat_media_bytes_total":         true,
	"backbeat_breaker_state":             true,
	"backbeat_ready":                     true,
	// Prometheus's own, per scrape target.
	"up": true,
}

// TestAlertRules parses every rule file as Prometheus would load it
// (rulefmt, strict about fields, every expression through the PromQL
// parser), and checks each expression names only metrics the server
// exports or the files record, and that each alert has its section in the
// runbook, so an alert can neither watch a misspelt metric (silently never
// firing) nor page someone with nowhere to look.
func TestAlertRules(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("prometheus", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no rule files (%v)", err)
	}
	runbook, err := os.ReadFile(filepath.Join("..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	p := parser.NewParser(parser.Options{})
	var groups []rulefmt.RuleGroup
	for _, f := range files {
		rgs, errs := rulefmt.ParseFile(f, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
		for _, err := range errs {
			t.Error(err)
		}
		if rgs != nil {
			groups = append(groups, rgs.Groups...)
		}
	}
	recorded := map[string]bool{}
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
		}
	}
	alerts := 0
	for _, g := range groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				t.Errorf("%s: %v", name, err)
				continue
			}
			parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
				if vs, ok := n.(*parser.VectorSelector); ok && !known(vs.Name, recorded) {
					t.Errorf("%s: %s is neither exported by the server nor recorded here", name, vs.Name)
				}
				return nil
			})
			if r.Alert == "" {
				continue
			}
			alerts++
			want := "server/docs/operations.md#" + strings.ToLower(r.Alert)
			if got := r.Annotations["runbook"]; got != want {
				t.Errorf("%s: runbook annotation %q, want %q", r.Alert, got, want)
			}
			if !regexp.MustCompile(`(?m)^#+ ` + regexp.QuoteMeta(r.Alert) + `\s*$`).Match(runbook) {
				t.Errorf("%s has no section (a heading '### %s') in server/docs/operations.md", r.Alert, r.Alert)
			}
			if r.Labels["severity"] == "" {
				t.Errorf("%s has no severity label", r.Alert)
			}
		}
	}
	if alerts == 0 {
		t.Error("no alerts")
	}
}

// known reports whether a selected metric exists: exported (a histogram's
// _bucket, _count and _sum series too), recorded, or Go's and the process's.
func known(name string, recorded map[string]bool) bool {
	if exported[name] || recorded[name] || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
		return true
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] {
			return true
		}
	}
	return false
}
