//go:build tools

// Package tools pins the command-line programs credstage builds from source:
// the Temporal CLI (dev server and Web UI). Later CLI versions carry a
// replace directive in their go.mod, which `go install` refuses, so v1.5.1
// is pinned here and built with `go build` inside this module instead.
package tools

import (
	_ "github.com/temporalio/cli/cmd/temporal"
)
