package localaws

import (
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/smithy-go"
)

// TestRDSWithoutPostgres checks a machine without the PostgreSQL server
// binaries still runs the emulator, and CreateDBInstance says what to do.
func TestRDSWithoutPostgres(t *testing.T) {
	srv, _ := startRDSServer(t, Options{PGBinDir: t.TempDir()})
	client := rds.New(rds.Options{}, func(o *rds.Options) {
		*o = newRDSTestClient(srv.URL()).Options()
		o.RetryMaxAttempts = 1
	})
	_, err := client.CreateDBInstance(rdsCtx(t), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("nopg"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String("master"), MasterUserPassword: aws.String("Valid-Pass-123")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.ErrorMessage(), "make postgres") {
		t.Fatalf("got %v, want an error telling to run make postgres", err)
	}
	out, err := client.DescribeDBInstances(rdsCtx(t), &rds.DescribeDBInstancesInput{})
	if err != nil || len(out.DBInstances) != 0 {
		t.Fatalf("describe: %v %v", out, err)
	}
}

// TestRDSPortInUse checks a requested Port that something else holds is
// refused up front instead of failing the instance later.
func TestRDSPortInUse(t *testing.T) {
	_, client := startRDSServer(t, Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port, _ := strconv.Atoi(strings.TrimPrefix(ln.Addr().String(), "127.0.0.1:"))
	_, err = client.CreateDBInstance(rdsCtx(t), &rds.CreateDBInstanceInput{
		DBInstanceIdentifier: aws.String("busy"), DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"),
		MasterUsername: aws.String("master"), MasterUserPassword: aws.String("Valid-Pass-123"), Port: aws.Int32(int32(port))})
	wantAPIError(t, err, "InvalidParameterValue", 400)
}
