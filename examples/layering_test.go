// Package examples_test keeps the module's import graph layered, as DESIGN.md and the v1
// shape lay it out: imports point down only, from the examples on top to the packages at
// the bottom, and the webhook handler and the stores never link the JWT stack.
//
//	bottom     jwks, audit, orgctx, clerkauth/store
//	middle     clerkauth, clerkauth/internal/...
//	upper      clerkauth/machine, clerkauth/memstore, clerkauth/sqlstore,
//	           clerkauth/redisstore, webhook
//	test kits  clerkauth/clerkauthtest, clerkauth/store/storetest, audit/audittest
//	top        examples/...
//
// TestLayering reads the graph with `go list -deps -json ./...` from the module root and
// fails on any import that breaks the rules (see checkImport), on a package of the module
// the table does not place (a new package must be given its layer here), and on webhook or
// a store depending, even transitively, on golang-jwt or keyfunc. Only the packages' own
// imports are checked, not those of their tests: a test may use a kit or a fake from
// anywhere.
//
// The test lives here, in a package of test files only, because the top-level layout is
// fixed (clerkauth, jwks, webhook, orgctx, audit, examples) and examples is the one place
// at the top of the graph: nothing imports it, and it imports nothing of the module.
package examples_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// knownViolations lists violations of the layers that are accepted for now, each with
// why. TestLayering fails on a violation missing here and on one listed here that no
// longer occurs, so the list cannot rot: it only shrinks.
func knownViolations() []string {
	return nil
}

// layer is a row of the table in the package documentation, lowest first.
type layer int

const (
	bottom layer = iota
	middle
	upper
	testKit
	top
)

func (l layer) String() string {
	switch l {
	case bottom:
		return "bottom"
	case middle:
		return "middle"
	case upper:
		return "upper"
	case testKit:
		return "test kit"
	default:
		return "top"
	}
}

// layerOf places a package of the module by its path inside the module ("clerkauth/store").
// A path of the table ending in "/..." covers what is under it; the longest match wins.
func layerOf(pkg string) (layer, bool) {
	table := map[string]layer{
		"jwks": bottom, "audit": bottom, "orgctx": bottom, "clerkauth/store": bottom,

		"clerkauth": middle, "clerkauth/internal/...": middle,

		"clerkauth/machine": upper, "clerkauth/memstore": upper, "clerkauth/sqlstore": upper,
		"clerkauth/redisstore": upper, "webhook": upper,

		"clerkauth/clerkauthtest": testKit, "clerkauth/store/storetest": testKit, "audit/audittest": testKit,

		"examples": top, "examples/...": top,
	}
	if l, ok := table[pkg]; ok {
		return l, true
	}
	for p := pkg; ; {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return 0, false
		}
		p = p[:i]
		if l, ok := table[p+"/..."]; ok {
			return l, true
		}
	}
}

// jwtFree reports whether pkg must not depend on the JWT stack, even transitively: the
// webhook handler and the stores verify no tokens. They import the bottom layer only.
func jwtFree(pkg string) bool {
	switch pkg {
	case "webhook", "clerkauth/memstore", "clerkauth/sqlstore", "clerkauth/redisstore":
		return true
	}
	return false
}

// jwtStack returns the module paths of the JWT stack.
func jwtStack() []string {
	return []string{"github.com/golang-jwt/jwt", "github.com/MicahParks/keyfunc"}
}

// checkImport returns why from may not import to (both paths inside the module), or "".
func checkImport(from, to string) string {
	lf, _ := layerOf(from)
	lt, _ := layerOf(to)
	switch {
	case strings.HasPrefix(to, from+"/"):
		if lt > lf {
			return "its subpackage is in a higher layer (" + lt.String() + ")"
		}
		return "" // its own subpackage, such as an internal helper
	case jwtFree(from) && lt != bottom:
		return "webhook and the stores import the bottom layer only (clerkauth/store for the records and contracts), not " + lt.String()
	case lf == testKit && lt > middle:
		return "a test kit imports the bottom and middle layers only, not " + lt.String()
	case lf == testKit:
		return ""
	case lt < lf:
		return ""
	case lt > lf:
		return "an upward import (" + lf.String() + " to " + lt.String() + ")"
	case from == "orgctx" && to == "audit":
		return "" // the one allowed import within a layer: orgctx annotates audit records
	case lf == top && exampleOf(from) == exampleOf(to):
		return "" // one example program's own packages
	default:
		return "an import within the " + lf.String() + " layer"
	}
}

// exampleOf returns the example a package of examples/ belongs to ("examples/server").
func exampleOf(pkg string) string {
	parts := strings.SplitN(pkg, "/", 3)
	if len(parts) < 2 {
		return pkg
	}
	return parts[0] + "/" + parts[1]
}

// pkgInfo is what the test reads of `go list -json`.
type pkgInfo struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Module     *struct {
		Path string
		Main bool
	}
}

// violations returns every violation of the rules in pkgs (`go list -deps` of the whole
// module), as "unknown package P", "P imports Q" and "P links M", each with its reason.
func violations(pkgs []pkgInfo) map[string]string {
	module := ""
	for _, p := range pkgs {
		if p.Module != nil && p.Module.Main {
			module = p.Module.Path
			break
		}
	}
	// rel returns path inside the module ("." for its root), or false for another module.
	rel := func(path string) (string, bool) {
		switch {
		case module == "":
			return "", false
		case path == module:
			return ".", true
		case strings.HasPrefix(path, module+"/"):
			return path[len(module)+1:], true
		}
		return "", false
	}
	found := map[string]string{}
	for _, p := range pkgs {
		from, ok := rel(p.ImportPath)
		if !ok {
			continue
		}
		if _, known := layerOf(from); !known {
			found["unknown package "+from] = "the layer table does not place it"
			continue
		}
		for _, imp := range p.Imports {
			to, ok := rel(imp)
			if !ok {
				continue
			}
			if _, known := layerOf(to); !known {
				continue // reported as unknown itself
			}
			if why := checkImport(from, to); why != "" {
				found[from+" imports "+to] = why
			}
		}
		if !jwtFree(from) {
			continue
		}
		for _, stack := range jwtStack() {
			for _, dep := range p.Deps {
				if dep == stack || strings.HasPrefix(dep, stack+"/") {
					found[from+" links "+stack] = "through " + dep + ": webhook and the stores never link the JWT stack"
					break
				}
			}
		}
	}
	return found
}

// listModule runs `go list -deps -json ./...` at the module root.
func listModule(t *testing.T) []pkgInfo {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	require.NoError(t, err, "go env GOMOD")
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,Deps,Module", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "go list: %s", stderr.String())
	var pkgs []pkgInfo
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p pkgInfo
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func TestLayering(t *testing.T) {
	pkgs := listModule(t)
	found := violations(pkgs)
	require.NotEmpty(t, pkgs)
	checked := 0
	for _, p := range pkgs {
		if strings.HasPrefix(p.ImportPath, "github.com/unioneyes/authkit/") {
			checked++
		}
	}
	require.Greater(t, checked, 10, "the module's packages were listed")

	known := knownViolations()
	for _, v := range slices.Sorted(maps.Keys(found)) {
		assert.True(t, slices.Contains(known, v), "a new violation of the layers: %s: %s", v, found[v])
	}
	for _, v := range known {
		_, ok := found[v]
		assert.True(t, ok, "%q no longer occurs: remove it from knownViolations", v)
	}
}

// The rules themselves, on a made-up graph: what they must let through and what they
// must refuse.
func TestLayeringRules(t *testing.T) {
	const mod = "example.com/m"
	pkg := func(path string, imports []string, deps ...string) pkgInfo {
		p := pkgInfo{ImportPath: mod + "/" + path, Deps: deps}
		if path == "" {
			p.ImportPath = mod
		}
		for _, i := range imports {
			p.Imports = append(p.Imports, mod+"/"+i)
		}
		p.Imports = append(p.Imports, "net/http", "github.com/some/lib")
		p.Module = &struct {
			Path string
			Main bool
		}{Path: mod, Main: true}
		return p
	}
	for _, tc := range []struct {
		name string
		pkg  pkgInfo
		want []string // the violations, none for an allowed graph
	}{
		{"down from the middle", pkg("clerkauth", []string{"jwks", "audit", "orgctx", "clerkauth/store", "clerkauth/internal/jsonscan"}), nil},
		{"down from the top", pkg("examples/server/internal/app", []string{"clerkauth", "webhook", "clerkauth/clerkauthtest", "orgctx"}), nil},
		{"an example's own packages", pkg("examples/server/loadtest", []string{"examples/server/internal/app"}), nil},
		{"a machine verifier", pkg("clerkauth/machine", []string{"clerkauth", "clerkauth/internal/jsonscan", "audit"}), nil},
		{"a store", pkg("clerkauth/sqlstore", []string{"clerkauth/store"}, "database/sql"), nil},
		{"webhook", pkg("webhook", []string{"clerkauth/store", "audit", "orgctx"}), nil},
		{"orgctx to audit", pkg("orgctx", []string{"audit"}), nil},
		{"test kits", pkg("clerkauth/clerkauthtest", []string{"clerkauth", "jwks"}), nil},
		{"the storetest kit", pkg("clerkauth/store/storetest", []string{"clerkauth/store"}), nil},
		{"the test-only package", pkg("examples", nil), nil},

		{"upward", pkg("jwks", []string{"clerkauth"}), []string{"jwks imports clerkauth"}},
		{"audit to orgctx", pkg("audit", []string{"orgctx"}), []string{"audit imports orgctx"}},
		{"within the bottom", pkg("clerkauth/store", []string{"jwks"}), []string{"clerkauth/store imports jwks"}},
		{"within the upper layer", pkg("clerkauth/redisstore", []string{"webhook", "clerkauth/store"}), []string{"clerkauth/redisstore imports webhook"}},
		{"a store on clerkauth", pkg("clerkauth/memstore", []string{"clerkauth"}), []string{"clerkauth/memstore imports clerkauth"}},
		{"webhook on clerkauth", pkg("webhook", []string{"clerkauth"}), []string{"webhook imports clerkauth"}},
		{"down to a subpackage in a higher layer", pkg("clerkauth", []string{"clerkauth/memstore"}), []string{"clerkauth imports clerkauth/memstore"}},
		{"a middle internal package on its parent", pkg("clerkauth/internal/jsonscan", []string{"clerkauth"}), []string{"clerkauth/internal/jsonscan imports clerkauth"}},
		{"a library on a kit", pkg("clerkauth/machine", []string{"clerkauth/clerkauthtest"}), []string{"clerkauth/machine imports clerkauth/clerkauthtest"}},
		{"a kit on a store", pkg("clerkauth/store/storetest", []string{"clerkauth/memstore"}), []string{"clerkauth/store/storetest imports clerkauth/memstore"}},
		{"a kit on a kit", pkg("audit/audittest", []string{"clerkauth/clerkauthtest"}), []string{"audit/audittest imports clerkauth/clerkauthtest"}},
		{"a library on an example", pkg("webhook", []string{"examples/chi"}), []string{"webhook imports examples/chi"}},
		{"one example on another", pkg("examples/chi", []string{"examples/service"}), []string{"examples/chi imports examples/service"}},
		{"unknown", pkg("internal/idquote", nil), []string{"unknown package internal/idquote"}},
		{"unknown under a known one", pkg("webhook/dedupetest", []string{"webhook"}), []string{"unknown package webhook/dedupetest"}},
		{"the module root", pkg("", nil), []string{"unknown package ."}},
		{"the JWT stack in webhook", pkg("webhook", nil, "github.com/golang-jwt/jwt/v5", "github.com/MicahParks/keyfunc/v3"),
			[]string{"webhook links github.com/golang-jwt/jwt", "webhook links github.com/MicahParks/keyfunc"}},
		{"the JWT stack in a store", pkg("clerkauth/redisstore", nil, "github.com/golang-jwt/jwt"), []string{"clerkauth/redisstore links github.com/golang-jwt/jwt"}},
		{"a look-alike module", pkg("webhook", nil, "github.com/golang-jwt/jwtx", "github.com/MicahParks/keyfuncs/v1"), nil},
		{"the JWT stack in clerkauth", pkg("clerkauth", nil, "github.com/golang-jwt/jwt/v5"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := violations([]pkgInfo{tc.pkg})
			got := make([]string, 0, len(found))
			for v, why := range found {
				assert.NotEmpty(t, why, v)
				got = append(got, v)
			}
			assert.ElementsMatch(t, tc.want, got)
		})
	}

	// Another module's packages are not checked.
	other := pkg("jwks", []string{"clerkauth"})
	other.Module.Main = false
	assert.Empty(t, violations([]pkgInfo{pkg("examples", nil), {ImportPath: "example.org/x/jwks", Imports: []string{"example.org/x/clerkauth"}}}))
	assert.Empty(t, violations([]pkgInfo{other}), "no main module")
}
