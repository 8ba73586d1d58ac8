package store_test

import (
	"context"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

// dumpSchema renders tables, columns, constraints, indexes and enums in a
// stable text form.
func dumpSchema(t *testing.T, url string) string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var b strings.Builder
	queries := []struct{ title, sql string }{
		{"enums", `SELECT t.typname || ': ' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
			FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
			JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'
			GROUP BY t.typname ORDER BY t.typname`},
		{"columns", `SELECT table_name || '.' || column_name || ' ' ||
				CASE WHEN data_type = 'USER-DEFINED' THEN udt_name ELSE data_type END ||
				CASE WHEN is_nullable = 'NO' THEN ' not null' ELSE '' END ||
				coalesce(' default ' || column_default, '') ||
				CASE WHEN is_identity = 'YES' THEN ' identity' ELSE '' END
			FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
			ORDER BY table_name, ordinal_position`},
		{"constraints", `SELECT conrelid::regclass::text || ' ' || conname || ': ' || pg_get_constraintdef(oid)
			FROM pg_constraint WHERE connamespace = 'public'::regnamespace
			AND conrelid::regclass::text <> 'schema_migrations'
			ORDER BY conrelid::regclass::text, conname`},
		{"indexes", `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
			AND tablename <> 'schema_migrations' ORDER BY tablename, indexname`},
	}
	for _, q := range queries {
		rows, err := conn.Query(ctx, q.sql)
		if err != nil {
			t.Fatalf("%s: %v", q.title, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", q.title, err)
		}
		b.WriteString("## " + q.title + "\n")
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

func TestMigrationsPinSchema(t *testing.T) {
	url := testenv.EmptyDatabase(t)
	if err := store.Migrate(url); err != nil {
		t.Fatalf("up: %v", err)
	}
	got := dumpSchema(t, url)
	const golden = "testdata/schema.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("schema differs from %s (-want +got); if intended, run go test ./backend/store -run PinSchema -update:\n%s", golden, diff)
	}
}

func TestMigrationsUpDownUp(t *testing.T) {
	url := testenv.EmptyDatabase(t)
	if err := store.Migrate(url); err != nil {
		t.Fatalf("first up: %v", err)
	}
	first := dumpSchema(t, url)
	if err := store.MigrateDown(url); err != nil {
		t.Fatalf("down: %v", err)
	}
	if got := dumpSchema(t, url); got != "## enums\n## columns\n## constraints\n## indexes\n" {
		t.Errorf("down left objects behind:\n%s", got)
	}
	if err := store.Migrate(url); err != nil {
		t.Fatalf("second up: %v", err)
	}
	if diff := cmp.Diff(first, dumpSchema(t, url)); diff != "" {
		t.Errorf("schema after up/down/up differs (-first +second):\n%s", diff)
	}
	v, dirty, err := store.SchemaVersion(url)
	if err != nil || dirty || v == 0 {
		t.Errorf("SchemaVersion = %d, dirty %v, err %v; want clean, > 0", v, dirty, err)
	}
	// Idempotent: a second up on a current schema is not an error.
	if err := store.Migrate(url); err != nil {
		t.Errorf("up on current schema: %v", err)
	}
}

func TestLocalUserExists(t *testing.T) {
	s := testenv.Store(t)
	id, err := s.LocalUserID(t.Context())
	if err != nil || id == 0 {
		t.Fatalf("LocalUserID = %d, %v", id, err)
	}
}
