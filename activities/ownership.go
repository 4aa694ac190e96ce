package activities

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Ownership (docs/architecture.md, "Provisioning and ownership").
// Provisioning marks everything it creates with its run, before or
// atomically with the creation: the instance and the secrets carry the
// tagProvisionRun tag from their Create call, a role carries a COMMENT ON
// ROLE written in the same transaction as its CREATE ROLE. Compensation
// deletes only what carries its own run's mark, and a retry after a lost
// reply recognises its own work by the same mark. What carries no
// credstage mark existed before and is refused unless adopted explicitly;
// what carries another run's mark was made by an earlier provisioning and
// is used as it is.

// tagProvisionRun names the provisioning run that created an instance or
// secret.
const tagProvisionRun = "credstage:provision-run"

// tagHandover marks the short-lived secret through which the CLI hands
// an adopted role's current password to the worker, so it never passes
// through workflow history.
const tagHandover = "credstage:handover"

// HandoverTags are the tags of a password handover secret (the CLI's
// --password-stdin for an adopted role), by which the worker knows to
// delete it once the password is in the user's secret.
func HandoverTags(identifier, user string) []smtypes.Tag {
	// Not credstage:managed: it is no credential to rotate, and plans
	// that select secrets by that tag must never meet it.
	return []smtypes.Tag{{Key: aws.String(tagHandover), Value: aws.String(identifier + "/" + user)}}
}

// owner says who made a thing provisioning meets.
type owner int

const (
	// ownerNobody: it does not exist.
	ownerNobody owner = iota
	// ownerThisRun: this provisioning run made it.
	ownerThisRun
	// ownerCredstage: an earlier credstage provisioning made it (or a
	// release from before run marks, which tagged credstage:managed).
	ownerCredstage
	// ownerForeign: it carries no credstage mark.
	ownerForeign
)

func (o owner) String() string {
	switch o {
	case ownerThisRun:
		return "this run"
	case ownerCredstage:
		return "credstage"
	case ownerForeign:
		return "not credstage"
	}
	return "nobody"
}

// ownerOfTags reads the marks among an existing thing's tags.
// notCredstages refuses something that exists without credstage's mark.
func notCredstages(format string, args ...any) error {
	return nonRetryable(ErrNotCredstages, fmt.Sprintf(format, args...))
}

func ownerOfTags(tags map[string]string, run string) owner {
	switch {
	case run != "" && tags[tagProvisionRun] == run:
		return ownerThisRun
	case tags[tagManaged] == "true":
		return ownerCredstage
	}
	return ownerForeign
}

func rdsTagMap(tags []rdstypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func smTagMap(tags []smtypes.Tag) map[string]string {
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// roleMark is the COMMENT ON ROLE of a role provisioning run made for the
// user whose secret is secret. A clone's mark begins with cloneMarker, as
// every credstage-made clone's comment does.
func roleMark(role, run, secret string) string {
	mark := "credstage: provisioned by run " + run + " for secret " + secret
	if base, ok := strings.CutSuffix(role, cloneSuffix); ok && base != "" {
		return cloneMarker(base) + "; " + mark
	}
	return mark
}

// roleMarkRun is the run a role's comment names, "" when it names none.
// A role with CREATEROLE can write any comment, so a role's mark alone
// proves nothing: it counts only when the user's secret, whose tags no
// database role can write, names the same run.
func roleMarkRun(comment string) string {
	const prefix = "provisioned by run "
	i := strings.Index(comment, prefix)
	if i < 0 {
		return ""
	}
	run, _, _ := strings.Cut(comment[i+len(prefix):], " ")
	return run
}
