package activities

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
)

func existingInstance(engine string, tags map[string]string) rdstypes.DBInstance {
	db := rdstypes.DBInstance{
		DBInstanceIdentifier: aws.String("orders"), DBInstanceArn: aws.String("arn:aws:rds:us-east-1:1:db:orders"),
		Engine: aws.String(engine), DBName: aws.String("orders"), MasterUsername: aws.String("postgres"),
		MasterUserSecret: &rdstypes.MasterUserSecret{SecretArn: aws.String("arn:aws:secretsmanager:us-east-1:1:secret:rds!db-1")},
	}
	for k, v := range tags {
		db.TagList = append(db.TagList, rdstypes.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return db
}

// TestCheckExistingInstance: what an existing instance is to a run, and
// each mismatch refused with what to do.
func TestCheckExistingInstance(t *testing.T) {
	ours := map[string]string{tagManaged: "true", tagEnvironment: "staging", tagProvisionRun: "run-1"}
	earlier := map[string]string{tagManaged: "true", tagEnvironment: "staging", tagProvisionRun: "run-0"}
	req := ProvisionRequest{Identifier: "orders", Environment: "staging", DBName: "orders", Run: "run-1"}
	for _, tc := range []struct {
		name    string
		db      rdstypes.DBInstance
		adopt   bool
		outcome Outcome
		errType string
		says    string
	}{
		{name: "this run's (lost reply)", db: existingInstance("postgres", ours), outcome: OutcomeCreated},
		{name: "an earlier provisioning's", db: existingInstance("postgres", earlier), outcome: OutcomeExisting},
		{name: "foreign", db: existingInstance("postgres", nil), errType: ErrNotCredstages, says: "--adopt instance"},
		{name: "foreign, adopted", db: existingInstance("postgres", nil), adopt: true, outcome: OutcomeAdopted},
		{name: "foreign, adopted, other engine", db: existingInstance("mysql", nil), adopt: true, errType: ErrInvalidInput, says: `engine "mysql"`},
		{name: "earlier, other engine", db: existingInstance("mysql", earlier), errType: ErrInvalidInput, says: `engine "mysql"`},
		{name: "foreign, other environment", db: existingInstance("postgres", map[string]string{tagEnvironment: "production"}), adopt: true,
			errType: ErrInvalidInput, says: `environment "production"`},
		{name: "credstage's without environment", db: existingInstance("postgres", map[string]string{tagManaged: "true"}),
			errType: ErrInvalidInput, says: "lost its Environment tag"},
		{name: "no managed master", db: func() rdstypes.DBInstance {
			db := existingInstance("postgres", earlier)
			db.MasterUserSecret = nil
			return db
		}(), errType: ErrInvalidInput, says: "--manage-master-user-password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := req
			r.AdoptInstance = tc.adopt
			res, err := checkExistingInstance(context.Background(), r, tc.db)
			if tc.errType != "" {
				var app *temporal.ApplicationError
				if !errors.As(err, &app) || app.Type() != tc.errType || !strings.Contains(app.Message(), tc.says) {
					t.Fatalf("error %v, want %s saying %q", err, tc.errType, tc.says)
				}
				return
			}
			if err != nil || res.Outcome != tc.outcome || res.Adopted != (tc.outcome != OutcomeCreated) {
				t.Fatalf("%+v, %v; want outcome %s", res, err, tc.outcome)
			}
		})
	}
}

func TestRoleMarkRun(t *testing.T) {
	for comment, want := range map[string]string{
		roleMark("app", "run-1", "staging/db/app"):       "run-1",
		roleMark("app_clone", "run-2", "staging/db/app"): "run-2",
		cloneLoginMarker("app", "tok"):                   "",
		"":                                               "",
	} {
		if got := roleMarkRun(comment); got != want {
			t.Errorf("roleMarkRun(%q) = %q, want %q", comment, got, want)
		}
	}
	if !strings.HasPrefix(roleMark("app_clone", "r", "s"), cloneMarker("app")) {
		t.Error("a provisioned clone's mark does not begin with the clone marker")
	}
}

// TestAppUserTokenKeepsTheOldToken: an execution from before run marks
// (no run) still sends, and recognises, the token its release used.
func TestAppUserTokenKeepsTheOldToken(t *testing.T) {
	old := uuid.NewSHA1(appUserNamespace, []byte("orders/app")).String()
	if got := appUserToken("", "orders", "app"); got != old {
		t.Fatalf("token without a run %s, want the old %s", got, old)
	}
	if appUserToken("run-1", "orders", "app") == old || appUserToken("run-1", "orders", "app") == appUserToken("run-2", "orders", "app") {
		t.Fatal("a run's token must be its own")
	}
}
