package localaws

import (
	"fmt"
	"regexp"
	"strings"
)

// Names of accounts and Regions, and the ARNs built from them.

// DefaultAccountID is the account localaws answers for when IAM is not
// enforced, the one LocalStack users know.
const DefaultAccountID = "000000000000"

// DefaultRegion is the Region of a call that names none (unsigned).
const DefaultRegion = "us-east-1"

// regionPattern is the shape of every AWS Region name (us-east-1,
// us-gov-west-1, ap-southeast-4); it also keeps a client-chosen Region
// from naming a path outside the data folder.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

// validRegion reports whether name could be an AWS Region.
func validRegion(name string) bool { return len(name) <= 32 && regionPattern.MatchString(name) }

// ValidateAccountID explains what is wrong with an account id (AWS's are
// 12 digits), for Options.AccountID and --account-id.
func ValidateAccountID(id string) error {
	if !isAccountID(id) {
		return fmt.Errorf("account id %q must be 12 digits, like 000000000000", id)
	}
	return nil
}

// arnAccountRegion splits arn:aws:<service>:<region>:<account>:...
func arnAccountRegion(arn, service string) (account, region string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != service || !isAccountID(parts[4]) {
		return "", "", false
	}
	return parts[4], parts[3], true
}

// arn is the one place ARNs are built: every resource names its scope's
// Region and account.
func (e *env) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + e.region + ":" + e.accountID + ":" + resource
}

// globalARN is the ARN of a resource that is one per account, not per
// Region (a dashboard): the Region field is empty.
func (e *env) globalARN(service, resource string) string {
	return "arn:aws:" + service + "::" + e.accountID + ":" + resource
}
