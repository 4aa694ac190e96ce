package localaws

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

const adminPrefix = "/_localaws/"

// statusClientClosedRequest records, in the request log, a call whose
// caller went away before the answer (nginx's 499; nothing is sent).
const statusClientClosedRequest = 499

// statusReplyDropped records a call served whose answer a DropReply
// fault threw away (nothing is sent).
const statusReplyDropped = 444

// ServeHTTP routes an AWS call to its service, applying injected faults and
// recording it in the request log.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	requestID := uuid.NewString()
	start := time.Now()
	raw, body, rerr := readBody(r)
	call, ok, cerr := classify(r, body)
	if rerr != nil {
		cerr = rerr
	}
	if s.iam != nil && rerr == nil {
		// AWS authenticates before it looks at what is asked; refused
		// calls reach neither a service nor an injected fault.
		if aerr := s.enforce(r, raw, call, ok && cerr == nil); aerr != nil {
			writeError(w, call, requestID, aerr)
			s.requests.add(call, start, aerr.Code, aerr.Status)
			s.recordEvent(r, call, start, nil, ctOutcome{requestID: requestID, code: aerr.Code, message: aerr.Message})
			return
		}
	}
	if cerr == nil && !ok {
		// Unknown operations get the error AWS answers for an unroutable
		// request; JSON-shaped, since that is what most clients expect.
		call.Protocol = ProtoJSON11
		cerr = errBadRequest("UnknownOperationException", "the request names no operation this endpoint serves")
	}
	if cerr == nil && s.iam == nil {
		cerr = checkCallRegion(call)
	}
	if cerr == nil && s.quotas != nil {
		// After authentication (the account to charge is the caller's),
		// before any fault or handler: a throttled call changes nothing.
		cerr = s.quotas.admit(call, s.quotaAccount(call), s.quotaRegion(call))
	}
	if cerr != nil {
		writeError(w, call, requestID, cerr)
		s.requests.add(call, start, cerr.Code, cerr.Status)
		s.recordEvent(r, call, start, nil, ctOutcome{requestID: requestID, code: cerr.Code, message: cerr.Message})
		return
	}

	// Resolved before the call is served: a secret deleted by it still
	// names its ARN in the event.
	resources := s.ctResources(call)
	result, dropReply, err := s.dispatch(r.Context(), call)
	if dropReply {
		// Served, then the answer is lost on the way back: AWS acted, and
		// records it as a success.
		s.requests.add(call, start, "ReplyDropped", statusReplyDropped)
		s.recordEvent(r, call, start, resources, ctOutcome{requestID: requestID, result: result})
		dropConnection(w)
		return
	}
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) && r.Context().Err() != nil {
			// The caller gave up (its timeout, or a cancellation) while the
			// call was delayed or served: nobody reads an answer, and it is
			// no fault of the emulator's.
			s.env.logger.Debug("localaws: caller went away", "service", call.Service, "op", call.Op, "err", err)
			s.requests.add(call, start, "RequestCanceled", statusClientClosedRequest)
			s.recordEvent(r, call, start, resources, ctOutcome{requestID: requestID, code: "RequestCanceled", message: "the caller went away"})
			return
		}
		if !errors.As(err, &apiErr) {
			s.env.logger.Error("localaws: internal error", "service", call.Service, "op", call.Op, "err", err)
			apiErr = errInternal(err.Error())
		}
		writeError(w, call, requestID, apiErr)
		s.requests.add(call, start, apiErr.Code, apiErr.Status)
		s.recordEvent(r, call, start, resources, ctOutcome{requestID: requestID, code: apiErr.Code, message: apiErr.Message})
		return
	}
	writeResult(w, call, requestID, result)
	s.requests.add(call, start, "", http.StatusOK)
	s.recordEvent(r, call, start, resources, ctOutcome{requestID: requestID, result: result})
}

// enforce authenticates the call and, when it is one a service serves
// (known), authorizes it.
func (s *Server) enforce(r *http.Request, raw []byte, c *Call, known bool) *APIError {
	id, aerr := s.iam.authenticate(r, raw, c)
	if aerr != nil || !known {
		return aerr
	}
	return s.authorize(c, id)
}

// dispatch serves c; dropReply says an injected fault wants the answer
// lost once the call has been served.
func (s *Server) dispatch(ctx context.Context, c *Call) (result any, dropReply bool, err error) {
	dropReply, err = s.faults.apply(ctx, c)
	if err != nil {
		return nil, false, err
	}
	sc, err := s.scopeOf(c)
	if err != nil {
		return nil, false, err
	}
	switch c.Service {
	case svcSecretsManager:
		result, err = sc.sm.handle(ctx, c)
	case svcRDS:
		result, err = sc.rds.handle(ctx, c)
	case svcCloudWatch:
		result, err = sc.cw.handle(ctx, c)
	case svcCloudTrail:
		result, err = s.handleCloudTrail(ctx, c)
	default:
		err = errBadRequest("UnknownOperationException", "unknown service "+c.Service)
	}
	return result, dropReply, err
}

// dropConnection closes the client's connection without writing a
// response, as a reply lost in the network looks to the client.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: aborting the stream loses the reply too
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// unknownOperation is the error every service returns for an Op it lacks.
func unknownOperation(c *Call) *APIError {
	if c.Protocol == ProtoQuery {
		return errBadRequest("InvalidAction", "The action "+c.Op+" is not valid for this web service.")
	}
	return errBadRequest("UnknownOperationException", "Unknown operation "+c.Op+".")
}
