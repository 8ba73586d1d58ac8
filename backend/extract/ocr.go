package extract

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// OCR runs the tesseract command (never linked in): enable it with
// Options.OCR. Images are recognized directly; scanned PDFs through the
// images embedded in each page.

// tesseractPath returns the tesseract binary or "" when absent.
func tesseractPath(opts Options) string {
	if opts.TesseractPath != "" {
		if _, err := os.Stat(opts.TesseractPath); err == nil {
			return opts.TesseractPath
		}
		return ""
	}
	p, err := exec.LookPath("tesseract")
	if err != nil {
		return ""
	}
	return p
}

// OCRAvailable reports whether OCR can run with these options, and why not.
func OCRAvailable(opts Options) (bool, string) {
	if !opts.OCR {
		return false, "OCR is off"
	}
	if tesseractPath(opts) == "" {
		return false, "OCR unavailable: tesseract is not installed"
	}
	return true, ""
}

func ocrState(opts Options) string {
	if ok, why := OCRAvailable(opts); !ok {
		return why
	}
	return "OCR found no text"
}

// ocrFile recognizes one image file.
func (x *extraction) ocrFile(ctx context.Context, image string) (string, error) {
	bin := tesseractPath(x.opts)
	ctx, cancel := context.WithTimeout(ctx, x.opts.OCRPageTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, image, "stdout", "-l", x.opts.OCRLanguages)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("tesseract: %w", ctx.Err())
		}
		return "", fmt.Errorf("tesseract: %v: %s", err, strings.TrimSpace(lastLine(stderr.String())))
	}
	return out.String(), nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func readImage(x *extraction) error {
	if ok, why := OCRAvailable(x.opts); !ok {
		return failf(ErrNoText, "image (%s) has no text layer; %s", x.doc.MIME, why)
	}
	text, err := x.ocrFile(x.ctx, x.path)
	if err != nil {
		return fail(ErrNoText, "OCR failed: "+err.Error(), err)
	}
	x.doc.Meta.OCR = true
	return x.addParagraphs(text, KindParagraph, 0, nil)
}

// ocrPDF recognizes the images of each page of a PDF without a text layer.
func (x *extraction) ocrPDF(data []byte, pages int) error {
	if ok, why := OCRAvailable(x.opts); !ok {
		return failf(ErrNoText, "no text layer in %d page(s); %s", pages, why)
	}
	dir, err := os.MkdirTemp("", "quarry-ocr-")
	if err != nil {
		return fmt.Errorf("ocr temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	x.doc.Meta.OCR = true
	var lastErr error
	for i := 1; i <= pages; i++ {
		if err := x.ctx.Err(); err != nil {
			return err
		}
		imgs, err := x.pageImagesOrRender(dir, data, i)
		if err != nil {
			lastErr = err
			continue
		}
		var texts []string
		for k, img := range imgs {
			name := filepath.Join(dir, "p"+strconv.Itoa(i)+"-"+strconv.Itoa(k)+"."+img.ext)
			if err := os.WriteFile(name, img.data, 0o600); err != nil {
				return fmt.Errorf("ocr write image: %w", err)
			}
			t, err := x.ocrFile(x.ctx, name)
			if err != nil {
				lastErr = err
				continue
			}
			texts = append(texts, t)
		}
		if err := x.add(Block{Kind: KindPage, Text: strings.Join(texts, "\n\n"), Page: i}); err != nil {
			return err
		}
	}
	if len(x.doc.Blocks) == 0 {
		if lastErr != nil {
			return fail(ErrNoText, "OCR found no text: "+lastErr.Error(), lastErr)
		}
		return failf(ErrNoText, "no text layer and OCR found no text in %d page(s)", pages)
	}
	return nil
}

// pageImagesOrRender returns the page's embedded images tesseract can
// read; failing that, the page rendered by pdftoppm (poppler-utils) when
// it is installed.
func (x *extraction) pageImagesOrRender(dir string, data []byte, page int) ([]pdfImage, error) {
	imgs, err := pageImages(data, page)
	if err == nil && len(imgs) > 0 {
		return imgs, nil
	}
	bin, lerr := exec.LookPath("pdftoppm")
	if lerr != nil {
		if err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("page %d has no image tesseract can read (JBIG2/CCITT/raw); install pdftoppm (poppler-utils) to render pages", page)
	}
	src := filepath.Join(dir, "in.pdf")
	if _, serr := os.Stat(src); serr != nil {
		if werr := os.WriteFile(src, data, 0o600); werr != nil {
			return nil, fmt.Errorf("ocr write pdf: %w", werr)
		}
	}
	ctx, cancel := context.WithTimeout(x.ctx, x.opts.OCRPageTimeout)
	defer cancel()
	n := strconv.Itoa(page)
	prefix := filepath.Join(dir, "render-"+n)
	cmd := exec.CommandContext(ctx, bin, "-r", "300", "-gray", "-png", "-singlefile", "-f", n, "-l", n, src, prefix)
	if out, rerr := cmd.CombinedOutput(); rerr != nil {
		return nil, fmt.Errorf("pdftoppm page %d: %v: %s", page, rerr, lastLine(string(out)))
	}
	b, rerr := os.ReadFile(prefix + ".png")
	if rerr != nil {
		return nil, fmt.Errorf("pdftoppm page %d: %w", page, rerr)
	}
	return []pdfImage{{ext: "png", data: b}}, nil
}

type pdfImage struct {
	ext  string
	data []byte
}

// pageImages extracts the images of one page in a format tesseract reads.
func pageImages(data []byte, page int) (out []pdfImage, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("extract images: %v", p)
		}
	}()
	conf := model.NewDefaultConfiguration()
	conf.ValidationMode = model.ValidationRelaxed
	maps, err := api.ExtractImagesRaw(bytes.NewReader(data), []string{strconv.Itoa(page)}, conf)
	if err != nil && len(maps) == 0 {
		return nil, err
	}
	for _, m := range maps {
		for _, img := range m {
			if img.Thumb || img.IsImgMask && img.Width < 32 {
				continue
			}
			var buf bytes.Buffer
			if _, err := buf.ReadFrom(img.Reader); err != nil {
				continue
			}
			ext := img.FileType
			switch ext {
			case "png", "jpg", "jpeg", "tif", "tiff", "webp":
			default:
				continue
			}
			out = append(out, pdfImage{ext: ext, data: buf.Bytes()})
		}
	}
	return out, nil
}
