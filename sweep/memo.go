package sweep

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"sync"
)

// memoize returns a client that answers repeated GETs of a packument (a
// registry URL with no "/-/" tarball path) from memory: a sweep loads the
// same packument once per version. Tarballs, errors and every other request
// go to the network as before.
func memoize(c *http.Client) *http.Client {
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	out := *c
	out.Transport = &packumentMemo{base: base, docs: map[string]*memoDoc{}}
	return &out
}

type packumentMemo struct {
	base http.RoundTripper
	mu   sync.Mutex
	docs map[string]*memoDoc // by URL and Accept header
}

type memoDoc struct {
	once   sync.Mutex // held while the first request is in flight
	body   []byte
	header http.Header
}

func (m *packumentMemo) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method != http.MethodGet || strings.Contains(req.URL.Path, "/-/") {
		return m.base.RoundTrip(req)
	}
	key := req.URL.String() + "\x00" + req.Header.Get("Accept")
	m.mu.Lock()
	d, ok := m.docs[key]
	if !ok {
		d = &memoDoc{}
		m.docs[key] = d
	}
	m.mu.Unlock()

	d.once.Lock()
	defer d.once.Unlock()
	if d.body == nil {
		resp, err := m.base.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			return resp, err // not kept: the caller retries as usual
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, err
		}
		d.body, d.header = body, resp.Header.Clone()
	}
	return &http.Response{
		Status:        "200 OK",
		StatusCode:    http.StatusOK,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        d.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(d.body)),
		ContentLength: int64(len(d.body)),
		Request:       req,
	}, nil
}
