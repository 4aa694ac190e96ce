// Package codec encrypts every Temporal payload credstage writes (workflow
// inputs and results, activity arguments, memos, failure details) with
// AES-256-GCM, so the Temporal server, its database and anyone reading raw
// histories see ciphertext only. Each encrypted payload names the key it
// was sealed with (metadata "encryption-key-id"): keys rotate by loading
// the new key first (it encrypts) and keeping the old ones after it (they
// still decrypt what they sealed).
//
// The worker and the CLI install the codec through
// internal/temporalconn when a key is configured; `credstage codec-server`
// serves it over HTTP for the Temporal Web UI (NewHTTPHandler).
package codec

import (
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"slices"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"google.golang.org/protobuf/proto"
)

// Metadata of an encrypted payload.
const (
	// EncodingEncrypted is the payload's "encoding": the Web UI and the
	// SDK show it as is until a codec decodes it.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID names the key that sealed the payload.
	MetadataKeyID = "encryption-key-id"
	// MetadataCipher names the algorithm, for a future change of it.
	MetadataCipher = "encryption-cipher"
	// CipherAES256GCM is the only algorithm so far.
	CipherAES256GCM = "AES256-GCM"
)

// Codec is a converter.PayloadCodec sealing payloads with the keyring's
// active key and opening them with whichever key they name.
type Codec struct {
	ring *Keyring
}

var _ converter.PayloadCodec = (*Codec)(nil)

// New returns the codec of a keyring.
func New(ring *Keyring) *Codec { return &Codec{ring: ring} }

// ActiveKeyID is the id of the key new payloads are sealed with.
func (c *Codec) ActiveKeyID() string { return c.ring.active }

// additionalData binds the ciphertext to its key id and algorithm: moving
// a payload's metadata to another key fails authentication.
func additionalData(keyID string) []byte {
	return []byte(EncodingEncrypted + "\x00" + CipherAES256GCM + "\x00" + keyID)
}

// Encode seals each payload whole (metadata and data, as protobuf), so
// neither the value nor its encoding or type can be read.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	id := c.ring.active
	aead := c.ring.keys[id]
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		plain, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("codec: encode payload: %w", err)
		}
		nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return nil, fmt.Errorf("codec: random nonce: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(id),
				MetadataCipher:             []byte(CipherAES256GCM),
			},
			Data: aead.Seal(nonce, nonce, plain, additionalData(id)),
		}
	}
	return out, nil
}

// Decode opens encrypted payloads and passes every other payload through
// unchanged (histories written before the codec was turned on stay
// readable). A payload sealed with a key that is not loaded, or altered
// in any way, is an error naming the key.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.open(p)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) open(p *commonpb.Payload) (*commonpb.Payload, error) {
	id := string(p.Metadata[MetadataKeyID])
	if alg := string(p.Metadata[MetadataCipher]); alg != "" && alg != CipherAES256GCM {
		return nil, fmt.Errorf("codec: payload sealed with cipher %q; this codec knows %s only", alg, CipherAES256GCM)
	}
	aead, ok := c.ring.keys[id]
	if !ok {
		return nil, fmt.Errorf("codec: payload sealed with key %q, which is not loaded (loaded: %s); add it to the key file or CREDSTAGE_CODEC_KEYS", id, strings.Join(c.ring.IDs(), ", "))
	}
	if len(p.Data) < aead.NonceSize()+aead.Overhead() {
		return nil, fmt.Errorf("codec: payload sealed with key %q is truncated", id)
	}
	nonce, sealed := p.Data[:aead.NonceSize()], p.Data[aead.NonceSize():]
	plain, err := aead.Open(nil, nonce, sealed, additionalData(id))
	if err != nil {
		return nil, fmt.Errorf("codec: payload does not authenticate with key %q: it was altered, or sealed by another key under the same id", id)
	}
	var d commonpb.Payload
	if err := proto.Unmarshal(plain, &d); err != nil {
		return nil, fmt.Errorf("codec: payload sealed with key %q holds no payload: %w", id, err)
	}
	return &d, nil
}

// Keyring holds the loaded keys; the active one seals, all of them open.
type Keyring struct {
	active string
	order  []string
	keys   map[string]cipher.AEAD
}

// IDs lists the loaded key ids, the active one first.
func (r *Keyring) IDs() []string { return slices.Clone(r.order) }

// Active is the id of the sealing key.
func (r *Keyring) Active() string { return r.active }

// DataConverter is the SDK's default data converter with every payload
// passed through the codec.
func (c *Codec) DataConverter() converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), c)
}

// FailureConverter moves failure messages and stack traces into an
// encrypted payload too: errors name secrets and steps, which are as
// private as the inputs.
func (c *Codec) FailureConverter() converter.FailureConverter {
	return temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter:          c.DataConverter(),
		EncodeCommonAttributes: true,
	})
}
