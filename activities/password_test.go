package activities

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestPasswordRequest(t *testing.T) {
	in := passwordRequest()
	if aws.ToInt64(in.PasswordLength) != 32 {
		t.Errorf("length %d", aws.ToInt64(in.PasswordLength))
	}
	for _, c := range []string{"/", "@", `"`, "'", `\`, ":"} {
		if !strings.Contains(aws.ToString(in.ExcludeCharacters), c) {
			t.Errorf("%q not excluded", c)
		}
	}
	if in.IncludeSpace == nil || *in.IncludeSpace {
		t.Error("space must be excluded explicitly")
	}
	if aws.ToBool(in.ExcludePunctuation) || aws.ToBool(in.ExcludeNumbers) || aws.ToBool(in.ExcludeUppercase) || aws.ToBool(in.ExcludeLowercase) {
		t.Error("no character class should be excluded wholesale")
	}
}

func TestNewPasswordRejectsWhatWasNotAsked(t *testing.T) {
	good := strings.Repeat("aB3$", 8)
	for pw, ok := range map[string]bool{
		good:                             true,
		good[:31]:                        false,
		strings.Repeat("aB3/", 8):        false,
		strings.Repeat("aB3 ", 8):        false,
		strings.Repeat("aB3:", 8):        false,
		strings.Repeat("aB3", 10) + "é":  false,
		strings.Repeat("aB3@", 8):        false,
		strings.Repeat(`aB3"`, 8):        false,
		strings.Repeat("aB3'", 8):        false,
		strings.Repeat(`aB3\`, 8):        false,
		strings.Repeat("x", 31) + "\x00": false,
	} {
		sm := &fakePasswords{password: pw}
		a := NewWithClients(Options{SecretsManager: sm, Connector: NewPGXConnector(1)})
		got, err := a.newPassword(context.Background(), "secret s")
		if ok != (err == nil) || (ok && got != pw) {
			t.Errorf("%q: got %q err %v", pw, got, err)
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			t.Errorf("error leaks the password: %v", err)
		}
		if sm.got == nil || aws.ToInt64(sm.got.PasswordLength) != 32 {
			t.Errorf("request not as specified: %+v", sm.got)
		}
	}
}
