package localaws

import (
	"strings"
	"time"
)

// Deletion follows AWS: DeleteSecret schedules the secret for deletion after
// a recovery window (7-30 days, default 30) during which it refuses reads
// and changes but can be restored; ForceDeleteWithoutRecovery removes it at
// once. The emulator purges expired secrets lazily, at the next call.

const (
	smDefaultRecoveryDays = 30
	smMinRecoveryDays     = 7
	smMaxRecoveryDays     = 30
)

func (sm *secretsManager) deleteSecret(c *Call) (any, error) {
	in, derr := smDecode[smDeleteSecretInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	if force && in.RecoveryWindowInDays != nil {
		return nil, smInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	days := int64(smDefaultRecoveryDays)
	if in.RecoveryWindowInDays != nil {
		days = *in.RecoveryWindowInDays
		if days < smMinRecoveryDays || days > smMaxRecoveryDays {
			return nil, smInvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.lookupLocked(id)
		if err != nil {
			if force {
				// AWS: force-deleting a secret that does not exist (or is
				// already gone) is not a ResourceNotFoundException.
				return sm.goneSecretAnswer(id, now), nil
			}
			return nil, err
		}
		if s.OwningService != "" {
			return nil, smManagedByService(s.OwningService)
		}
		if force {
			sm.removeSecretLocked(s)
			return smDeleteSecretOutput{ARN: s.ARN, Name: s.Name, DeletionDate: smEpochSeconds(now)}, nil
		}
		if s.scheduledForDeletion() {
			return nil, smMarkedForDeletion()
		}
		when := now.Add(time.Duration(days) * 24 * time.Hour)
		s.DeletionDate = &when
		s.LastChanged = now
		sm.schedulePurgeLocked(when)
		sm.changed(s)
		return smDeleteSecretOutput{ARN: s.ARN, Name: s.Name, DeletionDate: smEpochSeconds(when)}, nil
	})
}

// goneSecretAnswer is DeleteSecret's answer for a force-delete of a secret
// that is not there: the id, read as an ARN or a name.
func (sm *secretsManager) goneSecretAnswer(id string, now time.Time) smDeleteSecretOutput {
	if name, ok := strings.CutPrefix(id, sm.arnPrefix()); ok {
		if i := len(name) - 7; i > 0 && name[i] == '-' {
			name = name[:i]
		}
		return smDeleteSecretOutput{ARN: id, Name: name, DeletionDate: smEpochSeconds(now)}
	}
	return smDeleteSecretOutput{ARN: sm.arnPrefix() + id, Name: id, DeletionDate: smEpochSeconds(now)}
}

// restoreSecret cancels a scheduled deletion. Restoring a secret that is not
// scheduled for deletion succeeds and changes nothing.
func (sm *secretsManager) restoreSecret(c *Call) (any, error) {
	id, aerr := smSecretIDOf(c)
	if aerr != nil {
		return nil, aerr
	}
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.lookupLocked(id)
		if err != nil {
			return nil, err
		}
		if s.scheduledForDeletion() {
			s.DeletionDate = nil
			s.LastChanged = now
			sm.changed(s)
		}
		return smNameOutput{ARN: s.ARN, Name: s.Name}, nil
	})
}

// schedulePurgeLocked makes sure the purge looks again no later than t.
func (sm *secretsManager) schedulePurgeLocked(t time.Time) {
	if sm.nextPurge.IsZero() || t.Before(sm.nextPurge) {
		sm.nextPurge = t
	}
}

// purgeExpiredLocked removes secrets whose recovery window has passed. It
// scans only once the earliest known deletion date is reached, so calls
// normally cost nothing here.
func (sm *secretsManager) purgeExpiredLocked(now time.Time) {
	if sm.nextPurge.IsZero() || now.Before(sm.nextPurge) {
		return
	}
	var next time.Time
	for _, s := range sm.secrets {
		if s.DeletionDate == nil {
			continue
		}
		if !now.Before(*s.DeletionDate) {
			sm.removeSecretLocked(s)
			continue
		}
		if next.IsZero() || s.DeletionDate.Before(next) {
			next = *s.DeletionDate
		}
	}
	sm.nextPurge = next
}
