package localaws

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Signature Version 4 verification: the canonical request is rebuilt from
// the HTTP request as it arrived (method, path as the client encoded it,
// query, the signed headers, the payload hash), signed with the key
// derived from the principal's secret, and compared with the client's
// signature in constant time. Only the Authorization header form is
// accepted (no presigned query strings), and no session tokens: localaws
// has no STS.

const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	sigV4Terminator = "aws4_request"
	amzDateLayout   = "20060102T150405Z"
	// sigV4MaxSkew is how far a request's time may be from the server's.
	sigV4MaxSkew = 5 * time.Minute
)

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	accessKey     string
	date          string // YYYYMMDD of the credential scope
	region        string
	service       string
	terminator    string
	signedHeaders []string
	signature     string
}

func (a *sigV4Auth) scope() string {
	return a.date + "/" + a.region + "/" + a.service + "/" + a.terminator
}

// parseAuthorization reads "AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex". The problem it
// returns never quotes the header, which holds the signature.
func parseAuthorization(h string) (*sigV4Auth, string) {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != sigV4Algorithm {
		return nil, fmt.Sprintf("Unsupported AWS 'algorithm': '%s'. localaws accepts %s only.", truncate(alg, 32), sigV4Algorithm)
	}
	params := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok {
			params[k] = v
		}
	}
	var missing []string
	for _, k := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[k] == "" {
			missing = append(missing, "Authorization header requires '"+k+"' parameter.")
		}
	}
	if len(missing) > 0 {
		return nil, strings.Join(missing, " ")
	}
	cred := strings.Split(params["Credential"], "/")
	if len(cred) != 5 || cred[0] == "" {
		return nil, "Authorization header requires a Credential of the form ACCESS_KEY/YYYYMMDD/REGION/SERVICE/aws4_request."
	}
	return &sigV4Auth{accessKey: cred[0], date: cred[1], region: cred[2], service: cred[3], terminator: cred[4],
		signedHeaders: strings.Split(params["SignedHeaders"], ";"), signature: params["Signature"]}, ""
}

// requestTime is the signing time the request declares: X-Amz-Date, else
// the Date header.
func requestTime(r *http.Request) (time.Time, string, bool) {
	if v := r.Header.Get("X-Amz-Date"); v != "" {
		t, err := time.Parse(amzDateLayout, v)
		return t, v, err == nil
	}
	if v := r.Header.Get("Date"); v != "" {
		t, err := http.ParseTime(v)
		return t, t.UTC().Format(amzDateLayout), err == nil
	}
	return time.Time{}, "", false
}

// checkScope refuses a credential scope that cannot belong to this
// request, with AWS's wording. Any name shaped like a Region is served:
// each Region has its own state (scope.go).
func checkScope(a *sigV4Auth, amzDate, service string) string {
	switch {
	case a.terminator != sigV4Terminator:
		return fmt.Sprintf("Credential should be scoped with a valid terminator: '%s', not '%s'. ", sigV4Terminator, truncate(a.terminator, 32))
	case !strings.HasPrefix(amzDate, a.date) || len(a.date) != 8:
		return fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			truncate(a.date, 16), amzDate[:min(8, len(amzDate))], amzDate)
	case !validRegion(a.region):
		return fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", truncate(a.region, 32))
	case service != "" && a.service != service:
		return fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", service)
	}
	return ""
}

// checkSkew refuses a request signed more than five minutes away from now.
func checkSkew(signed, now time.Time) string {
	now = now.UTC()
	switch {
	case signed.Before(now.Add(-sigV4MaxSkew)):
		return fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)",
			signed.UTC().Format(amzDateLayout), now.Add(-sigV4MaxSkew).Format(amzDateLayout), now.Format(amzDateLayout))
	case signed.After(now.Add(sigV4MaxSkew)):
		return fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + 5 min.)",
			signed.UTC().Format(amzDateLayout), now.Add(sigV4MaxSkew).Format(amzDateLayout), now.Format(amzDateLayout))
	}
	return ""
}

// sigV4Signature computes what the client should have sent.
func sigV4Signature(secret string, a *sigV4Auth, amzDate, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	toSign := sigV4Algorithm + "\n" + amzDate + "\n" + a.scope() + "\n" + hex.EncodeToString(sum[:])
	key := hmacSHA256([]byte("AWS4"+secret), a.date)
	key = hmacSHA256(key, a.region)
	key = hmacSHA256(key, a.service)
	key = hmacSHA256(key, a.terminator)
	return hex.EncodeToString(hmacSHA256(key, toSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// payloadHash is the SHA-256 of the body as sent (still compressed, if
// it was): what the client signed. An X-Amz-Content-Sha256 header must
// name that same hash; ok is false when it names another, or
// UNSIGNED-PAYLOAD or STREAMING-*, which only S3 accepts. Taking the
// header's word instead would let a captured request be replayed with
// another body.
func payloadHash(r *http.Request, rawBody []byte) (hash string, ok bool) {
	sum := sha256.Sum256(rawBody)
	hash = hex.EncodeToString(sum[:])
	if v := r.Header.Values("X-Amz-Content-Sha256"); len(v) > 0 {
		return hash, len(v) == 1 && strings.EqualFold(strings.TrimSpace(v[0]), hash)
	}
	return hash, true
}

// canonicalRequest rebuilds the SigV4 canonical request over payloadHash.
func canonicalRequest(r *http.Request, signedHeaders []string, payloadHash string) string {
	var b strings.Builder
	b.WriteString(r.Method + "\n")
	b.WriteString(canonicalURI(r) + "\n")
	b.WriteString(canonicalQuery(r.URL.RawQuery) + "\n")
	for _, h := range signedHeaders {
		b.WriteString(h + ":" + canonicalHeaderValue(r, h) + "\n")
	}
	b.WriteString("\n")
	b.WriteString(strings.Join(signedHeaders, ";") + "\n")
	b.WriteString(payloadHash)
	return b.String()
}

// canonicalURI is the path as the client encoded it, encoded once more:
// SigV4 double-encodes the path for every service but S3.
func canonicalURI(r *http.Request) string {
	p := r.URL.EscapedPath()
	if p == "" {
		p = "/"
	}
	return awsURIEncode(p, false)
}

// canonicalQuery sorts the parameters by name, then value, each encoded
// the RFC 3986 way (a space is %20, never +).
func canonicalQuery(raw string) string {
	if raw == "" {
		return ""
	}
	type pair struct{ k, v string }
	var pairs []pair
	for _, part := range strings.Split(raw, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		pairs = append(pairs, pair{awsURIEncode(k, true), awsURIEncode(v, true)})
	}
	// By encoded name, then value: sorting whole "k=v" strings would put
	// "a-b=1" before "a=1", as '-' sorts before '='.
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p.k + "=" + p.v
	}
	return strings.Join(out, "&")
}

// canonicalHeaderValue joins a header's values with commas, each trimmed
// and with inner runs of spaces collapsed. Go's server moves Host out of
// the header map, and may hold Content-Length only in the request.
func canonicalHeaderValue(r *http.Request, name string) string {
	var values []string
	switch name {
	case "host":
		values = []string{r.Host}
	case "content-length":
		if values = r.Header.Values(name); len(values) == 0 && r.ContentLength >= 0 {
			values = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
	default:
		values = r.Header.Values(name)
	}
	// Values is the header map's own slice: copy before rewriting.
	values = append([]string(nil), values...)
	for i, v := range values {
		values[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(values, ",")
}

// awsURIEncode percent-encodes every byte but the unreserved characters
// (and '/', unless encodeSlash), with upper-case hex, as SigV4 requires.
func awsURIEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		case c == '/' && !encodeSlash:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		}
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
