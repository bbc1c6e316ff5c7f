package risksnapshot_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/worldval/worldval/aggregates/risksnapshot"
	"github.com/worldval/worldval/events"
)

func TestBlobName(t *testing.T) {
	h := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct{ world, version, want string }{
		{"w", "v1", "w/v1/covariance-0123456789abcdef.json"},
		{"a/b", "../x", "a%2Fb/..%2Fx/covariance-0123456789abcdef.json"},
		{"..", ".", "%2E%2E/%2E/covariance-0123456789abcdef.json"},
	} {
		if got := risksnapshot.BlobName(tc.world, tc.version, risksnapshot.KindCovariance, h); got != tc.want {
			t.Errorf("BlobName(%q, %q) = %q, want %q", tc.world, tc.version, got, tc.want)
		}
		if !strings.HasPrefix(risksnapshot.BlobName(tc.world, tc.version, "x", h), risksnapshot.WorldPrefix(tc.world)) {
			t.Errorf("name of %q outside its prefix", tc.world)
		}
	}
}

func TestPlanOffloadThresholds(t *testing.T) {
	const T = 3
	mk := func(cov, points, stress int) string {
		var c, r, s []string
		for i := range cov {
			c = append(c, fmt.Sprintf(`"s%d,s%d":0.01`, i, i))
		}
		for i := range points {
			r = append(r, fmt.Sprintf("0.00%d", i))
		}
		for i := range stress {
			s = append(s, fmt.Sprintf(`"sc%d":{"max_drawdown":0.1}`, i))
		}
		return body(fmt.Sprintf(`"covariance":{%s},"realized_returns":{"a":[%s]},"stress":{%s}`,
			strings.Join(c, ","), strings.Join(r, ","), strings.Join(s, ",")))
	}
	at := parse(t, mk(T, T, T))
	p := at.Recorded(time.Unix(0, 0), events.IngressHTTP, "")
	if plan := risksnapshot.PlanOffload(&p, T); len(plan) != 0 {
		t.Fatalf("at the threshold: %+v", plan)
	}
	over := parse(t, mk(T+1, T+1, T+1))
	p = over.Recorded(time.Unix(0, 0), events.IngressHTTP, "")
	plan := risksnapshot.PlanOffload(&p, T)
	if len(plan) != 3 {
		t.Fatalf("above the threshold: %+v", plan)
	}
	contents := map[string]string{}
	for _, o := range plan {
		if !json.Valid(o.Content) || o.Name != risksnapshot.BlobName("w", "v1", o.Kind, over.Hash) {
			t.Fatalf("offload %+v", o)
		}
		contents[o.Kind] = string(o.Content)
	}
	if contents["realized"] != `{"a":[0.0,0.001,0.002,0.003]}` {
		t.Fatalf("realized blob %s", contents["realized"])
	}
	risksnapshot.ApplyOffload(&p, plan, func(name string) string { return "mem://" + name })
	if p.Covariance != nil || p.RealizedReturns != nil || p.Stress != nil ||
		!p.Offloaded.Covariance || !p.Offloaded.RealizedReturns || !p.Offloaded.Stress ||
		!strings.HasPrefix(p.CovarianceRef, "mem://w/v1/covariance-") {
		t.Fatalf("after ApplyOffload: %+v", p)
	}
	// The hash survives offloading: resolving the blobs gives it back.
	var r risksnapshot.Resolved
	_ = json.Unmarshal([]byte(contents["covariance"]), &r.Covariance)
	r.RealizedReturns = new(events.RealizedReturns)
	_ = json.Unmarshal([]byte(contents["realized"]), r.RealizedReturns)
	r.Stress = json.RawMessage(contents["stress"])
	back, err := risksnapshot.FromRecorded(&p, r)
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := back.ComputeHash(); h != over.Hash {
		t.Fatalf("hash after offload and resolve %s, want %s", h, over.Hash)
	}
	// A producer's ref keeps the member where it is.
	withRef := parse(t, body(`"covariance_ref":"x","covariance":{"a,a":1,"b,b":1,"c,c":1,"d,d":1}`))
	p = withRef.Recorded(time.Unix(0, 0), events.IngressHTTP, "")
	if plan := risksnapshot.PlanOffload(&p, T); len(plan) != 0 {
		t.Fatalf("offloaded despite a producer ref: %+v", plan)
	}
}
