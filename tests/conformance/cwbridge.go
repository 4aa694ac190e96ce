//go:build conformance

package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// cwBridge stands in front of moto for CloudWatch only. aws-sdk-go-v2's
// CloudWatch client (what credstage uses) speaks Smithy RPC v2 CBOR, the
// first protocol of CloudWatch's service model; moto 5.2.1 serves
// CloudWatch on awsJson1_0 and awsQuery but not CBOR (it answers 404).
// The bridge rewrites each CBOR call into the same call on awsJson1_0
// (the same shapes, another encoding) and moto's answer back into CBOR,
// guided by botocore's CloudWatch model (the one moto itself serves
// from): JSON does not say which numbers are timestamps or integers,
// CBOR must. Error bodies and the x-amzn-query-error header (the query
// error code, which the SDK reports) pass through unchanged.
type cwBridge struct {
	moto   string
	model  *serviceModel
	server *http.Server
	url    string
}

const cwTargetPrefix = "GraniteServiceVersion20100801"

// serviceModel is the part of a botocore service-2.json the bridge reads.
type serviceModel struct {
	Operations map[string]struct {
		Output *struct {
			Shape string `json:"shape"`
		} `json:"output"`
	} `json:"operations"`
	Shapes map[string]shape `json:"shapes"`
}

type shape struct {
	Type    string `json:"type"`
	Members map[string]struct {
		Shape string `json:"shape"`
	} `json:"members"`
	Member struct {
		Shape string `json:"shape"`
	} `json:"member"`
	Value struct {
		Shape string `json:"shape"`
	} `json:"value"`
}

// loadCloudWatchModel asks moto's own Python (its script's interpreter,
// else python3 on PATH, which a pyenv shim resolves to the same) for
// botocore's CloudWatch model, so that the bridge and moto read the same
// shapes.
func loadCloudWatchModel(motoServer string) (*serviceModel, error) {
	python := "python3"
	if b, err := os.ReadFile(motoServer); err == nil {
		first, _, _ := strings.Cut(string(b), "\n")
		if strings.HasPrefix(first, "#!") && strings.Contains(first, "python") && !strings.Contains(first, " ") {
			python = strings.TrimPrefix(first, "#!")
		}
	}
	out, err := exec.Command(python, "-c",
		"import json, botocore.loaders as l; print(json.dumps(l.Loader().load_service_model('cloudwatch', 'service-2')))").Output()
	if err != nil {
		return nil, fmt.Errorf("reading botocore's CloudWatch model with %s: %w", python, err)
	}
	var m serviceModel
	if err := json.Unmarshal(out, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

func startCWBridge(motoURL string, model *serviceModel) (*cwBridge, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &cwBridge{moto: motoURL, model: model, url: "http://" + l.Addr().String()}
	b.server = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.server.Serve(l) }()
	return b, nil
}

func (b *cwBridge) close() { _ = b.server.Close() }

func (b *cwBridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	body, _ := io.ReadAll(r.Body)
	var in any = map[string]any{}
	if len(body) > 0 {
		v, err := cbor.Decode(body)
		if err != nil {
			http.Error(w, "bridge: decoding CBOR: "+err.Error(), http.StatusBadRequest)
			return
		}
		in = cborToJSON(v)
	}
	jsonBody, _ := json.Marshal(in)
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, b.moto+"/", bytes.NewReader(jsonBody))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", cwTargetPrefix+"."+op)
	req.Header.Set("Authorization", r.Header.Get("Authorization"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, "bridge: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := dec.Decode(&out); err != nil {
			http.Error(w, "bridge: moto answered no JSON: "+string(raw), http.StatusBadGateway)
			return
		}
	}
	outShape := ""
	if o, ok := b.model.Operations[op]; ok && o.Output != nil && resp.StatusCode < 300 {
		outShape = o.Output.Shape
	}
	for _, h := range []string{"X-Amzn-Query-Error", "X-Amzn-Requestid"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.WriteHeader(resp.StatusCode)
	if out == nil {
		out = map[string]any{}
	}
	_, _ = w.Write(cbor.Encode(b.toCBOR(out, outShape)))
}

// cborToJSON turns a decoded CBOR request into awsJson1_0's encoding:
// timestamps (tag 1) as epoch seconds, blobs as base64.
func cborToJSON(v cbor.Value) any {
	switch t := v.(type) {
	case cbor.Map:
		m := map[string]any{}
		for k, x := range t {
			m[k] = cborToJSON(x)
		}
		return m
	case cbor.List:
		l := make([]any, len(t))
		for i, x := range t {
			l[i] = cborToJSON(x)
		}
		return l
	case *cbor.Tag:
		return cborToJSON(t.Value)
	case cbor.Uint:
		return uint64(t)
	case cbor.NegInt:
		return -int64(t)
	case cbor.Float32:
		return float64(t)
	case cbor.Float64:
		return float64(t)
	case cbor.String:
		return string(t)
	case cbor.Slice:
		return base64.StdEncoding.EncodeToString(t)
	case cbor.Bool:
		return bool(t)
	}
	return nil
}

// toCBOR encodes moto's JSON answer by the shape it has in the model; a
// member the model does not know (an error body) is encoded by its JSON
// type.
func (b *cwBridge) toCBOR(v any, shapeName string) cbor.Value {
	sh, known := b.model.Shapes[shapeName]
	switch t := v.(type) {
	case map[string]any:
		m := cbor.Map{}
		for k, x := range t {
			child := ""
			if known && sh.Type == "structure" {
				child = sh.Members[k].Shape
			} else if known && sh.Type == "map" {
				child = sh.Value.Shape
			}
			m[k] = b.toCBOR(x, child)
		}
		return m
	case []any:
		l := cbor.List{}
		for _, x := range t {
			l = append(l, b.toCBOR(x, sh.Member.Shape))
		}
		return l
	case json.Number:
		f, _ := t.Float64()
		switch sh.Type {
		case "timestamp":
			return &cbor.Tag{ID: 1, Value: cbor.Float64(f)}
		case "integer", "long":
			if f < 0 {
				return cbor.NegInt(uint64(-f))
			}
			return cbor.Uint(uint64(math.Round(f)))
		}
		return cbor.Float64(f)
	case string:
		if sh.Type == "timestamp" {
			if ts, err := time.Parse(time.RFC3339Nano, t); err == nil {
				return &cbor.Tag{ID: 1, Value: cbor.Float64(float64(ts.UnixMilli()) / 1e3)}
			}
		}
		if sh.Type == "blob" {
			raw, _ := base64.StdEncoding.DecodeString(t)
			return cbor.Slice(raw)
		}
		return cbor.String(t)
	case bool:
		return cbor.Bool(t)
	}
	return &cbor.Nil{}
}
