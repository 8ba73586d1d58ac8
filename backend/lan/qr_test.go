package lan

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
)

func TestQR(t *testing.T) {
	const prefix = "data:image/png;base64,"
	got, err := QR("https://192.168.1.5:8788")
	if err != nil {
		t.Fatalf("QR: %v", err)
	}
	if !strings.HasPrefix(got, prefix) {
		t.Fatalf("QR = %.40q…, want prefix %q", got, prefix)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(got, prefix))
	if err != nil {
		t.Fatalf("decode base64: %v", err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("decode png: %v", err)
	}
	if b := img.Bounds(); b.Dx() != qrSize || b.Dy() != qrSize {
		t.Errorf("image is %dx%d, want %dx%d", b.Dx(), b.Dy(), qrSize, qrSize)
	}
}

func TestQRBadInput(t *testing.T) {
	for name, text := range map[string]string{
		"empty":    "",
		"too long": strings.Repeat("x", 4000), // beyond version 40 at Medium
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := QR(text); err == nil {
				t.Errorf("QR = %.40q…, want an error", got)
			}
		})
	}
}
