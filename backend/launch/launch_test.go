package launch

import (
	"errors"
	"slices"
	"testing"
)

func TestCommand(t *testing.T) {
	have := func(progs ...string) func(string) (string, error) {
		return func(p string) (string, error) {
			if slices.Contains(progs, p) {
				return "/usr/bin/" + p, nil
			}
			return "", errors.New("not found")
		}
	}
	tests := []struct {
		name     string
		env      Env
		path     string
		page     int
		mime     string
		want     []string
		wantPage bool
	}{
		{"linux text", Env{GOOS: "linux", LookPath: have("evince")}, "/a/b.txt", 0, "text/plain", []string{"xdg-open", "/a/b.txt"}, false},
		{"linux pdf evince default", Env{GOOS: "linux", LookPath: have("evince"), DefaultPDF: "org.gnome.Evince.desktop"},
			"/a/b.pdf", 7, "application/pdf", []string{"/usr/bin/evince", "--page-index=7", "/a/b.pdf"}, true},
		{"linux pdf okular default", Env{GOOS: "linux", LookPath: have("okular"), DefaultPDF: "okularApplication_pdf.desktop"},
			"/a/b.pdf", 3, "", []string{"/usr/bin/okular", "--page", "3", "/a/b.pdf"}, true},
		{"linux pdf unknown viewer", Env{GOOS: "linux", LookPath: have("evince"), DefaultPDF: "firefox.desktop"},
			"/a/b.pdf", 3, "application/pdf", []string{"xdg-open", "/a/b.pdf"}, false},
		{"linux default viewer not installed", Env{GOOS: "linux", LookPath: have(), DefaultPDF: "org.gnome.Evince.desktop"},
			"/a/b.pdf", 3, "application/pdf", []string{"xdg-open", "/a/b.pdf"}, false},
		{"mac", Env{GOOS: "darwin"}, "/a/b.pdf", 3, "application/pdf", []string{"open", "/a/b.pdf"}, false},
		{"windows", Env{GOOS: "windows"}, `C:\a b\c.pdf`, 3, "application/pdf", []string{"cmd", "/c", "start", "", `C:\a b\c.pdf`}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, args, used := Command(tt.env, tt.path, tt.page, tt.mime)
			if got := append([]string{name}, args...); !slices.Equal(got, tt.want) || used != tt.wantPage {
				t.Errorf("Command = %q (page %v), want %q (page %v)", got, used, tt.want, tt.wantPage)
			}
		})
	}
}
