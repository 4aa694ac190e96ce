package agent

import (
	"net/url"
	"strings"

	"github.com/credstage/credstage/client/secretcache"
)

type httpError struct {
	status int
	msg    string
}

type query struct {
	key     secretcache.Key
	refresh bool
}

// parseQuery reads either request form, refusing unknown parameters with
// the AWS agent's messages.
func parseQuery(u *url.URL) (query, *httpError) {
	var q query
	byPath := strings.HasPrefix(u.Path, pathPrefix)
	switch {
	case u.Path == "/secretsmanager/get":
	case byPath:
		if q.key.SecretID = strings.TrimPrefix(u.Path, pathPrefix); q.key.SecretID == "" {
			return q, &httpError{400, "missing secret ID"}
		}
	default:
		return q, &httpError{404, "Not found"}
	}
	values, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return q, &httpError{400, "invalid query: " + err.Error()}
	}
	for k, vs := range values {
		v := vs[len(vs)-1]
		switch {
		case k == "secretId" && !byPath:
			q.key.SecretID = v
		case k == "versionId":
			q.key.VersionID = v
		case k == "versionStage":
			q.key.VersionStage = v
		case k == "refreshNow":
			switch strings.ToLower(v) {
			case "true", "1":
				q.refresh = true
			case "false", "0":
			default:
				return q, &httpError{400, "invalid refreshNow value"}
			}
		default:
			return q, &httpError{400, "unknown parameter: " + k}
		}
	}
	if q.key.SecretID == "" {
		return q, &httpError{400, "missing parameter secretId"}
	}
	return q, nil
}
