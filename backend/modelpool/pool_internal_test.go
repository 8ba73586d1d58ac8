package modelpool

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/quarry-search/quarry/backend/models"
)

func TestDownloadProblemSaysWhatToDo(t *testing.T) {
	dns := &url.Error{Op: "Get", URL: "https://huggingface.co/x", Err: &net.DNSError{Err: "no such host", Name: "huggingface.co"}}
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("download: %w", dns), "no connection to the model server; Quarry tries again every 5 min"},
		{fmt.Errorf("x: %w", models.ErrChecksum), "did not match their pinned digests"},
		{errors.New("disk full"), "disk full"},
	} {
		got := downloadProblem(c.err, 5*time.Minute)
		if !strings.Contains(got, c.want) || strings.Contains(got, "huggingface.co") {
			t.Errorf("downloadProblem(%v) = %q, want it to say %q and no URL", c.err, got, c.want)
		}
	}
}
