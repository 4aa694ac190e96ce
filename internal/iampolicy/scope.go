package iampolicy

import (
	"fmt"
	"regexp"
	"strings"
)

// Scope is where a policy applies: one region and one account, or "*"
// (the default) for every one.
type Scope struct {
	Region  string // --region
	Account string // --account
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
	// Secrets Manager's characters for names, without the wildcards "*"
	// and "?" that would widen an ARN pattern.
	secretNameRE = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	kmsKeyRE     = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$`)
)

func (s Scope) region() string  { return orStar(s.Region) }
func (s Scope) account() string { return orStar(s.Account) }

func (s Scope) validate() error {
	if r := s.region(); r != "*" && !regionRE.MatchString(r) {
		return fmt.Errorf("--region %q: want a region such as us-east-1, or *", s.Region)
	}
	if a := s.account(); a != "*" && !accountRE.MatchString(a) {
		return fmt.Errorf("--account %q: want a 12-digit account id, or *", s.Account)
	}
	return nil
}

// arn is the ARN of resource (service-specific, e.g. "secret:name") of
// service in the scope's region and account.
func (s Scope) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + s.region() + ":" + s.account() + ":" + resource
}

// secrets are the secret ARNs whose names begin with each prefix ("" is
// every secret).
func (s Scope) secrets(prefixes ...string) Values {
	out := make(Values, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, s.arn("secretsmanager", "secret:"+p+"*"))
	}
	return out
}

// viaService is the condition that KMS serves a request only when the
// named service makes it on the caller's behalf (kms:ViaService).
func (s Scope) viaService(service string) Condition {
	op := "StringEquals"
	if s.region() == "*" {
		op = "StringLike"
	}
	return Condition{op: {"kms:ViaService": {service + "." + s.region() + ".amazonaws.com"}}}
}

// validPrefixes checks secret name prefixes (--secret-prefix, --prefix)
// and returns them, or [""] (every secret) when there are none.
func validPrefixes(flag string, prefixes []string) ([]string, error) {
	if len(prefixes) == 0 {
		return []string{""}, nil
	}
	for _, p := range prefixes {
		if !secretNameRE.MatchString(p) {
			return nil, fmt.Errorf("%s %q: want the beginning of secret names (letters, digits and /_+=.@-, no wildcards), e.g. production/", flag, p)
		}
	}
	return prefixes, nil
}

// validKeys checks customer managed key ARNs (--kms-key).
func validKeys(keys []string) error {
	for _, k := range keys {
		if !kmsKeyRE.MatchString(k) {
			hint := ""
			if strings.Contains(k, ":alias/") || strings.HasPrefix(k, "alias/") {
				hint = " (IAM matches the key's ARN, not an alias)"
			}
			return fmt.Errorf("--kms-key %q: want a key ARN, arn:aws:kms:REGION:ACCOUNT:key/ID%s", k, hint)
		}
	}
	return nil
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}
