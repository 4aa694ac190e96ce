package localaws

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Resource-based policies on secrets: PutResourcePolicy, GetResourcePolicy,
// DeleteResourcePolicy and ValidateResourcePolicy. The policy is kept with
// the secret (persisted in its record, gone with it) as the caller wrote
// it, and parsed once for evaluation (smSecret.policy). They work whether
// IAM is enforced or not; only enforcement makes a policy matter.

const smMaxPolicyLen = 20480

type smPutResourcePolicyInput struct {
	SecretId          *string
	ResourcePolicy    *string
	BlockPublicPolicy *bool
}

type smGetResourcePolicyOutput struct {
	ARN            string  `json:"ARN"`
	Name           string  `json:"Name"`
	ResourcePolicy *string `json:"ResourcePolicy,omitempty"`
}

type smValidateResourcePolicyInput struct {
	SecretId       *string
	ResourcePolicy *string
}

type smValidationErrorsEntry struct {
	CheckName    string `json:"CheckName"`
	ErrorMessage string `json:"ErrorMessage"`
}

type smValidateResourcePolicyOutput struct {
	PolicyValidationPassed bool                      `json:"PolicyValidationPassed"`
	ValidationErrors       []smValidationErrorsEntry `json:"ValidationErrors"`
}

// smSyntaxCheck names the one check ValidateResourcePolicy runs here (AWS
// also asks its automated reasoning engine about broad access, and checks
// that the caller is not locked out; localaws does neither).
const smSyntaxCheck = "SYNTAX_CHECK"

func smPolicyText(p *string) (string, *APIError) {
	if p == nil {
		return "", smMissing("resourcePolicy")
	}
	if *p == "" {
		return "", smTooShort("resourcePolicy", 1)
	}
	if utf8.RuneCountInString(*p) > smMaxPolicyLen {
		return "", smTooLong("resourcePolicy", smMaxPolicyLen)
	}
	return *p, nil
}

func smMalformedPolicy(err error) *APIError {
	return errBadRequest("MalformedPolicyDocumentException", "This resource policy contains a syntax error: "+err.Error())
}

func (sm *secretsManager) putResourcePolicy(c *Call) (any, error) {
	in, derr := smDecode[smPutResourcePolicyInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	text, verr := smPolicyText(in.ResourcePolicy)
	if verr != nil {
		return nil, verr
	}
	doc, err := parsePolicy([]byte(text), resourcePolicy)
	if err != nil {
		return nil, smMalformedPolicy(err)
	}
	if in.BlockPublicPolicy != nil && *in.BlockPublicPolicy && doc.grantsBroadAccess() {
		return nil, errBadRequest("PublicPolicyException",
			"The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(id)
		if err != nil {
			return nil, err
		}
		s.ResourcePolicy, s.policy = text, doc
		s.LastChanged = now
		sm.changed(s)
		return smNameOutput{ARN: s.ARN, Name: s.Name}, nil
	})
}

func (sm *secretsManager) getResourcePolicy(c *Call) (any, error) {
	id, aerr := smSecretIDOf(c)
	if aerr != nil {
		return nil, aerr
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	s, err := sm.lookupLocked(id)
	if err != nil {
		return nil, err
	}
	out := smGetResourcePolicyOutput{ARN: s.ARN, Name: s.Name}
	if s.ResourcePolicy != "" {
		text := s.ResourcePolicy
		out.ResourcePolicy = &text
	}
	return out, nil
}

// deleteResourcePolicy removes the policy; a secret without one answers
// the same, so a repeated delete is harmless.
func (sm *secretsManager) deleteResourcePolicy(c *Call) (any, error) {
	id, aerr := smSecretIDOf(c)
	if aerr != nil {
		return nil, aerr
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(id)
		if err != nil {
			return nil, err
		}
		if s.ResourcePolicy != "" {
			s.ResourcePolicy, s.policy = "", nil
			s.LastChanged = now
			sm.changed(s)
		}
		return smNameOutput{ARN: s.ARN, Name: s.Name}, nil
	})
}

// validateResourcePolicy checks the syntax of a policy without storing it.
// A policy that does not parse is a failed validation, not an error.
func (sm *secretsManager) validateResourcePolicy(c *Call) (any, error) {
	in, derr := smDecode[smValidateResourcePolicyInput](c)
	if derr != nil {
		return nil, derr
	}
	text, verr := smPolicyText(in.ResourcePolicy)
	if verr != nil {
		return nil, verr
	}
	if in.SecretId != nil {
		id, verr := smRequireSecretID(in.SecretId)
		if verr != nil {
			return nil, verr
		}
		sm.mu.Lock()
		_, err := sm.lookupLocked(id)
		sm.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	out := smValidateResourcePolicyOutput{PolicyValidationPassed: true, ValidationErrors: []smValidationErrorsEntry{}}
	if _, err := parsePolicy([]byte(text), resourcePolicy); err != nil {
		out.PolicyValidationPassed = false
		out.ValidationErrors = append(out.ValidationErrors, smValidationErrorsEntry{CheckName: smSyntaxCheck, ErrorMessage: err.Error()})
	}
	return out, nil
}

// restrictingKeys narrow a statement to known callers or networks; an
// Allow for "*" without one of them is broad access, as BlockPublicPolicy
// sees it. aws:username and aws:userid are not among them: the same user
// name or id exists in every account, so they narrow nothing.
var restrictingKeys = map[string]bool{
	"aws:principalaccount": true, "aws:principalarn": true, "aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceorgid": true, "aws:sourceorgpaths": true,
	"aws:sourcevpc": true, "aws:sourcevpce": true, "aws:sourceip": true,
}

// grantsBroadAccess reports an Allow that reaches every principal (a "*"
// Principal, or a NotPrincipal) with no condition restricting who calls.
func (d *policyDoc) grantsBroadAccess() bool {
	for _, st := range d.statements {
		if st.deny || st.principals == nil {
			continue
		}
		if !st.notPrincipal && !st.principals.everyone {
			continue
		}
		if !restrictsCaller(st.conditions) {
			return true
		}
	}
	return false
}

// restrictsCaller reports a condition that only lets known callers in:
// a restricting key, tested positively, every value of which is narrow.
func restrictsCaller(conds []policyCondition) bool {
	for _, c := range conds {
		if !restrictingKeys[c.key] || c.ifExists || c.operator == "Null" || condOperators[c.operator].negated || c.set == condForAllValues {
			continue
		}
		wide := false
		for _, v := range c.values {
			if broadValue(c.key, v) {
				wide = true
			}
		}
		if !wide {
			return true
		}
	}
	return false
}

// broadValue reports a value of a restricting key that lets callers at
// large in. A wildcard anywhere in an ARN, account, organization or
// network id (arn:aws:iam::*:role/x, 1234*) may match another account's
// callers; an organization path may end in one (o-id/r-id/*) but not
// wildcard the organization; an address range may not be everything.
func broadValue(key, v string) bool {
	switch key {
	case "aws:principalorgpaths", "aws:sourceorgpaths":
		org, _, _ := strings.Cut(v, "/")
		return org == "" || strings.ContainsAny(org, "*?")
	case "aws:sourceip":
		return strings.HasSuffix(v, "/0")
	}
	return v == "" || strings.ContainsAny(v, "*?")
}
