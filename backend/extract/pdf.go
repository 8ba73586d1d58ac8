package extract

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// readPDF extracts the text layer page by page (Page = page number).
// Files the text reader cannot open are first decrypted (with
// Options.Password, else the empty user password) or repaired by pdfcpu
// and retried. Without any text layer the file fails with ErrNoText, or
// is OCRed when enabled.
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
		fixed, ferr := pdfcpuRewrite(data, encrypted, x.opts.Password)
		wrong := x.opts.Password != "" && errors.Is(ferr, pdfcpu.ErrWrongPassword)
		if wrong {
			// A file with an empty user password opens whatever was given.
			if f, err := pdfcpuRewrite(data, encrypted, ""); err == nil {
				fixed, ferr, wrong = f, nil, false
			}
		}
		if ferr != nil {
			fmsg := ferr.Error()
			switch {
			case wrong:
				return wrongPassword("password-protected PDF")
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
	pages := pdfPages(r)
	n := len(pages)
	if n == 0 {
		n = safePages(r)
	}
	if n == 0 {
		return failf(ErrCorrupt, "malformed PDF: no pages found")
	}
	x.doc.Meta.Pages = n
	x.pdfInfo(r)
	d := newPDFDoc()
	var pageErrs, unmappedPages int
	var lastErr error
	for i := 1; i <= n; i++ {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		var p pdf.Page
		if len(pages) > 0 {
			p = pages[i-1]
		} else {
			p = safePage(r, i)
		}
		text, unmapped, err := d.pageText(p, i)
		if unmapped > 0 && strings.TrimSpace(text) == "" {
			unmappedPages++
		}
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
	if unmappedPages > 0 {
		return failf(ErrNoText, "the text of %d of %d page(s) is drawn in fonts without a Unicode mapping; %s", unmappedPages, n, ocrState(x.opts))
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

func safePage(r *pdf.Reader, i int) (p pdf.Page) {
	defer func() {
		if recover() != nil {
			p = pdf.Page{}
		}
	}()
	return r.Page(i)
}

// pdfcpuRewrite decrypts (with password, tried as the user and the owner
// password; "" for an empty user password) or repairs a PDF into a fresh,
// unencrypted file.
func pdfcpuRewrite(data []byte, encrypted bool, password string) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("pdfcpu: %v", p)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	conf.UserPW, conf.OwnerPW = password, password
	var buf bytes.Buffer
	if encrypted {
		if fixed, ok := pdfIndirectEncrypt(data); ok {
			data = fixed
		}
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

// pdfPages lists the page dictionaries in order, walking the page tree
// once (pdf.Reader.Page walks it from the root for every page).
func pdfPages(r *pdf.Reader) (pages []pdf.Page) {
	defer func() {
		if recover() != nil {
			pages = nil
		}
	}()
	seen := make(map[uint32]bool)
	var walk func(v pdf.Value, parent uint32, depth int)
	walk = func(v pdf.Value, parent uint32, depth int) {
		if depth > 64 || len(pages) > 1<<20 {
			return
		}
		id := pdfObjectNumber(v)
		if id != 0 && id != parent { // a direct kid carries its parent's number
			if seen[id] {
				return
			}
			seen[id] = true
		}
		kids := v.Key("Kids")
		if v.Key("Type").Name() == "Page" || kids.Kind() != pdf.Array && v.Key("Type").Name() != "Pages" {
			pages = append(pages, pdf.Page{V: v})
			return
		}
		for i := 0; i < kids.Len(); i++ {
			walk(kids.Index(i), id, depth+1)
		}
	}
	walk(r.Trailer().Key("Root").Key("Pages"), 0, 0)
	return pages
}

// pageBox is the page's crop box (or media box), inherited through the
// page tree.
func pageBox(p pdf.Page) pdfBox {
	for _, key := range []string{"CropBox", "MediaBox"} {
		v := p.V
		for depth := 0; depth < 64 && v.Kind() == pdf.Dict; depth++ {
			if b := v.Key(key); b.Len() == 4 {
				x0, y0, x1, y1 := b.Index(0).Float64(), b.Index(1).Float64(), b.Index(2).Float64(), b.Index(3).Float64()
				if x1 < x0 {
					x0, x1 = x1, x0
				}
				if y1 < y0 {
					y0, y1 = y1, y0
				}
				if x1-x0 > 1 && y1-y0 > 1 {
					return pdfBox{x0, y0, x1, y1, true}
				}
				break
			}
			v = v.Key("Parent")
		}
	}
	return pdfBox{}
}

// pageText rebuilds the text of one page from its positioned glyphs
// (see layoutGlyphs). Glyphs come from the page's content stream, the
// form XObjects it draws and the appearance streams of its visible
// annotations (filled-in form fields); a content stream that breaks part
// way keeps the text read before the break.
// unmapped counts the glyphs drawn in fonts that give no text for them.
func (d *pdfDoc) pageText(p pdf.Page, i int) (s string, unmapped int, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = "", fmt.Errorf("page %d: %v", i, r)
		}
	}()
	if p.V.IsNull() {
		return "", 0, nil
	}
	w, err := d.walkPage(p)
	if err != nil && len(w.text) == 0 {
		return "", w.unmapped, fmt.Errorf("page %d: %w", i, err)
	}
	return layoutGlyphs(w.text, pageBox(p)), w.unmapped, nil
}
