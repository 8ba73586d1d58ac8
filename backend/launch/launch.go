// Package launch opens a file in the user's default application for its
// type, at a given page where the platform and the application allow it.
package launch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// ErrNotFound means the file is not there any more.
var ErrNotFound = errors.New("file not found")

// Env lets Command see the machine: which programs exist and which
// application opens PDFs by default. The zero value sees nothing.
type Env struct {
	GOOS string
	// LookPath finds a program; nil means none is found.
	LookPath func(string) (string, error)
	// DefaultPDF is the desktop entry of the default PDF viewer on Linux
	// ("org.gnome.Evince.desktop"), as `xdg-mime query default` says.
	DefaultPDF string
}

// pageViewers are Linux PDF viewers that accept a page on the command
// line, matched against the default viewer's desktop entry. xdg-open
// itself cannot pass a page, so a page is only honoured when the user's
// default viewer is one of these.
var pageViewers = []struct {
	entry, program string
	args           func(page int, path string) []string
}{
	{"evince", "evince", func(p int, f string) []string { return []string{"--page-index=" + strconv.Itoa(p), f} }},
	{"atril", "atril", func(p int, f string) []string { return []string{"--page-index=" + strconv.Itoa(p), f} }},
	{"okular", "okular", func(p int, f string) []string { return []string{"--page", strconv.Itoa(p), f} }},
	{"zathura", "zathura", func(p int, f string) []string { return []string{"--page=" + strconv.Itoa(p), f} }},
	{"xreader", "xreader", func(p int, f string) []string { return []string{"--page-index=" + strconv.Itoa(p), f} }},
	{"qpdfview", "qpdfview", func(p int, f string) []string { return []string{f + "#" + strconv.Itoa(p)} }},
}

// Command returns the program and arguments that open path (at page, when
// page > 0 and possible). pageUsed says whether the page is passed on.
func Command(env Env, path string, page int, mime string) (name string, args []string, pageUsed bool) {
	isPDF := mime == "application/pdf" || strings.EqualFold(filepath.Ext(path), ".pdf")
	switch env.GOOS {
	case "darwin":
		// Preview takes no page argument; `open` opens the file.
		return "open", []string{path}, false
	case "windows":
		// The empty title keeps `start` from taking a quoted path as one.
		return "cmd", []string{"/c", "start", "", path}, false
	}
	if isPDF && page > 0 && env.LookPath != nil {
		entry := strings.ToLower(env.DefaultPDF)
		for _, v := range pageViewers {
			if !strings.Contains(entry, v.entry) {
				continue
			}
			if p, err := env.LookPath(v.program); err == nil {
				return p, v.args(page, path), true
			}
		}
	}
	return "xdg-open", []string{path}, false
}

// LocalEnv describes this machine.
func LocalEnv(ctx context.Context) Env {
	env := Env{GOOS: runtime.GOOS, LookPath: exec.LookPath}
	if env.GOOS == "linux" {
		if out, err := exec.CommandContext(ctx, "xdg-mime", "query", "default", "application/pdf").Output(); err == nil {
			env.DefaultPDF = strings.TrimSpace(string(out))
		}
	}
	return env
}

// Open starts the application and does not wait for it. It reports
// whether the page was passed on.
func Open(ctx context.Context, path string, page int, mime string) (bool, error) {
	if _, err := os.Stat(path); err != nil {
		return false, fmt.Errorf("open %s: %w", path, ErrNotFound)
	}
	name, args, used := Command(LocalEnv(ctx), path, page, mime)
	// Not tied to ctx: the viewer outlives the request.
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		return false, fmt.Errorf("open %s with %s: %w", path, name, err)
	}
	// Reap the launcher (xdg-open, open and start return at once).
	go func() { _ = cmd.Wait() }()
	return used, nil
}
