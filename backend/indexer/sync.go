package indexer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/quarry-search/quarry/backend/chunk"
	"github.com/quarry-search/quarry/backend/embedder"
	"github.com/quarry-search/quarry/backend/extract"
	"github.com/quarry-search/quarry/backend/modelpool"
	"github.com/quarry-search/quarry/backend/models"
	"github.com/quarry-search/quarry/backend/qdrant"
	"github.com/quarry-search/quarry/backend/store"
	"github.com/quarry-search/quarry/backend/tokenizer"
	"github.com/quarry-search/quarry/backend/vecindex"
)

// A document on its way to the vector index: its chunks are stored (and
// keyword-searchable) already; the embedding stage gives them vectors.
type docWork struct {
	id       string
	sourceID int64
	path     string
	mimeType string
	modified time.Time
	rows     []store.ChunkRow
	// replace is set when rows were cut anew from the stored text: they
	// replace the stored chunks instead of gaining embeddings.
	replace bool
	// vectors are filled in by the embedding stage; embedded counts them.
	vectors  [][]float32
	embedded int
}

// run is one index/append operation over a collection: the stages below
// are its methods, sharing what the operation decided at its start.
type run struct {
	m    *Manager
	coll store.Collection
	c    *counters
	log  *slog.Logger
	// emb is nil while the collection's model cannot be used (missing,
	// downloading, failing to load): text is indexed, embedding waits.
	emb     *embedder.Service
	waiting string
	chunker *chunk.Chunker
	// chunkedWith names the chunker, so that chunks cut before the model
	// was there are re-cut when it arrives.
	chunkedWith string
	// sent lists the documents this run has handed to the embedding
	// stage, so that the catch-up pass does not embed them twice.
	sent sync.Map

	mu sync.Mutex
	// orphans lost their last path in this run; their vectors go once
	// the collection's vectors are loaded.
	orphans []string

	// unpackDir holds the members of archives and e-mails being indexed
	// (made by the walk when it meets the first one).
	unpackDir string
}

// newRun opens the collection's model if it can be used now, and
// otherwise asks for it in the background: indexing text never waits for
// a model.
func (m *Manager) newRun(ctx context.Context, coll store.Collection, c *counters) (*run, error) {
	r := &run{m: m, coll: coll, c: c, log: m.log.With("collection", coll.ID)}
	c.setPhase("loading model")
	emb, err := m.cfg.Embedders.Get(ctx, coll.ModelName)
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, modelpool.ErrMissing):
		m.cfg.Embedders.Request(coll.ModelName)
		r.waiting = waitingText(coll.ModelName, m.cfg.Embedders.State(coll.ModelName))
		r.log.Info("indexing text only; embedding waits for the model", "model", coll.ModelName, "err", err)
	case err != nil:
		r.waiting = fmt.Sprintf("semantic search waiting for %s: %v", displayName(coll.ModelName), err)
		r.log.Warn("indexing text only; the model does not load", "model", coll.ModelName, "err", err)
	default:
		info := emb.Info()
		if info.Dims != coll.EmbeddingDims {
			return nil, fmt.Errorf("model %s makes %d-dimensional vectors but the collection holds %d", coll.ModelName, info.Dims, coll.EmbeddingDims)
		}
		if err := m.cfg.Store.SetModelFingerprint(ctx, coll.ID, info.Fingerprint); err != nil {
			if !errors.Is(err, store.ErrFingerprintMismatch) {
				return nil, err
			}
			r.waiting = fmt.Sprintf("the installed %s differs from the one this collection was indexed with; reindex the collection to use it", coll.ModelName)
		} else {
			r.emb = emb
		}
	}
	if r.chunker, r.chunkedWith, err = chunkerFor(r.emb, coll); err != nil {
		return nil, err
	}
	return r, nil
}

// waitingText is what a collection says while its model is not there.
func waitingText(model string, st modelpool.State) string {
	name := displayName(model)
	switch st.State {
	case modelpool.Downloading:
		return fmt.Sprintf("semantic search waiting for %s (downloading %.0f %%)", name, st.Percent)
	case modelpool.Paused:
		return fmt.Sprintf("semantic search waiting for %s (download paused at %.0f %%)", name, st.Percent)
	case modelpool.Failed:
		return fmt.Sprintf("semantic search waiting for %s: %s", name, st.Error)
	}
	return fmt.Sprintf("semantic search waiting for %s (not installed)", name)
}

func displayName(model string) string {
	if m, ok := models.Lookup(model); ok && m.DisplayName != "" {
		return m.DisplayName
	}
	return model
}

// chunkerFor cuts text by the model's own tokens when the model is at
// hand; without it (or for word-vector models) by words. The name it
// returns says which, so the stored chunks can be re-cut later.
func chunkerFor(emb *embedder.Service, coll store.Collection) (*chunk.Chunker, string, error) {
	maxLen := 512
	var tok tokenizer.Tokenizer = words{}
	by := "words"
	if emb != nil {
		maxLen = emb.Info().MaxSeqLen
		if t := emb.Tokenizer(); t != nil {
			tok, by = t, "model:"+coll.ModelName
		}
	} else if m, ok := models.Lookup(coll.ModelName); ok {
		if m.MaxSeqLen > 0 {
			maxLen = m.MaxSeqLen
		}
		if m.Kind == models.KindStatic {
			by = "words"
		} else {
			// The model's tokenizer comes with the model; until then
			// words stand in for tokens and the chunks are re-cut.
			by = "words-for:" + coll.ModelName
		}
	}
	size := min(coll.ChunkSize, max(maxLen-2, 8))
	overlap := min(coll.ChunkOverlap, size/2)
	ch := &chunk.Chunker{Tokenizer: tok, Size: size, Overlap: overlap, MaxSeqLen: maxLen}
	return ch, fmt.Sprintf("%s/%d/%d", by, size, overlap), nil
}

// sourceRun is what the discovery stage learned about one source.
type sourceRun struct {
	src   store.Source
	known map[string]store.KnownPath
	seen  map[string]bool
	// paths, when not nil, limit the run to these files and folders of
	// the source (a watch's report); files under them that were not seen
	// are gone.
	paths []string
	// members lists the known paths inside each container file.
	members map[string][]string
}

// seeMembers marks the known members of the container at p (a file, or a
// member that is itself a container) as seen: the container is unchanged.
// It returns how many there are.
func (s *sourceRun) seeMembers(p string) int64 {
	if s.members == nil {
		s.members = map[string][]string{}
		for k := range s.known {
			if extract.IsMember(k) {
				file, _ := extract.SplitMember(k)
				s.members[file] = append(s.members[file], k)
			}
		}
	}
	file, _ := extract.SplitMember(p)
	var n int64
	for _, k := range s.members[file] {
		if strings.HasPrefix(k, p+extract.MemberSep) && !s.seen[k] {
			s.seen[k] = true
			n++
		}
	}
	return n
}

// within reports whether p is one of the run's paths or inside one.
func (s *sourceRun) within(p string) bool {
	if s.paths == nil {
		return true
	}
	for _, q := range s.paths {
		if under(p, q) {
			return true
		}
	}
	return false
}

// under reports whether path p is dir or inside it (a folder, or an
// archive or e-mail that holds files).
func under(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator)) || strings.HasPrefix(p, dir+extract.MemberSep)
}

// found is a file with the source it was found in.
type found struct {
	foundFile
	sourceID int64
	// fresh is set when the source has never held this path.
	fresh bool
}

// prepared is a document whose text is extracted and chunked, on its way
// to being committed with others in one round trip.
type prepared struct {
	f     found
	docID string
	res   extracted
	rows  []store.ChunkRow
}

// sync makes the collection match its folders (all, or the one the
// operation names), then embeds whatever text waits for vectors. Per-file
// problems fail that file with a reason; problems with the database or
// the vector index fail the operation.
func (r *run) sync(ctx context.Context, srcs []store.Source, cfg store.OpConfig) error {
	r.c.setPhase("indexing")
	defer func() {
		if r.unpackDir != "" {
			os.RemoveAll(r.unpackDir)
		}
	}()
	g, gctx := errgroup.WithContext(ctx)
	files := make(chan found, 64)
	toEmbed := make(chan *docWork, 8)
	embedded := make(chan *docWork, 8)
	var sources []*sourceRun

	// Stage 1: walk the folders, skipping files that have not changed. A
	// folder that is not there (unplugged, unmounted) is offline: its
	// documents stay, and nothing of it is looked at.
	if !cfg.EmbedOnly {
		for _, s := range srcs {
			sr := &sourceRun{src: s}
			if len(cfg.Paths) > 0 {
				sr.paths = []string{}
				for _, p := range cfg.Paths {
					if p == s.Path {
						sr.paths = nil // the whole source
						break
					}
					if under(p, s.Path) {
						sr.paths = append(sr.paths, p)
					}
				}
				if sr.paths != nil && len(sr.paths) == 0 {
					continue
				}
			}
			if !isDir(s.Path) {
				r.log.Warn("folder is offline; its documents stay as they are", "source", s.ID, "path", s.Path)
				continue
			}
			known, err := r.m.cfg.Store.SourcePaths(ctx, s.ID)
			if err != nil {
				return err
			}
			sr.known, sr.seen = known, make(map[string]bool, len(known))
			sources = append(sources, sr)
		}
	}
	g.Go(func() error {
		defer close(files)
		for _, s := range sources {
			if err := r.discover(gctx, s, files); err != nil {
				return err
			}
		}
		return nil
	})

	// Stage 2: record, deduplicate, extract, chunk and commit text, in
	// parallel; then catch up on text stored earlier without vectors.
	// Hashers read each file's content; files at new paths are recorded
	// many per statement by the attacher, others one by one (they may
	// replace a document); extractors cut text into chunks. Workers wait
	// on the disk and the database as much as they compute: more of them
	// than cores keeps both busy.
	workers := r.m.cfg.ExtractWorkers
	if workers <= 0 {
		workers = max(4, 2*runtime.NumCPU())
	}
	var inflight sync.Map
	textDone := make(chan struct{})
	commits := make(chan prepared, 64)
	committed := make(chan struct{})
	g.Go(func() error {
		defer close(committed)
		return r.commit(gctx, commits, toEmbed)
	})
	g.Go(func() error {
		defer close(toEmbed)
		stage, sctx := errgroup.WithContext(gctx)
		newFiles := make(chan found, 2*attachBatch)
		toExtract := make(chan attached, 64)
		var hashing sync.WaitGroup
		for range workers {
			hashing.Add(1)
			stage.Go(func() error {
				defer hashing.Done()
				for f := range files {
					if err := r.route(sctx, f, newFiles, &inflight, commits); err != nil {
						return err
					}
				}
				return nil
			})
		}
		go func() {
			hashing.Wait()
			close(newFiles)
		}()
		stage.Go(func() error {
			defer close(toExtract)
			return batches(sctx, newFiles, attachBatch, attachWait, func(batch []found) error {
				return r.attachNew(sctx, batch, toExtract)
			})
		})
		for range workers {
			stage.Go(func() error {
				for a := range toExtract {
					if err := r.process(sctx, a, &inflight, commits); err != nil {
						return err
					}
				}
				return nil
			})
		}
		err := stage.Wait()
		close(commits)
		<-committed
		close(textDone)
		if err != nil {
			return err
		}
		if gctx.Err() != nil {
			return gctx.Err()
		}
		if r.emb == nil {
			return nil
		}
		return r.catchUp(gctx, toEmbed)
	})

	// Stage 3: embed chunks in batches across documents, so the model
	// always has full batches while extraction runs ahead. Text goes
	// first: embedding starts once every file's text is committed, or
	// after a head start for long runs, so a new folder is keyword-
	// searchable as soon as the machine allows; what the embedding stage
	// had no room for meanwhile is embedded from PostgreSQL by the
	// catch-up pass.
	g.Go(func() error {
		defer close(embedded)
		if r.emb == nil {
			for range toEmbed {
			}
			return nil
		}
		head := time.NewTimer(textHeadStart)
		defer head.Stop()
		select {
		case <-textDone:
		case <-head.C:
		case <-gctx.Done():
			return gctx.Err()
		}
		return embedStage(gctx, r.emb, toEmbed, embedded, r.m.batcher(r.emb), &r.c.modelCalls)
	})

	// Stage 4: write vectors to PostgreSQL and the vector index, many
	// documents per round trip.
	g.Go(func() error {
		ready := false
		return batches(gctx, embedded, commitBatch, commitWait, func(batch []*docWork) error {
			if !ready {
				r.c.setPhase("writing vectors")
				if err := r.m.cfg.Index.WaitReady(gctx, r.coll.ID); err != nil {
					return err
				}
				if err := r.m.cfg.Index.Ensure(gctx, r.coll); err != nil {
					return err
				}
				ready = true
			}
			return r.writeVectors(gctx, batch)
		})
	})
	if err := g.Wait(); err != nil {
		return err
	}

	// Files that vanished from the folders leave the collection.
	for _, s := range sources {
		if s.paths == nil && !isDir(s.src.Path) {
			// The folder went away during the walk: nothing is deleted
			// for that.
			continue
		}
		var gone []string
		for p := range s.known {
			if !s.seen[p] && s.within(p) {
				gone = append(gone, p)
			}
		}
		if len(gone) > 0 {
			r.c.setPhase("removing deleted files")
			orphaned, err := r.m.cfg.Store.DetachPaths(ctx, r.coll.ID, gone)
			if err != nil {
				return err
			}
			r.c.filesRemoved.Add(int64(len(gone)))
			r.addOrphans(orphaned)
			r.log.Info("forgot files that are gone", "paths", len(gone), "documents", len(orphaned))
		}
	}
	// What a watch saw deleted and nothing brought back goes for good.
	hidden, err := r.m.cfg.Store.PurgeHidden(ctx, r.coll.ID)
	if err != nil {
		return err
	}
	r.c.filesRemoved.Add(int64(len(hidden)))
	r.addOrphans(hidden)
	if err := r.dropOrphans(ctx); err != nil {
		return err
	}
	for _, s := range sources {
		if err := r.m.cfg.Store.RefreshSourceCounts(ctx, s.src.ID, true); err != nil {
			return err
		}
	}
	r.c.setPhase("done")
	return nil
}

// discover walks one source.
func (r *run) discover(ctx context.Context, s *sourceRun, out chan<- found) error {
	visit := func(f foundFile) error {
		s.seen[f.Path] = true
		r.c.filesTotal.Add(1)
		if f.Err != nil {
			r.c.filesFailed.Add(1)
			r.log.Warn("file cannot be read", "path", f.Path, "err", f.Err)
			return nil
		}
		k, known := s.known[f.Path]
		if known && unchanged(k, f) {
			n := 1 + s.seeMembers(f.Path)
			r.c.filesTotal.Add(n - 1)
			r.c.filesSkipped.Add(n)
			return nil
		}
		if extract.MayContain(f.Path) {
			if err := r.unpack(ctx, s, &f, out); err != nil {
				return err
			}
		}
		select {
		case out <- found{foundFile: f, sourceID: s.src.ID, fresh: !known}:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if s.paths == nil {
		return walk(ctx, s.src.Path, r.m.cfg.ScanOptions, visit)
	}
	_, err := walkPaths(ctx, s.src.Path, s.paths, r.m.cfg.ScanOptions, visit)
	return err
}

// unpack sends the files inside an archive or e-mail (a file that may be
// one) on as documents of their own, unpacked to temporary files that go
// once each is handled. Members that have not changed are not written. A limit that stopped
// the unpacking is the container's reason to fail.
func (r *run) unpack(ctx context.Context, s *sourceRun, c *foundFile, out chan<- found) error {
	root, err := r.unpackRoot()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(root, "c-")
	if err != nil {
		return fmt.Errorf("unpack %s: %w", c.Path, err)
	}
	// The walk holds the folder until it is done; each member sent on
	// holds it until handled.
	var holds atomic.Int64
	holds.Store(1)
	release := func() {
		if holds.Add(-1) == 0 {
			os.RemoveAll(dir)
		}
	}
	defer release()
	modified := func(m extract.Member) time.Time {
		if m.Modified.IsZero() {
			return c.Modified
		}
		return m.Modified
	}
	// The folder's patterns and hidden-file rule apply inside archives
	// too.
	rules := r.m.cfg.ScanOptions.Scan()
	excluded := func(p string) bool {
		rel, err := filepath.Rel(s.src.Path, p)
		return err == nil && !rules.Keeps(filepath.ToSlash(rel))
	}
	skip := func(p string, m extract.Member) bool {
		if excluded(p) {
			return true
		}
		k, known := s.known[p]
		if !known || !unchanged(k, foundFile{Size: m.Size, Modified: modified(m)}) {
			return false
		}
		s.seen[p] = true
		n := 1 + s.seeMembers(p)
		r.c.filesTotal.Add(n)
		r.c.filesSkipped.Add(n)
		return true
	}
	lim := r.m.cfg.Unpack
	if lim.MaxMember <= 0 {
		// A member is held to the size limit files on disk are.
		lim.MaxMember = rules.MaxFileSize
	}
	err = extract.WalkMembers(ctx, c.Path, c.Path, dir, lim, skip, func(p string, m extract.Member, local string) error {
		if excluded(p) {
			if local != "" {
				os.Remove(local)
			}
			return nil
		}
		_, known := s.known[p]
		if known && local == "" && m.Reason == "" {
			return nil // unchanged, skipped
		}
		s.seen[p] = true
		r.c.filesTotal.Add(1)
		f := foundFile{Path: p, Size: m.Size, Modified: modified(m), Local: local, Reason: m.Reason}
		if local != "" {
			holds.Add(1)
			f.release = func() {
				// Only the member's own file: a nested archive's members
				// lie in its folder and may not have been handled yet.
				os.Remove(local)
				os.Remove(filepath.Dir(local))
				release()
			}
		}
		select {
		case out <- found{foundFile: f, sourceID: s.src.ID, fresh: !known}:
			return nil
		case <-ctx.Done():
			f.done()
			return ctx.Err()
		}
	})
	var e *extract.Error
	switch {
	case err == nil, errors.Is(err, extract.ErrNotContainer):
		// (A file named like an archive that is none is read as what
		// it is.)
	case errors.As(err, &e):
		c.Reason = extract.Reason(err)
	default:
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.log.Warn("archive cannot be unpacked", "path", c.Path, "err", err)
		c.Reason = "cannot be unpacked: " + err.Error()
	}
	return nil
}

// unpackRoot is the folder this run unpacks archives into, made on first
// use (by the walk, one goroutine) and removed when the run ends.
func (r *run) unpackRoot() (string, error) {
	if r.unpackDir != "" {
		return r.unpackDir, nil
	}
	base := r.m.cfg.UnpackDir
	if base == "" {
		base = os.TempDir()
	}
	err := os.MkdirAll(base, 0o700)
	if err == nil {
		r.unpackDir, err = os.MkdirTemp(base, "run-")
	}
	if err != nil {
		return "", fmt.Errorf("folder to unpack archives into: %w", err)
	}
	return r.unpackDir, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func (r *run) addOrphans(ids []string) {
	if len(ids) == 0 {
		return
	}
	r.mu.Lock()
	r.orphans = append(r.orphans, ids...)
	r.mu.Unlock()
}

// dropOrphans deletes the vectors of documents this run removed; it waits
// for the collection's vectors to be loaded, so it never races that load.
func (r *run) dropOrphans(ctx context.Context) error {
	r.mu.Lock()
	ids := r.orphans
	r.orphans = nil
	r.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	if err := r.m.cfg.Index.WaitReady(ctx, r.coll.ID); err != nil {
		return err
	}
	return r.m.cfg.Index.DeleteDocuments(ctx, r.coll, ids)
}

// unchanged reports whether a file is as it was when last handled.
func unchanged(k store.KnownPath, f foundFile) bool {
	if k.Status != "completed" && k.Status != "failed" {
		return false
	}
	// PostgreSQL keeps microseconds: compare at that precision, so that
	// an edit within the same second as the last indexing (same size, new
	// content) is not mistaken for no change.
	return k.Size == f.Size && k.Modified.Truncate(time.Microsecond).Equal(f.Modified.Truncate(time.Microsecond))
}

// attached is a recorded file on its way to extraction.
type attached struct {
	f   found
	att store.Attachment
}

// attachBatch is how many files at new paths are recorded per statement,
// and attachWait how long a partial batch waits for more.
const (
	attachBatch = 64
	attachWait  = 5 * time.Millisecond
)

// route reads a file's content hash and sends a file at a new path to
// the attacher; a file at a known path (changed) is recorded and
// processed here.
func (r *run) route(ctx context.Context, f found, fresh chan<- found, inflight *sync.Map, out chan<- prepared) error {
	r.c.setCurrent(f.Path)
	if err := f.hash(); err != nil {
		f.done()
		r.c.filesFailed.Add(1)
		r.log.Warn("file cannot be read", "path", f.Path, "err", err)
		return nil
	}
	if f.fresh {
		select {
		case fresh <- f:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	att, err := r.attachOne(ctx, f)
	if err != nil {
		return err
	}
	return r.process(ctx, attached{f, att}, inflight, out)
}

func fileInfo(f found) store.FileInfo {
	return store.FileInfo{SourceID: f.sourceID, Path: f.Path, Size: f.Size, Modified: f.Modified, MimeType: f.MimeType, Hash: f.Hash}
}

// attachOne records one file, deduplicating by content; a changed file
// may leave its old document without a path.
func (r *run) attachOne(ctx context.Context, f found) (store.Attachment, error) {
	att, err := r.m.cfg.Store.AttachFile(ctx, r.coll.ID, fileInfo(f))
	if err != nil {
		return att, err
	}
	r.addOrphans(att.Orphaned)
	return att, nil
}

// attachNew records files at paths the collection has never seen, many
// per statement; those whose content is known already are recorded one
// by one.
func (r *run) attachNew(ctx context.Context, batch []found, out chan<- attached) error {
	infos := make([]store.FileInfo, len(batch))
	for i, f := range batch {
		infos[i] = fileInfo(f)
	}
	ids, err := r.m.cfg.Store.AttachNewMany(ctx, r.coll.ID, infos)
	if err != nil {
		return err
	}
	for i, f := range batch {
		a := attached{f: f, att: store.Attachment{DocumentID: ids[i], Process: true}}
		if ids[i] == "" {
			if a.att, err = r.attachOne(ctx, f); err != nil {
				return err
			}
		}
		select {
		case out <- a:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// process extracts and chunks a recorded file whose content is new and
// hands it to the committer, which commits its text and chunks with other
// documents': from then on keyword search finds it. A file whose content
// the collection already holds only gained a path.
func (r *run) process(ctx context.Context, a attached, inflight *sync.Map, out chan<- prepared) error {
	defer a.f.done()
	if _, dup := inflight.LoadOrStore(a.att.DocumentID, true); dup || !a.att.Process {
		r.c.filesDone.Add(1)
		return nil
	}
	if a.f.Reason != "" {
		r.c.filesFailed.Add(1)
		return r.m.cfg.Store.FailDocument(ctx, a.att.DocumentID, a.f.Reason)
	}
	res, err := extractAndChunk(ctx, a.f.foundFile, r.chunker, r.m.cfg.OCR)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.c.filesFailed.Add(1)
		return r.m.cfg.Store.FailDocument(ctx, a.att.DocumentID, err.Error())
	}
	select {
	case out <- prepared{f: a.f, docID: a.att.DocumentID, res: res, rows: chunkRows(a.att.DocumentID, res.Chunks)}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// commitBatch is how many documents are committed per round trip, and
// commitWait how long a partial batch waits for more.
const (
	commitBatch = 32
	commitWait  = 20 * time.Millisecond
)

// commit writes prepared documents' text and chunks, many per round
// trip, then hands them to the embedding stage.
func (r *run) commit(ctx context.Context, in <-chan prepared, out chan<- *docWork) error {
	return batches(ctx, in, commitBatch, commitWait, func(batch []prepared) error {
		comps := make([]store.Completion, len(batch))
		for i, p := range batch {
			comps[i] = store.Completion{DocumentID: p.docID, Result: store.DocumentResult{
				MimeType: p.res.MimeType, PageCount: p.res.Pages, Meta: p.res.Meta, Chunks: p.rows,
				Text: p.res.Text, TextBytes: p.res.TextBytes, ChunkedWith: r.chunkedWith,
			}}
		}
		gone, err := r.m.cfg.Store.CompleteDocuments(ctx, r.coll.ID, comps)
		if err != nil {
			return err
		}
		for _, p := range batch {
			r.c.filesDone.Add(1)
			if slices.Contains(gone, p.docID) {
				continue // deleted meanwhile
			}
			r.c.chunks.Add(int64(len(p.rows)))
			r.c.bytes.Add(p.f.Size)
			if r.emb == nil {
				continue
			}
			// Text never waits for vectors: a document the embedding
			// stage has no room for now is embedded by the catch-up pass.
			d := &docWork{id: p.docID, sourceID: p.f.sourceID, path: p.f.Path, mimeType: p.res.MimeType, modified: p.f.Modified, rows: p.rows}
			select {
			case out <- d:
				r.sent.Store(p.docID, true)
			default:
			}
		}
		return nil
	})
}

// chunkRows turns chunks into rows without embeddings.
func chunkRows(docID string, chunks []chunk.Chunk) []store.ChunkRow {
	rows := make([]store.ChunkRow, len(chunks))
	for i, ck := range chunks {
		rows[i] = store.ChunkRow{
			Index: i, PointID: qdrant.PointID(docID, i), Text: ck.Text, TokenCount: ck.Tokens,
			PageStart: ck.PageStart, PageEnd: ck.PageEnd, CharStart: ck.Start, CharEnd: ck.End, Heading: ck.Heading,
		}
	}
	return rows
}

// catchUp hands the embedding stage every document whose text is stored
// without vectors (indexed while the model was missing, or interrupted
// between the two commits), re-cutting chunks that were cut by words for
// a model that counts tokens. Files are never opened again.
func (r *run) catchUp(ctx context.Context, out chan<- *docWork) error {
	after := ""
	for {
		batch, err := r.m.cfg.Store.UnembeddedDocuments(ctx, r.coll.ID, after, 256)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		r.c.setPhase("embedding stored text")
		var same []string
		for _, u := range batch {
			if _, done := r.sent.Load(u.ID); !done && u.ChunkedWith == r.chunkedWith {
				same = append(same, u.ID)
			}
		}
		stored, err := r.m.cfg.Store.ChunksOf(ctx, same)
		if err != nil {
			return err
		}
		for _, u := range batch {
			after = u.ID
			if _, done := r.sent.Load(u.ID); done {
				continue
			}
			d := &docWork{id: u.ID, sourceID: u.SourceID, path: u.Path, mimeType: u.MimeType, modified: u.Modified}
			if u.ChunkedWith == r.chunkedWith {
				d.rows = stored[u.ID]
			} else {
				raw, err := r.m.cfg.Store.DocumentText(ctx, u.ID)
				if err != nil {
					return err
				}
				blocks, err := decodeText(raw)
				if err != nil {
					return fmt.Errorf("stored text of %s: %w", u.Path, err)
				}
				chunks, err := r.chunker.Blocks(ctx, blocks)
				if err != nil {
					return fmt.Errorf("chunk %s: %w", u.Path, err)
				}
				d.rows, d.replace = chunkRows(u.ID, chunks), true
			}
			if len(d.rows) == 0 {
				continue
			}
			select {
			case out <- d:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}

// textHeadStart is how long committing text runs alone before embedding
// joins it.
const textHeadStart = 30 * time.Second

// batchWait is how long a partial batch waits for more chunks.
const batchWait = 100 * time.Millisecond

// embedStage embeds the chunks of incoming documents in batches that span
// documents (of the size the batcher measured best) and passes each
// document on once all its chunks have vectors. Chunks are gathered in a
// window of a few batches and embedded longest first, so that each batch
// holds chunks of similar length: a model pads a batch to its longest
// chunk, and a document's short last chunk no longer pays for a full one.
func embedStage(ctx context.Context, emb *embedder.Service, in <-chan *docWork, out chan<- *docWork, b *batcher, calls *atomic.Int64) error {
	type piece struct {
		d      *docWork
		i      int
		tokens int
		text   string
	}
	batch := b.size()
	var pending []*docWork // documents whose chunks are (partly) queued
	var pool []piece
	flush := func() error {
		slices.SortStableFunc(pool, func(a, b piece) int { return b.tokens - a.tokens })
		for len(pool) > 0 {
			part := pool[:min(batch, len(pool))]
			texts := make([]string, len(part))
			tokens := 0
			for j, p := range part {
				texts[j] = p.text
				tokens += p.tokens
			}
			t0 := time.Now()
			vecs, err := emb.Embed(ctx, texts, embedder.Document)
			if err != nil {
				return fmt.Errorf("embed: %w", err)
			}
			b.observe(batch, len(part), tokens, time.Since(t0))
			calls.Add(1)
			for j, p := range part {
				p.d.vectors[p.i] = vecs[j]
				p.d.embedded++
			}
			pool = pool[len(part):]
			batch = b.size()
		}
		pool = pool[:0]
		// Pass on every document that is complete, in order.
		n := 0
		for _, d := range pending {
			if d.embedded < len(d.rows) {
				break
			}
			select {
			case out <- d:
			case <-ctx.Done():
				return ctx.Err()
			}
			n++
		}
		pending = pending[n:]
		return nil
	}
	for {
		var d *docWork
		var ok bool
		if len(pool) == 0 {
			select {
			case d, ok = <-in:
			case <-ctx.Done():
				return ctx.Err()
			}
		} else {
			// A partial window waits briefly for more documents: full
			// batches keep the model busy; a lone document still goes
			// out quickly.
			select {
			case d, ok = <-in:
			case <-time.After(batchWait):
				if err := flush(); err != nil {
					return err
				}
				continue
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if !ok {
			return flush()
		}
		pending = append(pending, d)
		d.vectors, d.embedded = make([][]float32, len(d.rows)), 0
		for i, row := range d.rows {
			pool = append(pool, piece{d: d, i: i, tokens: max(row.TokenCount, 1), text: embedText(row)})
			if len(pool) >= sortWindow*batch {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if len(d.rows) == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

// sortWindow is how many batches of chunks are gathered and sorted by
// length before they are embedded.
const sortWindow = 4

// embedText is what the model sees of a stored chunk: its heading path
// and its passage, as chunk.Chunk.EmbedText makes it.
func embedText(row store.ChunkRow) string {
	return chunk.Chunk{Text: row.Text, Heading: row.Heading}.EmbedText()
}

// writeVectors stores documents' encoded embeddings in PostgreSQL, then
// their points in the vector index. PostgreSQL is written first: if the
// second write is lost, start-up reconciliation restores it.
func (r *run) writeVectors(ctx context.Context, docs []*docWork) error {
	prec := embedder.Precision(r.coll.Quantization)
	var saves []store.Embeddings
	var recut []store.Completion
	points := map[string][]qdrant.Point{}
	for _, d := range docs {
		pts := make([]qdrant.Point, len(d.rows))
		idx := make([]int, len(d.rows))
		encoded := make([][]byte, len(d.rows))
		for i := range d.rows {
			row := &d.rows[i]
			row.Embedding, row.Format = prec.Encode(d.vectors[i]), string(prec)
			idx[i], encoded[i] = row.Index, row.Embedding
			// The point carries the vector as stored (decoded from its
			// quantized bytes), so a rebuild from PostgreSQL reproduces
			// the index exactly.
			p, err := vecindex.Point(r.coll, store.StoredChunk{
				DocumentID: d.id, SourceID: d.sourceID, Index: row.Index, PointID: row.PointID, Path: d.path,
				MimeType: d.mimeType, Modified: d.modified, Embedding: row.Embedding, Format: row.Format,
			})
			if err != nil {
				return err
			}
			pts[i] = p
		}
		points[d.id] = pts
		if d.replace {
			recut = append(recut, store.Completion{DocumentID: d.id, Result: store.DocumentResult{Chunks: d.rows, ChunkedWith: r.chunkedWith}})
		} else {
			saves = append(saves, store.Embeddings{DocumentID: d.id, Indexes: idx, Encoded: encoded, Format: string(prec)})
		}
	}
	// Documents changed or deleted while they were embedded are left to
	// whoever changed them.
	stale, err := r.m.cfg.Store.SaveEmbeddingsMany(ctx, saves)
	if err != nil {
		return err
	}
	gone, err := r.m.cfg.Store.CompleteDocuments(ctx, r.coll.ID, recut)
	if err != nil {
		return err
	}
	var all []qdrant.Point
	n := 0
	for _, d := range docs {
		if slices.Contains(stale, d.id) || slices.Contains(gone, d.id) {
			continue
		}
		if d.replace {
			r.c.chunks.Add(int64(len(d.rows)))
		}
		all = append(all, points[d.id]...)
		n += len(d.rows)
	}
	if len(all) > 0 {
		if err := r.m.cfg.Index.Upsert(ctx, r.coll, all); err != nil {
			return err
		}
	}
	r.c.embedded.Add(int64(n))
	return nil
}
