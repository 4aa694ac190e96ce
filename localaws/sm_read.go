package localaws

import (
	"slices"
	"time"
)

// describeSecret returns a secret's metadata, never its value. It works on
// secrets scheduled for deletion (that is how a caller sees DeletedDate) and
// on secrets other services own.
func (sm *secretsManager) describeSecret(c *Call) (any, error) {
	id, aerr := smSecretIDOf(c)
	if aerr != nil {
		return nil, aerr
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.lookupLocked(id)
		if err != nil {
			return nil, err
		}
		return sm.details(s), nil
	})
}

// details builds DescribeSecret's view of a secret.
func (sm *secretsManager) details(s *smSecret) smSecretDetails {
	d := smSecretDetails{
		ARN: s.ARN, Name: s.Name, Type: smCloneString(s.Type), Description: smCloneString(s.Description),
		KmsKeyId:           smCloneString(s.KmsKeyID),
		LastChangedDate:    smEpochSeconds(s.LastChanged),
		LastAccessedDate:   smEpochSecondsPtr(s.LastAccessed),
		DeletedDate:        smEpochSecondsPtr(s.DeletionDate),
		CreatedDate:        smEpochSeconds(s.Created),
		VersionIdsToStages: s.versionsToStages(),
		Tags:               smWireTags(s.Tags),
	}
	// The answer is encoded after the lock is released: copy, never point
	// into the state.
	if s.OwningService != "" {
		owner := s.OwningService
		d.OwningService = &owner
	}
	if r := s.Rotation; r != nil {
		enabled := r.Enabled
		d.RotationEnabled = &enabled
		if r.LambdaARN != "" {
			lambda := r.LambdaARN
			d.RotationLambdaARN = &lambda
		}
		if r.AutomaticallyAfterDays != nil || r.ScheduleExpression != nil || r.Duration != nil {
			d.RotationRules = &smRotationRules{AutomaticallyAfterDays: smCloneInt(r.AutomaticallyAfterDays),
				ScheduleExpression: smCloneString(r.ScheduleExpression), Duration: smCloneString(r.Duration)}
		}
		d.LastRotatedDate = smEpochSecondsPtr(r.LastRotated)
		if r.Enabled {
			d.NextRotationDate = smEpochSecondsPtr(r.NextRotation)
		}
	}
	return d
}

func smCloneInt(v *int64) *int64 {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}

// getSecretValue reads one version: by VersionId, by VersionStage, or both
// (which must agree); AWSCURRENT when neither is given.
func (sm *secretsManager) getSecretValue(c *Call) (any, error) {
	in, derr := smDecode[smGetSecretValueInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if err := smValidateVersionID(in.VersionId, "versionId"); err != nil {
		return nil, err
	}
	if in.VersionStage != nil {
		if err := smValidateStage(*in.VersionStage, "versionStage"); err != nil {
			return nil, err
		}
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(id)
		if err != nil {
			return nil, err
		}
		v, err := smSelectVersion(s, in.VersionId, in.VersionStage)
		if err != nil {
			return nil, err
		}
		sm.touchAccessLocked(s, v, now)
		return smValueOf(s, v), nil
	})
}

func smSelectVersion(s *smSecret, versionID, stage *string) (*smVersion, *APIError) {
	if versionID != nil {
		v := s.version(*versionID)
		if v == nil {
			return nil, smNotFoundMsg("Secrets Manager can't find the specified secret value for VersionId: " + *versionID)
		}
		if stage != nil && !v.hasStage(*stage) {
			return nil, smNotFoundMsg("You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return v, nil
	}
	label := smStageCurrent
	if stage != nil {
		label = *stage
	}
	v := s.versionWithStage(label)
	if v == nil {
		return nil, smNotFoundMsg("Secrets Manager can't find the specified secret value for staging label: " + label)
	}
	return v, nil
}

func smValueOf(s *smSecret, v *smVersion) smSecretValue {
	return smSecretValue{ARN: s.ARN, Name: s.Name, VersionId: v.ID,
		SecretString: smCloneString(v.SecretString), SecretBinary: slices.Clone(v.SecretBinary),
		VersionStages: slices.Clone(v.Stages), CreatedDate: smEpochSeconds(v.Created)}
}

// batchGetSecretValue reads the AWSCURRENT value of up to 20 secrets named
// in SecretIdList, or of the secrets matching Filters (paginated). A secret
// that cannot be read is reported in Errors instead of failing the call.
func (sm *secretsManager) batchGetSecretValue(c *Call) (any, error) {
	in, derr := smDecode[smBatchGetSecretValueInput](c)
	if derr != nil {
		return nil, derr
	}
	switch {
	case in.SecretIdList != nil && in.Filters != nil:
		return nil, smInvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	case in.SecretIdList == nil && in.Filters == nil:
		return nil, smInvalidParameter("Either 'SecretIdList' or 'Filters' must be provided.")
	case in.SecretIdList != nil && in.MaxResults != nil:
		return nil, smInvalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
	case in.SecretIdList != nil && (len(in.SecretIdList) == 0 || len(in.SecretIdList) > smMaxBatchIDs):
		return nil, smValidation("Value at 'secretIdList' failed to satisfy constraint: Member must have length between 1 and %d", smMaxBatchIDs)
	}
	if err := smFirstErr(smValidateMaxResults(in.MaxResults, smMaxBatchIDs), smValidateFilters(in.Filters)); err != nil {
		return nil, err
	}
	return sm.run(func(now time.Time) (any, error) {
		out := smBatchGetSecretValueOutput{SecretValues: []smSecretValue{}, Errors: []smAPIErrorEntry{}}
		read := func(id string) {
			if denied := sm.batchItemDeniedLocked(c, id); denied != nil {
				out.Errors = append(out.Errors, smAPIErrorEntry{SecretId: id, ErrorCode: denied.Code, Message: denied.Message})
				return
			}
			s, err := sm.liveLocked(id)
			var v *smVersion
			if err == nil {
				v, err = smSelectVersion(s, nil, nil)
			}
			if err != nil {
				out.Errors = append(out.Errors, smAPIErrorEntry{SecretId: id, ErrorCode: err.Code, Message: err.Message})
				return
			}
			sm.touchAccessLocked(s, v, now)
			out.SecretValues = append(out.SecretValues, smValueOf(s, v))
		}
		if in.SecretIdList != nil {
			for _, id := range in.SecretIdList {
				read(id)
			}
			return out, nil
		}
		var matched []*smSecret
		for _, s := range sm.orderedLocked() {
			if !s.scheduledForDeletion() && sm.matchesFilters(s, in.Filters) {
				matched = append(matched, s)
			}
		}
		page, next, perr := smPaginate(matched, in.MaxResults, in.NextToken, smMaxBatchIDs)
		if perr != nil {
			return nil, perr
		}
		for _, s := range page {
			read(s.ARN)
		}
		out.NextToken = next
		return out, nil
	})
}

// batchItemDeniedLocked checks, when IAM is enforced, that the caller may
// GetSecretValue the secret a BatchGetSecretValue names: a refusal is one
// entry of Errors, as AWS reports it, not the failure of the whole call.
func (sm *secretsManager) batchItemDeniedLocked(c *Call, id string) *APIError {
	if c.authz == nil {
		return nil
	}
	s, _ := sm.lookupLocked(id)
	ctx := c.authz.base.clone()
	ctx.set("secretsmanager:SecretId", id)
	return c.authz.check(sm.secretAuthzLocked("secretsmanager:GetSecretValue", id, s, ctx))
}
