package localaws

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/credstage/credstage/internal/iampolicy"
)

const rdsInstancePrefix = "arn:aws:rds:us-east-1:000000000000:db:"

func managedCreate(id string, tags ...rdstypes.Tag) *rds.CreateDBInstanceInput {
	return &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String(id), DBInstanceClass: aws.String("db.t4g.micro"),
		Engine: aws.String("postgres"), MasterUsername: aws.String("master"), ManageMasterUserPassword: aws.Bool(true), Tags: tags}
}

func requireNoInstances(t *testing.T, srv *Server) {
	t.Helper()
	srv.rds.mu.Lock()
	defer srv.rds.mu.Unlock()
	if len(srv.rds.instances) != 0 {
		t.Fatalf("a refused call left %d instance(s)", len(srv.rds.instances))
	}
}

func requireNoSecrets(t *testing.T, srv *Server) {
	t.Helper()
	srv.sm.mu.Lock()
	defer srv.sm.mu.Unlock()
	if len(srv.sm.secrets) != 0 {
		t.Fatalf("a refused call left %d secret(s)", len(srv.sm.secrets))
	}
}

// TestIAMRDSRefusals: what RDS checks before acting, each refused with
// AWS's query-protocol answer and nothing created.
func TestIAMRDSRefusals(t *testing.T) {
	srv, _ := startRDSServer(t, Options{IAM: iamConfig([]string{
		`{"Effect":"Allow","Action":"rds:DescribeDBInstances","Resource":"arn:aws:rds:*:*:db:*"}`,
		`{"Effect":"Allow","Action":"rds:CreateDBInstance","Resource":"arn:aws:rds:*:*:db:app-*"}`,
	}, allowAllRDS)})
	worker, reader := rdsClientAs(srv, workerKey, workerSecret), rdsClientAs(srv, readerKey, readerSecret)
	ctx := iamCtx(t)
	if _, err := worker.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{}); err != nil {
		t.Fatalf("DescribeDBInstances on db:*: %v", err)
	}
	_, err := worker.CreateDBInstance(ctx, managedCreate("other-db"))
	requireAPIError(t, err, "AccessDenied", 403, "User: "+workerARN+" is not authorized to perform: rds:CreateDBInstance on resource: "+
		rdsInstancePrefix+"other-db because no identity-based policy allows the rds:CreateDBInstance action")
	_, err = worker.CreateDBInstance(ctx, managedCreate("app-db", rdstypes.Tag{Key: aws.String("Environment"), Value: aws.String("staging")}))
	requireAPIError(t, err, "AccessDenied", 403, "rds:AddTagsToResource on resource: "+rdsInstancePrefix+"app-db")
	_, err = worker.CreateDBInstance(ctx, managedCreate("app-db"))
	requireAPIError(t, err, "AccessDenied", 403, "secretsmanager:CreateSecret on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!db-*-??????")
	if e := lastEntry(t, srv, "CreateDBInstance"); e.Decision != "deny: no identity-based policy allows secretsmanager:CreateSecret" || e.Principal != workerARN {
		t.Fatalf("log entry %+v", e)
	}
	// The reader may do anything in RDS, but RDS makes the managed secret
	// on its behalf, which needs Secrets Manager permissions too.
	_, err = reader.CreateDBInstance(ctx, managedCreate("app-db"))
	requireAPIError(t, err, "AccessDenied", 403, "secretsmanager:CreateSecret")
	requireNoInstances(t, srv)
	requireNoSecrets(t, srv)
	_, err = worker.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("app-db"), SkipFinalSnapshot: aws.Bool(true)})
	requireAPIError(t, err, "AccessDenied", 403, "rds:DeleteDBInstance on resource: "+rdsInstancePrefix+"app-db")
}

// TestIAMRDSManagedInstance: an instance created with a managed master
// password, tags and the Secrets Manager permissions RDS needs; access to
// it decided by its tags; rotating its password needs
// secretsmanager:RotateSecret.
func TestIAMRDSManagedInstance(t *testing.T) {
	srv, _ := startRDSServer(t, Options{IAM: withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":["rds:CreateDBInstance","rds:AddTagsToResource","rds:ModifyDBInstance"],"Resource":"*"}`,
		`{"Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:TagResource"],"Resource":"arn:aws:secretsmanager:*:*:secret:rds!*",
		  "Condition":{"Bool":{"aws:ViaAWSService":"true"}}}`,
		`{"Effect":"Allow","Action":"rds:DescribeDBInstances","Resource":"*","Condition":{"StringEquals":{"rds:db-tag/Environment":"staging"}}}`,
	}, `{"Effect":"Allow","Action":"rds:DescribeDBInstances","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Environment":"production"}}}`))})
	worker, reader := rdsClientAs(srv, workerKey, workerSecret), rdsClientAs(srv, readerKey, readerSecret)
	admin := rdsClientAs(srv, adminKey, adminSecret)
	ctx := iamCtx(t)
	if _, err := worker.CreateDBInstance(ctx, managedCreate("app-db", rdstypes.Tag{Key: aws.String("Environment"), Value: aws.String("staging")})); err != nil {
		t.Fatalf("CreateDBInstance: %v", err)
	}
	inst := waitAvailable(t, admin, "app-db")
	if _, err := worker.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("app-db")}); err != nil {
		t.Fatalf("DescribeDBInstances allowed by rds:db-tag: %v", err)
	}
	_, err := reader.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("app-db")})
	requireAPIError(t, err, "AccessDenied", 403, "rds:DescribeDBInstances on resource: "+rdsInstancePrefix+"app-db")
	// Without an identifier the request is about db:*, which has no tags.
	_, err = worker.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	requireAPIError(t, err, "AccessDenied", 403, "on resource: "+rdsInstancePrefix+"*")

	secretARN := aws.ToString(inst.MasterUserSecret.SecretArn)
	sm := smClientAs(srv, adminKey, adminSecret)
	before := versionCount(t, sm, secretARN)
	_, err = worker.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("app-db"),
		RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)})
	requireAPIError(t, err, "AccessDenied", 403, "secretsmanager:RotateSecret on resource: "+secretARN)
	time.Sleep(50 * time.Millisecond)
	if after := versionCount(t, sm, secretARN); after != before {
		t.Fatalf("a refused rotation changed the secret (%d -> %d versions)", before, after)
	}
	if s := aws.ToString(describeOne(t, admin, "app-db").DBInstanceStatus); s != "available" {
		t.Fatalf("a refused rotation left the instance %s", s)
	}
	out := mustSM(sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretARN)}))(t)
	if aws.ToString(out.OwningService) != "rds" {
		t.Fatalf("managed secret %+v", out)
	}
}

// TestIAMRDSARNSpelling: a Deny on an instance's ARN holds however the
// call spells the instance. An upper-case identifier in an ARN is the
// same instance, and is denied; an ARN of another region or account names
// no instance here, so it cannot reach this one's tags around the Deny.
func TestIAMRDSARNSpelling(t *testing.T) {
	srv, _ := startRDSServer(t, Options{IAM: withAdmin(iamConfig([]string{allowAllRDS,
		`{"Effect":"Deny","Action":"rds:*","Resource":"arn:aws:rds:us-east-1:000000000000:db:prod"}`,
	}))})
	worker, admin := rdsClientAs(srv, workerKey, workerSecret), rdsClientAs(srv, adminKey, adminSecret)
	ctx := iamCtx(t)
	createWithPassword(t, admin, "prod", "master", "a-long-password", func(in *rds.CreateDBInstanceInput) {
		in.Tags = []rdstypes.Tag{{Key: aws.String("Environment"), Value: aws.String("production")}}
	})
	_, err := worker.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(rdsInstancePrefix + "PROD")})
	requireAPIError(t, err, "AccessDenied", 403, "rds:DescribeDBInstances on resource: "+rdsInstancePrefix+"prod with an explicit deny")
	_, err = worker.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(rdsInstancePrefix + "PROD"),
		Tags: []rdstypes.Tag{{Key: aws.String("Environment"), Value: aws.String("staging")}}})
	requireAPIError(t, err, "AccessDenied", 403, "rds:AddTagsToResource on resource: "+rdsInstancePrefix+"prod")
	for _, arn := range []string{"arn:aws:rds:eu-west-1:000000000000:db:prod", "arn:aws:rds:us-east-1:111111111111:db:prod"} {
		_, err = worker.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String(arn)})
		requireAPIError(t, err, "DBInstanceNotFound", 404, "")
		_, err = worker.AddTagsToResource(ctx, &rds.AddTagsToResourceInput{ResourceName: aws.String(arn),
			Tags: []rdstypes.Tag{{Key: aws.String("Environment"), Value: aws.String("staging")}}})
		requireAPIError(t, err, "DBInstanceNotFound", 404, "")
		_, err = worker.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(arn)})
		requireAPIError(t, err, "DBInstanceNotFound", 404, "")
	}
	if tags := describeOne(t, admin, "prod").TagList; len(tags) != 1 || aws.ToString(tags[0].Value) != "production" {
		t.Fatalf("tags after refused calls: %+v", tags)
	}
}

// TestIAMRDSParameterGroups: the parameter group calls are authorized on
// the group's ARN (pg:* for a listing), and creating or modifying an
// instance also on the group it gets: the default one unless named.
func TestIAMRDSParameterGroups(t *testing.T) {
	srv, _ := startRDSServer(t, Options{IAM: withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":"rds:*","Resource":"arn:aws:rds:*:*:db:*"}`,
		`{"Effect":"Allow","Action":["rds:CreateDBParameterGroup","rds:ModifyDBParameterGroup","rds:DeleteDBParameterGroup",
		  "rds:DescribeDBParameters","rds:DescribeDBParameterGroups"],"Resource":"arn:aws:rds:*:*:pg:app-*"}`,
		`{"Effect":"Allow","Action":"rds:CreateDBInstance","Resource":"arn:aws:rds:*:*:pg:default*"}`,
	}))})
	worker, admin := rdsClientAs(srv, workerKey, workerSecret), rdsClientAs(srv, adminKey, adminSecret)
	ctx := iamCtx(t)
	const pgPrefix = "arn:aws:rds:us-east-1:000000000000:pg:"
	family := srv.rds.family()
	if _, err := worker.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("app-pg"),
		DBParameterGroupFamily: aws.String(family), Description: aws.String("app")}); err != nil {
		t.Fatalf("CreateDBParameterGroup on pg:app-*: %v", err)
	}
	_, err := worker.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("other-pg"),
		DBParameterGroupFamily: aws.String(family), Description: aws.String("other")})
	requireAPIError(t, err, "AccessDenied", 403, "rds:CreateDBParameterGroup on resource: "+pgPrefix+"other-pg")
	_, err = worker.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{})
	requireAPIError(t, err, "AccessDenied", 403, "rds:DescribeDBParameterGroups on resource: "+pgPrefix+"*")
	if _, err := worker.DescribeDBParameterGroups(ctx, &rds.DescribeDBParameterGroupsInput{DBParameterGroupName: aws.String("APP-PG")}); err != nil {
		t.Fatalf("DescribeDBParameterGroups APP-PG: %v", err)
	}
	_, err = worker.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String(srv.rds.defaultParamGroup())})
	requireAPIError(t, err, "AccessDenied", 403, "rds:DescribeDBParameters on resource: "+pgPrefix+srv.rds.defaultParamGroup())

	createWithPassword(t, worker, "db1", "master", "a-long-password")
	_, err = worker.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("db2"), DBInstanceClass: aws.String("db.t4g.micro"),
		Engine: aws.String("postgres"), MasterUsername: aws.String("master"), MasterUserPassword: aws.String("a-long-password"),
		DBParameterGroupName: aws.String("app-pg")})
	requireAPIError(t, err, "AccessDenied", 403, "rds:CreateDBInstance on resource: "+pgPrefix+"app-pg")
	_, err = worker.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("db1"),
		DBParameterGroupName: aws.String("app-pg"), ApplyImmediately: aws.Bool(true)})
	requireAPIError(t, err, "AccessDenied", 403, "rds:ModifyDBInstance on resource: "+pgPrefix+"app-pg")
	out, err := admin.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
	if err != nil || len(out.DBInstances) != 1 || aws.ToString(out.DBInstances[0].DBParameterGroups[0].DBParameterGroupName) != srv.rds.defaultParamGroup() {
		t.Fatalf("after the refusals: %+v (%v), want db1 alone, in the default group", out, err)
	}
}

// TestIAMRDSWorkerPolicyManagedSecret: the worker policy credstage
// generates (--secret-prefix staging/) lets the worker create an instance
// whose master password RDS manages, its secret:rds!db-* statement
// covering what RDS does on its behalf; without that statement the
// create is refused and nothing is made.
func TestIAMRDSWorkerPolicyManagedSecret(t *testing.T) {
	doc, err := iampolicy.Worker(iampolicy.WorkerOptions{SecretPrefixes: []string{"staging/"}})
	if err != nil {
		t.Fatal(err)
	}
	var without iampolicy.Document
	without.Version = doc.Version
	for _, st := range doc.Statement {
		if st.Sid != "LetRdsManageMasterSecrets" {
			without.Statement = append(without.Statement, st)
		}
	}
	if len(without.Statement) != len(doc.Statement)-1 {
		t.Fatalf("no LetRdsManageMasterSecrets statement in %s", iampolicy.Compact(doc))
	}
	cfg := iamConfig(nil)
	cfg.Principals[0].Policies = []json.RawMessage{json.RawMessage(iampolicy.Compact(doc))}
	cfg.Principals[1].Policies = []json.RawMessage{json.RawMessage(iampolicy.Compact(without))}
	srv, _ := startRDSServer(t, Options{IAM: withAdmin(cfg)})
	ctx := iamCtx(t)
	tag := rdstypes.Tag{Key: aws.String("Environment"), Value: aws.String("staging")}
	_, err = rdsClientAs(srv, readerKey, readerSecret).CreateDBInstance(ctx, managedCreate("app-db", tag))
	requireAPIError(t, err, "AccessDenied", 403, "secretsmanager:CreateSecret on resource: arn:aws:secretsmanager:us-east-1:000000000000:secret:rds!")
	requireNoInstances(t, srv)
	requireNoSecrets(t, srv)
	if _, err := rdsClientAs(srv, workerKey, workerSecret).CreateDBInstance(ctx, managedCreate("app-db", tag)); err != nil {
		t.Fatalf("CreateDBInstance with the generated worker policy: %v", err)
	}
	waitAvailable(t, rdsClientAs(srv, adminKey, adminSecret), "app-db")
	// Rotating is checked on the instance's own secret, which the
	// statement covers too.
	if _, err := rdsClientAs(srv, workerKey, workerSecret).ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("app-db"),
		RotateMasterUserPassword: aws.Bool(true), ApplyImmediately: aws.Bool(true)}); err != nil {
		t.Fatalf("RotateMasterUserPassword with the generated worker policy: %v", err)
	}
}
