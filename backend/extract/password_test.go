package extract

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// passwordSamples are real password-protected files with their open
// password and a phrase of their text.
var passwordSamples = []struct {
	file     string
	password string
	want     string
	format   string // Document.Format once opened
}{
	{"pdf/pypdf__r2-user-password.pdf", "asdfzxcv", "pdf encryption test", "pdf"},
	{"pdf/pypdf__r4-aes-user-password.pdf", "asdfzxcv", "pdf encryption test", "pdf"},
	{"pdf/pypdf__r6-both-passwords.pdf", "foo", "pdf encryption test", "pdf"},
	{"pdf/pypdf__r6-both-passwords.pdf", "bar", "pdf encryption test", "pdf"}, // the owner password
	{"pdf/pdfjs__issue6010_1.pdf", "abc", "Issue 6010", "pdf"},
	{"pdf/pypdf__libreoffice-writer-password.pdf", "openpassword", "Lorem ipsum dolor sit amet", "pdf"},
	{"xls/tika__testEXCEL_protected_passtika.xls", "tika", "This is an Encrypted Excel spreadsheet.", "xls"},
	{"xls/msoffcrypto__xor_password_123456789012345.xls", "123456789012345", "1 | 1 | 1", "xls"},
	{"docx/tika__testWORD_protected_passtika.docx", "tika", "This is an encrypted Word 2007 File.", "docx"},
	{"xlsx/msoffcrypto__example_password.xlsx", "Password1234_", "lorem | ipsum", "xlsx"},
	{"doc/msoffcrypto__rc4cryptoapi_password.doc", "Password1234_", "lorem ipsum", "doc"},
	{"ppt/msoffcrypto__rc4cryptoapi_password.ppt", "Password1234_", "Lorem ipsum", "ppt"},
}

const testWrongPassword = "not-the-Pa55word"

func TestPasswordRight(t *testing.T) {
	for _, tt := range passwordSamples {
		t.Run(filepath.Base(tt.file)+"/"+tt.password, func(t *testing.T) {
			d, err := Extract(t.Context(), mixed(t, tt.file), Options{Password: tt.password})
			if err != nil {
				t.Fatalf("extract: %v", err)
			}
			if !strings.Contains(d.Text(), tt.want) {
				t.Errorf("text lacks %q: %.200q", tt.want, d.Text())
			}
			if d.Format != tt.format {
				t.Errorf("format %q, want %q", d.Format, tt.format)
			}
		})
	}
}

// passwordFiles are the sample files, each once (some open with two
// passwords).
func passwordFiles() []string {
	var out []string
	for _, tt := range passwordSamples {
		if !slices.Contains(out, tt.file) {
			out = append(out, tt.file)
		}
	}
	return out
}

func TestPasswordWrong(t *testing.T) {
	for _, file := range passwordFiles() {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := Extract(t.Context(), mixed(t, file), Options{Password: testWrongPassword})
			if !errors.Is(err, ErrWrongPassword) || !errors.Is(err, ErrEncrypted) {
				t.Fatalf("err %v, want ErrWrongPassword and ErrEncrypted", err)
			}
			if !strings.Contains(Reason(err), "the password is not correct") {
				t.Errorf("reason %q does not say the password is wrong", Reason(err))
			}
			if strings.Contains(err.Error(), testWrongPassword) {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestPasswordMissing(t *testing.T) {
	for _, file := range passwordFiles() {
		t.Run(filepath.Base(file), func(t *testing.T) {
			_, err := Extract(t.Context(), mixed(t, file), Options{})
			if !errors.Is(err, ErrEncrypted) || errors.Is(err, ErrWrongPassword) {
				t.Fatalf("err %v, want ErrEncrypted without ErrWrongPassword", err)
			}
			if !strings.Contains(Reason(err), "password") {
				t.Errorf("reason %q does not mention the password", Reason(err))
			}
		})
	}
}

// TestPasswordNotNeeded checks that a password does not get in the way
// of files that open without one.
func TestPasswordNotNeeded(t *testing.T) {
	for _, tt := range []struct{ file, want string }{
		{"pdf/pdfjs__tracemonkey.pdf", "Trace-based Just-in-Time"},
		{"xls/tika__testEXCEL.xls", ""},
		{"docx/tika__testWORD.docx", ""},
	} {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			plain, err := Extract(t.Context(), mixed(t, tt.file), Options{})
			if err != nil {
				t.Fatalf("extract without password: %v", err)
			}
			d, err := Extract(t.Context(), mixed(t, tt.file), Options{Password: testWrongPassword})
			if err != nil {
				t.Fatalf("extract with password: %v", err)
			}
			if d.Text() != plain.Text() {
				t.Errorf("text differs with a password given")
			}
			if !strings.Contains(d.Text(), tt.want) {
				t.Errorf("text lacks %q", tt.want)
			}
		})
	}
	// An encrypted PDF with an empty user password opens whatever
	// password is given.
	_, plainErr := Extract(t.Context(), mixed(t, "pdf/pdfjs__empty_protected.pdf"), Options{})
	_, err := Extract(t.Context(), mixed(t, "pdf/pdfjs__empty_protected.pdf"), Options{Password: testWrongPassword})
	if errors.Is(err, ErrEncrypted) || kindOf(err) != kindOf(plainErr) {
		t.Errorf("empty user password: err %v with a password, %v without", err, plainErr)
	}
}

func TestXORObfuscationKey(t *testing.T) {
	// The verifier of the built-in password, after [MS-OFFCRYPTO].
	if v := xorVerifier(xorPasswordBytes(xlsDefaultPassword)); v != 0x9A0A {
		t.Errorf("verifier %#04x, want 0x9a0a", v)
	}
	if got := xorPasswordBytes("abcdefghijklmnopq"); len(got) != 15 {
		t.Errorf("%d password bytes, want at most 15", len(got))
	}
}

func TestPDFIndirectEncrypt(t *testing.T) {
	if _, ok := pdfIndirectEncrypt([]byte("%PDF-1.4\ntrailer\n<</Size 3/Root 1 0 R/Encrypt 2 0 R>>\nstartxref\n9\n%%EOF\n")); ok {
		t.Error("rewrote a trailer whose /Encrypt is already a reference")
	}
	out, ok := pdfIndirectEncrypt([]byte("%PDF-1.4\ntrailer\n<</Size 3/Root 1 0 R/Encrypt<</Filter/Standard/O(a\\)b>>)>>>>\nstartxref\n9\n%%EOF\n"))
	if !ok {
		t.Fatal("did not rewrite a direct /Encrypt dictionary")
	}
	s := string(out)
	for _, want := range []string{"3 0 obj\n<</Filter/Standard/O(a\\)b>>)>>\nendobj", "/Encrypt 3 0 R", "/Size 4", "/Prev 9", "/Root 1 0 R"} {
		if !strings.Contains(s, want) {
			t.Errorf("update lacks %q:\n%s", want, s)
		}
	}
}
