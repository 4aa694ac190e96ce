package localaws

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// The Go API other emulated services use for the secrets they own, like the
// master-user secret RDS keeps for ManageMasterUserPassword. It skips the
// wire-level refusals for owned secrets (only the owner may change them, and
// this is the owner's path) and the user naming rules (RDS names its secrets
// "rds!db-..."), but shares state, locking and persistence with the API.

// createServiceSecret creates a secret owned by a service (OwningService
// "rds"), with a first AWSCURRENT version holding secretString, and returns
// its ARN. Tags may use the reserved aws: prefix.
func (sm *secretsManager) createServiceSecret(name, owningService, description string, tags map[string]string, secretString string) (arn string, err error) {
	if name == "" || owningService == "" {
		return "", smInvalidParameter("a service secret needs a name and an owning service")
	}
	if len(secretString) > smMaxSecretLen {
		return "", smTooLong("secretString", smMaxSecretLen)
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	res, err := sm.run(func(now time.Time) (any, error) {
		if existing := sm.secrets[name]; existing != nil {
			return nil, smResourceExists("The operation failed because the secret %s already exists.", name)
		}
		s := sm.addSecretLocked(name, now)
		s.OwningService = owningService
		if description != "" {
			s.Description = &description
		}
		for _, k := range keys {
			s.Tags = append(s.Tags, smKV{Key: k, Value: tags[k]})
		}
		value := secretString
		sm.addVersionLocked(s, uuid.NewString(), &value, nil, nil, now)
		return s.ARN, nil
	})
	if err != nil {
		return "", err
	}
	return res.(string), nil
}

// putServiceSecretValue adds a new AWSCURRENT version (AWSPREVIOUS follows).
func (sm *secretsManager) putServiceSecretValue(arn, secretString string) error {
	if len(secretString) > smMaxSecretLen {
		return smTooLong("secretString", smMaxSecretLen)
	}
	_, err := sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(arn)
		if err != nil {
			return nil, err
		}
		value := secretString
		sm.addVersionLocked(s, uuid.NewString(), &value, nil, nil, now)
		return nil, nil
	})
	return err
}

// currentSecretString reads the AWSCURRENT value of a secret by ARN. It is
// the owner reading its own secret, so it does not count as an access.
func (sm *secretsManager) currentSecretString(arn string) (string, error) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	s, err := sm.liveLocked(arn)
	if err != nil {
		return "", err
	}
	v := s.versionWithStage(smStageCurrent)
	if v == nil || v.SecretString == nil {
		return "", smNotFoundMsg("Secrets Manager can't find the specified secret value for staging label: " + smStageCurrent)
	}
	return *v.SecretString, nil
}

// deleteServiceSecret removes a service-owned secret at once. A secret that
// is already gone is not an error, so the owner's cleanup can be repeated.
func (sm *secretsManager) deleteServiceSecret(arn string) error {
	_, err := sm.run(func(now time.Time) (any, error) {
		s, err := sm.lookupLocked(arn)
		if err != nil {
			return nil, nil
		}
		sm.removeSecretLocked(s)
		return nil, nil
	})
	return err
}

// putServicePendingValue adds a new version labelled AWSPENDING only, as
// the first step of a rotation: readers of AWSCURRENT see no change yet.
// An AWSPENDING left on another version moves here.
func (sm *secretsManager) putServicePendingValue(arn, secretString string) (versionID string, err error) {
	if len(secretString) > smMaxSecretLen {
		return "", smTooLong("secretString", smMaxSecretLen)
	}
	id := uuid.NewString()
	_, err = sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(arn)
		if err != nil {
			return nil, err
		}
		value := secretString
		sm.addVersionLocked(s, id, &value, nil, []string{smStagePending}, now)
		return nil, nil
	})
	if err != nil {
		return "", err
	}
	return id, nil
}

// pendingSecretString reads the AWSPENDING version of a secret when it is
// not also AWSCURRENT: a rotation staged but not finished. ok is false when
// there is none.
func (sm *secretsManager) pendingSecretString(arn string) (versionID, value string, ok bool, err error) {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	s, aerr := sm.liveLocked(arn)
	if aerr != nil {
		return "", "", false, aerr
	}
	v := s.versionWithStage(smStagePending)
	if v == nil || v.hasStage(smStageCurrent) || v.SecretString == nil {
		return "", "", false, nil
	}
	return v.ID, *v.SecretString, true, nil
}

// promoteServicePending finishes a rotation: AWSCURRENT moves to versionID
// (AWSPREVIOUS following) and AWSPENDING comes off it. Repeating it is
// harmless, so recovery can finish a rotation whatever step it reached.
func (sm *secretsManager) promoteServicePending(arn, versionID string) error {
	_, err := sm.run(func(now time.Time) (any, error) {
		s, err := sm.liveLocked(arn)
		if err != nil {
			return nil, err
		}
		v := s.version(versionID)
		if v == nil {
			return nil, smNotFoundMsg("Secrets Manager can't find the version " + versionID + " to make current.")
		}
		if s.moveStage(smStageCurrent, v) {
			s.noteCurrentMoved(now)
		}
		v.removeStage(smStagePending)
		s.LastChanged = now
		sm.changed(s)
		return nil, nil
	})
	return err
}

// dropServicePending undoes a staged rotation: the AWSPENDING label comes
// off versionID, which is then deprecated.
func (sm *secretsManager) dropServicePending(arn, versionID string) error {
	_, err := sm.run(func(now time.Time) (any, error) {
		s, err := sm.lookupLocked(arn)
		if err != nil {
			return nil, nil
		}
		if v := s.version(versionID); v != nil && v.hasStage(smStagePending) {
			v.removeStage(smStagePending)
			s.LastChanged = now
			sm.changed(s)
		}
		return nil, nil
	})
	return err
}
