package localaws

import (
	"slices"
	"time"
)

// The calls that create a secret or add a version to it. A ClientRequestToken
// becomes the new VersionId, which makes each of them safe to retry: the
// same token with the same value is answered as the first call was; the same
// token with another value is refused, as a version never changes.

func (sm *secretsManager) createSecret(c *Call) (any, error) {
	in, derr := smDecode[smCreateSecretInput](c)
	if derr != nil {
		return nil, derr
	}
	tags, terr := smUserTags(in.Tags)
	if err := smFirstErr(smValidateSecretName(in.Name), smValidateToken(in.ClientRequestToken),
		smValidateDescription(in.Description), smValidateKmsKeyID(in.KmsKeyId),
		smValidateSecretValue(in.SecretString, in.SecretBinary, false), terr); err != nil {
		return nil, err
	}
	if len(tags) > smMaxTagsPerSecret {
		return nil, smTooManyTags()
	}
	name := *in.Name
	token := smNewVersionID(in.ClientRequestToken)
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	return sm.run(func(now time.Time) (any, error) {
		if s := sm.secrets[name]; s != nil {
			return smRetriedCreate(s, token, in)
		}
		s := sm.addSecretLocked(name, now)
		s.Description, s.KmsKeyID, s.Type = smCloneString(in.Description), smCloneString(in.KmsKeyId), smCloneString(in.Type)
		s.Tags = smMergeTags(nil, tags)
		s.CreateToken = token
		out := smVersionOutput{ARN: s.ARN, Name: s.Name}
		if hasValue {
			sm.addVersionLocked(s, token, in.SecretString, in.SecretBinary, nil, now)
			out.VersionId = token
		}
		return out, nil
	})
}

// smRetriedCreate answers a CreateSecret for a name that exists: a retry of
// the call that created it gets the same answer; anything else is refused.
func smRetriedCreate(s *smSecret, token string, in *smCreateSecretInput) (any, error) {
	if s.scheduledForDeletion() {
		return nil, smInvalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
	}
	if s.CreateToken == token {
		v := s.version(token)
		switch {
		case v == nil && in.SecretString == nil && in.SecretBinary == nil:
			return smVersionOutput{ARN: s.ARN, Name: s.Name}, nil
		case v != nil && v.sameValue(in.SecretString, in.SecretBinary):
			return smVersionOutput{ARN: s.ARN, Name: s.Name, VersionId: v.ID}, nil
		}
		if v != nil {
			return nil, smTokenInUse(token, s.ARN)
		}
	}
	return nil, smResourceExists("The operation failed because the secret %s already exists.", s.Name)
}

// smVersionForToken handles a repeated token. It returns the existing version
// when the call is a retry, ResourceExistsException when it is not, and nil,
// nil when the token is new.
func smVersionForToken(s *smSecret, token string, str *string, bin []byte) (*smVersion, *APIError) {
	v := s.version(token)
	if v == nil {
		return nil, nil
	}
	if v.sameValue(str, bin) {
		return v, nil
	}
	return nil, smTokenInUse(token, s.ARN)
}

func (sm *secretsManager) putSecretValue(c *Call) (any, error) {
	in, derr := smDecode[smPutSecretValueInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if err := smFirstErr(smValidateToken(in.ClientRequestToken), smValidateSecretValue(in.SecretString, in.SecretBinary, true),
		smValidateStages(in.VersionStages)); err != nil {
		return nil, err
	}
	token := smNewVersionID(in.ClientRequestToken)
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.mutableLocked(id)
		if err != nil {
			return nil, err
		}
		v, err := smVersionForToken(s, token, in.SecretString, in.SecretBinary)
		if err != nil {
			return nil, err
		}
		if v == nil {
			v = sm.addVersionLocked(s, token, in.SecretString, in.SecretBinary, smDedupe(in.VersionStages), now)
		}
		return smPutSecretValueOutput{ARN: s.ARN, Name: s.Name, VersionId: v.ID, VersionStages: smCloneStages(v.Stages)}, nil
	})
}

// updateSecret changes a secret's metadata and, when a value is given,
// adds a new AWSCURRENT version as PutSecretValue would.
func (sm *secretsManager) updateSecret(c *Call) (any, error) {
	in, derr := smDecode[smUpdateSecretInput](c)
	if derr != nil {
		return nil, derr
	}
	id, verr := smRequireSecretID(in.SecretId)
	if verr != nil {
		return nil, verr
	}
	if err := smFirstErr(smValidateToken(in.ClientRequestToken), smValidateDescription(in.Description),
		smValidateKmsKeyID(in.KmsKeyId), smValidateSecretValue(in.SecretString, in.SecretBinary, false)); err != nil {
		return nil, err
	}
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	token := smNewVersionID(in.ClientRequestToken)
	return sm.run(func(now time.Time) (any, error) {
		s, err := sm.mutableLocked(id)
		if err != nil {
			return nil, err
		}
		out := smVersionOutput{ARN: s.ARN, Name: s.Name}
		if hasValue {
			v, err := smVersionForToken(s, token, in.SecretString, in.SecretBinary)
			if err != nil {
				return nil, err
			}
			if v == nil {
				v = sm.addVersionLocked(s, token, in.SecretString, in.SecretBinary, nil, now)
			}
			out.VersionId = v.ID
		}
		if in.Description != nil || in.KmsKeyId != nil || in.Type != nil {
			if in.Description != nil {
				s.Description = smCloneString(in.Description)
			}
			if in.KmsKeyId != nil {
				s.KmsKeyID = smCloneString(in.KmsKeyId)
			}
			if in.Type != nil {
				s.Type = smCloneString(in.Type)
			}
			s.LastChanged = now
			sm.changed(s)
		}
		return out, nil
	})
}

func smDedupe(stages []string) []string {
	if stages == nil {
		return nil
	}
	out := make([]string, 0, len(stages))
	for _, s := range stages {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// smCloneStages never returns nil, so VersionStages is always a JSON list.
func smCloneStages(stages []string) []string {
	return append([]string{}, stages...)
}
