package report

import "fmt"

// fmtSscanf reads "rgb(r, g, b)" or "rgba(r, g, b, a)" into c.
func fmtSscanf(s string, c *[3]int) (int, error) {
	if n, err := fmt.Sscanf(s, "rgb(%d, %d, %d)", &c[0], &c[1], &c[2]); err == nil {
		return n, nil
	}
	var a float64
	return fmt.Sscanf(s, "rgba(%d, %d, %d, %g)", &c[0], &c[1], &c[2], &a)
}
