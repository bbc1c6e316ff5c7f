// Package client is the Go client of the worldval HTTP API, for strategy
// runners that submit runs and for tools that read verdicts, run histories
// and policies.
//
// Build a [Client] with [New] and the service's base URL; give it a bearer
// token with [WithToken] when the service has auth.tokens configured. Every
// method takes a [context.Context] first and returns promptly when it is
// done. A request the service refuses returns an [*APIError] carrying the
// HTTP status and the service's machine-readable error code:
//
//	c, err := client.New("http://127.0.0.1:8080", client.WithToken(token))
//	sub, err := c.Submit(ctx, "demo", client.SubmitRequest{
//		StrategyID: "mom-1", RunID: "run-1", Stage: "backtest", Returns: returns,
//	})
//	verdict, err := c.WaitForVerdict(ctx, sub.Ref())
//	fmt.Println(verdict.Summary.Status, verdict.Summary.RecommendedStage)
//
// Reads take [AsOf] to answer as the service knew things at an earlier
// instant. The package has its own small types mirroring the API's JSON and
// imports nothing of the server, so producers depend on it alone. A Client is
// safe for concurrent use.
package client
