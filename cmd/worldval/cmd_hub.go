package main

// hubCommands returns the risk hub's operator commands (publishing a
// snapshot, reporting each world's freshness).
func hubCommands() []command {
	return nil
}
