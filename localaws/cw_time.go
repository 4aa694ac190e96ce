package localaws

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// cwTime is a CloudWatch timestamp. Each protocol writes timestamps its own
// way and the SDKs refuse any other: awsJson1_0 uses epoch seconds as a
// number, RPC v2 CBOR a tag-1 epoch value, awsQuery ISO 8601 text. One type
// with a codec per protocol lets one set of request and response structs
// serve all three.
type cwTime struct{ time.Time }

func newCWTime(t time.Time) cwTime { return cwTime{t.UTC()} }

func cwTimePtr(t time.Time) *cwTime {
	at := newCWTime(t)
	return &at
}

// epochSeconds keeps millisecond precision, the finest CloudWatch reports.
func (t cwTime) epochSeconds() float64 {
	return float64(t.UnixMilli()) / 1e3
}

// MarshalJSON writes epoch seconds (awsJson1_0).
func (t cwTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, t.epochSeconds(), 'f', -1, 64), nil
}

// UnmarshalJSON reads epoch seconds, and ISO 8601 text as some clients send.
func (t *cwTime) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case float64:
		return t.setEpoch(x)
	case string:
		return t.parseText(x)
	case nil:
		return nil
	}
	return errors.New("timestamp must be epoch seconds or ISO 8601 text")
}

// MarshalCBOR writes tag 1 with float epoch seconds, as Smithy RPC v2 wants.
func (t cwTime) MarshalCBOR() ([]byte, error) {
	return cbor.Marshal(cbor.Tag{Number: 1, Content: t.epochSeconds()})
}

// UnmarshalCBOR accepts tag 1 (what the SDK sends) and, leniently, untagged
// numbers or text.
func (t *cwTime) UnmarshalCBOR(b []byte) error {
	var raw cbor.RawTag
	if err := cbor.Unmarshal(b, &raw); err == nil {
		if raw.Number != 1 {
			return errors.New("timestamp must be CBOR tag 1")
		}
		b = raw.Content
	}
	var v any
	if err := cbor.Unmarshal(b, &v); err != nil {
		return err
	}
	switch x := v.(type) {
	case uint64:
		return t.setEpoch(float64(x))
	case int64:
		return t.setEpoch(float64(x))
	case float64:
		return t.setEpoch(x)
	case string:
		return t.parseText(x)
	case nil:
		return nil
	}
	return errors.New("timestamp must be epoch seconds")
}

// MarshalText writes ISO 8601 in UTC with milliseconds, as awsQuery answers.
func (t cwTime) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

// UnmarshalText reads awsQuery's ISO 8601 (epoch seconds also accepted).
func (t *cwTime) UnmarshalText(b []byte) error { return t.parseText(string(b)) }

// cwMaxEpochSeconds keeps conversions far from overflow: year 9999.
const cwMaxEpochSeconds = 253402300799

func (t *cwTime) setEpoch(secs float64) error {
	if math.IsNaN(secs) || math.Abs(secs) > cwMaxEpochSeconds {
		return errors.New("timestamp out of range")
	}
	whole, frac := math.Modf(secs)
	t.Time = time.Unix(int64(whole), int64(math.Round(frac*1e3))*int64(time.Millisecond)).UTC()
	return nil
}

func (t *cwTime) parseText(s string) error {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return t.setEpoch(f)
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "2006-01-02"} {
		if parsed, err := time.Parse(layout, s); err == nil {
			t.Time = parsed.UTC()
			return nil
		}
	}
	return errors.New("timestamp " + strconv.Quote(s) + " is not ISO 8601")
}

func cwUnixTime(secs int64) time.Time { return time.Unix(secs, 0).UTC() }
