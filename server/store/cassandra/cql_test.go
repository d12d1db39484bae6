package cassandra

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/backbeat/backbeat/cassandra/cql"
)

// schemaTables parses the migrations' CREATE TABLE statements into each
// table's partition key columns.
func schemaTables(t testing.TB) map[string][]string {
	t.Helper()
	tables := map[string][]string{}
	files, err := fs.Glob(cql.Files, "*.cql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migration files: %v", err)
	}
	for _, name := range files {
		b, err := fs.ReadFile(cql.Files, name)
		if err != nil {
			t.Fatal(err)
		}
		for _, stmt := range strings.Split(stripComments(string(b)), ";") {
			if d := dropTable.FindStringSubmatch(stmt); d != nil {
				delete(tables, d[1])
				continue
			}
			m := createTable.FindStringSubmatch(stmt)
			if m == nil {
				continue
			}
			pk := partitionKey(m[2])
			if len(pk) == 0 {
				t.Fatalf("%s: table %s: no partition key found", name, m[1])
			}
			tables[m[1]] = pk
		}
	}
	return tables
}

// dropTable matches a later migration's drop: the table is gone from the
// schema the package may use.
var dropTable = regexp.MustCompile(`(?is)DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?(\w+)`)

var createTable = regexp.MustCompile(`(?is)CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\((.*)\)`)

func stripComments(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// splitTop splits s at commas outside parentheses and angle brackets.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(', '<':
			depth++
		case ')', '>':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	return append(parts, strings.TrimSpace(s[start:]))
}

// partitionKey finds the partition key in a table's column definitions:
// "col type PRIMARY KEY", "PRIMARY KEY (col, ...)" or "PRIMARY KEY ((a, b), ...)".
func partitionKey(defs string) []string {
	// The body regexp is greedy up to the last ")", which may include the
	// WITH clause; cut it at the body's closing parenthesis.
	depth := 0
	for i, c := range defs {
		if c == '(' {
			depth++
		} else if c == ')' {
			if depth == 0 {
				defs = defs[:i]
				break
			}
			depth--
		}
	}
	for _, d := range splitTop(defs) {
		fields := strings.Fields(d)
		upper := strings.ToUpper(d)
		switch {
		case strings.HasPrefix(upper, "PRIMARY KEY"):
			inner := strings.TrimSpace(d[strings.Index(d, "(")+1 : strings.LastIndex(d, ")")])
			first := splitTop(inner)[0]
			first = strings.TrimSuffix(strings.TrimPrefix(first, "("), ")")
			var cols []string
			for _, c := range strings.Split(first, ",") {
				cols = append(cols, strings.TrimSpace(c))
			}
			return cols
		case strings.HasSuffix(upper, "PRIMARY KEY") && len(fields) > 0:
			return []string{fields[0]}
		}
	}
	return nil
}

// goCQL returns the CQL statements spelled in the package's Go files:
// string literals and constant concatenations of them, keyed by position.
func goCQL(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var parsed []*ast.File
	for _, name := range files {
		if name == "cql_test.go" {
			continue // its examples of bad statements are meant to be bad
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, n := range vs.Names {
					if i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[n.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			}
		}
	}
	var eval func(e ast.Expr) (string, bool)
	eval = func(e ast.Expr) (string, bool) {
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			s, ok := consts[e.Name]
			return s, ok
		case *ast.BinaryExpr:
			if e.Op != token.ADD {
				return "", false
			}
			l, ok1 := eval(e.X)
			r, ok2 := eval(e.Y)
			return l + r, ok1 && ok2
		case *ast.ParenExpr:
			return eval(e.X)
		}
		return "", false
	}
	out := map[string]string{}
	for _, f := range parsed {
		ast.Inspect(f, func(n ast.Node) bool {
			e, ok := n.(ast.Expr)
			if !ok {
				return true
			}
			switch e.(type) {
			case *ast.BasicLit, *ast.BinaryExpr:
			default:
				return true
			}
			s, ok := eval(e)
			if !ok {
				return true
			}
			if isCQL(s) {
				out[fset.Position(e.Pos()).String()] = s
			}
			return false
		})
	}
	return out
}

var cqlStart = regexp.MustCompile(`(?i)^\s*(SELECT|INSERT|UPDATE|DELETE|BEGIN|TRUNCATE|CREATE|ALTER|DROP)\s`)

func isCQL(s string) bool { return cqlStart.MatchString(s) }

var (
	selectFrom  = regexp.MustCompile(`(?is)^\s*SELECT\s.+?\sFROM\s+([\w.]+)`)
	deleteFrom  = regexp.MustCompile(`(?is)^\s*DELETE\s.*?FROM\s+([\w.]+)`)
	updateTable = regexp.MustCompile(`(?is)^\s*UPDATE\s+([\w.]+)`)
	insertInto  = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+([\w.]+)`)
	whereClause = regexp.MustCompile(`(?is)\sWHERE\s(.*?)(\sIF\s|\sLIMIT\s|\sORDER\s+BY\s|\sALLOW\s|$)`)
)

var (
	createIndex = regexp.MustCompile(`(?is)^\s*CREATE\s+(CUSTOM\s+)?INDEX\b`)
	createView  = regexp.MustCompile(`(?is)^\s*CREATE\s+MATERIALIZED\s+VIEW\b`)
	usingIndex  = regexp.MustCompile(`(?is)\bUSING\s+'[^']*(sai|sasi|index)[^']*'`)
)

// checkCQL returns what is wrong with one statement, "" if nothing.
func checkCQL(stmt string, tables map[string][]string) string {
	if strings.Contains(strings.ToUpper(strings.Join(strings.Fields(stmt), " ")), "ALLOW FILTERING") {
		return "uses ALLOW FILTERING"
	}
	// An index (secondary, SASI or SAI) makes a read ask every node of the
	// ring; a materialized view is a second table the cluster keeps in step
	// unreliably. The schema has a table per read path instead.
	switch {
	case createIndex.MatchString(stmt) || usingIndex.MatchString(stmt):
		return "creates an index: add a table for the read path instead"
	case createView.MatchString(stmt):
		return "creates a materialized view: add a table the store writes instead"
	}
	var table string
	needsKey := true
	for _, re := range []*regexp.Regexp{selectFrom, deleteFrom, updateTable, insertInto} {
		if m := re.FindStringSubmatch(stmt); m != nil {
			table, needsKey = m[1], re != insertInto
			break
		}
	}
	if table == "" {
		return ""
	}
	if strings.HasPrefix(table, "system") {
		return ""
	}
	if table == "gocqlx_migrate" || table == "migrate_lease" {
		// The migration runner's bookkeeping (one row per migration
		// file, read whole by Open's schema check) and its lease row,
		// created by the runner itself.
		return ""
	}
	pk, ok := tables[table]
	if !ok {
		return "names table " + table + ", which no migration creates"
	}
	if !needsKey {
		return ""
	}
	m := whereClause.FindStringSubmatch(stmt)
	if m == nil {
		return "has no WHERE clause: it would scan " + table
	}
	for _, col := range pk {
		if !regexp.MustCompile(`(?i)(^|[^\w.])` + regexp.QuoteMeta(col) + `\s*=`).MatchString(m[1]) {
			return "does not name partition key column " + col + " of " + table + " with ="
		}
	}
	return ""
}

// TestCQLSinglePartition checks every statement the package sends and every
// migration: no ALLOW FILTERING anywhere, and every SELECT, UPDATE and
// DELETE names its table's full partition key, so each is a single-partition
// operation.
func TestCQLSinglePartition(t *testing.T) {
	tables := schemaTables(t)
	for _, want := range []string{"users", "playlist_entries", "search_feed", "track_plays"} {
		if _, ok := tables[want]; !ok {
			t.Fatalf("schema parse found no table %s; found %v", want, slices.Sorted(func(yield func(string) bool) {
				for k := range tables {
					if !yield(k) {
						return
					}
				}
			}))
		}
	}
	if got := tables["track_plays"]; !slices.Equal(got, []string{"track_id", "shard"}) {
		t.Fatalf("track_plays partition key parsed as %q", got)
	}

	stmts := goCQL(t)
	if len(stmts) < 50 {
		t.Fatalf("found only %d CQL statements in the package; the scanner is broken", len(stmts))
	}
	for where, stmt := range stmts {
		if problem := checkCQL(stmt, tables); problem != "" {
			t.Errorf("%s: %s:\n\t%s", where, problem, stmt)
		}
	}

	files, _ := fs.Glob(cql.Files, "*.cql")
	for _, name := range files {
		b, _ := fs.ReadFile(cql.Files, name)
		for i, stmt := range strings.Split(string(b), ";") {
			if problem := checkCQL(stripComments(stmt), tables); problem != "" {
				t.Errorf("%s statement %d: %s", name, i+1, problem)
			}
		}
	}

	// The checker itself catches what it is for.
	for _, bad := range []string{
		`SELECT id FROM users`,
		`SELECT id FROM users WHERE username = ? ALLOW FILTERING`,
		`SELECT plays FROM track_plays WHERE track_id = ?`,
		`SELECT plays FROM track_plays WHERE track_id = ? AND shard IN ?`,
		`DELETE FROM playlist_entries WHERE pos = ?`,
		`UPDATE playlists SET name = ? WHERE owner_id = ?`,
		`SELECT id FROM no_such_table WHERE id = ?`,
		`CREATE INDEX IF NOT EXISTS ON users (email)`,
		`CREATE INDEX users_email ON users (email)`,
		`CREATE CUSTOM INDEX ON tracks (title) USING 'StorageAttachedIndex'`,
		`CREATE INDEX ON tracks (title) USING 'sai'`,
		`CREATE MATERIALIZED VIEW tracks_by_title AS SELECT * FROM tracks WHERE title IS NOT NULL AND id IS NOT NULL PRIMARY KEY (title, id)`,
		"CREATE\n  MATERIALIZED VIEW IF NOT EXISTS v AS SELECT id FROM users WHERE id IS NOT NULL PRIMARY KEY (id)",
	} {
		if checkCQL(bad, tables) == "" {
			t.Errorf("checker accepted %q", bad)
		}
	}
}

// TestMigrationsIdempotent: every schema statement can run again after a
// run that applied it without recording it (a crash, a timeout that still
// applied), and while another runner applies it: CREATE and ALTER ... ADD
// say IF NOT EXISTS (ALTER ... WITH and DROP ... IF EXISTS are idempotent as
// they are).
func TestMigrationsIdempotent(t *testing.T) {
	ifNotExists := regexp.MustCompile(`(?is)^\s*(CREATE\s+(TABLE|TYPE|FUNCTION|AGGREGATE)|ALTER\s+(TABLE|TYPE)\s+\w+\s+ADD)\s+IF\s+NOT\s+EXISTS\b`)
	needs := regexp.MustCompile(`(?is)^\s*(CREATE\b|ALTER\s+(TABLE|TYPE)\s+\w+\s+ADD\b)`)
	drop := regexp.MustCompile(`(?is)^\s*(DROP\s+\w+|ALTER\s+TABLE\s+\w+\s+DROP)\s`)
	dropIfExists := regexp.MustCompile(`(?is)^\s*(DROP\s+\w+|ALTER\s+TABLE\s+\w+\s+DROP)\s+IF\s+EXISTS\b`)
	files, _ := fs.Glob(cql.Files, "*.cql")
	for _, name := range files {
		b, _ := fs.ReadFile(cql.Files, name)
		for i, stmt := range splitStatements(string(b)) {
			stmt = strings.TrimSpace(stripComments(stmt))
			if needs.MatchString(stmt) && !ifNotExists.MatchString(stmt) {
				t.Errorf("%s statement %d is not idempotent (IF NOT EXISTS):\n\t%s", name, i+1, stmt)
			}
			if drop.MatchString(stmt) && !dropIfExists.MatchString(stmt) {
				t.Errorf("%s statement %d is not idempotent (IF EXISTS):\n\t%s", name, i+1, stmt)
			}
		}
	}
}

// TestMigrationComments guards the migration runner, which (like gocqlx's
// migrate before it) splits files at every semicolon, comments included.
func TestMigrationComments(t *testing.T) {
	files, _ := fs.Glob(cql.Files, "*.cql")
	for _, name := range files {
		b, _ := fs.ReadFile(cql.Files, name)
		for i, line := range strings.Split(string(b), "\n") {
			if c := strings.Index(line, "--"); c >= 0 && strings.Contains(line[c:], ";") {
				t.Errorf("%s:%d: semicolon in a comment", name, i+1)
			}
		}
	}
}
