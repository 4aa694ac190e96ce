package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/activity"
)

// managedMasterProgress is the heartbeat of RotateManagedMaster: a retry
// of the activity picks it up, so it neither asks RDS twice nor waits for
// a change that already happened.
type managedMasterProgress struct {
	PreviousVersionID string `json:"previousVersionId"`
	Requested         bool   `json:"requested"`
	Status            string `json:"status,omitempty"`
}

// RotateManagedMaster rotates an RDS-managed master secret: RDS sets the
// password itself (ModifyDBInstance RotateMasterUserPassword with
// ApplyImmediately); this waits, heartbeating with backoff, until the
// secret's AWSCURRENT moved off PreviousVersionID and the instance is
// available again, then proves the new master credentials log in.
//
// Invariant afterwards: the master secret's AWSCURRENT is a new version
// and it logs in. If the process dies after the request, the retry reads
// the heartbeat (or sees AWSCURRENT already moved) and only waits; the
// master pools of the instance re-read the secret on their next refused
// login.
func (a *Activities) RotateManagedMaster(ctx context.Context, in ManagedMasterInput) (ManagedMasterResult, error) {
	if in.DBInstanceIdentifier == "" && in.SecretID != "" {
		id, err := a.instanceOfManagedSecret(ctx, in.SecretID)
		if err != nil {
			return ManagedMasterResult{}, err
		}
		in.DBInstanceIdentifier = id
	}
	if err := validateInstanceID(in.DBInstanceIdentifier); err != nil {
		return ManagedMasterResult{}, err
	}
	id := in.DBInstanceIdentifier
	db, err := a.describeInstance(ctx, id)
	if err != nil {
		return ManagedMasterResult{}, err
	}
	info := instanceInfo(db)
	if info.MasterSecretARN == "" {
		return ManagedMasterResult{}, invalidInput("instance %s has no RDS-managed master secret (ManageMasterUserPassword is off)", id)
	}
	progress := managedMasterProgress{PreviousVersionID: in.PreviousVersionID}
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var last managedMasterProgress
		if activity.GetHeartbeatDetails(ctx, &last) == nil && (progress.PreviousVersionID == "" || progress.PreviousVersionID == last.PreviousVersionID) {
			progress = last
		}
	}
	if progress.PreviousVersionID == "" {
		st, err := a.describeSecret(ctx, info.MasterSecretARN)
		if err != nil {
			return ManagedMasterResult{}, err
		}
		progress.PreviousVersionID = st.versionWith(stageCurrent)
	}
	res := ManagedMasterResult{SecretARN: info.MasterSecretARN, PreviousVersionID: progress.PreviousVersionID}
	heartbeat(ctx, progress)
	p := newPoller(in.MinDelay, in.MaxDelay)
	for {
		st, err := a.describeSecret(ctx, info.MasterSecretARN)
		if err != nil {
			return res, err
		}
		current := st.versionWith(stageCurrent)
		if db, err = a.describeInstance(ctx, id); err != nil {
			return res, err
		}
		info = instanceInfo(db)
		progress.Status = info.Status
		if terminalStatuses[info.Status] {
			return res, nonRetryable(ErrInstanceNotAvailable, "instance "+id+" is "+info.Status+" while rotating its master password")
		}
		secretActive := db.MasterUserSecret == nil || db.MasterUserSecret.SecretStatus == nil || aws.ToString(db.MasterUserSecret.SecretStatus) == "active"
		if current != progress.PreviousVersionID && info.Status == "available" && secretActive {
			res.CurrentVersionID = current
			break
		}
		if !progress.Requested && current == progress.PreviousVersionID && info.Status == "available" {
			_, err := a.rds.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{
				DBInstanceIdentifier:     aws.String(id),
				RotateMasterUserPassword: aws.Bool(true),
				ApplyImmediately:         aws.Bool(true),
			})
			switch code := awsCode(err); {
			case err == nil:
				progress.Requested = true
				logger(ctx).Info("asked RDS to rotate the master password", "instance", id, "secret", info.MasterSecretARN)
			case code == "InvalidDBInstanceState" || code == "InvalidDBInstanceStateFault":
				// Busy with something else (perhaps our own earlier request
				// whose heartbeat was lost): poll again.
			default:
				return res, awsError(ctx, instanceSubject(id), "ModifyDBInstance RotateMasterUserPassword", err)
			}
			heartbeat(ctx, progress)
		}
		if err := p.wait(ctx, progress); err != nil {
			return res, retryable("instance %s: waiting for the master rotation: %v", id, err)
		}
	}
	if err := a.loginInstanceMaster(ctx, info, stageCurrent); err != nil {
		return res, err
	}
	logger(ctx).Info("master password rotated", "instance", id, "previous", res.PreviousVersionID, "current", res.CurrentVersionID)
	return res, nil
}

// loginInstanceMaster logs in with the instance's managed master secret
// (the given stage) at the instance's endpoint.
func (a *Activities) loginInstanceMaster(ctx context.Context, info InstanceInfo, stage string) error {
	value, _, err := a.secretString(ctx, info.MasterSecretARN, "", stage)
	if err != nil {
		return err
	}
	ms, err := parseMasterSecret(info.MasterSecretARN, value)
	if err != nil {
		return err
	}
	login := instanceLogin(info, ms)
	return a.login(ctx, info.MasterSecretARN, login, masterLogin, selectOne(ctx))
}

// instanceLogin is a master secret completed with the instance's endpoint
// (an RDS-managed master secret has only username and password).
func instanceLogin(info InstanceInfo, ms DBSecret) DBSecret {
	login := ms
	if login.Host == "" {
		login.Host, login.Port = info.Address, int(info.Port)
	}
	if info.DBName != "" {
		login.DBName = info.DBName
	}
	return login
}

// rdsOwnerTag is the tag RDS puts on the master secrets it manages.
const rdsOwnerTag = "aws:rds:primaryDBInstanceArn"

// instanceOfManagedSecret finds the instance an RDS-managed master secret
// belongs to, from the tag RDS sets on it (metadata only, never the value).
func (a *Activities) instanceOfManagedSecret(ctx context.Context, secretID string) (string, error) {
	out, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
	if err != nil {
		return "", awsError(ctx, secretSubject(secretID), "DescribeSecret", err)
	}
	for _, t := range out.Tags {
		if aws.ToString(t.Key) != rdsOwnerTag {
			continue
		}
		arn := aws.ToString(t.Value)
		if _, id, ok := strings.Cut(arn, ":db:"); ok && id != "" {
			return id, nil
		}
		return "", invalidInput("secret %s: tag %s holds %q, not a DB instance ARN", secretID, rdsOwnerTag, arn)
	}
	return "", invalidInput("secret %s is not an RDS-managed master secret (no %s tag): use the single-user or alternating-users strategy", secretID, rdsOwnerTag)
}
