package iampolicy

import (
	"fmt"
	"regexp"

	"github.com/credstage/credstage/engine"
)

// ReaderOptions narrow an application's read-only policy; the zero
// value is the example deploy/iam/credstage-reader-policy.json.
type ReaderOptions struct {
	Scope
	// Secrets are whole secret names (--secret).
	Secrets []string
	// Prefixes are beginnings of secret names (--prefix).
	Prefixes []string
	// Tags must be on the secret (--tag KEY=VALUE; one key given twice
	// accepts either value). Without Secrets and Prefixes the policy
	// covers every secret with the tags; without Tags either, those
	// credstage provisioned (tagged credstage:managed=true).
	Tags []Tag
	// KMSKeys are customer managed keys that encrypt the secrets
	// (--kms-key).
	KMSKeys []string
}

// Tag is one KEY=VALUE of ReaderOptions.Tags.
type Tag struct{ Key, Value string }

// managedTag marks what credstage provisioned (activities' tagManaged).
var managedTag = Tag{Key: engine.TagManaged, Value: "true"}

// AWS's rule for tag keys (values may be empty); the "aws:" prefix is
// AWS's own.
var tagKeyRE = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$`)

// Reader is the identity policy of an application that reads its
// secrets at run time: GetSecretValue for the value, DescribeSecret for
// the cheap version check of credstage's client library.
func Reader(o ReaderOptions) (Document, error) {
	if err := o.validate(); err != nil {
		return Document{}, err
	}
	for _, n := range o.Secrets {
		if !secretNameRE.MatchString(n) {
			return Document{}, fmt.Errorf("--secret %q: want a secret's name (letters, digits and /_+=.@-), not an ARN or a pattern", n)
		}
	}
	if _, err := validPrefixes("--prefix", o.Prefixes); err != nil {
		return Document{}, err
	}
	for _, t := range o.Tags {
		if !tagKeyRE.MatchString(t.Key) || len(t.Value) > 256 {
			return Document{}, fmt.Errorf("--tag %s=%s: want KEY=VALUE, a key of at most 128 letters, digits, spaces and _.:/=+-@", t.Key, t.Value)
		}
	}
	if err := validKeys(o.KMSKeys); err != nil {
		return Document{}, err
	}
	return document(readerGrants(o)), nil
}

func readerGrants(o ReaderOptions) []grant {
	var resources Values
	for _, n := range o.Secrets {
		// Secrets Manager appends "-" and six random characters to the
		// name in the ARN; "??????" matches exactly those.
		resources = append(resources, o.arn("secretsmanager", "secret:"+n+"-??????"))
	}
	for _, p := range o.Prefixes {
		resources = append(resources, o.secrets(p)...)
	}
	tags := o.Tags
	if len(resources) == 0 {
		resources = o.secrets("")
		if len(tags) == 0 {
			tags = []Tag{managedTag}
		}
	}
	read := grant{sid: "ReadApplicationSecrets", resources: resources, actions: []action{
		{name: "secretsmanager:GetSecretValue"},
		{name: "secretsmanager:DescribeSecret"},
	}}
	if len(tags) > 0 {
		keys := map[string]Values{}
		for _, t := range tags {
			keys["secretsmanager:ResourceTag/"+t.Key] = append(keys["secretsmanager:ResourceTag/"+t.Key], t.Value)
		}
		read.condition = Condition{"StringEquals": keys}
	}
	grants := []grant{read}
	if len(o.KMSKeys) > 0 {
		// GetSecretValue of a secret under a customer managed key makes
		// Secrets Manager call Decrypt on the caller's behalf.
		grants = append(grants, grant{sid: "DecryptThroughSecretsManager", resources: Values(o.KMSKeys),
			condition: o.viaService("secretsmanager"), actions: []action{
				{name: "kms:Decrypt", by: "secretsmanager:GetSecretValue"},
			}})
	}
	return grants
}
