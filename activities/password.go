package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// Passwords come from Secrets Manager's GetRandomPassword, never from a
// local PRNG.
const (
	passwordLength = 32
	// passwordExcluded are characters that break connection strings, URLs
	// or shell quoting in the applications that read the secret. Space is
	// excluded too (IncludeSpace=false).
	passwordExcluded = `/@"'\:`
)

func passwordRequest() *secretsmanager.GetRandomPasswordInput {
	return &secretsmanager.GetRandomPasswordInput{
		PasswordLength:          aws.Int64(passwordLength),
		ExcludeCharacters:       aws.String(passwordExcluded),
		IncludeSpace:            aws.Bool(false),
		RequireEachIncludedType: aws.Bool(true),
	}
}

// newPassword asks Secrets Manager for a password and checks it honours
// the request, so a misbehaving endpoint cannot slip in a password that
// breaks the applications' connection strings.
func (a *Activities) newPassword(ctx context.Context, subject string) (string, error) {
	out, err := a.sm.GetRandomPassword(ctx, passwordRequest())
	if err != nil {
		return "", awsError(ctx, subject, "GetRandomPassword", err)
	}
	pw := aws.ToString(out.RandomPassword)
	if len(pw) != passwordLength || strings.ContainsAny(pw, passwordExcluded+" ") || !scramASCII(pw) {
		return "", retryable("%s: GetRandomPassword returned a password that does not match the request", subject)
	}
	return pw, nil
}
