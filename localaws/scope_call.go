package localaws

import (
	"fmt"
	"net/http"
	"strings"
)

// callScope is the one place that picks a call's account and Region: the
// credential scope's Region (the default one when unsigned) and the
// authenticated principal's account (the default one when IAM is not
// enforced). Quotas, CloudTrail events and IAM's aws:RequestedRegion all
// use it.
func (s *Server) callScope(c *Call) scopeKey {
	k := scopeKey{account: c.account, region: c.Region}
	if k.account == "" {
		k.account = s.env.accountID
	}
	if k.region == "" {
		k.region = s.env.region
	}
	return k
}

// stateScope is where the state a call reads or changes lives: its own
// scope, except that dashboards are global (one set per account, whatever
// the Region), and that a secret named by the ARN of another account in
// the call's Region is that account's (cross-account access through a
// resource policy, which IAM checks; without IAM no other account has
// state, and the ARN is not found in the caller's). An ARN of another
// Region is looked up in the call's scope, where it names nothing, as on
// AWS.
func (s *Server) stateScope(c *Call) scopeKey {
	k := s.callScope(c)
	switch {
	case c.Service == svcCloudWatch && strings.Contains(c.Op, "Dashboard"):
		k.region = s.env.region
	case c.Service == svcSecretsManager && s.iam != nil:
		if account, region, ok := arnAccountRegion(c.Resource, svcSecretsManager); ok && region == k.region {
			k.account = account
		}
	}
	return k
}

// scopeOf returns the services that serve c.
func (s *Server) scopeOf(c *Call) (*scope, error) { return s.scopes.get(s.stateScope(c)) }

// checkCallRegion refuses a call signed for a Region no AWS Region is
// named like, as AWS does (IAM's checkScope says the same when enforced).
func checkCallRegion(c *Call) *APIError {
	if c.Region == "" || validRegion(c.Region) {
		return nil
	}
	return iamError(c, failSignature, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'. ", truncate(c.Region, 32)))
}

// adminScope is the scope an admin endpoint names with its query
// parameters region and account, each defaulting to the server's. An
// unknown pair is an empty scope, where every resource is not found.
func (s *Server) adminScope(r *http.Request) (*scope, error) {
	k := scopeKey{account: r.URL.Query().Get("account"), region: r.URL.Query().Get("region")}
	if k.account == "" {
		k.account = s.env.accountID
	}
	if k.region == "" {
		k.region = s.env.region
	}
	if err := ValidateAccountID(k.account); err != nil {
		return nil, errBadRequest("InvalidParameterValue", err.Error())
	}
	if !validRegion(k.region) {
		return nil, errBadRequest("InvalidParameterValue", fmt.Sprintf("region %q is not an AWS Region name, like us-east-1", k.region))
	}
	return s.scopes.get(k)
}
