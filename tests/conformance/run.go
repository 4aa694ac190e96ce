//go:build conformance

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// answer is what one call returned, before normalization: the output as
// generic JSON, or the error's code, message and HTTP status.
type answer struct {
	out    any
	err    *apiError
	skip   bool
	failed string // the call could not be made at all (a bug in a case)
}

type apiError struct {
	Code    string
	Message string
	Status  int
}

// runCase runs a case's steps in order; a step that needs an earlier
// answer the emulator did not give is recorded as failed.
func runCase(ctx context.Context, c *clients, tc testCase) []answer {
	answers := make([]answer, len(tc.steps))
	outs := make([]any, len(tc.steps))
	for i, st := range tc.steps {
		in := st.in
		if st.inFrom != nil {
			var err error
			if in, err = st.inFrom(outs[:i]); err != nil {
				answers[i] = answer{failed: "input from earlier answers: " + err.Error(), skip: st.skip}
				continue
			}
		}
		deadline := time.Now().Add(waitLimit)
		for {
			out, err := call(ctx, c.client(st.svc), st.op, in)
			outs[i] = out
			answers[i] = toAnswer(out, err)
			answers[i].skip = st.skip
			if st.waitFor == "" || time.Now().After(deadline) || ctx.Err() != nil {
				break
			}
			if b, _ := json.Marshal(normalize(answers[i].out, st.keep)); strings.Contains(string(b), st.waitFor) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return answers
}

// call invokes client.<op>(ctx, in) by reflection: the cases stay data
// (an operation name and an SDK input) rather than a closure per call.
func call(ctx context.Context, client any, op string, in any) (any, error) {
	m := reflect.ValueOf(client).MethodByName(op)
	if !m.IsValid() {
		return nil, fmt.Errorf("no operation %s on %T", op, client)
	}
	res := m.Call([]reflect.Value{reflect.ValueOf(ctx), reflect.ValueOf(in)})
	var err error
	if e := res[1].Interface(); e != nil {
		err = e.(error)
	}
	if res[0].IsNil() {
		return nil, err
	}
	return res[0].Interface(), err
}

func toAnswer(out any, err error) answer {
	if err != nil {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			return answer{failed: err.Error()}
		}
		e := &apiError{Code: ae.ErrorCode(), Message: ae.ErrorMessage()}
		var re *awshttp.ResponseError
		if errors.As(err, &re) {
			e.Status = re.HTTPStatusCode()
		}
		return answer{err: e}
	}
	b, jerr := json.Marshal(out)
	if jerr != nil {
		return answer{failed: "encoding the answer: " + jerr.Error()}
	}
	var tree any
	_ = json.Unmarshal(b, &tree)
	if m, ok := tree.(map[string]any); ok {
		delete(m, "ResultMetadata")
	}
	return answer{out: tree}
}
