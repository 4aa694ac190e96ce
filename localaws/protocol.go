package localaws

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fxamacker/cbor/v2"
)

// Protocol is the AWS wire protocol a request arrived on. The response and
// any error are written in the same protocol.
type Protocol int

const (
	ProtoJSON11 Protocol = iota // awsJson1_1: Secrets Manager
	ProtoJSON10                 // awsJson1_0: CloudWatch (current AWS CLI)
	ProtoQuery                  // awsQuery: RDS, CloudWatch (older clients)
	ProtoCBOR                   // Smithy RPC v2 CBOR: CloudWatch (aws-sdk-go-v2)
)

// Service signing names, as they appear in the credential scope.
const (
	svcSecretsManager = "secretsmanager"
	svcRDS            = "rds"
	svcCloudWatch     = "monitoring"
)

const (
	cwJSONTargetPrefix = "GraniteServiceVersion20100801."
	cwCBORPathPrefix   = "/service/GraniteServiceVersion20100801/operation/"
	smTargetPrefix     = "secretsmanager."
	rdsAPIVersion      = "2014-10-31"
	cwAPIVersion       = "2010-08-01"
	maxRequestBody     = 8 << 20
)

// Call is one decoded AWS request, handed to a service handler.
type Call struct {
	Service   string
	Op        string
	Protocol  Protocol
	Body      []byte     // JSON or CBOR body
	Form      url.Values // awsQuery parameters
	AccessKey string
	// Resource names the resource the call is about (secret id, instance
	// identifier, alarm or namespace), for fault matching and the request log.
	Resource string
	// Principal is the authenticated caller's ARN and Decision the IAM
	// outcome, both empty when IAM is not enforced.
	Principal string
	Decision  string
	// Region is the credential scope's, empty on an unsigned call. Quotas
	// are counted per Region.
	Region string
	// ThrottledBy names the quota family whose bucket refused the call
	// (quota mode), empty if none did.
	ThrottledBy string
	// account is the authenticated principal's account (IAM enforced).
	account string
	// authz checks per-item permissions when IAM is enforced; nil if not.
	authz *callAuthz
}

// classify finds the service, operation and protocol of an HTTP request.
// ok is false when the request is not an AWS call this emulator knows.
func classify(r *http.Request, body []byte) (c *Call, ok bool, err *APIError) {
	region, scopeService := signatureScope(r)
	c = &Call{AccessKey: accessKeyOf(r), Region: region}
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		switch {
		case strings.HasPrefix(target, smTargetPrefix):
			c.Service, c.Op, c.Protocol = svcSecretsManager, strings.TrimPrefix(target, smTargetPrefix), ProtoJSON11
		case strings.HasPrefix(target, cwJSONTargetPrefix):
			c.Service, c.Op, c.Protocol = svcCloudWatch, strings.TrimPrefix(target, cwJSONTargetPrefix), ProtoJSON10
		case strings.HasPrefix(target, ctTargetPrefix), strings.HasPrefix(target, ctLongTargetPrefix):
			op := strings.TrimPrefix(strings.TrimPrefix(target, ctLongTargetPrefix), ctTargetPrefix)
			c.Service, c.Op, c.Protocol = svcCloudTrail, op, ProtoJSON11
		default:
			return c, false, nil
		}
		c.Body = body
		c.Resource = jsonResource(body)
		return c, true, nil
	}
	if strings.HasPrefix(r.URL.Path, cwCBORPathPrefix) {
		c.Service, c.Op, c.Protocol = svcCloudWatch, strings.TrimPrefix(r.URL.Path, cwCBORPathPrefix), ProtoCBOR
		c.Body = body
		c.Resource = cborResource(body)
		return c, true, nil
	}
	form, perr := url.ParseQuery(string(body))
	if perr != nil {
		return c, false, errBadRequest("MalformedQueryString", "the request body is not a valid form: "+perr.Error())
	}
	for k, v := range r.URL.Query() {
		form[k] = append(form[k], v...)
	}
	action := form.Get("Action")
	if action == "" {
		return c, false, nil
	}
	c.Op, c.Protocol, c.Form = action, ProtoQuery, form
	switch form.Get("Version") {
	case rdsAPIVersion:
		c.Service = svcRDS
	case cwAPIVersion:
		c.Service = svcCloudWatch
	default:
		if scopeService == svcRDS || scopeService == svcCloudWatch {
			c.Service = scopeService
		} else {
			return c, false, nil
		}
	}
	c.Resource = formResource(form)
	return c, true, nil
}

// resourceKeys are the request members that name what a call is about, in
// order of preference.
// A list member (DescribeAlarms' AlarmNames) counts by its first element.
var resourceKeys = []string{"SecretId", "Name", "DBInstanceIdentifier", "ResourceName", "AlarmName", "AlarmNames", "Namespace"}

func jsonResource(body []byte) string {
	var m map[string]any
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	return pickResource(m)
}

func cborResource(body []byte) string {
	var m map[string]any
	if cbor.Unmarshal(body, &m) != nil {
		return ""
	}
	return pickResource(m)
}

func pickResource(m map[string]any) string {
	for _, k := range resourceKeys {
		switch v := m[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case []any:
			if len(v) > 0 {
				if s, ok := v[0].(string); ok && s != "" {
					return s
				}
			}
		}
	}
	return ""
}

func formResource(form url.Values) string {
	for _, k := range resourceKeys {
		if v := form.Get(k); v != "" {
			return v
		}
		if v := form.Get(k + ".member.1"); v != "" {
			return v
		}
	}
	return ""
}

// accessKeyOf reads the access key id out of a SigV4 Authorization header.
// The signature is checked only when IAM is enforced (iam_enforce.go).
func accessKeyOf(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// signatureScope returns the region and service of the SigV4 credential
// scope (AKID/date/region/service/aws4_request), empty when unsigned.
func signatureScope(r *http.Request) (region, service string) {
	_, rest, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
	if !ok {
		return "", ""
	}
	scope, _, _ := strings.Cut(rest, ",")
	parts := strings.Split(scope, "/")
	if len(parts) < 5 {
		return "", ""
	}
	return parts[2], parts[3]
}

// readBody returns the body as sent (raw: what a SigV4 signature covers)
// and as the services read it (body: decompressed).
func readBody(r *http.Request) (raw, body []byte, err *APIError) {
	raw, rerr := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if rerr != nil {
		return nil, nil, errBadRequest("SerializationException", "could not read the request body: "+rerr.Error())
	}
	if len(raw) > maxRequestBody {
		return nil, nil, newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the request body exceeds 8 MiB")
	}
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		body, err = gunzipBody(raw)
		return raw, body, err
	}
	return raw, raw, nil
}

// gunzipBody undoes request compression: aws-sdk-go-v2 and botocore gzip
// operations modelled with requestCompression (CloudWatch PutMetricData).
// The inflated size is capped like a plain body, so a small bomb cannot
// exhaust memory.
func gunzipBody(body []byte) ([]byte, *APIError) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, errBadRequest("SerializationException", "the gzip request body is invalid: "+err.Error())
	}
	plain, err := io.ReadAll(io.LimitReader(zr, maxRequestBody+1))
	if err != nil {
		return nil, errBadRequest("SerializationException", "the gzip request body is invalid: "+err.Error())
	}
	if len(plain) > maxRequestBody {
		return nil, newError(http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "the decompressed request body exceeds 8 MiB")
	}
	return plain, nil
}

// xmlNamespace is the namespace awsQuery responses carry.
func xmlNamespace(service string) string {
	if service == svcRDS {
		return "http://rds.amazonaws.com/doc/" + rdsAPIVersion + "/"
	}
	return "http://monitoring.amazonaws.com/doc/" + cwAPIVersion + "/"
}

// writeResult encodes a handler's result in the call's protocol. For awsQuery
// the result is marshalled as the <OpResult> element; a nil result gives an
// empty one.
func writeResult(w http.ResponseWriter, c *Call, requestID string, result any) {
	switch c.Protocol {
	case ProtoJSON11, ProtoJSON10:
		if result == nil {
			result = struct{}{}
		}
		body, err := json.Marshal(result)
		if err != nil {
			writeError(w, c, requestID, errInternal("encode response: "+err.Error()))
			return
		}
		w.Header().Set("Content-Type", jsonContentType(c.Protocol))
		w.Header().Set("X-Amzn-RequestId", requestID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case ProtoCBOR:
		if result == nil {
			result = map[string]any{}
		}
		body, err := cbor.Marshal(result)
		if err != nil {
			writeError(w, c, requestID, errInternal("encode response: "+err.Error()))
			return
		}
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.Header().Set("X-Amzn-RequestId", requestID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	case ProtoQuery:
		var buf bytes.Buffer
		buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		buf.WriteString("<" + c.Op + `Response xmlns="` + xmlNamespace(c.Service) + `">`)
		enc := xml.NewEncoder(&buf)
		start := xml.StartElement{Name: xml.Name{Local: c.Op + "Result"}}
		if result == nil {
			_ = enc.EncodeToken(start)
			_ = enc.EncodeToken(start.End())
		} else if err := enc.EncodeElement(result, start); err != nil {
			writeError(w, c, requestID, errInternal("encode response: "+err.Error()))
			return
		}
		_ = enc.Flush()
		buf.WriteString("<ResponseMetadata><RequestId>" + requestID + "</RequestId></ResponseMetadata>")
		buf.WriteString("</" + c.Op + "Response>")
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-RequestId", requestID)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
	}
}

// errorBody is a JSON or CBOR error body: the shape's name, the message
// and any further members of the modelled error.
func errorBody(errType string, e *APIError) map[string]any {
	body := map[string]any{"__type": errType, "message": e.Message}
	for k, v := range e.Members {
		body[k] = v
	}
	return body
}

func jsonContentType(p Protocol) string {
	if p == ProtoJSON10 {
		return "application/x-amz-json-1.0"
	}
	return "application/x-amz-json-1.1"
}

// writeError encodes an AWS error in the call's protocol.
func writeError(w http.ResponseWriter, c *Call, requestID string, e *APIError) {
	w.Header().Set("X-Amzn-RequestId", requestID)
	// CloudWatch is awsQueryCompatible: JSON and CBOR clients read the
	// query-style code from this header.
	w.Header().Set("x-amzn-query-error", e.Code+";"+e.Fault)
	errType := e.Code
	if e.Type != "" {
		errType = e.Type
	}
	switch c.Protocol {
	case ProtoJSON11, ProtoJSON10:
		w.Header().Set("Content-Type", jsonContentType(c.Protocol))
		w.Header().Set("X-Amzn-ErrorType", errType)
		w.WriteHeader(e.Status)
		body, _ := json.Marshal(errorBody(errType, e))
		_, _ = w.Write(body)
	case ProtoCBOR:
		w.Header().Set("Content-Type", "application/cbor")
		w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
		w.WriteHeader(e.Status)
		body, _ := cbor.Marshal(errorBody(errType, e))
		_, _ = w.Write(body)
	default:
		type xmlError struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		}
		type xmlErrorResponse struct {
			XMLName   xml.Name `xml:"ErrorResponse"`
			Xmlns     string   `xml:"xmlns,attr,omitempty"`
			Error     xmlError `xml:"Error"`
			RequestID string   `xml:"RequestId"`
		}
		body, _ := xml.Marshal(xmlErrorResponse{Xmlns: xmlNamespace(c.Service),
			Error: xmlError{Type: e.Fault, Code: e.Code, Message: e.Message}, RequestID: requestID})
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.Status)
		_, _ = w.Write(body)
	}
}
