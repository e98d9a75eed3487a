package app

import (
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/unioneyes/authkit/jwks"
	"github.com/unioneyes/authkit/orgctx"
)

// devGuard lets through only requests that a developer on this machine sent directly:
// in dev mode anyone who gets a request through /dev/token can sign in as anyone, and
// /dev/webhook can delete any user. It refuses (403, or 415 for the body type):
//
//   - a TCP peer that is not a loopback address (another machine);
//   - any forwarding header (see isForwardingHeader): a reverse proxy on this machine
//     makes every client look local;
//   - a Host that is not a loopback name or address ("localhost", 127.0.0.0/8, [::1],
//     any port): DNS rebinding points a name the attacker owns at 127.0.0.1, and the
//     browser then sends that name;
//   - an Origin that is not a loopback origin (http or https, loopback host, any port),
//     "null" included: a page elsewhere posting across origins (CSRF);
//   - a POST whose Content-Type is not application/json (parameters such as charset
//     allowed), empty bodies included: a browser sends a cross-origin form or text/plain
//     POST without asking first, but asks (a CORS preflight) before an application/json
//     one, and no origin that is not local is ever allowed.
func devGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if status, detail := devRefusal(r); status != 0 {
			code := orgctx.CodeAccessDenied
			if status == http.StatusUnsupportedMediaType {
				code = orgctx.CodeInvalidRequest
				w.Header().Set("Accept-Post", "application/json")
			}
			orgctx.Refuse(w, r, orgctx.Failure{Status: status, Code: code, Detail: detail})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// devRefusal returns the status and detail of devGuard's refusal of r, or 0 to let it
// through.
func devRefusal(r *http.Request) (int, string) {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || net.ParseIP(host) == nil || !jwks.IsLoopback(host) {
		return http.StatusForbidden, "dev endpoints answer loopback clients only"
	}
	for name := range r.Header {
		if isForwardingHeader(name) {
			return http.StatusForbidden, "dev endpoints refuse forwarded requests (" + name + "): call them directly, not through a proxy"
		}
	}
	if !loopbackHostHeader(r.Host) {
		return http.StatusForbidden, "dev endpoints answer requests to localhost, 127.0.0.1 or [::1] only (Host)"
	}
	if origins := r.Header.Values("Origin"); len(origins) > 1 || len(origins) == 1 && !loopbackOrigin(origins[0]) {
		return http.StatusForbidden, "dev endpoints answer pages served from this machine only (Origin)"
	}
	if r.Method == http.MethodPost {
		types := r.Header.Values("Content-Type")
		if len(types) != 1 {
			return http.StatusUnsupportedMediaType, "dev endpoints take JSON: send Content-Type: application/json"
		}
		if mt, _, err := mime.ParseMediaType(types[0]); err != nil || mt != "application/json" {
			return http.StatusUnsupportedMediaType, "dev endpoints take JSON: send Content-Type: application/json"
		}
	}
	return 0, ""
}

// isForwardingHeader reports whether the header named name says that a proxy forwarded
// the request: Forwarded (RFC 7239), Via, any X-Forwarded-*, and the client-address
// headers of common proxies and CDNs (X-Real-IP, X-Client-IP, True-Client-IP,
// CF-Connecting-IP, Fastly-Client-IP, X-Cluster-Client-IP, X-Original-Forwarded-For).
// Case and underscores for hyphens do not matter.
func isForwardingHeader(name string) bool {
	n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
	if strings.HasPrefix(n, "x-forwarded-") {
		return true
	}
	switch n {
	case "forwarded", "via", "x-real-ip", "x-client-ip", "true-client-ip", "cf-connecting-ip",
		"fastly-client-ip", "x-cluster-client-ip", "x-original-forwarded-for":
		return true
	}
	return false
}

// loopbackHostHeader reports whether a Host header (or HTTP/2 :authority) names this
// machine: a loopback name or IP address (jwks.IsLoopback), IPv6 in brackets, with an
// optional port of 1 to 5 digits.
func loopbackHostHeader(hostport string) bool {
	host, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return false
		}
		host, port = hostport[1:end], hostport[end+1:]
		if !strings.Contains(host, ":") { // brackets hold IPv6 addresses only
			return false
		}
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if port == "" {
				return false
			}
		}
	} else if h, p, found := strings.Cut(hostport, ":"); found { // an unbracketed IPv6 address fails the port test
		if p == "" {
			return false
		}
		host, port = h, p
	}
	if len(port) > 5 || strings.ContainsFunc(port, func(r rune) bool { return r < '0' || r > '9' }) {
		return false
	}
	return jwks.IsLoopback(host)
}

// loopbackOrigin reports whether an Origin header is a serialized http or https origin
// on a loopback host (any port). "null", the origin of sandboxed and file pages, is not.
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.HasSuffix(origin, "#") {
		return false
	}
	return "//"+u.Host == origin[len(u.Scheme)+1:] && loopbackHostHeader(u.Host)
}
