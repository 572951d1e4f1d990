package registry

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// wholeLimit is the largest answer read whole inside a try: manifests,
// plan documents, token answers and small blobs.
const wholeLimit = 4 << 20

// wholeSmall reads an answer of known size up to wholeLimit whole within
// the round trip, so that an answer cut off half-way is an error of the try
// (io.ErrUnexpectedEOF, a reset) that the retries see, not of the caller's
// read after them. Larger answers are streamed as they come.
type wholeSmall struct{ base http.RoundTripper }

func (w wholeSmall) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := w.base.RoundTrip(req)
	if err != nil || req.Method == http.MethodHead || resp.ContentLength < 0 || resp.ContentLength > wholeLimit {
		return resp, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("reading the answer of %s: %w", req.URL.Host, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}
