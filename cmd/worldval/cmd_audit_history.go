package main

// auditHistoryCommands returns the auditors' commands over a store's whole
// history besides audit verify: replaying every verdict with the current
// code and exporting a world's history (issue: governance and audit). The
// export's offline check is audit verify --file.
func auditHistoryCommands() []command {
	return []command{auditReplayCommand(), auditExportCommand()}
}
