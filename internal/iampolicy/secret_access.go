package iampolicy

import (
	"errors"
	"fmt"
	"slices"
)

// SecretAccess is who may use one application secret. Provisioning
// turns it into the secret's resource policy (Policy) and attaches it
// right after it creates the secret.
type SecretAccess struct {
	// Readers read the secret: the application's roles (or users).
	Readers []string `json:"readers"`
	// Worker is the credstage worker's principal: it rotates the secret.
	Worker string `json:"worker"`
	// CLI is the credstage CLI's principal: it describes the secret for
	// plan checks and nothing else.
	CLI string `json:"cli"`
	// BreakGlass is the administrator who may still do anything with the
	// secret and its policy, so that no one is locked out of it.
	BreakGlass string `json:"breakGlass"`
}

// Validate checks every principal. The deny statement names everyone
// who keeps access, so a missing one would lock that one out: the
// worker, the CLI and the break-glass administrator are required
// whenever there are readers.
func (s SecretAccess) Validate() error {
	if len(s.Readers) == 0 {
		return errors.New("a resource policy needs at least one reader (--reader, or readers: of a user)")
	}
	for _, r := range s.Readers {
		if err := validPrincipal("reader", r, false); err != nil {
			return err
		}
		if r == s.CLI {
			return fmt.Errorf("reader %s is also the CLI's principal, which may only describe the secret", r)
		}
	}
	for _, p := range []struct{ what, arn, flag string }{
		{"worker principal", s.Worker, "--worker-principal"},
		{"CLI principal", s.CLI, "--cli-principal"},
		{"break-glass principal", s.BreakGlass, "--break-glass"},
	} {
		if p.arn == "" {
			return fmt.Errorf("%s missing (%s): with readers, the secret's policy denies everyone else, so it must name who else keeps access", p.what, p.flag)
		}
		if err := validPrincipal(p.what, p.arn, p.what == "break-glass principal"); err != nil {
			return err
		}
	}
	switch s.CLI {
	case s.Worker:
		return fmt.Errorf("the CLI's principal %s is also the worker's: the CLI may only describe the secret, the worker must rotate it; give each its own role", s.CLI)
	case s.BreakGlass:
		return fmt.Errorf("the CLI's principal %s is also the break-glass administrator, who must keep every permission", s.CLI)
	}
	return nil
}

// cliMetadataReads are all the CLI may do on a secret that has credstage's
// resource policy: read its metadata (plan checks and rollback describe
// it; history and report list its versions' ids and dates; audit reads
// who may read it), never a value and never a change.
var cliMetadataReads = Values{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy", "secretsmanager:ListSecretVersionIds"}

// Policy is the secret's resource policy: its readers may read it;
// everyone else is denied everything on it, except the worker, the CLI
// and the break-glass administrator (their own identity policies decide
// what they may do); the CLI is denied all but reading metadata (cliMetadataReads). The
// denies name principals with aws:PrincipalArn conditions under
// Principal "*", as AWS recommends instead of NotPrincipal.
func (s SecretAccess) Policy() Document {
	readers := slices.Sorted(slices.Values(s.Readers))
	readers = slices.Compact(readers)
	exempt := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(readers), s.Worker, s.CLI, s.BreakGlass))))
	return Document{Version: Version, Statement: []Statement{
		{Sid: "CredstageReadersRead", Effect: "Allow", Principal: map[string]Values{"AWS": readers},
			Action: Values{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"}, Resource: Values{"*"}},
		{Sid: "CredstageDenyEveryoneElse", Effect: "Deny", Principal: "*",
			Action: Values{"secretsmanager:*"}, Resource: Values{"*"},
			Condition: Condition{"ArnNotLike": {"aws:PrincipalArn": exempt}}},
		{Sid: "CredstageCliOnlyDescribes", Effect: "Deny", Principal: "*",
			NotAction: cliMetadataReads, Resource: Values{"*"},
			Condition: Condition{"ArnLike": {"aws:PrincipalArn": {s.CLI}}}},
	}}
}
