package activities

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/credstage/credstage/engine"
)

// TagManaged (=true) marks what credstage created and manages; `credstage
// audit` lists the secrets to audit by it.
const TagManaged = engine.TagManaged

// Tags credstage puts on what it creates (the run's own mark is
// ownership.go's tagProvisionRun, which DeleteDBInstance insists on).
const (
	tagEnvironment = engine.TagEnvironment
	tagManaged     = TagManaged
	tagInstance    = "credstage:instance"
	tagStrategy    = engine.TagStrategy
)

const (
	defaultInstanceClass  = "db.t4g.micro"
	defaultStorageGiB     = 20
	defaultMasterUsername = "postgres"
)

// CreateDBInstance asks RDS for a PostgreSQL instance whose master
// password RDS generates and keeps in Secrets Manager
// (ManageMasterUserPassword), tagged with the environment,
// credstage:managed=true and the run's mark (tagProvisionRun) in the same
// call, so no instance of this run ever exists without its mark.
//
// Invariant afterwards: the instance exists (perhaps still creating) and
// Outcome says whose it is. If the process dies right after the request,
// or the reply is lost and the call retried, the retry gets
// DBInstanceAlreadyExists and recognises its own instance by the mark:
// it is still created, and compensation still deletes it. An instance
// that exists already is checked (checkExistingInstance): made by an
// earlier provisioning, it is used as it is; without credstage's mark it
// is refused unless req.AdoptInstance. A call that hangs is cut by the
// activity's timeout and retried the same way.
func (a *Activities) CreateDBInstance(ctx context.Context, req ProvisionRequest) (CreateInstanceResult, error) {
	if err := validateProvision(req); err != nil {
		return CreateInstanceResult{}, err
	}
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:     aws.String(req.Identifier),
		Engine:                   aws.String(provisionEngine),
		DBInstanceClass:          aws.String(orDefault(req.InstanceClass, defaultInstanceClass)),
		AllocatedStorage:         aws.Int32(req.AllocatedStorage),
		DBName:                   aws.String(req.DBName),
		MasterUsername:           aws.String(orDefault(req.MasterUsername, defaultMasterUsername)),
		ManageMasterUserPassword: aws.Bool(true),
		StorageEncrypted:         aws.Bool(true),
		Tags:                     rdsTags(req.Environment, req.Run, req.Tags),
	}
	if req.AllocatedStorage <= 0 {
		in.AllocatedStorage = aws.Int32(defaultStorageGiB)
	}
	if req.EngineVersion != "" {
		in.EngineVersion = aws.String(req.EngineVersion)
	}
	out, err := a.rds.CreateDBInstance(ctx, in)
	if code := awsCode(err); code == "DBInstanceAlreadyExists" || code == "DBInstanceAlreadyExistsFault" {
		db, err := a.describeInstance(ctx, req.Identifier)
		if err != nil {
			return CreateInstanceResult{}, err
		}
		return checkExistingInstance(ctx, req, db)
	}
	if err != nil {
		return CreateInstanceResult{}, awsError(ctx, instanceSubject(req.Identifier), "CreateDBInstance", err)
	}
	logger(ctx).Info("created DB instance", "instance", req.Identifier, "environment", req.Environment)
	return CreateInstanceResult{ARN: aws.ToString(out.DBInstance.DBInstanceArn), Outcome: OutcomeCreated}, nil
}

// provisionEngine is the only engine credstage provisions.
const provisionEngine = "postgres"

// checkExistingInstance decides what an instance that already exists is
// to this run: its own (the mark; a lost reply), an earlier credstage
// provisioning's, or a foreign one that only req.AdoptInstance lets it
// use. Whatever is not this run's must match the request (engine,
// database name, master user and its RDS-managed password, environment
// tag): a mismatch is a clear refusal, and nothing is changed.
func checkExistingInstance(ctx context.Context, req ProvisionRequest, db rdstypes.DBInstance) (CreateInstanceResult, error) {
	tags := rdsTagMap(db.TagList)
	who := ownerOfTags(tags, req.Run)
	res := CreateInstanceResult{ARN: aws.ToString(db.DBInstanceArn)}
	if who == ownerThisRun {
		logger(ctx).Info("DB instance created by this run (reply lost or retried)", "instance", req.Identifier)
		res.Outcome = OutcomeCreated
		return res, nil
	}
	id := req.Identifier
	if who == ownerForeign && !req.AdoptInstance {
		return res, notCredstages("instance %s already exists and was not created by credstage (no %s tag); "+
			"pass --adopt instance to provision its users on it (credstage will neither change nor delete it), or choose another identifier", id, tagManaged)
	}
	if engine := aws.ToString(db.Engine); engine != provisionEngine {
		return res, invalidInput("instance %s already exists with engine %q; credstage provisions %s only", id, engine, provisionEngine)
	}
	if name := aws.ToString(db.DBName); name != req.DBName {
		return res, invalidInput("instance %s already exists with database %q, not %q; use --db-name %s or another identifier", id, name, req.DBName, orDefault(name, "(none)"))
	}
	if master, want := aws.ToString(db.MasterUsername), orDefault(req.MasterUsername, defaultMasterUsername); master != want {
		return res, invalidInput("instance %s already exists with master user %q, not %q", id, master, want)
	}
	if db.MasterUserSecret == nil || aws.ToString(db.MasterUserSecret.SecretArn) == "" {
		return res, invalidInput("instance %s already exists without an RDS-managed master password; credstage needs one "+
			"(aws rds modify-db-instance --db-instance-identifier %s --manage-master-user-password) and will not change it itself", id, id)
	}
	env, tagged := tags[tagEnvironment]
	switch {
	case tagged && env != req.Environment:
		return res, invalidInput("instance %s already exists in environment %q (its %s tag), not %q", id, env, tagEnvironment, req.Environment)
	case !tagged && who == ownerCredstage:
		return res, invalidInput("instance %s was created by credstage but has lost its %s tag; tag it %s=%s again", id, tagEnvironment, tagEnvironment, req.Environment)
	}
	res.Adopted = true
	res.Outcome = OutcomeExisting
	if who == ownerForeign {
		res.Outcome = OutcomeAdopted
	}
	logger(ctx).Info("using existing DB instance", "instance", id, "outcome", res.Outcome, "status", aws.ToString(db.DBInstanceStatus))
	return res, nil
}

func validateProvision(req ProvisionRequest) error {
	if err := validateInstanceID(req.Identifier); err != nil {
		return err
	}
	if strings.TrimSpace(req.Environment) == "" {
		return invalidInput("instance %s: environment is empty", req.Identifier)
	}
	if err := validateDBName(req.DBName); err != nil {
		return err
	}
	if req.MasterUsername != "" && !roleNameRE.MatchString(req.MasterUsername) {
		return invalidInput("instance %s: master username %q: lower-case letters, digits and underscores", req.Identifier, req.MasterUsername)
	}
	seen := map[string]bool{}
	for _, u := range req.Users {
		if err := validateAppUser(u); err != nil {
			return err
		}
		if seen[u.Name] || u.Name == orDefault(req.MasterUsername, defaultMasterUsername) {
			return invalidInput("instance %s: user %q is listed twice or is the master", req.Identifier, u.Name)
		}
		seen[u.Name] = true
	}
	return nil
}

func rdsTags(env, run string, extra map[string]string) []rdstypes.Tag {
	tags := []rdstypes.Tag{{Key: aws.String(tagEnvironment), Value: aws.String(env)}, {Key: aws.String(tagManaged), Value: aws.String("true")}}
	if run != "" {
		tags = append(tags, rdstypes.Tag{Key: aws.String(tagProvisionRun), Value: aws.String(run)})
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if !reservedTag(k) {
			tags = append(tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(extra[k])})
		}
	}
	return tags
}

// reservedTag: tags credstage sets itself, which a request's own tags
// cannot override.
func reservedTag(k string) bool {
	switch k {
	case tagEnvironment, tagManaged, tagInstance, tagStrategy, tagProvisionRun, tagHandover:
		return true
	}
	return false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
