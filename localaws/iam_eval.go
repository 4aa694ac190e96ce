package localaws

import "strings"

// Policy evaluation for one permission of a call, following AWS's logic
// for identity-based and resource-based policies (the other policy types,
// SCPs, permission boundaries and session policies, do not exist here):
//
//  1. An explicit Deny in any applicable statement wins.
//  2. Same account: an Allow in the identity policies OR in the resource
//     policy (for the caller as principal) allows.
//  3. Another account: both must allow.
//  4. Otherwise the request is implicitly denied.
//
// The account root user is allowed everything not explicitly denied.

// authzRequest is one permission a call needs.
type authzRequest struct {
	action string // service:Operation, e.g. secretsmanager:GetSecretValue
	// resource is the ARN policies are matched against, or "*" for an
	// action without resource-level permissions.
	resource string
	// shown is how AccessDenied names the resource (Secrets Manager names
	// the SecretId as the caller gave it); empty for "*", which AWS leaves
	// out of the message.
	shown   string
	context condContext
	// policy is the resource's own policy (a secret's), nil when none.
	policy *policyDoc
	// resourceAccount owns the resource: the server's account.
	resourceAccount string
}

// denyKind classifies a refusal, for AWS's message and the request log.
type denyKind int

const (
	allowed denyKind = iota
	implicitDeny
	explicitIdentityDeny
	explicitResourceDeny
)

type evalResult struct {
	kind denyKind
	// byResource is set when the resource policy is what allowed the call.
	byResource bool
	// needsResourcePolicy is set on a cross-account implicit deny that
	// the identity policies would have allowed.
	needsResourcePolicy bool
}

func (r evalResult) allowed() bool { return r.kind == allowed }

// decision is the request log's short account of the outcome.
func (r evalResult) decision() string {
	switch r.kind {
	case allowed:
		if r.byResource {
			return "allow: resource policy"
		}
		return "allow: identity policy"
	case implicitDeny:
		if r.needsResourcePolicy {
			return "deny: no resource-based policy allows"
		}
	case explicitIdentityDeny:
		return "deny: explicit deny in identity policy"
	case explicitResourceDeny:
		return "deny: explicit deny in resource policy"
	}
	return "deny: no identity-based policy allows"
}

// evaluate decides one request for an identity.
func (id *iamIdentity) evaluate(req *authzRequest) evalResult {
	identityAllow := id.root
	for _, doc := range id.policies {
		for _, st := range doc.statements {
			if !st.applies(req) {
				continue
			}
			if st.deny {
				return evalResult{kind: explicitIdentityDeny}
			}
			identityAllow = true
		}
	}
	resourceAllow := false
	if req.policy != nil {
		for _, st := range req.policy.statements {
			if !st.coversPrincipal(id) || !st.applies(req) {
				continue
			}
			if st.deny {
				return evalResult{kind: explicitResourceDeny}
			}
			resourceAllow = true
		}
	}
	sameAccount := id.account == req.resourceAccount
	switch {
	case sameAccount && identityAllow:
		return evalResult{kind: allowed}
	case sameAccount && resourceAllow:
		return evalResult{kind: allowed, byResource: true}
	case !sameAccount && identityAllow && resourceAllow:
		return evalResult{kind: allowed, byResource: true}
	}
	return evalResult{kind: implicitDeny, needsResourcePolicy: !sameAccount && identityAllow}
}

// applies reports whether a statement's Action, Resource and Condition
// all match the request (its Principal is checked separately).
func (st *policyStatement) applies(req *authzRequest) bool {
	match := false
	for _, a := range st.actions {
		if globMatch(a, req.action, true) {
			match = true
			break
		}
	}
	if match == st.notAction {
		return false
	}
	match = false
	for _, r := range st.resources {
		if arnMatch(r, req.resource) {
			match = true
			break
		}
	}
	if match == st.notResource {
		return false
	}
	return conditionsHold(st.conditions, req.context)
}

// coversPrincipal reports whether a resource-policy statement is about
// the caller. Naming an account's root delegates to that account's
// identity policies: it grants nothing by itself to the account's users
// and roles (AWS: "all identities inside the account can access the
// resource if they have the appropriate IAM permissions"), but a Deny on
// the account reaches all of them.
func (st *policyStatement) coversPrincipal(id *iamIdentity) bool {
	p := st.principals
	if p == nil {
		return false
	}
	root := "arn:aws:iam::" + id.account + ":root"
	named := p.everyone
	for _, arn := range p.aws {
		if arn == id.arn || (arn == root && (st.deny || st.notPrincipal || id.root)) {
			named = true
		}
	}
	return named != st.notPrincipal
}

// accessDeniedMessage is AWS's wording for a refusal.
func accessDeniedMessage(principal string, req *authzRequest, res evalResult) string {
	var b strings.Builder
	b.WriteString("User: " + principal + " is not authorized to perform: " + req.action)
	if req.shown != "" {
		b.WriteString(" on resource: " + req.shown)
	}
	switch res.kind {
	case explicitIdentityDeny:
		b.WriteString(" with an explicit deny in an identity-based policy")
	case explicitResourceDeny:
		b.WriteString(" with an explicit deny in a resource-based policy")
	default:
		policyType := "identity-based"
		if res.needsResourcePolicy {
			policyType = "resource-based"
		}
		b.WriteString(" because no " + policyType + " policy allows the " + req.action + " action")
	}
	return b.String()
}
