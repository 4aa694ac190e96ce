package localaws

import (
	"strconv"
	"strings"
)

// What an RDS call needs: rds:<Operation> on the instance's ARN
// (DescribeDBInstances without an identifier, or with filters, on
// arn:...:db:*), with the instance's tags as rds:db-tag/<k> and
// aws:ResourceTag/<k>; the parameter group calls on the group's ARN
// (arn:...:pg:NAME, DescribeDBParameterGroups without a name on pg:*).
// As RDS documents:
//   - CreateDBInstance is also checked on the parameter group the
//     instance gets (named, else the default), and ModifyDBInstance on
//     the one it names;
//   - tags given to CreateDBInstance also need rds:AddTagsToResource;
//   - ManageMasterUserPassword=true on create or modify also needs
//     secretsmanager:CreateSecret and secretsmanager:TagResource (RDS
//     creates the secret on the caller's behalf), on the ARN the secret
//     will have (managedSecretPattern);
//   - RotateMasterUserPassword=true needs secretsmanager:RotateSecret on
//     the instance's secret.
//
// kms:DescribeKey, which RDS also lists, is not checked: there is no KMS.

const rdsServicePrincipal = "rds.amazonaws.com"

func (r *rdsService) authzRequests(c *Call, base condContext) []authzRequest {
	form := c.Form
	action := c.action()
	ctx := base.clone()
	tags, _ := tagsParam(form, "Tags")
	withRequestTags(ctx, tags, rdsTag.kv)
	if keys := stringListParam(form, "TagKeys"); len(keys) > 0 {
		ctx.set("aws:TagKeys", keys...)
	}
	manage, manageSet, _ := boolParam(form, "ManageMasterUserPassword")
	if manageSet || c.Op == "CreateDBInstance" {
		ctx.set("rds:ManageMasterUserPassword", strconv.FormatBool(manage))
	}
	if c.Op == "CreateDBInstance" {
		ctx.set("rds:DatabaseEngine", strings.ToLower(form.Get("Engine")))
		ctx.set("rds:DatabaseClass", form.Get("DBInstanceClass"))
	}

	switch c.Op {
	case "CreateDBParameterGroup", "ModifyDBParameterGroup", "DeleteDBParameterGroup", "DescribeDBParameters":
		return []authzRequest{r.paramGroupRequest(action, form.Get("DBParameterGroupName"), ctx)}
	case "DescribeDBParameterGroups":
		name := form.Get("DBParameterGroupName")
		if name == "" {
			name = "*"
		}
		return []authzRequest{r.paramGroupRequest(action, name, ctx)}
	}

	var target string
	switch c.Op {
	case "AddTagsToResource", "RemoveTagsFromResource", "ListTagsForResource":
		target = form.Get("ResourceName")
	case "DescribeDBInstances":
		if len(filtersParam(form)) > 0 || form.Get("DBInstanceIdentifier") == "" {
			return []authzRequest{{action: action, resource: r.instanceARN("*"), shown: r.instanceARN("*"), context: ctx}}
		}
		target = form.Get("DBInstanceIdentifier")
	default:
		target = form.Get("DBInstanceIdentifier")
	}
	// The group has tags of its own, not the instance's.
	groupCtx := ctx.clone()
	arn, secretARN := r.authzTarget(target, ctx)
	req := authzRequest{action: action, resource: arn, shown: arn, context: ctx}
	reqs := []authzRequest{req}
	if c.Op == "CreateDBInstance" && len(tags) > 0 {
		req.action = "rds:AddTagsToResource"
		reqs = append(reqs, req)
	}
	if manage && (c.Op == "CreateDBInstance" || c.Op == "ModifyDBInstance") {
		reqs = append(reqs, r.managedSecretRequests(arn, base)...)
	}
	if rotate, _, _ := boolParam(form, "RotateMasterUserPassword"); rotate && c.Op == "ModifyDBInstance" {
		if secretARN == "" {
			secretARN = r.managedSecretPattern()
		}
		reqs = append(reqs, authzRequest{action: "secretsmanager:RotateSecret", resource: secretARN, shown: secretARN,
			context: base.viaService(rdsServicePrincipal)})
	}
	// The instance's parameter group is a resource of the call too: the
	// one named, or on create the default group it gets otherwise.
	if group := form.Get("DBParameterGroupName"); c.Op == "CreateDBInstance" || (c.Op == "ModifyDBInstance" && group != "") {
		if group == "" {
			group = r.defaultParamGroupOf(strings.ToLower(form.Get("Engine")))
		}
		reqs = append(reqs, r.paramGroupRequest(action, group, groupCtx))
	}
	return reqs
}

// paramGroupRequest is action on the parameter group named name.
func (r *rdsService) paramGroupRequest(action, name string, ctx condContext) authzRequest {
	arn := r.paramGroupARN(name)
	return authzRequest{action: action, resource: arn, shown: arn, context: ctx}
}

// authzTarget resolves an identifier or ARN to the instance ARN and adds
// the instance's tags to ctx; secretARN is its managed secret, if any. A
// name that resolves to no instance of this region and account is
// authorized as given: the operation refuses it without touching anything.
func (r *rdsService) authzTarget(idOrARN string, ctx condContext) (arn, secretARN string) {
	id, err := r.instanceID(idOrARN)
	if err != nil {
		return idOrARN, ""
	}
	arn = r.instanceARN(id)
	r.mu.Lock()
	defer r.mu.Unlock()
	if in := r.instances[id]; in != nil {
		tags, _ := tagsOf(in.Tags, rdsTag.kv)
		ctx.withTags([]string{"rds:db-tag/", "aws:ResourceTag/"}, tags)
		secretARN = in.SecretARN
	}
	return arn, secretARN
}

// managedSecretRequests are the Secrets Manager permissions RDS uses on
// the caller's behalf to create an instance's managed master secret.
func (r *rdsService) managedSecretRequests(instanceARN string, base condContext) []authzRequest {
	ctx := base.viaService(rdsServicePrincipal)
	withRequestTags(ctx, []rdsTag{{Key: "aws:rds:primaryDBInstanceArn", Value: instanceARN}}, rdsTag.kv)
	pattern := r.managedSecretPattern()
	return []authzRequest{
		{action: "secretsmanager:CreateSecret", resource: pattern, shown: pattern, context: ctx},
		{action: "secretsmanager:TagResource", resource: pattern, shown: pattern, context: ctx},
	}
}

// managedSecretPattern stands for the ARN an instance's managed secret
// will have, which RDS checks its requests on the caller's behalf
// against: the name's UUID is drawn only when the secret is made, so "*"
// takes its place, and the suffix is Secrets Manager's. A policy on
// secret:rds!db-* (or secret:rds!*) matches it.
func (r *rdsService) managedSecretPattern() string {
	return r.sm.arnPrefix() + managedSecretName("*") + "-??????"
}
