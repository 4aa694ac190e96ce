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
// its own.
func (a *Activities) withMaster(ctx context.Context, secretID string, m *masterRef, fn func(Querier) error) error {
	key := fmt.Sprintf("%s/%s|%s", net.JoinHostPort(m.at.Host, strconv.Itoa(m.at.Port)), m.at.DBName, m.secretARN)
	target := m.at.target()
	target.Username = "master"
	var password string
	load := func(ctx context.Context) (MasterCredentials, error) {
		value, versionID, err := a.secretString(ctx, m.secretARN, "", stageCurrent)
		if err != nil {
			return MasterCredentials{}, ofMaster(secretID, err)
		}
		ms, err := parseMasterSecret(m.secretARN, value)
		if err != nil {
			return MasterCredentials{}, ofMaster(secretID, err)
		}
		login := m.at
		login.Username, login.Password = ms.Username, ms.Password
		target.Username, password = ms.Username, ms.Password
		cfg, err := login.connConfig(secretID, a.opts.ConnectTimeout)
		if err != nil {
			return MasterCredentials{}, err
		}
		return MasterCredentials{SecretARN: m.secretARN, VersionID: versionID, Config: cfg}, nil
	}
	err := a.db.WithMaster(ctx, key, load, fn)
	if isErrorType(err, ErrSecretNotFound) {
		// The instance may have been recreated with a new master secret.
		a.instanceMasters.Delete(net.JoinHostPort(m.at.Host, strconv.Itoa(m.at.Port)))
	}
	return dbError(ctx, secretSubject(secretID)+" (master secret "+m.secretARN+")", target, masterLogin, err, password)
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
	cfg, err := s.connConfig(secretID, a.opts.ConnectTimeout)
	if err != nil {
		return err
	}
	err = a.db.Login(ctx, cfg, fn)
	return dbError(ctx, secretSubject(secretID), s.target(), kind, err, s.Password)
}
