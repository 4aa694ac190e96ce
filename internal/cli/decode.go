package cli

import (
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
)

// dataConverter is the one the Temporal client uses (with the payload
// codec when keys are set), for reading what schedules' actions carry.
func (a *app) dataConverter() converter.DataConverter {
	if opts, err := a.conn.ClientOptions(); err == nil && opts.DataConverter != nil {
		return opts.DataConverter
	}
	return converter.GetDefaultDataConverter()
}

// decodeArg reads a schedule action's argument, which the SDK hands back
// as the raw payload.
func (a *app) decodeArg(arg any, v any) bool {
	p, ok := arg.(*commonpb.Payload)
	return ok && a.dataConverter().FromPayload(p, v) == nil
}
