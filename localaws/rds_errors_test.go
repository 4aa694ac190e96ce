package localaws

import (
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// TestRDSValidationErrors covers the refusals that need no cluster: every
// one is checked through the real SDK for its AWS error code and status.
func TestRDSValidationErrors(t *testing.T) {
	_, client := startRDSServer(t, Options{})
	ctx := rdsCtx(t)
	base := func(mutate func(*rds.CreateDBInstanceInput)) *rds.CreateDBInstanceInput {
		in := &rds.CreateDBInstanceInput{
			DBInstanceIdentifier: aws.String("db1"),
			DBInstanceClass:      aws.String("db.t4g.micro"),
			Engine:               aws.String("postgres"),
			MasterUsername:       aws.String("master"),
			MasterUserPassword:   aws.String("Valid-Pass-123"),
		}
		mutate(in)
		return in
	}
	creates := []struct {
		name   string
		mutate func(*rds.CreateDBInstanceInput)
		code   string
	}{
		{"engine oracle-ee", func(in *rds.CreateDBInstanceInput) { in.Engine = aws.String("oracle-ee") }, "InvalidParameterValue"},
		{"identifier starts with digit", func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("1db") }, "InvalidParameterValue"},
		{"identifier trailing hyphen", func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("db-") }, "InvalidParameterValue"},
		{"identifier double hyphen", func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("d--b") }, "InvalidParameterValue"},
		{"identifier underscore", func(in *rds.CreateDBInstanceInput) { in.DBInstanceIdentifier = aws.String("d_b") }, "InvalidParameterValue"},
		{"identifier too long", func(in *rds.CreateDBInstanceInput) {
			in.DBInstanceIdentifier = aws.String("a123456789012345678901234567890123456789012345678901234567890123")
		}, "InvalidParameterValue"},
		{"both passwords", func(in *rds.CreateDBInstanceInput) { in.ManageMasterUserPassword = aws.Bool(true) }, "InvalidParameterCombination"},
		{"no password", func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = nil }, "InvalidParameterCombination"},
		{"no password, manage false", func(in *rds.CreateDBInstanceInput) {
			in.MasterUserPassword, in.ManageMasterUserPassword = nil, aws.Bool(false)
		}, "InvalidParameterCombination"},
		{"short password", func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String("short") }, "InvalidParameterValue"},
		{"password with @", func(in *rds.CreateDBInstanceInput) { in.MasterUserPassword = aws.String("Valid@Pass-123") }, "InvalidParameterValue"},
		{"reserved master user", func(in *rds.CreateDBInstanceInput) { in.MasterUsername = aws.String("rdsadmin") }, "InvalidParameterValue"},
		{"bad master user", func(in *rds.CreateDBInstanceInput) { in.MasterUsername = aws.String("9lives") }, "InvalidParameterValue"},
		{"bad db name", func(in *rds.CreateDBInstanceInput) { in.DBName = aws.String("app-db") }, "InvalidParameterValue"},
		{"small storage", func(in *rds.CreateDBInstanceInput) { in.AllocatedStorage = aws.Int32(5) }, "InvalidParameterValue"},
		{"other major version", func(in *rds.CreateDBInstanceInput) { in.EngineVersion = aws.String("9.6.1") }, "InvalidParameterCombination"},
		{"reserved tag key", func(in *rds.CreateDBInstanceInput) {
			in.Tags = []rdstypes.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}
		}, "InvalidParameterValue"},
	}
	for _, tc := range creates {
		t.Run("create/"+tc.name, func(t *testing.T) {
			_, err := client.CreateDBInstance(ctx, base(tc.mutate))
			wantAPIError(t, err, tc.code, 400)
		})
	}

	missing := aws.String("no-such-db")
	t.Run("not found", func(t *testing.T) {
		_, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: missing})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: missing, MasterUserPassword: aws.String("Valid-Pass-123")})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: missing, SkipFinalSnapshot: aws.Bool(true)})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.StopDBInstance(ctx, &rds.StopDBInstanceInput{DBInstanceIdentifier: missing})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.StartDBInstance(ctx, &rds.StartDBInstanceInput{DBInstanceIdentifier: missing})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.RebootDBInstance(ctx, &rds.RebootDBInstanceInput{DBInstanceIdentifier: missing})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
		_, err = client.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("arn:aws:rds:us-east-1:000000000000:db:no-such-db")})
		wantAPIError(t, err, "DBInstanceNotFound", 404)
	})
	t.Run("describe", func(t *testing.T) {
		_, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{MaxRecords: aws.Int32(5)})
		wantAPIError(t, err, "InvalidParameterValue", 400)
		_, err = client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Filters: []rdstypes.Filter{{Name: aws.String("color"), Values: []string{"red"}}}})
		wantAPIError(t, err, "InvalidParameterValue", 400)
		_, err = client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{Marker: aws.String("!!!")})
		wantAPIError(t, err, "InvalidParameterValue", 400)
		out, err := client.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{})
		if err != nil || len(out.DBInstances) != 0 || out.Marker != nil {
			t.Fatalf("empty describe: %+v, %v", out, err)
		}
	})
	t.Run("tags on a bad ARN", func(t *testing.T) {
		_, err := client.ListTagsForResource(ctx, &rds.ListTagsForResourceInput{ResourceName: aws.String("db1")})
		wantAPIError(t, err, "InvalidParameterValue", 400)
	})
	t.Run("delete needs a snapshot decision", func(t *testing.T) {
		_, err := client.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{DBInstanceIdentifier: aws.String("db1")})
		wantAPIError(t, err, "InvalidParameterCombination", 400)
	})
	t.Run("unknown action", func(t *testing.T) {
		_, err := client.DescribeDBClusters(ctx, &rds.DescribeDBClustersInput{})
		wantAPIError(t, err, "InvalidAction", 400)
	})
}

// TestModifyDBParameterGroupSaveFails: a change that cannot be saved is
// not kept, as a create that cannot be saved is not: the group reads as
// before and no instance is given the unsaved value.
func TestModifyDBParameterGroupSaveFails(t *testing.T) {
	srv, c := startRDSServer(t, Options{DataDir: t.TempDir()})
	ctx := rdsCtx(t)
	if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("app-pg"),
		DBParameterGroupFamily: aws.String(srv.rds.family()), Description: aws.String("app")}); err != nil {
		t.Fatalf("CreateDBParameterGroup: %v", err)
	}
	// A folder where rds.json should be: every save fails.
	state := srv.rds.statePath()
	if err := os.Remove(state); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("app-pg"),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String(paramForceSSL), ParameterValue: aws.String("0"),
			ApplyMethod: rdstypes.ApplyMethodImmediate}}})
	if err == nil {
		t.Fatal("ModifyDBParameterGroup succeeded with its save failing")
	}
	out, err := c.DescribeDBParameters(ctx, &rds.DescribeDBParametersInput{DBParameterGroupName: aws.String("app-pg")})
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Parameters[0]; aws.ToString(p.ParameterValue) != "1" || aws.ToString(p.Source) != "engine-default" {
		t.Fatalf("after a failed save the group holds %s=%s (%s)", aws.ToString(p.ParameterName), aws.ToString(p.ParameterValue), aws.ToString(p.Source))
	}
}
