package iampolicy

import (
	"fmt"
	"regexp"
)

var (
	// An IAM user or role, with its path: what aws:PrincipalArn holds
	// for a request signed by the user or by a session of the role.
	principalRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:(user|role)(/[A-Za-z0-9+=,.@_-]+)+$`)
	// An account's root user.
	rootRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:iam::[0-9]{12}:root$`)
)

// validPrincipal checks the ARN of an IAM role or user. what names it
// in the error. Sessions (sts assumed-role ARNs) are refused because
// aws:PrincipalArn holds the role's ARN, not the session's; an account
// (":root") is refused for readers because in Principal it means every
// principal of the account while aws:PrincipalArn matches only its root
// user, so the deny would refuse what the allow grants.
func validPrincipal(what, arn string, rootOK bool) error {
	switch {
	case arn == "":
		return fmt.Errorf("%s: missing", what)
	case principalRE.MatchString(arn), rootOK && rootRE.MatchString(arn):
		return nil
	case rootRE.MatchString(arn):
		return fmt.Errorf("%s %s: an account cannot be named here, name its roles or users (arn:aws:iam::ACCOUNT:role/NAME)", what, arn)
	}
	return fmt.Errorf("%s %q: want the ARN of an IAM role or user, arn:aws:iam::ACCOUNT:role/NAME (no wildcards, no sts assumed-role sessions)", what, arn)
}
