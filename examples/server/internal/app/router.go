package app

import (
	"net/http"
	"slices"
	"strings"
)

// router is the server's http.ServeMux that also remembers the methods its patterns
// name ("GET /me/" names GET), so that CORS allows exactly the methods the routes use:
// a route added with PUT or DELETE is allowed cross-origin with no other change. A GET
// route also serves HEAD. A pattern without a method serves every method but adds none:
// name the method of a route meant for browsers on other origins.
type router struct {
	*http.ServeMux
	methods []string
}

// newRouter returns an empty router.
func newRouter() *router { return &router{ServeMux: http.NewServeMux()} }

// Handle registers handler for pattern, as http.ServeMux.Handle does (and panics as it
// does on a bad or conflicting pattern), and records its method.
func (r *router) Handle(pattern string, handler http.Handler) {
	r.ServeMux.Handle(pattern, handler)
	r.record(pattern)
}

// HandleFunc registers handler for pattern, as http.ServeMux.HandleFunc does, and
// records its method.
func (r *router) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	r.ServeMux.HandleFunc(pattern, handler)
	r.record(pattern)
}

// record adds the method of pattern, if it names one: ServeMux patterns are
// "[METHOD ][HOST]/[PATH]", the method separated by spaces or tabs.
func (r *router) record(pattern string) {
	i := strings.IndexAny(pattern, " \t")
	if i <= 0 { // no method: " /path" has none either
		return
	}
	method := pattern[:i]
	r.add(method)
	if method == http.MethodGet {
		r.add(http.MethodHead)
	}
}

// add records method once, keeping the list sorted.
func (r *router) add(method string) {
	if i, found := slices.BinarySearch(r.methods, method); !found {
		r.methods = slices.Insert(r.methods, i, method)
	}
}

// Methods returns the methods the registered patterns name, sorted, HEAD included with
// GET.
func (r *router) Methods() []string { return slices.Clone(r.methods) }
