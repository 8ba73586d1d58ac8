//go:build unix

package quarry_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/quarry"
	"github.com/quarry-search/quarry/backend/service"
)

// BenchmarkWatch measures watched folders end to end on the real app
// (embedded PostgreSQL, GloVe, the vector engine): save → keyword-
// searchable over 20 saves, delete → gone over 10 deletions, 1,000 files
// dropped into the folder (against indexing the same files by adding
// them as a new folder), renaming a 500-file folder, and the CPU an idle
// watch of 10,000 files costs.
func BenchmarkWatch(b *testing.B) {
	for range b.N {
		opts := testOptions(b)
		opts.Logger = slog.New(slog.DiscardHandler)
		q, err := quarry.Start(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		svc, collID, dir := watchedCollection(b, q, 20)
		waitUntil := func(what string, cond func() bool) time.Duration {
			t0 := time.Now()
			for !cond() {
				if time.Since(t0) > 2*time.Minute {
					b.Fatalf("%s: not after 2 minutes", what)
				}
				time.Sleep(5 * time.Millisecond)
			}
			return time.Since(t0)
		}
		for waitState(svc, collID) != "watching" {
			time.Sleep(10 * time.Millisecond)
		}

		var saves, deletes []time.Duration
		for i := range 20 {
			word := fmt.Sprintf("savedword%dq", i)
			p := filepath.Join(dir, fmt.Sprintf("saved-%02d.txt", i))
			t0 := time.Now()
			writeFile(b, p, "A note saved with "+word+".\n")
			waitUntil("save", func() bool { return found(svc, collID, word, filepath.Base(p)) })
			saves = append(saves, time.Since(t0))
			settled(b, svc, collID)
		}
		for i := range 10 {
			word := fmt.Sprintf("savedword%dq", i)
			p := filepath.Join(dir, fmt.Sprintf("saved-%02d.txt", i))
			t0 := time.Now()
			if err := os.Remove(p); err != nil {
				b.Fatal(err)
			}
			waitUntil("delete", func() bool { return !found(svc, collID, word, filepath.Base(p)) })
			deletes = append(deletes, time.Since(t0))
			settled(b, svc, collID)
		}
		b.ReportMetric(pct(saves, 0.5).Seconds(), "save-median-s")
		b.ReportMetric(pct(saves, 0.95).Seconds(), "save-p95-s")
		b.ReportMetric(pct(deletes, 0.5).Seconds(), "delete-median-s")
		b.Logf("save → keyword-searchable, 20 saves: median %v, p95 %v, max %v", pct(saves, 0.5), pct(saves, 0.95), slices.Max(saves))
		b.Logf("delete → gone from search, 10 deletions: median %v, p95 %v, max %v", pct(deletes, 0.5), pct(deletes, 0.95), slices.Max(deletes))

		// 1,000 files dropped in, against the same files indexed as a new
		// folder of another collection.
		src := filepath.Join(b.TempDir(), "drop")
		for i := range 1000 {
			writeFile(b, filepath.Join(src, fmt.Sprintf("d%04d.txt", i)), fmt.Sprintf("Dropped note %d, marker dz%dx, about tides.\n", i, i))
		}
		other, err := svc.CreateCollection(b.Context(), service.CreateCollectionRequest{Name: "Reference", Model: "glove-6b-100d"})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if _, err := svc.AddSource(b.Context(), other.ID, service.AddSourceRequest{Path: src}); err != nil {
			b.Fatal(err)
		}
		indexing := waitUntil("reference index", func() bool {
			c, _ := svc.GetCollection(b.Context(), other.ID)
			return c.DocumentCount == 1000 && found(svc, other.ID, "dz999x", "d0999.txt")
		})
		settled(b, svc, other.ID)
		_ = time.Since(t0)
		t0 = time.Now()
		if err := os.Rename(src, filepath.Join(dir, "drop")); err != nil { // one move: files appear at once
			b.Fatal(err)
		}
		base, _ := svc.GetCollection(b.Context(), collID)
		dropMove := waitUntil("drop (move)", func() bool {
			c, _ := svc.GetCollection(b.Context(), collID)
			return c.DocumentCount == base.DocumentCount+1000 && found(svc, collID, "dz999x", "d0999.txt")
		})
		settled(b, svc, collID)
		opsMove := len(opsSince(svc, collID, t0))
		// The same number of files written one by one into the folder.
		t0 = time.Now()
		for i := range 1000 {
			writeFile(b, filepath.Join(dir, "drop2", fmt.Sprintf("e%04d.txt", i)), fmt.Sprintf("Copied note %d, marker ez%dx, about tides.\n", i, i))
		}
		written := time.Since(t0)
		dropCopy := waitUntil("drop (copy)", func() bool {
			c, _ := svc.GetCollection(b.Context(), collID)
			return c.DocumentCount == base.DocumentCount+2000 && found(svc, collID, "ez999x", "e0999.txt")
		}) + written
		settled(b, svc, collID)
		opsCopy := len(opsSince(svc, collID, t0))
		b.ReportMetric(dropMove.Seconds(), "drop1000-s")
		b.ReportMetric(indexing.Seconds(), "index1000-s")
		b.Logf("1,000 files: indexed as a new folder in %v; moved into the watched folder: all searchable after %v, %d operations; "+
			"written one by one (%v of writing): all searchable %v after the first write, %d operations",
			indexing.Round(time.Millisecond), dropMove.Round(time.Millisecond), opsMove, written.Round(time.Millisecond), dropCopy.Round(time.Millisecond), opsCopy)

		// Renaming a 500-file folder.
		for i := range 500 {
			writeFile(b, filepath.Join(dir, "alpha", fmt.Sprintf("p%03d.txt", i)), fmt.Sprintf("Project page %d, tag pj%dq.\n", i, i))
		}
		waitUntil("project folder", func() bool { return found(svc, collID, "pj499q", "p499.txt") })
		settled(b, svc, collID)
		t0 = time.Now()
		if err := os.Rename(filepath.Join(dir, "alpha"), filepath.Join(dir, "beta")); err != nil {
			b.Fatal(err)
		}
		renamed := waitUntil("rename", func() bool { return found(svc, collID, "pj499q", filepath.Join("beta", "p499.txt")) })
		settled(b, svc, collID)
		calls := 0.0
		for _, o := range opsSince(svc, collID, t0) {
			calls += o.Progress["model_calls"].(float64)
		}
		b.ReportMetric(calls, "rename500-model-calls")
		b.Logf("renaming a 500-file folder: found under the new name after %v, %v model calls", renamed.Round(time.Millisecond), calls)

		// An idle watch of 10,000 files.
		big := filepath.Join(dir, "big")
		for i := range 10_000 {
			writeFile(b, filepath.Join(big, fmt.Sprintf("g%02d", i/100), fmt.Sprintf("f%05d.txt", i)), fmt.Sprint("file ", i))
		}
		waitUntil("10k tree", func() bool {
			c, _ := svc.GetCollection(b.Context(), collID)
			return c.DocumentCount >= base.DocumentCount+2500+10_000
		})
		settled(b, svc, collID)
		time.Sleep(2 * time.Second)
		before := cpuTime()
		time.Sleep(20 * time.Second)
		idle := cpuTime() - before
		b.ReportMetric(float64(idle.Milliseconds())/20, "idle-cpu-ms-per-s")
		b.Logf("idle, watching %d files in %d folders: %v of CPU in 20 s (the whole Go process: watch, workers, search)", 10_000+2520, 102+4, idle)
		q.Close()
	}
}

func waitState(svc *service.Service, collID string) string {
	srcs, err := svc.ListSources(context.Background(), collID)
	if err != nil || len(srcs) == 0 {
		return ""
	}
	return srcs[0].WatchState
}

func pct(d []time.Duration, q float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(q*float64(len(s))))].Round(time.Millisecond)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
