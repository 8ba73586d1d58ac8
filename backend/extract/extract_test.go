package extract

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/fixtures"
	"github.com/quarry-search/quarry/backend/testenv"
)

// sharedDir returns QUARRY_SHARED_DIR, or ../shared next to the module
// root; missing, the test is skipped (failed under QUARRY_REQUIRE_ALL=1).
func sharedDir(tb testing.TB) string {
	tb.Helper()
	return fixtures.Dir(tb)
}

func mixedDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "datasets", "mixed")
	if _, err := os.Stat(dir); err != nil {
		testenv.Missing(t, "dataset %s: %v", dir, err)
	}
	return dir
}

func mixed(t testing.TB, rel string) string {
	t.Helper()
	return filepath.Join(mixedDir(t), filepath.FromSlash(rel))
}

var typedErrors = []error{ErrEncrypted, ErrNoText, ErrUnsupported, ErrCorrupt, ErrTooLarge, ErrEmpty}

func kindOf(err error) string {
	for _, k := range typedErrors {
		if errors.Is(err, k) {
			return k.Error()
		}
	}
	return ""
}

// TestMixedCorpus extracts every file of the shared mixed dataset: each
// must yield text or a typed error with a reason, without panicking or
// hanging.
func TestMixedCorpus(t *testing.T) {
	root := mixedDir(t)
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 200 {
		t.Fatalf("found %d files in %s, want the full set", len(files), root)
	}
	type row struct{ format, outcome string }
	summary := map[row]int{}
	var lines []string
	for _, p := range files {
		rel, _ := filepath.Rel(root, p)
		if testing.Short() {
			if fi, err := os.Stat(p); err == nil && fi.Size() > 400<<10 {
				continue
			}
		}
		ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
		type result struct {
			doc *Document
			err error
		}
		done := make(chan result, 1)
		start := time.Now()
		go func() {
			d, err := Extract(ctx, p, Options{})
			done <- result{d, err}
		}()
		var res result
		select {
		case res = <-done:
		case <-time.After(45 * time.Second):
			cancel()
			t.Fatalf("%s: extraction hangs", rel)
		}
		cancel()
		elapsed := time.Since(start)
		format := filepath.Base(filepath.Dir(rel))
		if res.err != nil {
			kind := kindOf(res.err)
			if kind == "" {
				t.Errorf("%s: untyped error %v", rel, res.err)
				continue
			}
			if Reason(res.err) == "" {
				t.Errorf("%s: error without reason: %v", rel, res.err)
			}
			summary[row{format, "failed: " + res.err.Error()}]++
			lines = append(lines, fmt.Sprintf("%-70s %6s  FAIL %v", rel, elapsed.Round(time.Millisecond), res.err))
			continue
		}
		text := res.doc.Text()
		if strings.TrimSpace(text) == "" {
			t.Errorf("%s: success without text", rel)
		}
		summary[row{format, "ok"}]++
		lines = append(lines, fmt.Sprintf("%-70s %6s  ok   %s %d blocks %d bytes %.60q", rel, elapsed.Round(time.Millisecond), res.doc.Format, len(res.doc.Blocks), len(text), text))
	}
	if testing.Verbose() {
		for _, l := range lines {
			t.Log(l)
		}
		var rows []row
		for r := range summary {
			rows = append(rows, r)
		}
		sort.Slice(rows, func(i, j int) bool {
			if rows[i].format != rows[j].format {
				return rows[i].format < rows[j].format
			}
			return rows[i].outcome < rows[j].outcome
		})
		var sb strings.Builder
		sb.WriteString("\nformat     count  outcome\n")
		for _, r := range rows {
			fmt.Fprintf(&sb, "%-10s %5d  %s\n", r.format, summary[r], r.outcome)
		}
		t.Log(sb.String())
	}
}
