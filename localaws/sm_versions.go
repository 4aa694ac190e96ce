package localaws

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Staging labels with a meaning to Secrets Manager itself.
const (
	smStageCurrent  = "AWSCURRENT"
	smStagePrevious = "AWSPREVIOUS"
	smStagePending  = "AWSPENDING"
)

// smMaxVersions is how many versions a secret keeps: beyond it the oldest
// unlabelled (deprecated) ones are dropped. AWS also keeps every version
// younger than 24 hours; the emulator does not, so a benchmark that rotates
// one secret many times a minute never runs into the version quota.
const smMaxVersions = 100

// moveStage attaches stage to `to` (nil: to no version), taking it from the
// version holding it: a label is on at most one version. Moving AWSCURRENT
// off a version makes AWSPREVIOUS follow to that version. It reports whether
// AWSCURRENT moved.
func (s *smSecret) moveStage(stage string, to *smVersion) (currentMoved bool) {
	from := s.versionWithStage(stage)
	if from == to {
		return false
	}
	if from != nil {
		from.removeStage(stage)
	}
	if to != nil {
		to.addStage(stage)
	}
	if stage != smStageCurrent {
		return false
	}
	if from != nil && to != nil {
		if prev := s.versionWithStage(smStagePrevious); prev != nil {
			prev.removeStage(smStagePrevious)
		}
		from.addStage(smStagePrevious)
	}
	return true
}

// addVersionLocked stores a new version and attaches its labels the way
// PutSecretValue documents: no labels given means AWSCURRENT; the first
// value of a secret always gets AWSCURRENT; a label given that sits on
// another version moves here (AWSCURRENT taking AWSPREVIOUS along).
func (sm *secretsManager) addVersionLocked(s *smSecret, id string, str *string, bin []byte, stages []string, now time.Time) *smVersion {
	v := &smVersion{ID: id, SecretString: smCloneString(str), SecretBinary: slices.Clone(bin), Created: now}
	s.Versions = append(s.Versions, v)
	if stages == nil {
		stages = []string{smStageCurrent}
	}
	// AWSCURRENT first, so an explicit AWSPREVIOUS in the same call is not
	// undone by AWSPREVIOUS following AWSCURRENT.
	ordered := slices.Clone(stages)
	slices.SortStableFunc(ordered, func(a, b string) int {
		return smBoolRank(b == smStageCurrent) - smBoolRank(a == smStageCurrent)
	})
	moved := false
	for _, st := range ordered {
		if s.moveStage(st, v) {
			moved = true
		}
	}
	if s.versionWithStage(smStageCurrent) == nil {
		v.addStage(smStageCurrent)
		moved = true
	}
	if moved {
		s.noteCurrentMoved(now)
	}
	s.LastChanged = now
	s.pruneVersions()
	sm.changed(s)
	return v
}

func smBoolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func smCloneString(s *string) *string {
	if s == nil {
		return nil
	}
	c := *s
	return &c
}

// noteCurrentMoved counts a new AWSCURRENT as a rotation when rotation is
// on: AWS treats a manual update as a valid rotation for the schedule.
func (s *smSecret) noteCurrentMoved(now time.Time) {
	if s.Rotation == nil || !s.Rotation.Enabled {
		return
	}
	t := now
	s.Rotation.LastRotated = &t
	s.Rotation.NextRotation = smNextRotation(s.Rotation, now)
}

// pruneVersions drops the oldest deprecated versions beyond smMaxVersions.
func (s *smSecret) pruneVersions() {
	excess := len(s.Versions) - smMaxVersions
	if excess <= 0 {
		return
	}
	s.Versions = slices.DeleteFunc(s.Versions, func(v *smVersion) bool {
		if excess > 0 && len(v.Stages) == 0 {
			excess--
			return true
		}
		return false
	})
}

// smNewVersionID is the VersionId of a new version: the caller's
// ClientRequestToken, or a UUID as the SDKs would have sent.
func smNewVersionID(token *string) string {
	if token != nil {
		return *token
	}
	return uuid.NewString()
}

// updateSecretVersionStage moves or removes one staging label. Moving a
// label that sits on another version must name that version in
// RemoveFromVersionId: the caller proves it knows where the label is, so two
// rotations racing cannot silently steal a label from each other.
func (sm *secretsManager) updateSecretVersionStage(c *Call) (any, error) {
	in, derr := smDecode[smUpdateSecretVersionStageInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if in.VersionStage == nil {
		return nil, smMissing("versionStage")
	}
	stage := *in.VersionStage
	if err := smFirstErr(smValidateStage(stage, "versionStage"),
		smValidateVersionID(in.MoveToVersionId, "moveToVersionId"),
		smValidateVersionID(in.RemoveFromVersionId, "removeFromVersionId")); err != nil {
		return nil, err
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.mutableLocked(id)
		if err != nil {
			return nil, err
		}
		if err := s.applyStageUpdate(stage, in.MoveToVersionId, in.RemoveFromVersionId, now); err != nil {
			return nil, err
		}
		s.LastChanged = now
		s.pruneVersions()
		sm.changed(s)
		return smNameOutput{ARN: s.ARN, Name: s.Name}, nil
	})
}

func (s *smSecret) applyStageUpdate(stage string, moveTo, removeFrom *string, now time.Time) *APIError {
	if moveTo == nil && removeFrom == nil {
		return smInvalidParameter("You must specify MoveToVersionId, RemoveFromVersionId, or both.")
	}
	holder := s.versionWithStage(stage)
	var from, to *smVersion
	if removeFrom != nil {
		if from = s.version(*removeFrom); from == nil {
			return smInvalidParameter("Secrets Manager can't find the version %s to remove the staging label %s from.", *removeFrom, stage)
		}
		if holder != from {
			return smInvalidParameter("The staging label %s isn't attached to version %s, so it can't be removed from it.", stage, *removeFrom)
		}
	}
	if moveTo != nil {
		if to = s.version(*moveTo); to == nil {
			return smInvalidParameter("Secrets Manager can't find the version %s to move the staging label %s to.", *moveTo, stage)
		}
	}
	if to == nil {
		if stage == smStageCurrent {
			return smInvalidParameter("You can't remove the staging label AWSCURRENT from a version without moving it to another version: a secret always has a current version.")
		}
		from.removeStage(stage)
		return nil
	}
	if holder != nil && holder != to && from == nil {
		return smInvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, "+
			"so you must explicitly reference that version in RemoveFromVersionId.", stage, holder.ID)
	}
	if to.hasStage(stage) {
		return nil
	}
	if len(to.Stages) >= smMaxStagesPerVer {
		return smInvalidParameter("A version can have at most %d staging labels.", smMaxStagesPerVer)
	}
	if s.moveStage(stage, to) {
		s.noteCurrentMoved(now)
	}
	return nil
}

// listSecretVersionIDs lists versions newest first; deprecated ones only
// with IncludeDeprecated.
func (sm *secretsManager) listSecretVersionIDs(c *Call) (any, error) {
	in, derr := smDecode[smListSecretVersionIdsInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if err := smValidateMaxResults(in.MaxResults, 100); err != nil {
		return nil, err
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.lookupLocked(id)
		if err != nil {
			return nil, err
		}
		includeDeprecated := in.IncludeDeprecated != nil && *in.IncludeDeprecated
		entries := make([]smVersionEntry, 0, len(s.Versions))
		for i := len(s.Versions) - 1; i >= 0; i-- {
			v := s.Versions[i]
			if len(v.Stages) == 0 && !includeDeprecated {
				continue
			}
			entries = append(entries, smVersionEntry{VersionId: v.ID, VersionStages: slices.Clone(v.Stages),
				CreatedDate: smEpochSeconds(v.Created), LastAccessedDate: smEpochSecondsPtr(v.LastAccessed)})
		}
		page, next, perr := smPaginate(entries, in.MaxResults, in.NextToken, 100)
		if perr != nil {
			return nil, perr
		}
		return smListSecretVersionIdsOutput{ARN: s.ARN, Name: s.Name, Versions: page, NextToken: next}, nil
	})
}

// smFirstErr returns the first non-nil error, as a plain error interface that
// is nil when all are (a nil *APIError must never become a non-nil error).
func smFirstErr(errs ...*APIError) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
