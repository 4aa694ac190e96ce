package cli

import "github.com/spf13/cobra"

func newProvisionCmd(a *app) *cobra.Command { return &cobra.Command{Use: "provision"} }
func newRotateCmd(a *app) *cobra.Command    { return &cobra.Command{Use: "rotate"} }
func newStatusCmd(a *app) *cobra.Command    { return &cobra.Command{Use: "status"} }
func newListCmd(a *app) *cobra.Command      { return &cobra.Command{Use: "list"} }
func newApproveCmd(a *app) *cobra.Command   { return &cobra.Command{Use: "approve"} }
func newAbortCmd(a *app) *cobra.Command     { return &cobra.Command{Use: "abort"} }
func newRollbackCmd(a *app) *cobra.Command  { return &cobra.Command{Use: "rollback"} }
func newHistoryCmd(a *app) *cobra.Command   { return &cobra.Command{Use: "history"} }
func newScheduleCmd(a *app) *cobra.Command  { return &cobra.Command{Use: "schedule"} }
