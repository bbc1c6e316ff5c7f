// Command gen writes the "bad strategies" regression set into the directory
// named by its argument; `go generate ./internal/badstrategies` runs it.
package main

import (
	"fmt"
	"os"

	"github.com/worldval/worldval/internal/badstrategies"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen DIR")
		os.Exit(2)
	}
	if err := badstrategies.Write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
