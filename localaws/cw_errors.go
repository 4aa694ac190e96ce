package localaws

import (
	"fmt"
	"net/http"
	"strings"
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

// cwBadToken is the modelled InvalidNextToken of DescribeAlarms and
// GetMetricData. ListMetrics and ListDashboards model no such error: theirs
// is InvalidParameterValue (cwBadListToken).
func cwBadToken() *APIError {
	return cwError(http.StatusBadRequest, "InvalidNextToken", "InvalidNextToken", "The service returned an error: invalid NextToken.")
}

func cwBadListToken() *APIError {
	return cwInvalidValue("Request parameter NextToken is invalid")
}

// cwValidationError is the front end's generic refusal, which CloudWatch's
// model does not list: ValidationError on awsQuery and in
// x-amzn-query-error, ValidationException as the JSON and CBOR __type.
func cwValidationError(format string, args ...any) *APIError {
	return cwError(http.StatusBadRequest, "ValidationError", "ValidationException", format, args...)
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

// cwResourceNotFound is the tag operations' answer for an ARN that names no
// taggable resource: the modelled ResourceNotFoundException (404), whose
// ResourceType and ResourceId members JSON and CBOR bodies carry. The
// message is localaws's own; AWS documents the code and members only.
func cwResourceNotFound(arn string) *APIError {
	e := cwError(http.StatusNotFound, "ResourceNotFoundException", "ResourceNotFoundException",
		"The resource %s does not exist or cannot be tagged.", arn)
	kind, id := "", arn
	if rest, ok := strings.CutPrefix(arn, "arn:aws:cloudwatch:"); ok {
		if _, after, found := strings.Cut(rest, ":alarm:"); found {
			kind, id = "alarm", after
		} else if _, after, found := strings.Cut(rest, ":dashboard/"); found {
			kind, id = "dashboard", after
		}
	}
	e.Members = map[string]any{"ResourceId": id}
	if kind != "" {
		e.Members["ResourceType"] = kind
	}
	return e
}
