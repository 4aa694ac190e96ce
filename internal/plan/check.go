package plan

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/yamlnode"
)

// SecretDescriber is the one Secrets Manager call Check needs: metadata
// only, never the secret value.
type SecretDescriber interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
}

var _ SecretDescriber = (*secretsmanager.Client)(nil)

// SecretInfo is what DescribeSecret told about a target.
type SecretInfo struct {
	Name string
	ARN  string
	// Warnings are things worth knowing that do not stop a run.
	Warnings []string
}

// Check asks DescribeSecret about every target: each must exist and not
// be scheduled for deletion, and RDS-owned secrets must use the
// rds-managed-master strategy. Targets written as ARNs are replaced by
// their names, so the one-rotation-per-secret lock (rotate/<name>) holds
// however the secret was written.
func (r *Resolved) Check(ctx context.Context, sm SecretDescriber) error {
	var errs yamlnode.Errors
	bad := func(o Origin, format string, args ...any) {
		errs = append(errs, &yamlnode.Error{File: r.File(), Line: o.Line, Path: o.Path, Msg: fmt.Sprintf(format, args...)})
	}
	byARN := map[string]Origin{}
	for i := range r.Plan.Stages {
		for j := range r.Plan.Stages[i].Targets {
			if len(errs) >= yamlnode.MaxErrors {
				// A plan this wrong is the wrong plan: stop asking AWS
				// about the rest of it.
				errs = append(errs, &yamlnode.Error{File: r.File(), Msg: fmt.Sprintf("%d problems: the rest of the plan was not checked", len(errs))})
				return errs.Err()
			}
			t := &r.Plan.Stages[i].Targets[j]
			o := &r.Origins[i][j]
			out, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(t.SecretID)})
			var nf *smtypes.ResourceNotFoundException
			switch {
			case errors.As(err, &nf):
				bad(*o, "secret %q not found in Secrets Manager", t.SecretID)
				continue
			case err != nil:
				return &AWSError{Op: "DescribeSecret " + t.SecretID, Err: err}
			}
			info := &SecretInfo{Name: aws.ToString(out.Name), ARN: aws.ToString(out.ARN)}
			o.Secret = info
			if out.DeletedDate != nil {
				bad(*o, "secret %q is scheduled for deletion", t.SecretID)
				continue
			}
			if first, dup := byARN[info.ARN]; dup {
				bad(*o, "secret %q is the same secret as %s (line %d); a secret is rotated once per run", t.SecretID, first.Path, first.Line)
				continue
			}
			byARN[info.ARN] = *o
			owner := aws.ToString(out.OwningService)
			switch {
			case owner == "rds" && t.Strategy != activities.StrategyManagedMaster:
				bad(*o, "secret %q is managed by RDS: use strategy rds-managed-master", t.SecretID)
				continue
			case owner != "rds" && owner != "" && t.Strategy == activities.StrategyManagedMaster:
				bad(*o, "secret %q is owned by %s, not RDS: strategy rds-managed-master does not apply", t.SecretID, owner)
				continue
			}
			if aws.ToBool(out.RotationEnabled) {
				info.Warnings = append(info.Warnings, "Secrets Manager's own rotation is enabled too: the two rotations would race")
			}
			for version, stages := range out.VersionIdsToStages {
				for _, s := range stages {
					if s == "AWSPENDING" && !contains(stages, "AWSCURRENT") {
						info.Warnings = append(info.Warnings, fmt.Sprintf("AWSPENDING left on version %s by an earlier run; the next rotation clears it", version))
					}
				}
			}
			t.SecretID = info.Name
		}
	}
	return errs.Err()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
