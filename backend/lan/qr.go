package lan

import (
	"encoding/base64"
	"fmt"

	qrcode "github.com/skip2/go-qrcode"
)

// qrSize is the PNG's width and height in pixels: enough for a phone camera
// across a desk, small enough to inline in JSON.
const qrSize = 256

// QR returns a QR code of text as a "data:image/png;base64,…" URL that an
// <img> can show directly.
func QR(text string) (string, error) {
	png, err := qrcode.Encode(text, qrcode.Medium, qrSize)
	if err != nil {
		return "", fmt.Errorf("encode qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}
