package localaws

import "net/http"

// APIError is an error the way AWS reports it: a stable code, a message and
// the HTTP status the real service answers with. Every handler returns
// *APIError for anything the caller did wrong; any other error becomes an
// InternalFailure (500), which tests treat as a bug.
type APIError struct {
	Code    string
	Message string
	Status  int
	// Fault is "Sender" for client errors and "Receiver" for server ones, as
	// awsQuery error bodies and the x-amzn-query-error header carry it.
	Fault string
	// Type is the modelled error shape JSON and CBOR bodies name in __type
	// when it differs from the awsQuery Code (awsQueryCompatible services:
	// CloudWatch's InvalidParameterValueException has Code
	// InvalidParameterValue). SDKs need it to return the typed error.
	Type string
	// Members are the modelled error's members beyond its message, which
	// JSON and CBOR bodies carry beside __type (CloudWatch's
	// DashboardInvalidInputError has dashboardValidationMessages).
	Members map[string]any
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// newError builds a client-side (4xx) error.
func newError(status int, code, message string) *APIError {
	return &APIError{Code: code, Message: message, Status: status, Fault: "Sender"}
}

func errBadRequest(code, message string) *APIError {
	return newError(http.StatusBadRequest, code, message)
}

func errNotFound(code, message string) *APIError {
	return newError(http.StatusNotFound, code, message)
}

func errInternal(message string) *APIError {
	return &APIError{Code: "InternalFailure", Message: message, Status: http.StatusInternalServerError, Fault: "Receiver"}
}
