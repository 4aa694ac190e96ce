package localaws

import (
	"fmt"
	"net/http"
)

// CloudWatch is awsQueryCompatible: every error has a query code (what
// awsQuery bodies and the x-amzn-query-error header carry, and what
// smithy.APIError.ErrorCode returns) and a modelled shape name (the __type
// of JSON and CBOR bodies, which the SDK maps to its typed error).

func cwError(status int, code, shape, format string, args ...any) *APIError {
	e := newError(status, code, fmt.Sprintf(format, args...))
	e.Type = shape
	return e
}

func cwInvalidValue(format string, args ...any) *APIError {
	return cwError(http.StatusBadRequest, "InvalidParameterValue", "InvalidParameterValueException", format, args...)
}

func cwMissing(param string) *APIError {
	return cwError(http.StatusBadRequest, "MissingParameter", "MissingRequiredParameterException",
		"The parameter %s is required.", param)
}

func cwCombination(format string, args ...any) *APIError {
	return cwError(http.StatusBadRequest, "InvalidParameterCombination", "InvalidParameterCombinationException", format, args...)
}

func cwNotFound(format string, args ...any) *APIError {
	return cwError(http.StatusNotFound, "ResourceNotFound", "ResourceNotFound", format, args...)
}

func cwBadToken() *APIError {
	return cwError(http.StatusBadRequest, "InvalidNextToken", "InvalidNextToken", "The service returned an error: invalid NextToken.")
}

func cwInvalidFormat(format string, args ...any) *APIError {
	return cwError(http.StatusBadRequest, "InvalidFormat", "InvalidFormatFault", format, args...)
}

func cwLimitExceeded(format string, args ...any) *APIError {
	return cwError(http.StatusBadRequest, "LimitExceeded", "LimitExceededFault", format, args...)
}

// cwMalformed reports a body that does not decode into the operation's input.
func cwMalformed(c *Call, err error) *APIError {
	if c.Protocol == ProtoQuery {
		return cwInvalidValue("%v", err)
	}
	return errBadRequest("SerializationException", "could not decode the "+c.Op+" request: "+err.Error())
}
