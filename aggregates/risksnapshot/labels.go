package risksnapshot

// Labels extracts, best effort, data.world_id and data.provenance.stage from
// a snapshot body, for the metric labels of a snapshot the contract refused.
// It reads what the snapshot decoder reads (NaN tokens included) and returns
// "" for anything it cannot find as a string.
func Labels(body []byte) (world, stage string) {
	doc, err := parseJSON(body)
	if err != nil || doc.kind != kindObject {
		return "", ""
	}
	if w, ok := doc.get("world_id"); ok && w.kind == kindString {
		world = w.s
	}
	if p, ok := doc.get("provenance"); ok && p.kind == kindObject {
		if s, ok := p.get("stage"); ok && s.kind == kindString {
			stage = s.s
		}
	}
	return world, stage
}
