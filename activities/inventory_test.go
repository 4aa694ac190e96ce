package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/internal/inventory"
)

// listingSM fails every listing call with err.
type listingSM struct {
	inventory.SecretsAPI
	err error
}

func (f listingSM) ListSecrets(context.Context, *secretsmanager.ListSecretsInput, ...func(*secretsmanager.Options)) (*secretsmanager.ListSecretsOutput, error) {
	return nil, f.err
}

// TestInventoryPageClassifiesAWSErrors: throttling is retried by Temporal
// (the page is only reads), a refusal is final and names the call.
func TestInventoryPageClassifiesAWSErrors(t *testing.T) {
	for _, c := range []struct {
		code      string
		retryable bool
	}{{"ThrottlingException", true}, {"AccessDeniedException", false}} {
		inv := NewInventory(aws.Config{}, InventoryOptions{SecretsManager: listingSM{err: &smithy.GenericAPIError{Code: c.code, Message: "no"}}})
		_, err := inv.InventoryPage(context.Background(), InventoryPageInput{Now: time.Now()})
		var app *temporal.ApplicationError
		isFinal := errors.As(err, &app) && app.NonRetryable()
		if err == nil || isFinal == c.retryable {
			t.Errorf("%s: %v (non-retryable %v)", c.code, err, isFinal)
		}
		if err != nil && isFinal && app.Type() != ErrAWSRequestRefused {
			t.Errorf("%s: type %s", c.code, app.Type())
		}
	}
}
