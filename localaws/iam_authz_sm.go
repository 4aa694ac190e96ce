package localaws

import (
	"encoding/json"
	"strconv"
	"strings"
)

// What a Secrets Manager call needs, as the service's authorization
// reference lists it: the action named after the operation on the secret
// (its full ARN, whether the caller gave a name or a partial ARN), plus
// secretsmanager:TagResource for a CreateSecret with tags and
// secretsmanager:PutResourcePolicy for ValidateResourcePolicy.
// GetRandomPassword, ListSecrets and BatchGetSecretValue have no resource
// ("*"); BatchGetSecretValue checks GetSecretValue per secret as it reads
// them (sm_read.go). A secret that does not exist is evaluated as
// arn:...:secret:<id>, so a caller without access learns nothing: AWS
// answers AccessDenied before ResourceNotFound.

// smAuthzInput holds every request member that feeds a condition key.
type smAuthzInput struct {
	SecretId                   *string
	Name                       *string
	Tags                       []smTag
	TagKeys                    []string
	VersionStage               *string
	VersionStages              []string
	VersionId                  *string
	Description                *string
	KmsKeyId                   *string
	BlockPublicPolicy          *bool
	ForceDeleteWithoutRecovery *bool
	RotationLambdaARN          *string
	Filters                    []smFilter
}

// smNoResourceOps are the operations without resource-level permissions.
var smNoResourceOps = map[string]bool{"GetRandomPassword": true, "ListSecrets": true, "BatchGetSecretValue": true}

func (sm *secretsManager) authzRequests(c *Call, base condContext) []authzRequest {
	var in smAuthzInput
	// A body that does not decode is refused by the handler; what did
	// decode still decides the resource, so a refusal is never skipped.
	_ = json.Unmarshal(c.Body, &in)
	ctx := base.clone()
	smRequestKeys(ctx, &in)
	action := c.action()
	switch {
	case smNoResourceOps[c.Op]:
		reqs := []authzRequest{{action: action, resource: "*", context: ctx}}
		if c.Op == "BatchGetSecretValue" && in.Filters != nil {
			reqs = append(reqs, authzRequest{action: "secretsmanager:ListSecrets", resource: "*", context: ctx})
		}
		return reqs
	case c.Op == "CreateSecret":
		name := deref(in.Name)
		ctx.set("secretsmanager:Name", name)
		// The new secret's ARN ends in six random characters: policies
		// written for it (secret:NAME-??????, secret:NAME*) must match.
		req := authzRequest{action: action, resource: sm.arnPrefix() + name + "-??????", shown: name, context: ctx}
		reqs := []authzRequest{req}
		if len(in.Tags) > 0 {
			req.action = "secretsmanager:TagResource"
			reqs = append(reqs, req)
		}
		return reqs
	case c.Op == "ValidateResourcePolicy" && in.SecretId == nil:
		return []authzRequest{{action: action, resource: "*", context: ctx},
			{action: "secretsmanager:PutResourcePolicy", resource: "*", context: ctx}}
	}
	id := deref(in.SecretId)
	ctx.set("secretsmanager:SecretId", id)
	sm.mu.Lock()
	s, _ := sm.lookupLocked(id)
	req := sm.secretAuthzLocked(action, id, s, ctx)
	sm.mu.Unlock()
	reqs := []authzRequest{req}
	if c.Op == "ValidateResourcePolicy" {
		req.action = "secretsmanager:PutResourcePolicy"
		reqs = append(reqs, req)
	}
	return reqs
}

// secretAuthzLocked is the request for an action on secret id (s nil
// when there is no such secret), with the secret's tags and policy.
func (sm *secretsManager) secretAuthzLocked(action, id string, s *smSecret, ctx condContext) authzRequest {
	req := authzRequest{action: action, shown: id, context: ctx.clone(), resourceAccount: sm.env.accountID}
	if s == nil {
		req.resource = id
		if !strings.HasPrefix(id, "arn:") {
			req.resource = sm.arnPrefix() + id
		}
		return req
	}
	req.resource, req.policy = s.ARN, s.policy
	tags, _ := tagsOf(s.Tags, smKV.kv)
	req.context.withTags([]string{"aws:ResourceTag/", "secretsmanager:ResourceTag/"}, tags)
	return req
}

// smRequestKeys sets the condition keys that come from request members.
func smRequestKeys(ctx condContext, in *smAuthzInput) {
	withRequestTags(ctx, in.Tags, smTag.kv)
	if len(in.TagKeys) > 0 {
		ctx.set("aws:TagKeys", in.TagKeys...)
	}
	switch {
	case in.VersionStage != nil:
		ctx.set("secretsmanager:VersionStage", *in.VersionStage)
	case len(in.VersionStages) > 0:
		ctx.set("secretsmanager:VersionStage", in.VersionStages...)
	}
	optional := map[string]*string{
		"secretsmanager:VersionId":         in.VersionId,
		"secretsmanager:Description":       in.Description,
		"secretsmanager:KmsKeyId":          in.KmsKeyId,
		"secretsmanager:RotationLambdaARN": in.RotationLambdaARN,
	}
	for k, v := range optional {
		if v != nil {
			ctx.set(k, *v)
		}
	}
	if in.BlockPublicPolicy != nil {
		ctx.set("secretsmanager:BlockPublicPolicy", strconv.FormatBool(*in.BlockPublicPolicy))
	}
	if in.ForceDeleteWithoutRecovery != nil {
		ctx.set("secretsmanager:ForceDeleteWithoutRecovery", strconv.FormatBool(*in.ForceDeleteWithoutRecovery))
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
