package temporalconn

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.temporal.io/sdk/converter"

	"github.com/credstage/credstage/internal/codec"
)

func TestCodecSettings(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	o, _ := parse(t, nil)
	co, err := o.ClientOptions()
	if err != nil || co.FailureConverter != nil {
		t.Fatalf("no keys: payloads must stay as they are: %v", err)
	}
	plain, _ := converter.GetDefaultDataConverter().ToPayload("x")
	if got, err := co.DataConverter.ToPayload("x"); err != nil || string(got.Data) != string(plain.Data) {
		t.Fatalf("no keys: payloads must stay as they are: %v %v", got, err)
	}
	o, _ = parse(t, map[string]string{"CREDSTAGE_CODEC_KEYS": "k1=" + key})
	co, err = o.ClientOptions()
	if err != nil || co.DataConverter == nil || co.FailureConverter == nil {
		t.Fatalf("keys in the environment turn the codec on: %v", err)
	}
	file := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(file, []byte("k2="+key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o, _ = parse(t, map[string]string{"CREDSTAGE_CODEC_KEY_FILE": file})
	if c, err := o.PayloadCodec(); err != nil || c == nil || c.ActiveKeyID() != "k2" {
		t.Fatalf("key file from the environment: %v", err)
	}
	o, _ = parse(t, nil, "--codec-key-file", file)
	if c, err := o.PayloadCodec(); err != nil || c == nil || c.ActiveKeyID() != "k2" {
		t.Fatalf("--codec-key-file: %v", err)
	}
	o, _ = parse(t, map[string]string{"CREDSTAGE_CODEC_KEYS": "k1=" + key}, "--codec-key-file", file)
	if _, err := o.ClientOptions(); err == nil || !strings.Contains(err.Error(), "give one") {
		t.Errorf("both a file and keys: %v", err)
	}
	o, _ = parse(t, map[string]string{"CREDSTAGE_CODEC_KEYS": "k1=short"})
	if _, err := o.ClientOptions(); err == nil || !strings.Contains(err.Error(), "CREDSTAGE_CODEC_KEYS") {
		t.Errorf("bad key: %v", err)
	}
}

func TestNoKeysNamesTheMissingSetting(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	ring, _ := codec.ParseKeys("t", "k9="+key)
	sealed, _ := codec.New(ring).DataConverter().ToPayload("staging/orders/app")
	o, _ := parse(t, nil)
	co, _ := o.ClientOptions()
	var got string
	err := co.DataConverter.FromPayload(sealed, &got)
	if !errors.Is(err, codec.ErrNoKey) || !strings.Contains(err.Error(), `key "k9"`) || !strings.Contains(err.Error(), "CREDSTAGE_CODEC_KEYS") {
		t.Errorf("decode without keys: %v", err)
	}
}
