package main

// auditHistoryCommands returns the auditors' commands over a store's whole
// history besides audit verify: replaying every verdict with the current
// code and exporting a world's history (issue: governance and audit).
func auditHistoryCommands() []command {
	return nil
}
