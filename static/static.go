// Package static embeds freshet's front-end files: vendored, pinned htmx
// 2.0.11 and uPlot 1.6.32 (from npm, see vendor/), our CSS and a little
// JavaScript. Files are served under content-hashed names so browsers may
// cache them forever.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed vendor/*.js vendor/*.css app.css app.js favicon.svg
var files embed.FS

var (
	once   sync.Once
	byName map[string]string // "app.css" -> "app.1a2b3c4d5e.css"
	byHash map[string]string // reverse
)

func index() {
	byName, byHash = map[string]string{}, map[string]string{}
	fs.WalkDir(files, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(p)
		sum := sha256.Sum256(b)
		ext := path.Ext(p)
		hashed := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		byName[p], byHash[hashed] = hashed, p
		return nil
	})
}

// URL returns the cache-busting URL of an embedded file, e.g.
// URL("app.css") = "/static/app.1a2b3c4d5e.css". It panics on an unknown
// name, which tests catch.
func URL(name string) string {
	once.Do(index)
	h, ok := byName[name]
	if !ok {
		panic("static: no file " + name)
	}
	return "/static/" + h
}

// Handler serves /static/<hashed name> with a one-year immutable cache.
func Handler() http.Handler {
	once.Do(index)
	fsrv := http.FileServerFS(files)
	return http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := byHash[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/" + name
		fsrv.ServeHTTP(w, r2)
	}))
}
