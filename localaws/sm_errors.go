package localaws

import "fmt"

// The errors Secrets Manager answers with. Codes and messages follow the
// real service so callers that classify errors (errors.As + ErrorCode) behave
// the same against the emulator and AWS. No message ever contains a secret
// value: validation errors name the member, never echo a sensitive one.

const (
	smMsgNotFound       = "Secrets Manager can't find the specified secret."
	smMsgMarkedDeletion = "You can't perform this operation on the secret because it was marked for deletion."
)

func smNotFound() *APIError {
	return errBadRequest("ResourceNotFoundException", smMsgNotFound)
}

func smNotFoundMsg(msg string) *APIError {
	return errBadRequest("ResourceNotFoundException", msg)
}

func smInvalidParameter(format string, args ...any) *APIError {
	return errBadRequest("InvalidParameterException", fmt.Sprintf(format, args...))
}

func smInvalidRequest(format string, args ...any) *APIError {
	return errBadRequest("InvalidRequestException", fmt.Sprintf(format, args...))
}

func smResourceExists(format string, args ...any) *APIError {
	return errBadRequest("ResourceExistsException", fmt.Sprintf(format, args...))
}

// smTokenInUse is AWS's answer to a ClientRequestToken that already names a
// version with another value (CreateSecret, PutSecretValue, UpdateSecret):
// versions are immutable, and the code stays ResourceExistsException, which
// credstage's rotation steps read as "another attempt got there first".
func smTokenInUse(token, arn string) *APIError {
	return smResourceExists("You can't use ClientRequestToken %s because that value is already in use for a version of secret %s.", token, arn)
}

func smMarkedForDeletion() *APIError {
	return errBadRequest("InvalidRequestException", smMsgMarkedDeletion)
}

// smManagedByService is the refusal for secrets another service owns: AWS
// documents it as InvalidRequestException ("the secret is managed by another
// service, and you must use that service to update it").
func smManagedByService(service string) *APIError {
	return smInvalidRequest("You can't perform this operation on the secret because it's managed by %s. "+
		"The secret is managed by another service, and you must use that service to update it.", service)
}

// smValidation is the generic model-constraint error AWS's front end returns
// (HTTP 400, ValidationException) before the service sees the request.
func smValidation(format string, args ...any) *APIError {
	return errBadRequest("ValidationException", "1 validation error detected: "+fmt.Sprintf(format, args...))
}

func smMissing(member string) *APIError {
	return smValidation("Value null at '%s' failed to satisfy constraint: Member must not be null", member)
}

// smTooLong reports a length violation without echoing the value.
func smTooLong(member string, max int) *APIError {
	return smValidation("Value at '%s' failed to satisfy constraint: Member must have length less than or equal to %d", member, max)
}

func smTooShort(member string, min int) *APIError {
	return smValidation("Value at '%s' failed to satisfy constraint: Member must have length greater than or equal to %d", member, min)
}

func smOutOfRange(member string, value int64, min, max int64) *APIError {
	if value < min {
		return smValidation("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", value, member, min)
	}
	return smValidation("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", value, member, max)
}

func smSerialization(op string, err error) *APIError {
	return errBadRequest("SerializationException", "the request body of "+op+" is not valid JSON for its shape: "+err.Error())
}
