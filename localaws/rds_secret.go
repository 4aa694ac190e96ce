package localaws

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/google/uuid"
)

// The master secret RDS manages for ManageMasterUserPassword: a secret
// owned by the "rds" service, named rds!db-<uuid>, holding
// {"username","password"} and tagged with the instance ARN, like the real
// one. RDS writes it through the Secrets Manager Go API, not over HTTP.

const (
	managedPasswordLength = 32
	// passwordAlphabet is printable ASCII without / @ " ' \ : and space,
	// the characters RDS and connection strings trip over.
	passwordAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-.;<=>?[]^_`{|}~"
)

// generateMasterPassword draws a password from crypto/rand with at least
// one lower-case letter, upper-case letter and digit.
func generateMasterPassword() (string, error) {
	max := big.NewInt(int64(len(passwordAlphabet)))
	for {
		var b strings.Builder
		for range managedPasswordLength {
			n, err := rand.Int(rand.Reader, max)
			if err != nil {
				return "", err
			}
			b.WriteByte(passwordAlphabet[n.Int64()])
		}
		pw := b.String()
		if strings.ContainsAny(pw, "abcdefghijklmnopqrstuvwxyz") && strings.ContainsAny(pw, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
			strings.ContainsAny(pw, "0123456789") {
			return pw, nil
		}
	}
}

type masterSecretValue struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func masterSecretJSON(username, password string) string {
	b, _ := json.Marshal(masterSecretValue{Username: username, Password: password})
	return string(b)
}

// createMasterSecret creates the managed secret for an instance and returns
// its ARN.
func (r *rdsService) createMasterSecret(id, username, password string) (string, error) {
	arn := r.instanceARN(id)
	name := managedSecretName(uuid.NewString())
	// The tags RDS puts on the secrets it manages: owningService is how
	// the Secrets Manager user guide says to find them.
	tags := map[string]string{"aws:rds:primaryDBInstanceArn": arn, "aws:secretsmanager:owningService": "rds"}
	secretARN, err := r.sm.createServiceSecret(name, "rds", "Secret associated with primary RDS DB instance: "+arn,
		tags, masterSecretJSON(username, password))
	if err != nil {
		return "", secretError("create the master user secret", err)
	}
	return secretARN, nil
}

// managedSecretName is the name of an instance's managed master secret,
// drawn from a fresh UUID as RDS does.
func managedSecretName(uuid string) string { return "rds!db-" + uuid }

// currentMasterPassword reads the password in the managed secret's
// AWSCURRENT version.
func (r *rdsService) currentMasterPassword(secretARN string) (string, error) {
	s, err := r.sm.currentSecretString(secretARN)
	if err != nil {
		return "", secretError("read the master user secret", err)
	}
	return masterSecretPassword(secretARN, s)
}

// masterSecretPassword is the password in one value of a managed secret.
func masterSecretPassword(secretARN, value string) (string, error) {
	var v masterSecretValue
	if err := json.Unmarshal([]byte(value), &v); err != nil || v.Password == "" {
		return "", errInternal("the master user secret " + secretARN + " does not hold {\"username\",\"password\"} JSON")
	}
	return v.Password, nil
}

// secretError keeps a Secrets Manager API error as is (its code means
// something to the caller) and wraps anything else.
func secretError(what string, err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return &APIError{Code: apiErr.Code, Message: "could not " + what + ": " + apiErr.Message, Status: apiErr.Status, Fault: apiErr.Fault}
	}
	return fmt.Errorf("could not %s: %w", what, err)
}

// defaultSecretKMSKey is what DescribeDBInstances reports when the caller
// chose no key: the account's default Secrets Manager key.
func (r *rdsService) defaultSecretKMSKey() string {
	return r.env.arn("kms", "alias/aws/secretsmanager")
}
