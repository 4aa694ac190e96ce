package cli

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/internal/iampolicy"
)

// handOverPassword reads an adopted role's current password from in (one
// line) and puts it in a short-lived handover secret, whose id the
// request carries instead of the password: workflow history never holds
// it. The worker proves the password logs in, writes the user's secret
// and deletes the handover. drop deletes the handover when the workflow
// never started.
func (a *app) handOverPassword(ctx context.Context, in io.Reader, req *activities.ProvisionRequest) (drop func(), err error) {
	var user *activities.AppUser
	for i := range req.Users {
		if req.Users[i].Adopt {
			if user != nil {
				return nil, badInput("--password-stdin: more than one adopted user (%s, %s); adopt one at a time, or keep each current password in a secret at the user's secret name", user.Name, req.Users[i].Name)
			}
			user = &req.Users[i]
		}
	}
	if user == nil {
		return nil, badInput("--password-stdin: no user is adopted; it gives the current password of the role named by --adopt user:NAME")
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return nil, badInput("--password-stdin: cannot read standard input: %v", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return nil, badInput("--password-stdin: standard input holds no password for role %s", user.Name)
	}
	sm, err := a.secretsClient(ctx)
	if err != nil {
		return nil, err
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	name := iampolicy.HandoverPrefix + req.Identifier + "/" + user.Name + "-" + hex.EncodeToString(suffix)
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(password),
		Description:  aws.String("credstage: the current password of adopted role " + user.Name + " on " + req.Identifier + ", until the worker has checked and stored it"),
		Tags:         activities.HandoverTags(req.Identifier, user.Name),
	})
	if err != nil {
		return nil, failed("cannot hand the password of %s to the worker: %s", user.Name, strings.ReplaceAll(awsCause(err), password, "[redacted]"))
	}
	user.PasswordFrom = aws.ToString(out.ARN)
	return func() {
		_, _ = sm.DeleteSecret(context.WithoutCancel(ctx), &secretsmanager.DeleteSecretInput{
			SecretId: out.ARN, ForceDeleteWithoutRecovery: aws.Bool(true)})
	}, nil
}
