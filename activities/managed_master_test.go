package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestRotateManagedMaster(t *testing.T) {
	st := localStack(t)
	// An app user made before, rotated after: its master pool must survive
	// the master password change.
	secret := st.newUser(t, StrategySingleUser)
	rotate(t, st, timings{}, secret, StrategySingleUser)

	in := ManagedMasterInput{DBInstanceIdentifier: stackInstance, MinDelay: 100 * time.Millisecond, MaxDelay: 500 * time.Millisecond}
	start := time.Now()
	res := must[ManagedMasterResult](t, st, st.acts.RotateManagedMaster, in)
	took := time.Since(start)
	if res.SecretARN != st.instance.MasterSecretARN || res.PreviousVersionID == "" || res.CurrentVersionID == "" || res.CurrentVersionID == res.PreviousVersionID {
		t.Fatalf("result %+v", res)
	}
	t.Logf("managed master rotation took %v", took.Round(time.Millisecond))
	must[struct{}](t, st, st.acts.VerifyLogin, LoginCheckInput{SecretID: res.SecretARN})
	if st.logsIn(res.SecretARN, stagePrevious) {
		t.Fatal("the previous master password still logs in")
	}

	// A retry that carries the earlier attempt's heartbeat (or the
	// previous version) only waits: no second rotation.
	env := st.suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(st.acts, RegisterOptions)
	env.SetHeartbeatDetails(managedMasterProgress{PreviousVersionID: res.PreviousVersionID, Requested: true})
	val, err := env.ExecuteActivity(st.acts.RotateManagedMaster, in)
	if err != nil {
		t.Fatal(err)
	}
	var again ManagedMasterResult
	if err := val.Get(&again); err != nil || again.CurrentVersionID != res.CurrentVersionID {
		t.Fatalf("retry rotated again: %+v (%v)", again, err)
	}

	// Rotations through the pooled master connection keep working; close
	// the pool's connections first so a new login with the old password is
	// refused and the pool must re-read the master secret.
	st.acts.db.(*pgxConnector).resetConnections()
	rotate(t, st, timings{}, secret, StrategySingleUser)

	mustFail(t, st, st.acts.RotateManagedMaster, ManagedMasterInput{DBInstanceIdentifier: "no-such-instance"}, ErrInstanceNotAvailable)
	st.assertNoPasswords(t, st.logs.String())
}

func TestConnectorReloadsMasterOnAuthFailure(t *testing.T) {
	st := localStack(t)
	master := st.masterLogin(t)
	c := NewPGXConnector(1)
	defer c.Close()
	loads := 0
	load := func(context.Context) (MasterCredentials, error) {
		loads++
		login := master
		if loads == 1 {
			login.Password = "stale-password-from-before-a-rotation"
		}
		cfg, err := st.acts.connConfig("test", login)
		return MasterCredentials{SecretARN: "arn", VersionID: itoaVersion(loads), Config: cfg}, err
	}
	ran := 0
	for range 3 {
		if err := c.WithMaster(context.Background(), "k", load, selectOneCount(&ran)); err != nil {
			t.Fatal(err)
		}
	}
	if loads != 2 || ran != 3 {
		t.Fatalf("loads %d runs %d, want 2 loads (stale, fresh) and 3 runs", loads, ran)
	}
	// A master that stays wrong is reported, after one reload.
	bad := func(context.Context) (MasterCredentials, error) {
		login := master
		login.Password = "always-wrong"
		cfg, err := st.acts.connConfig("test", login)
		return MasterCredentials{Config: cfg}, err
	}
	err := c.WithMaster(context.Background(), "other", bad, selectOneCount(&ran))
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("want 28P01, got %v", err)
	}
}

func selectOneCount(n *int) func(Querier) error {
	return func(q Querier) error {
		*n++
		return selectOne(context.Background())(q)
	}
}

func itoaVersion(n int) string { return string(rune('a' + n)) }

func TestRotateManagedMasterRefusesUnmanagedInstance(t *testing.T) {
	st := localStack(t)
	out, err := st.rds.DescribeDBInstances(context.Background(), &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(stackInstance)})
	if err != nil || len(out.DBInstances) != 1 || out.DBInstances[0].MasterUserSecret == nil {
		t.Fatalf("shared instance must have a managed master: %v", err)
	}
	mustFail(t, st, st.acts.RotateManagedMaster, ManagedMasterInput{DBInstanceIdentifier: "Bad--Id"}, ErrInvalidInput)
}
