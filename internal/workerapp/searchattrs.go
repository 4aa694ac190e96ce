package workerapp

import (
	"context"
	"errors"
	"log/slog"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/workflows"
)

// SearchAttributes are credstage's custom search attributes, all Keyword.
var SearchAttributes = []string{
	workflows.SearchAttrEnvironment.GetName(),
	workflows.SearchAttrSecret.GetName(),
	workflows.SearchAttrStatus.GetName(),
}

// registerSearchAttributes adds the missing ones. Workflows that upsert an
// unregistered attribute fail their tasks, so this runs before the worker
// polls; but it never stops the worker: where the operator API is not
// permitted (Temporal Cloud API keys, locked-down clusters) it says what
// to ask an operator for.
func registerSearchAttributes(ctx context.Context, c client.Client, namespace string, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ops := c.OperatorService()
	have, err := ops.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		warnNotRegistered(logger, SearchAttributes, err)
		return
	}
	missing := map[string]enumspb.IndexedValueType{}
	var names []string
	for _, name := range SearchAttributes {
		if _, ok := have.CustomAttributes[name]; !ok {
			missing[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
			names = append(names, name)
		}
	}
	if len(missing) == 0 {
		return
	}
	_, err = ops.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	switch {
	case err == nil:
		logger.Info("registered search attributes", "names", names)
	case errors.As(err, &exists):
		// Another worker won the race: the attributes are there.
	default:
		warnNotRegistered(logger, names, err)
	}
}

func warnNotRegistered(logger *slog.Logger, names []string, err error) {
	logger.Warn("cannot register credstage's search attributes; runs cannot be listed or filtered until an operator does: "+
		"temporal operator search-attribute create --name NAME --type Keyword", "names", names, "error", err.Error())
}
