package codec

import (
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// ErrNoKey is the error of a process without codec keys that meets an
// encrypted payload.
var ErrNoKey = errors.New("the payload is encrypted (" + EncodingEncrypted + ") and no codec key is configured: give the keys with --codec-key-file or $" + EnvKeys)

// Guard is the codec of a process without keys: payloads pass through
// unchanged, and an encrypted one is refused with ErrNoKey, naming its
// key, rather than the SDK's bare "payload encoding is not supported".
type Guard struct{}

var _ converter.PayloadCodec = Guard{}

// Encode passes payloads through.
func (Guard) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) { return payloads, nil }

// Decode passes plain payloads through and refuses encrypted ones.
func (Guard) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	for _, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) == EncodingEncrypted {
			return nil, fmt.Errorf("%w (it was sealed with key %q)", ErrNoKey, p.GetMetadata()[MetadataKeyID])
		}
	}
	return payloads, nil
}
