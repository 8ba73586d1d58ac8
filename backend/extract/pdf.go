package extract

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/ledongthuc/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// readPDF extracts the text layer page by page (Page = page number).
// Files the text reader cannot open are first decrypted (empty user
// password) or repaired by pdfcpu and retried. Without any text layer the
// file fails with ErrNoText, or is OCRed when enabled.
func readPDF(x *extraction) error {
	data, err := x.readAll()
	if err != nil {
		return err
	}
	return x.readPDFData(data)
}

// readPDFData is readPDF on PDF bytes already in memory (a whole file or
// a PDF embedded in another format).
func (x *extraction) readPDFData(data []byte) error {
	r, err := openPDF(data)
	if err != nil {
		msg := err.Error()
		encrypted := strings.Contains(msg, "encrypt") || strings.Contains(msg, "password")
		fixed, ferr := pdfcpuRewrite(data, encrypted)
		if ferr != nil {
			fmsg := ferr.Error()
			switch {
			case strings.Contains(fmsg, "password") || strings.Contains(fmsg, "encrypt"):
				return fail(ErrEncrypted, "password-protected PDF: a password is required to open it", ferr)
			case encrypted:
				return fail(ErrEncrypted, "encrypted PDF this reader cannot decrypt ("+msg+")", err)
			}
			return fail(ErrCorrupt, "malformed PDF: "+msg, err)
		}
		r, err = openPDF(fixed)
		if err != nil {
			if encrypted {
				return fail(ErrEncrypted, "encrypted PDF this reader cannot decrypt ("+msg+")", err)
			}
			return fail(ErrCorrupt, "malformed PDF: "+msg, err)
		}
		data = fixed
	}
	n := safePages(r)
	if n == 0 {
		return failf(ErrCorrupt, "malformed PDF: no pages found")
	}
	x.doc.Meta.Pages = n
	x.pdfInfo(r)
	var pageErrs int
	var lastErr error
	for i := 1; i <= n; i++ {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		text, err := pageText(r, i)
		if err != nil {
			pageErrs++
			lastErr = err
			x.opts.Logger.Debug("pdf page unreadable", "path", x.path, "page", i, "err", err)
			continue
		}
		if err := x.add(Block{Kind: KindPage, Text: text, Page: i}); err != nil {
			return err
		}
	}
	if len(x.doc.Blocks) > 0 {
		return nil
	}
	if pageErrs == n {
		return fail(ErrCorrupt, fmt.Sprintf("malformed PDF: no page could be read (%v)", lastErr), lastErr)
	}
	if x.opts.OCR {
		return x.ocrPDF(data, n)
	}
	return failf(ErrNoText, "no text layer in %d page(s) (scanned or image-only?); %s", n, ocrState(x.opts))
}

func openPDF(data []byte) (r *pdf.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%v", p)
		}
	}()
	return pdf.NewReader(bytes.NewReader(data), int64(len(data)))
}

func safePages(r *pdf.Reader) (n int) {
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	return r.NumPage()
}

// pdfcpuRewrite decrypts (empty user password) or repairs a PDF into a
// fresh, unencrypted file.
func pdfcpuRewrite(data []byte, encrypted bool) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("pdfcpu: %v", p)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	var buf bytes.Buffer
	if encrypted {
		err = api.Decrypt(bytes.NewReader(data), &buf, conf)
	} else {
		err = api.Optimize(bytes.NewReader(data), &buf, conf)
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (x *extraction) pdfInfo(r *pdf.Reader) {
	defer func() { _ = recover() }()
	info := r.Trailer().Key("Info")
	if t := strings.TrimSpace(info.Key("Title").Text()); t != "" {
		x.doc.Title = t
	}
	x.doc.Meta.Author = strings.TrimSpace(info.Key("Author").Text())
	x.doc.Meta.Subject = strings.TrimSpace(info.Key("Subject").Text())
}

// pageText rebuilds the text of one page from positioned glyphs: a line
// break where the baseline moves, a space where the gap between glyphs is
// wider than a fraction of the font size (PDFs often draw no space
// characters at all). Glyphs come from the page's content stream, the form
// XObjects it draws and the appearance streams of its visible annotations
// (filled-in form fields); a content stream that breaks part way keeps
// the text read before the break.
func pageText(r *pdf.Reader, i int) (s string, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = "", fmt.Errorf("page %d: %v", i, p)
		}
	}()
	p := r.Page(i)
	if p.V.IsNull() {
		return "", nil
	}
	text, err := pageGlyphs(p)
	if err != nil && len(text) == 0 {
		return "", fmt.Errorf("page %d: %w", i, err)
	}
	var sb strings.Builder
	var prev pdf.Text
	k := 0
	for _, t := range text {
		if t.S == "\n" {
			continue
		}
		k++
		if k > 1 {
			fs := math.Max(math.Max(prev.FontSize, t.FontSize), 1)
			dy := math.Abs(t.Y - prev.Y)
			switch {
			case dy > fs*0.6:
				sb.WriteByte('\n')
			case prev.W > 0:
				gap := t.X - (prev.X + prev.W)
				if gap > fs*0.15 && !strings.HasSuffix(prev.S, " ") && !strings.HasPrefix(t.S, " ") {
					sb.WriteByte(' ')
				}
			}
		}
		sb.WriteString(t.S)
		prev = t
	}
	return sb.String(), nil
}
