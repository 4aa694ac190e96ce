package activities

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/credstage/credstage/internal/inventory"
)

// Inventory holds the inventory's activity apart from Activities because
// it needs what no rotation step does: the Temporal client (to read the
// plans of credstage's schedules) and a Secrets Manager client that lists.
// The worker registers both structs (internal/workerapp/run.go).
type Inventory struct {
	src *inventory.Source
}

// InventoryOptions tune an Inventory; zero values take the defaults.
type InventoryOptions struct {
	// SecretsManager: nil is a client from the aws.Config given to
	// NewInventory, with the rotation steps' retryer.
	SecretsManager inventory.SecretsAPI
	// Plans reads the schedules' plans (internal/inventory/scheduled);
	// nil: no schedule, so no plan's maxAge or next run.
	Plans inventory.PlanSource
	// Rates bound the listing calls (inventory.DefaultRates).
	Rates inventory.Rates
}

// NewInventory builds the inventory's activities. One value serves every
// page of the worker, so its rate limits hold across them.
func NewInventory(cfg aws.Config, opts InventoryOptions) *Inventory {
	sm := opts.SecretsManager
	if sm == nil {
		sm = secretsmanager.NewFromConfig(cfg, func(o *secretsmanager.Options) { o.Retryer = throttleTolerantRetryer() })
	}
	return &Inventory{src: inventory.NewSource(sm, opts.Plans, opts.Rates)}
}

// InventoryPageInput asks for one page of the inventory.
type InventoryPageInput struct {
	Cursor inventory.Cursor `json:"cursor"`
	// DefaultMaxAge applies to secrets no schedule's plan gives a maxAge
	// (0: none, never overdue).
	DefaultMaxAge time.Duration `json:"defaultMaxAge,omitempty"`
	// Now is the run's time: every page measures ages from it, so a run
	// that takes minutes is one consistent picture.
	Now time.Time `json:"now"`
}

// InventoryPage lists up to inventory.PageSize managed secrets with the
// age of their AWSCURRENT version (ListSecrets, ListSecretVersionIds;
// never a value) and what the schedules' plans say about them.
//
// It only reads, so any failure is safe to retry from the same cursor:
// if the worker dies during a page, or after it while the reply is lost,
// Temporal runs the page again (at most 100 secrets' reads). AWS
// throttling is kept away by the Source's client-side rates (half of AWS's
// quotas) and absorbed by the SDK's retryer; what remains fails the
// attempt as transient and Temporal retries it with backoff. Access
// denied, or a schedule whose plan cannot be decoded, fail the page
// (non-retryable for AWS refusals), and so the run: the next hourly run
// tries again, and nothing was published from a partial picture.
// It heartbeats after each secret with the number done.
func (a *Inventory) InventoryPage(ctx context.Context, in InventoryPageInput) (inventory.Page, error) {
	page, err := a.src.Page(ctx, in.Cursor, in.DefaultMaxAge, in.Now, func(done int) { heartbeat(ctx, done) })
	if err != nil {
		return inventory.Page{}, awsError(ctx, "inventory", "listing", err)
	}
	return page, nil
}
