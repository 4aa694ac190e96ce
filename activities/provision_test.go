package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func TestProvisionInstanceAndUsers(t *testing.T) {
	st := localStack(t)
	if st.instance.MasterSecretARN == "" || st.instance.Status != "available" {
		t.Fatalf("instance: %+v", st.instance)
	}
	// The instance's managed master secret logs in.
	must[struct{}](t, st, st.acts.VerifyLogin, LoginCheckInput{SecretID: st.instance.MasterSecretARN})

	// Creating it again adopts it (a retry after a crash looks like this).
	again := must[CreateInstanceResult](t, st, st.acts.CreateDBInstance, ProvisionRequest{Identifier: stackInstance, Environment: stackEnv, DBName: stackDB})
	if !again.Adopted || again.ARN != st.instance.ARN {
		t.Fatalf("repeat CreateDBInstance: %+v", again)
	}

	for _, strategy := range []Strategy{StrategySingleUser, StrategyAlternatingUsers} {
		t.Run(string(strategy), func(t *testing.T) {
			in := AppUserInput{Instance: st.instance, Environment: stackEnv,
				User: AppUser{Name: "prov_" + map[Strategy]string{StrategySingleUser: "single", StrategyAlternatingUsers: "alt"}[strategy], Strategy: strategy, Grants: []string{"readwrite", "create"}},
				Tags: map[string]string{"team": "payments"}}
			first := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
			if first.Adopted || first.SecretARN == "" || first.SecretName != stackEnv+"/"+stackInstance+"/"+in.User.Name {
				t.Fatalf("first: %+v", first)
			}
			wantRoles := 1
			if strategy == StrategyAlternatingUsers {
				wantRoles = 2
			}
			if len(first.Roles) != wantRoles {
				t.Fatalf("roles %v", first.Roles)
			}
			// Idempotent: the same request again changes nothing.
			second := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
			if second.SecretARN != first.SecretARN || second.Adopted {
				t.Fatalf("second: %+v", second)
			}
			st.assertInvariant(t, first.SecretName)
			s := st.secretJSON(t, first.SecretName, stageCurrent)
			if s.MasterARN != st.instance.MasterSecretARN || s.Engine != "postgres" || s.DBName != stackDB {
				t.Fatalf("secret JSON: %v master %q", s, s.MasterARN)
			}
			desc, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(first.SecretName)})
			if err != nil {
				t.Fatal(err)
			}
			tags := map[string]string{}
			for _, tag := range desc.Tags {
				tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
			}
			if tags["Environment"] != stackEnv || tags["credstage:managed"] != "true" || tags["team"] != "payments" {
				t.Fatalf("tags %v", tags)
			}
			// The grants work: the user can create a table and write to it.
			err = st.acts.login(context.Background(), first.SecretName, s, appLogin, func(q Querier) error {
				_, err := q.Exec(context.Background(), "CREATE TABLE IF NOT EXISTS "+quoteIdent("t_"+in.User.Name)+" (id int); INSERT INTO "+quoteIdent("t_"+in.User.Name)+" VALUES (1)")
				return err
			})
			if err != nil {
				t.Fatalf("grants: %v", err)
			}
			// Compensation drops roles and secret; twice is fine.
			must[struct{}](t, st, st.acts.DeleteAppUser, in)
			must[struct{}](t, st, st.acts.DeleteAppUser, in)
			if _, err := st.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(first.SecretName)}); err == nil {
				t.Fatal("secret still there")
			}
			master := st.masterLogin(t)
			for _, role := range first.Roles {
				err := st.acts.login(context.Background(), "master", master, masterLogin, func(q Querier) error {
					exists, err := roleExists(context.Background(), q, role)
					if err == nil && exists {
						t.Errorf("role %s still exists", role)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func TestCreateAppUserAdoptsExistingSecret(t *testing.T) {
	st := localStack(t)
	const user = "adopted_user"
	name := "byhand/" + user
	st.putSecret(t, name, map[string]any{"engine": "postgres", "host": st.instance.Address, "port": st.instance.Port,
		"username": user, "password": "Hand-Made-Password-42", "dbname": stackDB})
	in := AppUserInput{Instance: st.instance, Environment: stackEnv, User: AppUser{Name: user, Strategy: StrategySingleUser, SecretName: name}}
	res := must[AppUserResult](t, st, st.acts.CreateAppUser, in)
	if !res.Adopted {
		t.Fatalf("%+v", res)
	}
	st.assertInvariant(t, name)
	// An adopted user is not ours to delete.
	must[struct{}](t, st, st.acts.DeleteAppUser, in)
	st.assertInvariant(t, name)
}

func TestWaitInstanceAvailableFailsFastOnMissingInstance(t *testing.T) {
	st := localStack(t)
	start := time.Now()
	app := mustFail(t, st, st.acts.WaitInstanceAvailable, WaitInstanceInput{Identifier: "no-such-instance"}, ErrInstanceNotAvailable)
	if time.Since(start) > 5*time.Second || !contains(app.Error(), "no-such-instance") {
		t.Fatalf("%v after %v", app, time.Since(start))
	}
}

func TestDeleteDBInstanceRefusesForeignAndIsIdempotent(t *testing.T) {
	st := localStack(t)
	must[struct{}](t, st, st.acts.DeleteDBInstance, DeleteInstanceInput{Identifier: "never-existed"})
}
