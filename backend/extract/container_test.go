package extract

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarry-search/quarry/backend/fixtures"
)

// walked is what WalkMembers passed for one member.
type walked struct {
	reason string
	text   string // the member's extracted text ("" when not unpacked)
}

func walkAll(t *testing.T, p string, lim Limits) (map[string]walked, error) {
	t.Helper()
	dir := t.TempDir()
	out := map[string]walked{}
	err := WalkMembers(t.Context(), p, filepath.Base(p), dir, lim, nil, func(shown string, m Member, local string) error {
		if _, dup := out[shown]; dup {
			t.Errorf("%s passed twice", shown)
		}
		w := walked{reason: m.Reason}
		if local != "" {
			if rel, err := filepath.Rel(dir, local); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s unpacked outside its folder: %s", shown, local)
			}
			if d, err := Extract(t.Context(), local, Options{}); err == nil {
				w.text = d.Text()
			} else {
				w.text = "error: " + Reason(err)
			}
		}
		out[shown] = w
		return nil
	})
	return out, err
}

// TestDatasetContainers unpacks the real archives and e-mails of the mixed
// set: every member is named as the document path shows it, with its text
// or the reason it is not unpacked.
func TestDatasetContainers(t *testing.T) {
	tests := []struct {
		file string
		want map[string]string // member path → a phrase of its text, or "!" + a phrase of its reason
		err  string
	}{
		{file: "archives/tika__test-documents.zip", want: map[string]string{
			"testPDF.pdf": "Apache Tika", "testWORD.doc": "Sample Word Document", "testEXCEL.xls": "Sample Excel Worksheet",
			"testPPT.ppt": "Sample Powerpoint Slide", "testOpenOffice2.odt": "This is a sample Open Office document",
			"testRTF.rtf": "", "testHTML.html": "", "testTXT.txt": "", "testXML.xml": ""}},
		{file: "archives/tika__test-documents.tgz", want: map[string]string{
			"test-documents/testPDF.pdf": "Apache Tika", "test-documents/testWORD.doc": "", "test-documents/testEXCEL.xls": "",
			"test-documents/testPPT.ppt": "", "test-documents/testOpenOffice2.odt": "", "test-documents/testRTF.rtf": "",
			"test-documents/testHTML.html": "", "test-documents/testTXT.txt": "", "test-documents/testXML.xml": ""}},
		{file: "archives/tika__test-nested-tarball.tar", want: map[string]string{
			"folderContainingTgz/inner/nested.tgz":                               "Compressed tar archive",
			"folderContainingTgz/inner/nested.tgz › folderWithinTgz/testTXT.txt": "Test d'indexation de Txt"}},
		{file: "archives/tika__test-zip-of-zip.zip", want: map[string]string{
			"html-within-zip.zip": "Zip archive holding 1 file", "html-within-zip.zip › text.html": ""}},
		{file: "archives/perl-archive-zip__crypt.zip", want: map[string]string{"decrypt.txt": "!password-protected file inside a zip archive"}},
		{file: "archives/tika__testZipEncrypted.zip", want: map[string]string{"unencrypted.txt": "", "encrypted.txt": "!password-protected"}},
		{file: "email/php-mime-mail-parser__issue274.eml", want: map[string]string{
			"Hello from SwiftMailer.docx": "Hello", "Hello from SwiftMailer.pdf": "Hello", "Hello from SwiftMailer.odt": "Hello",
			"Cours-Tutoriels-Serge-Tahé-1568x268.png":                      "error: image",
			"test-localhost.eml":                                           "Hello from SwiftMailer",
			"test-localhost.eml › Hello from SwiftMailer.docx":             "Hello",
			"test-localhost.eml › Hello from SwiftMailer.pdf":              "Hello",
			"test-localhost.eml › Hello from SwiftMailer.odt":              "Hello",
			"test-localhost.eml › Cours-Tutoriels-Serge-Tahé-1568x268.png": "error: image"}},
		{file: "email/php-mime-mail-parser__m0024", want: map[string]string{"Biodiversité de semaine en semaine.doc": "Biodiversité"}},
		{file: "email/mikel-mail__attachment_pdf.eml", want: map[string]string{"broken.pdf": "error: malformed PDF"}},
		{file: "email/tika__testMSG_att_msg.msg", want: map[string]string{"smbprn.00009008.KdcPjl.pdf": "", "Test Attachment.eml": "Blah blah blah"}},
		{file: "email/poi__58214_with_attachment.msg", want: map[string]string{"Test mail attachment.eml": "Subject: Test mail attachment"}},
		{file: "email/unstructured__fake-email-attachment.msg", want: map[string]string{"fake-attachment.txt": "Hey this is a fake attachment"}},
		{file: "email/tika__testThunderbirdEml.eml", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			p := mixed(t, tt.file)
			got, err := walkAll(t, p, Limits{})
			if err != nil {
				t.Fatalf("walk: %v", err)
			}
			base := filepath.Base(p)
			if len(got) != len(tt.want) {
				t.Errorf("%d members, want %d: %v", len(got), len(tt.want), got)
			}
			for name, phrase := range tt.want {
				w, ok := got[JoinMember(base, name)]
				switch {
				case !ok:
					t.Errorf("no member %q (have %v)", name, got)
				case strings.HasPrefix(phrase, "!"):
					if !strings.Contains(w.reason, phrase[1:]) {
						t.Errorf("%s: reason %q, want %q", name, w.reason, phrase[1:])
					}
				case w.reason != "":
					t.Errorf("%s not unpacked: %s", name, w.reason)
				case !strings.Contains(w.text, phrase) || (phrase == "" && w.text == ""):
					t.Errorf("%s: text %.200q, want %q", name, w.text, phrase)
				}
			}
		})
	}
}

// TestDecompressionBombStops: the real bomb-like archive (nine .tgz of
// 2.5 MB of repeated text each, 1.3 KB in all) has every inner archive
// stop with a reason instead of being unpacked in full.
func TestDecompressionBombStops(t *testing.T) {
	p := mixed(t, "archives/tika__TIKA-216.tgz")
	got, err := walkAll(t, p, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	stopped := 0
	for name, w := range got {
		if !IsMember(strings.TrimPrefix(name, filepath.Base(p)+MemberSep)) && strings.HasSuffix(name, ".tgz") {
			if !strings.Contains(w.reason, "decompression bombs work") {
				t.Errorf("%s: reason %q", name, w.reason)
			}
			stopped++
		}
	}
	if stopped != 9 {
		t.Errorf("%d inner archives stopped, want 9: %v", stopped, got)
	}
}

// TestUnpackLimits: each limit against archives built to exhaust the
// machine is a reason, never a crash or a full disk; hostile names stay
// inside the unpacking folder.
func TestUnpackLimits(t *testing.T) {
	kib := strings.Repeat("k", 1024)
	t.Run("member count", func(t *testing.T) {
		p := writeTemp(t, "many.zip", fixtures.Zip(t, "1.txt", "one", "2.txt", "two", "3.txt", "three", "4.txt", "four"))
		got, err := walkAll(t, p, Limits{MaxMembers: 3})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(Reason(err), "holds more than 3 files; only the first 3 were indexed") || len(got) != 3 {
			t.Errorf("err %v, %d members", err, len(got))
		}
	})
	t.Run("total size", func(t *testing.T) {
		p := writeTemp(t, "big.zip", fixtures.Zip(t, "a.txt", kib, "b.txt", kib, "c.txt", kib))
		got, err := walkAll(t, p, Limits{MaxTotal: 2500})
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(Reason(err), "unpacks to more than 2 KiB; the files from c.txt on were not indexed") || len(got) != 2 {
			t.Errorf("err %v, %v", err, got)
		}
	})
	t.Run("member size", func(t *testing.T) {
		p := writeTemp(t, "one.zip", fixtures.Zip(t, "huge.txt", kib+kib, "small.txt", "small"))
		got, err := walkAll(t, p, Limits{MaxMember: 1024})
		if err != nil || !strings.Contains(got["one.zip › huge.txt"].reason, "too large") || got["one.zip › small.txt"].text != "small" {
			t.Errorf("err %v, %v", err, got)
		}
	})
	t.Run("ratio", func(t *testing.T) {
		p := writeTemp(t, "bomb.zip", fixtures.Zip(t, "zeros.txt", strings.Repeat("0", 5<<20), "ok.txt", "fine"))
		got, err := walkAll(t, p, Limits{})
		if err != nil || !strings.Contains(got["bomb.zip › zeros.txt"].reason, "decompression bombs") || got["bomb.zip › ok.txt"].text != "fine" {
			t.Errorf("err %v, %v", err, got)
		}
	})
	t.Run("depth", func(t *testing.T) {
		deepest := fixtures.Zip(t, "x.txt", "bottom")
		p := writeTemp(t, "top.zip", fixtures.Zip(t, "mid.zip", string(fixtures.Zip(t, "low.zip", string(deepest)))))
		got, err := walkAll(t, p, Limits{MaxDepth: 2})
		if err != nil {
			t.Fatal(err)
		}
		if w := got["top.zip › mid.zip › low.zip"]; !strings.Contains(w.reason, "not unpacked (Quarry unpacks archives 2 deep)") {
			t.Errorf("too deep: %+v (%v)", w, got)
		}
		if _, ok := got["top.zip › mid.zip › low.zip › x.txt"]; ok {
			t.Error("a member below the depth limit was unpacked")
		}
	})
	t.Run("names", func(t *testing.T) {
		p := writeTemp(t, "names.zip", fixtures.Zip(t, "../../etc/passwd", "root", "/abs/path.txt", "abs", "same.txt", "1", "same.txt", "2",
			"dir/a › b.txt", "sep", "__MACOSX/._same.txt", "fork"))
		got, err := walkAll(t, p, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"names.zip › etc/passwd", "names.zip › abs/path.txt", "names.zip › same.txt", "names.zip › same (2).txt", "names.zip › dir/a > b.txt"} {
			if _, ok := got[want]; !ok {
				t.Errorf("no %q in %v", want, got)
			}
		}
		if len(got) != 5 {
			t.Errorf("%d members, want 5 (no resource forks): %v", len(got), got)
		}
	})
	t.Run("corrupt", func(t *testing.T) {
		b := fixtures.Zip(t, "a.txt", "alpha")
		p := writeTemp(t, "cut.zip", b[:len(b)-30])
		if _, err := walkAll(t, p, Limits{}); !errors.Is(err, ErrCorrupt) || !strings.Contains(Reason(err), "corrupt zip archive") {
			t.Errorf("err %v", err)
		}
	})
}

// TestStoredZipOfAPDF: a zip that stores a PDF uncompressed (the PDF
// header then lies near the zip's start) is an archive, not a PDF.
func TestStoredZipOfAPDF(t *testing.T) {
	pdf, err := os.ReadFile(mixed(t, "pdf/pdfjs__helloworld-bad.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "2019/report.pdf", Method: zip.Store})
	if err == nil {
		_, err = w.Write(pdf)
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	p := writeTemp(t, "papers.zip", b.Bytes())
	if k := Container(p); k != "zip" {
		t.Fatalf("container kind %q, want zip", k)
	}
	got, err := walkAll(t, p, Limits{})
	if err != nil || !strings.Contains(got["papers.zip › 2019/report.pdf"].text, "Hello, world!") {
		t.Errorf("members %v, %v", got, err)
	}
}

// TestMaterialize writes one nested member to a temporary file, and
// says so when it is no longer there.
func TestMaterialize(t *testing.T) {
	p := writeTemp(t, "outer.zip", fixtures.Zip(t, "in/inner.zip", string(fixtures.Zip(t, "note.txt", "deep note", "other.txt", "x"))))
	// The folder need not be there yet (the app clears it at start).
	dir := filepath.Join(t.TempDir(), "opened")
	local, cleanup, err := Materialize(t.Context(), JoinMember(JoinMember(p, "in/inner.zip"), "note.txt"), dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(local); err != nil || string(b) != "deep note" || filepath.Base(local) != "note.txt" {
		t.Errorf("%s: %q, %v", local, b, err)
	}
	cleanup()
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if _, _, err := Materialize(t.Context(), JoinMember(p, "gone.txt"), dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing member: %v", err)
	}
	if local, cleanup, err := Materialize(t.Context(), p, dir); err != nil || local != p {
		t.Errorf("plain file: %s, %v", local, err)
	} else {
		cleanup()
	}
}
