package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/client"
)

// hubPublishCommand is `worldval hub publish`: it sends a snapshot file to
// the risk hub with its canonical hash, computed by the hub's own code.
func hubPublishCommand() command {
	return command{
		name:     "hub publish",
		synopsis: "Publish a risk snapshot file to the risk hub with its canonical hash; prints the recorded version and hash, or that it was a re-send.",
		usage: `--world W --file SNAPSHOT.json --actor A --stage S [--server URL] [--token-env VAR] [--ttl-sec N] [--json]

The file holds one snapshot (risk-hub spec §2.1: as_of, version, weights, and
optionally covariance, realized_returns, stress, constraints, ttl_sec,
provenance, the *_ref members and hash). Before sending, the command makes
ttl_sec explicit (--ttl-sec when the file has none) and adds the hash that
the hub computes for it, with the hub's own code: the canonical form of
risk-hub §2.11 with --world as world_id and --actor/--stage merged into
provenance. A hash already in the file is sent unchanged, so the hub checks
it. Covariance, realized returns and stress above the hub's
risk_hub.inline_cov_threshold are sent inline: the hub moves them to its
blob store itself, after checking the hash (a producer cannot write to the
hub's blob store over HTTP).

Exit status: 0 when the hub recorded the snapshot or it was a re-send of a
recorded one; 1 when the hub refused it (status, error code and message on
one line) or could not be reached; 2 for bad input, sent nowhere: missing
flags, an unreadable file, a file that is not one JSON object, or a snapshot
the contract refuses (the same check the hub runs, so that it has a hash).
The write needs a token with scope hub:write.`,
		setup: func(fs *flag.FlagSet, env *environment) func(context.Context, []string) error {
			cf := declareClientFlags(fs)
			var o hubPublishOptions
			fs.StringVar(&o.world, "world", "", "world `id` to publish for (required)")
			fs.StringVar(&o.file, "file", "", "snapshot `file`, - for standard input (required)")
			fs.StringVar(&o.actor, "actor", "", "producer sent as X-Actor and merged into provenance.actor (required)")
			fs.StringVar(&o.stage, "stage", "", "stage sent as X-Stage and merged into provenance.stage, e.g. paper or live (required)")
			fs.Int64Var(&o.ttlSec, "ttl-sec", risksnapshot.DefaultTTLSec, "ttl_sec `seconds` to send when the file has none (the hash covers it; the hub refuses more than its risk_hub.ttl_sec_max)")
			fs.BoolVar(&o.asJSON, "json", false, "print the recorded snapshot as JSON")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return usagef("unexpected argument %q", args[0])
				}
				var missing []string
				for _, f := range []struct{ name, value string }{{"--world", o.world}, {"--file", o.file}, {"--actor", o.actor}, {"--stage", o.stage}} {
					if f.value == "" {
						missing = append(missing, f.name)
					}
				}
				if len(missing) > 0 {
					return usagef("%s required", strings.Join(missing, ", "))
				}
				if o.ttlSec < 1 {
					return usagef("--ttl-sec must be at least 1, got %d", o.ttlSec)
				}
				c, err := cf.client(env)
				if err != nil {
					return err
				}
				return hubPublish(ctx, env, c, o)
			}
		},
	}
}

// hubPublishOptions are the flags of `worldval hub publish`.
type hubPublishOptions struct {
	world, file, actor, stage string
	ttlSec                    int64
	asJSON                    bool
}

// hubPublish reads, prepares and sends one snapshot, and prints what the hub
// recorded.
func hubPublish(ctx context.Context, env *environment, c *client.Client, o hubPublishOptions) error {
	data, err := readInput(env, o.file)
	if err != nil {
		return err
	}
	p, err := prepareSnapshot(data, o.world, o.actor, o.stage, o.ttlSec)
	if err != nil {
		return usageError{fmt.Errorf("%s: %w", o.file, err)}
	}
	rec, err := c.PublishSnapshot(ctx, o.world, p.body, o.actor, o.stage)
	if err != nil {
		var ae *client.APIError
		if errors.As(err, &ae) && ae.Code == client.CodeSnapshotHashMismatch {
			var theirs string
			_ = json.Unmarshal(ae.Details["computed"], &theirs)
			return hubRefusalError{api: ae, note: fmt.Sprintf("sent %s, the hub computed %s", p.sent, theirs)}
		}
		return hubFailure(err)
	}
	if rec.Hash != p.sent {
		return fmt.Errorf("the hub answered hash %s for version %s, not the %s sent", rec.Hash, rec.Version, p.sent)
	}
	if o.asJSON {
		return writeJSON(env.stdout, struct {
			Replay   bool                 `json:"replay"`
			Snapshot *client.RiskSnapshot `json:"snapshot"`
		}{rec.Replay, &rec.RiskSnapshot})
	}
	printPublished(env.stdout, rec)
	return nil
}

// printPublished prints one line: what the hub recorded, or that it had
// recorded it already.
func printPublished(w io.Writer, rec *client.PublishedSnapshot) {
	what := "recorded"
	if rec.Replay {
		what = "re-send"
	}
	line := fmt.Sprintf("%s world=%s version=%s hash=%s as_of=%s created_at=%s ttl_sec=%d",
		what, rec.WorldID, rec.Version, rec.Hash, rec.AsOf, risksnapshot.FormatSeconds(rec.CreatedAt), rec.TTLSec)
	for _, ref := range []struct{ name, value string }{
		{"covariance_ref", rec.CovarianceRef}, {"realized_returns_ref", rec.RealizedReturnsRef}, {"stress_ref", rec.StressRef},
	} {
		if ref.value != "" {
			line += " " + ref.name + "=" + ref.value
		}
	}
	if rec.Replay {
		line += " (already recorded with this hash: nothing stored)"
	}
	fmt.Fprintln(w, line)
}

// preparedSnapshot is a snapshot file made ready to send.
type preparedSnapshot struct {
	// body is what is sent: the file's members in their order, ttl_sec
	// made explicit, and a hash.
	body []byte
	// computed is the hash of the canonical form the hub will compute.
	computed string
	// sent is the hash body carries: the file's, else computed.
	sent string
}

// prepareSnapshot makes a snapshot file ready to send to world with the
// given actor and stage headers: ttl_sec is made explicit (ttlSec when the
// file has none), so that the hash does not depend on the hub's
// risk_hub.ttl_sec_default; the hash is computed by the hub's own contract
// code ([risksnapshot.Contract.Parse], which also runs every check of the
// contract that needs no configuration); and it is added unless the file
// carries one, which is kept as it is for the hub to check. The error says
// why the file cannot be sent.
func prepareSnapshot(data []byte, world, actor, stage string, ttlSec int64) (preparedSnapshot, error) {
	members, err := readSnapshotObject(data)
	if err != nil {
		return preparedSnapshot{}, err
	}
	var fileHash json.RawMessage
	unhashed := make([]snapshotMember, 0, len(members)+2)
	hasTTL := false
	for _, m := range members {
		switch {
		case m.name == "hash":
			if !isNull(m.value) {
				var s string
				if json.Unmarshal(m.value, &s) != nil {
					return preparedSnapshot{}, errors.New("hash must be a string when provided")
				}
				if s != "" {
					fileHash = m.value
				}
			}
			continue
		case m.name == "ttl_sec" && isNull(m.value):
			continue // null is absent (D3): made explicit below
		case m.name == "ttl_sec":
			hasTTL = true
		}
		unhashed = append(unhashed, m)
	}
	if !hasTTL {
		unhashed = append(unhashed, snapshotMember{name: "ttl_sec", value: json.RawMessage(strconv.FormatInt(ttlSec, 10))})
	}
	// The hub's limits that come from its configuration (ttl_sec_max, the
	// allow-lists, the blob store of references) are left to the hub.
	contract := risksnapshot.Contract{TTLSecDefault: ttlSec, TTLSecMax: math.MaxInt64}
	s, err := contract.Parse(risksnapshot.Input{World: world, Body: writeSnapshotObject(unhashed), HeaderActor: actor, HeaderStage: stage})
	if err != nil {
		return preparedSnapshot{}, fmt.Errorf("the snapshot breaks the contract, nothing sent: %w", err)
	}
	p := preparedSnapshot{computed: s.Hash, sent: s.Hash}
	hashMember := snapshotMember{name: "hash"}
	if fileHash != nil {
		hashMember.value = fileHash
		if err := json.Unmarshal(fileHash, &p.sent); err != nil {
			return preparedSnapshot{}, fmt.Errorf("hash: %w", err)
		}
	} else {
		hashMember.value, _ = json.Marshal(s.Hash) // a string always marshals
	}
	p.body = writeSnapshotObject(append(unhashed, hashMember))
	return p, nil
}

// snapshotMember is one top-level member of a snapshot file.
type snapshotMember struct {
	name  string
	value json.RawMessage
}

// readSnapshotObject splits data into the members of the one JSON object it
// must hold, in their order. A repeated key is refused, as the hub refuses
// it; values are kept as they are, for the hub's contract to judge.
func readSnapshotObject(data []byte) ([]snapshotMember, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object: a snapshot file holds one object")
	}
	var out []snapshotMember
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		name, _ := tok.(string) // inside an object a token here is a key
		if seen[name] {
			return nil, fmt.Errorf("not valid JSON: duplicate key %q", name)
		}
		seen[name] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("not valid JSON: member %q: %w", name, err)
		}
		out = append(out, snapshotMember{name: name, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("not valid JSON: data after the object")
	}
	return out, nil
}

// writeSnapshotObject writes members as one JSON object, values as they are.
func writeSnapshotObject(members []snapshotMember) []byte {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			buf.WriteByte(',')
		}
		name, _ := json.Marshal(m.name) // a string always marshals
		buf.Write(name)
		buf.WriteByte(':')
		buf.Write(m.value)
	}
	buf.WriteByte('}')
	return buf.Bytes()
}

// isNull reports whether a JSON value is null.
func isNull(v json.RawMessage) bool {
	return string(bytes.TrimSpace(v)) == "null"
}
