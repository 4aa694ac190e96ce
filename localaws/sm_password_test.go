package localaws

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func TestSMGetRandomPassword(t *testing.T) {
	_, c := startSMServer(t, Options{})
	ctx := smCtx(t)
	get := func(in *secretsmanager.GetRandomPasswordInput) string {
		t.Helper()
		return aws.ToString(mustSM(c.GetRandomPassword(ctx, in))(t).RandomPassword)
	}

	def := get(&secretsmanager.GetRandomPasswordInput{})
	if len(def) != 32 {
		t.Fatalf("default length is 32, got %d", len(def))
	}
	for _, class := range []string{smLowercase, smUppercase, smDigits, smPunctuation} {
		if !strings.ContainsAny(def, class) {
			t.Fatalf("RequireEachIncludedType (default true) not honoured: %q lacks one of %q", def, class)
		}
	}
	if strings.Contains(def, " ") {
		t.Fatalf("space only with IncludeSpace: %q", def)
	}
	if get(&secretsmanager.GetRandomPasswordInput{}) == def {
		t.Fatalf("two passwords are equal")
	}

	// credstage's request: length 32 without / @ " ' \ : and space.
	const credstageExcluded = "/@\"'\\: "
	for range 20 {
		p := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(32), ExcludeCharacters: aws.String(credstageExcluded)})
		if strings.ContainsAny(p, credstageExcluded) || len(p) != 32 {
			t.Fatalf("excluded characters present or wrong length: %q", p)
		}
	}

	onlyDigits := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(64), ExcludeLowercase: aws.Bool(true),
		ExcludeUppercase: aws.Bool(true), ExcludePunctuation: aws.Bool(true)})
	if strings.Trim(onlyDigits, smDigits) != "" || len(onlyDigits) != 64 {
		t.Fatalf("digits only: %q", onlyDigits)
	}
	noDigits := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(200), ExcludeNumbers: aws.Bool(true)})
	if strings.ContainsAny(noDigits, smDigits) {
		t.Fatalf("ExcludeNumbers: %q", noDigits)
	}
	spaced := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4096), IncludeSpace: aws.Bool(true)})
	if !strings.Contains(spaced, " ") || len(spaced) != 4096 {
		t.Fatalf("IncludeSpace over 4096 characters gave no space")
	}
	short := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(2), RequireEachIncludedType: aws.Bool(false)})
	if len(short) != 2 {
		t.Fatalf("short password %q", short)
	}
	four := get(&secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4)})
	for _, class := range []string{smLowercase, smUppercase, smDigits, smPunctuation} {
		if !strings.ContainsAny(four, class) {
			t.Fatalf("a 4-character password needs one of each type: %q", four)
		}
	}

	_, err := c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(3)})
	requireSMError(t, err, "InvalidParameterException", "too short")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(4097)})
	requireSMError(t, err, "ValidationException", "4096")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(0)})
	requireSMError(t, err, "ValidationException", "")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{ExcludeLowercase: aws.Bool(true), ExcludeUppercase: aws.Bool(true),
		ExcludeNumbers: aws.Bool(true), ExcludePunctuation: aws.Bool(true)})
	requireSMError(t, err, "InvalidParameterException", "")
	_, err = c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{ExcludeCharacters: aws.String(smDigits + smLowercase + smUppercase + smPunctuation)})
	requireSMError(t, err, "InvalidParameterException", "")
}
