package localaws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// IAMConfig turns on IAM enforcement (Options.IAM): every AWS call must be
// signed (SigV4) with the access key of one of these principals and be
// allowed by its identity policies (or, for Secrets Manager, by the
// secret's resource policy). The file form, read by LoadIAMConfig:
//
//	{"principals": [{
//	    "arn": "arn:aws:iam::000000000000:role/credstage-worker",
//	    "accessKeyId": "AKIACREDSTAGEWORKER1",
//	    "secretAccessKey": "any-string",
//	    "policies": [{"Version": "2012-10-17", "Statement": [...]}],
//	    "policyFiles": ["relative/to/this/file.json"]}]}
type IAMConfig struct {
	Principals []IAMPrincipal `json:"principals"`
}

// IAMPrincipal is one IAM user or role (or an account's root) with a
// long-term access key and its identity-based policies.
type IAMPrincipal struct {
	// ARN names the principal in policies and in AccessDenied messages:
	// arn:aws:iam::ACCOUNT:user/NAME, arn:aws:iam::ACCOUNT:role/NAME or
	// arn:aws:iam::ACCOUNT:root (allowed everything not explicitly denied).
	ARN             string `json:"arn"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	// Policies are policy documents given inline.
	Policies []json.RawMessage `json:"policies,omitempty"`
	// PolicyFiles are files each holding one policy document. LoadIAMConfig
	// resolves relative paths against the config file's folder; in a
	// config built in Go they are relative to the working directory.
	PolicyFiles []string `json:"policyFiles,omitempty"`
}

// LoadIAMConfig reads and checks an IAM config file. Errors name the
// principal and the cause.
func LoadIAMConfig(path string) (*IAMConfig, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("localaws: IAM config: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var cfg IAMConfig
	if err := dec.Decode(&cfg); err != nil {
		return nil, fmt.Errorf("localaws: IAM config %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	for i := range cfg.Principals {
		for j, f := range cfg.Principals[i].PolicyFiles {
			if !filepath.IsAbs(f) {
				cfg.Principals[i].PolicyFiles[j] = filepath.Join(dir, f)
			}
		}
	}
	if _, err := cfg.compile(); err != nil {
		return nil, fmt.Errorf("localaws: IAM config %s: %w", path, err)
	}
	return &cfg, nil
}

// Validate checks a config built in Go the way LoadIAMConfig checks a file.
func (c *IAMConfig) Validate() error {
	_, err := c.compile()
	return err
}

// iamIdentity is a principal ready for evaluation.
type iamIdentity struct {
	arn       string
	account   string
	accessKey string
	secret    string
	root      bool
	policies  []*policyDoc
}

// compile checks every principal and parses its policies.
func (c *IAMConfig) compile() (map[string]*iamIdentity, error) {
	if c == nil {
		return nil, errors.New("no IAM config")
	}
	byKey := map[string]*iamIdentity{}
	for i, p := range c.Principals {
		name := p.ARN
		if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("principal %s: %s", name, fmt.Sprintf(format, args...))
		}
		account, root, err := parsePrincipalARN(p.ARN)
		if err != nil {
			return nil, fail("%v", err)
		}
		if p.AccessKeyID == "" {
			return nil, fail("accessKeyId is required")
		}
		if p.SecretAccessKey == "" {
			return nil, fail("secretAccessKey is required")
		}
		if prev, dup := byKey[p.AccessKeyID]; dup {
			return nil, fail("access key %s is already the key of %s", p.AccessKeyID, prev.arn)
		}
		id := &iamIdentity{arn: p.ARN, account: account, accessKey: p.AccessKeyID, secret: p.SecretAccessKey, root: root}
		for j, raw := range p.Policies {
			doc, err := parsePolicy(raw, identityPolicy)
			if err != nil {
				return nil, fail("policies[%d]: %v", j, err)
			}
			id.policies = append(id.policies, doc)
		}
		for _, f := range p.PolicyFiles {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fail("policy file: %v", err)
			}
			doc, err := parsePolicy(data, identityPolicy)
			if err != nil {
				return nil, fail("policy file %s: %v", f, err)
			}
			id.policies = append(id.policies, doc)
		}
		byKey[p.AccessKeyID] = id
	}
	return byKey, nil
}

// parsePrincipalARN accepts the principals localaws can sign as: IAM
// users and roles (paths allowed) and an account's root.
func parsePrincipalARN(arn string) (account string, root bool, err error) {
	if arn == "" {
		return "", false, errors.New("arn is required")
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	account, resource, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || !isAccountID(account) {
		return "", false, fmt.Errorf("arn %q is not arn:aws:iam::<12-digit account>:user/NAME, role/NAME or root", arn)
	}
	switch {
	case resource == "root":
		return account, true, nil
	case (strings.HasPrefix(resource, "user/") || strings.HasPrefix(resource, "role/")) && !strings.HasSuffix(resource, "/"):
		return account, false, nil
	}
	return "", false, fmt.Errorf("arn %q is not arn:aws:iam::<12-digit account>:user/NAME, role/NAME or root", arn)
}
