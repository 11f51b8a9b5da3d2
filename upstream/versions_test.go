package upstream

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
)

func TestListVersions(t *testing.T) {
	var hits, fails atomic.Int32
	fails.Store(1) // one 503 first: ListVersions retries
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.RequestURI != "/@astrojs%2fnode" {
			http.NotFound(w, r)
			return
		}
		if !strings.Contains(r.Header.Get("Accept"), "application/vnd.npm.install-v1+json") {
			http.Error(w, "want the abbreviated packument", http.StatusNotAcceptable)
			return
		}
		if fails.Add(-1) >= 0 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{
			"name": "@astrojs/node",
			"dist-tags": {"latest": "10.0.0", "next": "11.0.0-beta.1"},
			"versions": {
				"10.0.0": {"deprecated": false},
				"9.5.5": {},
				"11.0.0-beta.1": {},
				"9.10.0": {"deprecated": "use 10"},
				"1.0.0": {"deprecated": ""},
				"v2.0.0": {},
				"0.0.0-islands-20240709194928": {}
			}
		}`))
	}))
	defer srv.Close()

	p, err := ListVersions(context.Background(), srv.URL, nil, mustAdapter(t, "node"))
	if err != nil {
		t.Fatal(err)
	}
	// Semver order (9.10.0 after 9.5.5; the pre-release before its release),
	// "v2.0.0" left out as not strict semver.
	want := []string{"0.0.0-islands-20240709194928", "1.0.0", "9.5.5", "9.10.0", "10.0.0", "11.0.0-beta.1"}
	if !reflect.DeepEqual(p.Versions, want) {
		t.Errorf("versions = %v, want %v", p.Versions, want)
	}
	if p.Latest != "10.0.0" || p.Package != "@astrojs/node" {
		t.Errorf("latest %q, package %q", p.Latest, p.Package)
	}
	if !reflect.DeepEqual(p.Deprecated, map[string]string{"9.10.0": "use 10"}) {
		t.Errorf("deprecated = %v", p.Deprecated)
	}
	if hits.Load() != 2 {
		t.Errorf("%d requests, want 2 (one retry)", hits.Load())
	}
}

func TestListVersionsErrors(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		want       string
	}{
		{"missing", `{"error":"Not found"}`, 404, "no such package (HTTP 404)"},
		{"forbidden", `{}`, 403, "HTTP 403"},
		{"garbage", `{"name":`, 200, "bad packument"},
		{"other package", `{"name":"@astrojs/vercel","versions":{"1.0.0":{}}}`, 200, `the packument is for "@astrojs/vercel"`},
		{"empty", `{"name":"@astrojs/node","versions":{}}`, 200, "no published versions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(c.status)
				_, _ = w.Write([]byte(c.body))
			}))
			defer srv.Close()
			_, err := ListVersions(context.Background(), srv.URL+"/", nil, mustAdapter(t, "node"))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "@astrojs/node") {
				t.Fatalf("err = %v, want one naming the package and containing %q", err, c.want)
			}
		})
	}
}
