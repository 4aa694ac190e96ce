package localaws

import (
	"strings"
	"unicode/utf8"
)

// Input limits from the Secrets Manager API reference. Model constraints
// (lengths, ranges, required members) fail with ValidationException, as AWS's
// front end rejects them before the service runs; rules the service itself
// enforces (name characters, parameter combinations) fail with
// InvalidParameterException.
const (
	smMaxNameLen        = 512
	smMaxSecretIDLen    = 2048
	smMinTokenLen       = 32
	smMaxTokenLen       = 64
	smMaxDescriptionLen = 2048
	smMaxKmsKeyIDLen    = 2048
	smMaxSecretLen      = 65536
	smMaxStageLen       = 256
	smMaxStagesPerVer   = 20
	smMaxTagKeyLen      = 128
	smMaxTagValueLen    = 256
	smMaxTagsPerSecret  = 50
	smMaxLambdaARNLen   = 2048
	smMaxFilterValues   = 10
	smMaxFilterValueLen = 512
	smMaxBatchIDs       = 20
)

func smIsNameChar(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("/_+=.@-", r)
}

// smValidateSecretName applies AWS's naming rule for secrets people create.
// Service-owned secrets (rds!db-...) bypass it: only services may use '!'.
func smValidateSecretName(name *string) *APIError {
	if name == nil {
		return smMissing("name")
	}
	if *name == "" {
		return smTooShort("name", 1)
	}
	if utf8.RuneCountInString(*name) > smMaxNameLen {
		return smTooLong("name", smMaxNameLen)
	}
	for _, r := range *name {
		if !smIsNameChar(r) {
			return smInvalidParameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@")
		}
	}
	return nil
}

// smSecretIDOf is the SecretId of a request that names nothing else.
func smSecretIDOf(c *Call) (string, *APIError) {
	in, derr := smDecode[smSecretIDInput](c)
	if derr != nil {
		return "", derr
	}
	return smRequireSecretID(in.SecretId)
}

func smRequireSecretID(id *string) (string, *APIError) {
	if id == nil {
		return "", smMissing("secretId")
	}
	if *id == "" {
		return "", smTooShort("secretId", 1)
	}
	if len(*id) > smMaxSecretIDLen {
		return "", smTooLong("secretId", smMaxSecretIDLen)
	}
	return *id, nil
}

// smValidateToken checks a ClientRequestToken; a missing one is fine (the
// caller generates a UUID, as the SDKs do).
func smValidateToken(token *string) *APIError {
	if token == nil {
		return nil
	}
	if n := utf8.RuneCountInString(*token); n < smMinTokenLen {
		return smTooShort("clientRequestToken", smMinTokenLen)
	} else if n > smMaxTokenLen {
		return smTooLong("clientRequestToken", smMaxTokenLen)
	}
	return nil
}

func smValidateDescription(d *string) *APIError {
	if d != nil && utf8.RuneCountInString(*d) > smMaxDescriptionLen {
		return smTooLong("description", smMaxDescriptionLen)
	}
	return nil
}

func smValidateKmsKeyID(k *string) *APIError {
	if k != nil && utf8.RuneCountInString(*k) > smMaxKmsKeyIDLen {
		return smTooLong("kmsKeyId", smMaxKmsKeyIDLen)
	}
	return nil
}

// smValidateSecretValue checks a SecretString/SecretBinary pair. required is
// true for PutSecretValue, which must carry a value; CreateSecret and
// UpdateSecret may carry none.
func smValidateSecretValue(str *string, bin []byte, required bool) *APIError {
	if str != nil && bin != nil {
		return smInvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if required && str == nil && bin == nil {
		return smInvalidParameter("You must provide either SecretString or SecretBinary.")
	}
	if str != nil && len(*str) > smMaxSecretLen {
		return smTooLong("secretString", smMaxSecretLen)
	}
	if bin != nil && len(bin) == 0 {
		return smTooShort("secretBinary", 1)
	}
	if len(bin) > smMaxSecretLen {
		return smTooLong("secretBinary", smMaxSecretLen)
	}
	return nil
}

func smValidateStage(stage string, member string) *APIError {
	if stage == "" {
		return smTooShort(member, 1)
	}
	if utf8.RuneCountInString(stage) > smMaxStageLen {
		return smTooLong(member, smMaxStageLen)
	}
	return nil
}

func smValidateStages(stages []string) *APIError {
	if stages == nil {
		return nil
	}
	if len(stages) == 0 {
		return smTooShort("versionStages", 1)
	}
	if len(stages) > smMaxStagesPerVer {
		return smTooLong("versionStages", smMaxStagesPerVer)
	}
	for _, s := range stages {
		if err := smValidateStage(s, "versionStages.member"); err != nil {
			return err
		}
	}
	return nil
}

func smValidateVersionID(id *string, member string) *APIError {
	if id == nil {
		return nil
	}
	if n := utf8.RuneCountInString(*id); n < smMinTokenLen {
		return smTooShort(member, smMinTokenLen)
	} else if n > smMaxTokenLen {
		return smTooLong(member, smMaxTokenLen)
	}
	return nil
}

func smValidateMaxResults(v *int64, max int64) *APIError {
	if v != nil && (*v < 1 || *v > max) {
		return smOutOfRange("maxResults", *v, 1, max)
	}
	return nil
}
