package activities

import (
	"context"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// Tags credstage puts on what it creates; the managed tag is also what
// DeleteDBInstance insists on before deleting anything.
const (
	tagEnvironment = "Environment"
	tagManaged     = "credstage:managed"
	tagInstance    = "credstage:instance"
	tagStrategy    = "credstage:strategy"
)

const (
	defaultInstanceClass  = "db.t4g.micro"
	defaultStorageGiB     = 20
	defaultMasterUsername = "postgres"
)

// CreateDBInstance asks RDS for a PostgreSQL instance whose master
// password RDS generates and keeps in Secrets Manager
// (ManageMasterUserPassword), tagged with the environment and
// credstage:managed=true.
//
// Invariant afterwards: the instance exists (perhaps still creating). If
// the process dies right after the request, the retry gets
// DBInstanceAlreadyExists and adopts the instance, since it is PostgreSQL;
// an existing instance of another engine is refused.
func (a *Activities) CreateDBInstance(ctx context.Context, req ProvisionRequest) (CreateInstanceResult, error) {
	if err := validateProvision(req); err != nil {
		return CreateInstanceResult{}, err
	}
	in := &rds.CreateDBInstanceInput{
		DBInstanceIdentifier:     aws.String(req.Identifier),
		Engine:                   aws.String("postgres"),
		DBInstanceClass:          aws.String(orDefault(req.InstanceClass, defaultInstanceClass)),
		AllocatedStorage:         aws.Int32(req.AllocatedStorage),
		DBName:                   aws.String(req.DBName),
		MasterUsername:           aws.String(orDefault(req.MasterUsername, defaultMasterUsername)),
		ManageMasterUserPassword: aws.Bool(true),
		StorageEncrypted:         aws.Bool(true),
		Tags:                     rdsTags(req.Environment, req.Tags),
	}
	if req.AllocatedStorage <= 0 {
		in.AllocatedStorage = aws.Int32(defaultStorageGiB)
	}
	if req.EngineVersion != "" {
		in.EngineVersion = aws.String(req.EngineVersion)
	}
	out, err := a.rds.CreateDBInstance(ctx, in)
	if code := awsCode(err); code == "DBInstanceAlreadyExists" || code == "DBInstanceAlreadyExistsFault" {
		return a.adoptInstance(ctx, req.Identifier)
	}
	if err != nil {
		return CreateInstanceResult{}, awsError(ctx, instanceSubject(req.Identifier), "CreateDBInstance", err)
	}
	logger(ctx).Info("created DB instance", "instance", req.Identifier, "environment", req.Environment)
	return CreateInstanceResult{ARN: aws.ToString(out.DBInstance.DBInstanceArn)}, nil
}

func (a *Activities) adoptInstance(ctx context.Context, id string) (CreateInstanceResult, error) {
	db, err := a.describeInstance(ctx, id)
	if err != nil {
		return CreateInstanceResult{}, err
	}
	if engine := aws.ToString(db.Engine); engine != "postgres" {
		return CreateInstanceResult{}, invalidInput("instance %s already exists with engine %q; credstage provisions postgres only", id, engine)
	}
	logger(ctx).Info("adopted existing DB instance", "instance", id, "status", aws.ToString(db.DBInstanceStatus))
	return CreateInstanceResult{ARN: aws.ToString(db.DBInstanceArn), Adopted: true}, nil
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

func rdsTags(env string, extra map[string]string) []rdstypes.Tag {
	tags := []rdstypes.Tag{{Key: aws.String(tagEnvironment), Value: aws.String(env)}, {Key: aws.String(tagManaged), Value: aws.String("true")}}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		if k != tagEnvironment && k != tagManaged {
			tags = append(tags, rdstypes.Tag{Key: aws.String(k), Value: aws.String(extra[k])})
		}
	}
	return tags
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
