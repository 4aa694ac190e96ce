package codec

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
)

// HTTPOptions configure the codec endpoint the Temporal Web UI calls.
type HTTPOptions struct {
	// AllowedOrigins are the Web UI origins (scheme://host:port) whose
	// browser calls are allowed (CORS); other origins get no CORS headers,
	// so browsers refuse their answers.
	AllowedOrigins []string
	// AuthToken, when set, must arrive as "Authorization: Bearer <token>"
	// on every /encode and /decode call: only an authorized user sees
	// decoded payloads. (Enable "Pass the user access token" in the Web
	// UI's codec settings, or have a proxy add the header.)
	AuthToken string
	// MaxBody bounds a request body (default 16 MiB).
	MaxBody int64
}

// NewHTTPHandler serves the Temporal codec server protocol: POST /encode
// and POST /decode with {"payloads":[...]} (protojson of Payloads), the
// answer in the same form; under any path prefix, as the UI appends
// /encode and /decode to the endpoint it is given.
func NewHTTPHandler(c converter.PayloadCodec, opts HTTPOptions) http.Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = 16 << 20
	}
	inner := converter.NewPayloadCodecHTTPHandler(c)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(opts.AllowedOrigins, strings.TrimRight(origin, "/")) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-Namespace, Authorization")
			h.Set("Access-Control-Max-Age", "600")
			h.Add("Vary", "Origin")
		}
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent) // preflight: no credentials are sent with it
			return
		}
		if r.Method != http.MethodPost || !(strings.HasSuffix(r.URL.Path, "/encode") || strings.HasSuffix(r.URL.Path, "/decode")) {
			http.Error(w, "the codec endpoint serves POST .../encode and POST .../decode", http.StatusNotFound)
			return
		}
		if opts.AuthToken != "" && !bearerMatches(r.Header.Get("Authorization"), opts.AuthToken) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="credstage codec"`)
			http.Error(w, "unauthorized: a valid bearer token is required to encode or decode payloads", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, opts.MaxBody)
		inner.ServeHTTP(w, r)
	})
}

func bearerMatches(header, token string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
