package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/rds/types"
	"go.temporal.io/sdk/temporal"
)

// masterRef says how to reach an application secret's instance as its
// master: the master secret, and the host, port, database and TLS settings
// of the application secret (an RDS-managed master secret holds only a
// username and a password).
type masterRef struct {
	secretARN string
	at        DBSecret
}

// masterFor finds the master of an application secret: its masterarn, or
// else the managed master secret of the RDS instance whose endpoint the
// secret names. nil means there is none: the role must change its own
// password.
func (a *Activities) masterFor(ctx context.Context, secretID string, app DBSecret) (*masterRef, error) {
	if app.MasterARN != "" {
		return &masterRef{secretARN: app.MasterARN, at: app}, nil
	}
	arn, err := a.instanceMasterSecret(ctx, secretID, app.Host, app.Port)
	if err != nil || arn == "" {
		return nil, err
	}
	return &masterRef{secretARN: arn, at: app}, nil
}

// instanceMasterSecret is the managed master secret of the instance at
// host:port, "" when no instance has that endpoint.
func (a *Activities) instanceMasterSecret(ctx context.Context, secretID, host string, port int) (string, error) {
	key := net.JoinHostPort(host, strconv.Itoa(port))
	if v, ok := a.instanceMasters.Load(key); ok {
		return v.(string), nil
	}
	pages := rds.NewDescribeDBInstancesPaginator(a.rds, &rds.DescribeDBInstancesInput{})
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return "", awsError(ctx, secretSubject(secretID), "DescribeDBInstances (finding the instance's master)", err)
		}
		for _, db := range out.DBInstances {
			if endpointIs(db, host, port) && db.MasterUserSecret != nil && db.MasterUserSecret.SecretArn != nil {
				arn := *db.MasterUserSecret.SecretArn
				a.instanceMasters.Store(key, arn)
				return arn, nil
			}
		}
	}
	return "", nil
}

func endpointIs(db types.DBInstance, host string, port int) bool {
	return db.Endpoint != nil && aws.ToString(db.Endpoint.Address) == host &&
		int(aws.ToInt32(db.Endpoint.Port)) == port
}

// withMaster runs fn over the instance's pooled master connection. Errors
// of the connection are classified here as the master's; fn classifies
// its own. A refused master login is final only once the master secret
// has had its chance to catch up with the database: see
// outlastMasterRotation.
func (a *Activities) withMaster(ctx context.Context, secretID string, m *masterRef, fn func(Querier) error) error {
	key := fmt.Sprintf("%s/%s|%s", net.JoinHostPort(m.at.Host, strconv.Itoa(m.at.Port)), m.at.DBName, m.secretARN)
	s := &masterSession{a: a, secretID: secretID, m: m, target: m.at.target()}
	s.target.Username = "master"
	// fn's own errors (a statement refused) are never a refused login.
	ran := false
	run := func(q Querier) error { ran = true; return fn(q) }
	err := a.db.WithMaster(ctx, key, s.load(stageCurrent), run)
	outlasted := false
	if !ran && isAuthFailure(err) {
		err = a.outlastMasterRotation(ctx, key, s, run, &ran, err)
		outlasted = !ran && isAuthFailure(err)
	}
	if err == nil {
		a.refusedMasters.Delete(key)
	}
	if isErrorType(err, ErrSecretNotFound) {
		// The instance may have been recreated with a new master secret.
		a.instanceMasters.Delete(net.JoinHostPort(m.at.Host, strconv.Itoa(m.at.Port)))
	}
	err = dbError(ctx, secretSubject(secretID)+" (master secret "+m.secretARN+")", s.target, masterLogin, err, s.passwords...)
	if outlasted {
		err = finalMasterRefusal(err, m.secretARN, s)
	}
	return err
}

// ofMaster says whose master a failing master secret is: "secret <app>:
// its master secret <arn> ...", keeping the error's type and retryability.
func ofMaster(secretID string, err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return nonRetryable(app.Type(), "secret "+secretID+": its master "+app.Message())
	}
	return retryable("secret %s: its master %s", secretID, err.Error())
}

// login opens a fresh connection with s and runs fn over it; kind says
// whose credentials these are, for the error.
func (a *Activities) login(ctx context.Context, secretID string, s DBSecret, kind loginKind, fn func(Querier) error) error {
	cfg, err := a.connConfig(secretID, s)
	if err != nil {
		return err
	}
	err = a.db.Login(ctx, cfg, fn)
	return dbError(ctx, secretSubject(secretID), s.target(), kind, err, s.Password)
}
