package localaws

import (
	"bytes"
	"encoding/json"

	"github.com/fxamacker/cbor/v2"
)

// cwDecodeInput fills one operation's input struct from whichever protocol
// the call arrived on, so each operation is implemented once.
func cwDecodeInput(c *Call, in any) *APIError {
	var err error
	switch c.Protocol {
	case ProtoJSON10, ProtoJSON11:
		err = cwDecodeJSON(c.Body, in)
	case ProtoCBOR:
		err = cwDecodeCBOR(c.Body, in)
	case ProtoQuery:
		err = cwDecodeQuery(c.Form, in)
	}
	if err == nil {
		return nil
	}
	if apiErr, ok := err.(*APIError); ok {
		return apiErr
	}
	return cwMalformed(c, err)
}

// cwDecodeJSON reads an awsJson1_0 body. An empty body is an empty input,
// as the AWS CLI sends for operations called without parameters.
func cwDecodeJSON(body []byte, in any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return json.Unmarshal(body, in)
}

// cwCBORDecoder bounds what an untrusted body can make the decoder allocate.
var cwCBORDecoder = func() cbor.DecMode {
	dm, err := cbor.DecOptions{
		MaxNestedLevels:  24,
		MaxArrayElements: 65536,
		MaxMapPairs:      65536,
	}.DecMode()
	if err != nil {
		panic(err)
	}
	return dm
}()

// cwDecodeCBOR reads a Smithy RPC v2 CBOR body. The SDK sends no body at all
// for an input without members.
func cwDecodeCBOR(body []byte, in any) error {
	if len(body) == 0 {
		return nil
	}
	return cwCBORDecoder.Unmarshal(body, in)
}
