package processor

import (
	"context"

	"github.com/worldval/worldval/aggregates/errcode"
	"github.com/worldval/worldval/events/cloudevents"
)

// topicTypes lists the command types topic carries, by the configuration's
// topic names.
func topicTypes(t KafkaTopics, topic string) []string {
	switch topic {
	case t.Submissions:
		return []string{cloudevents.TypeSubmitEvaluationRun}
	case t.Policies:
		return []string{cloudevents.TypePublishPolicy, cloudevents.TypeSetDefaultPolicy}
	case t.Overrides:
		return []string{cloudevents.TypeRecordOverride}
	case t.RiskSnapshots:
		return []string{cloudevents.TypeRiskSnapshotUpdated}
	}
	return nil
}

// dispatch applies cmd through the command it names, once. It returns
// whether nothing was appended (a duplicate) and the command's name for
// worldval_commands_ingested_total, "" when the type is not one of its
// topic's.
func (in *Ingress) dispatch(ctx context.Context, cmd KafkaCommand) (duplicate bool, name string, err error) {
	if !carries(topicTypes(in.cfg.Topics, cmd.Topic), cmd.Event.Type) {
		return false, "", errcode.New(errcode.UnknownCommand, "type %q is not a command of topic %s (it carries %v)",
			cmd.Event.Type, cmd.Topic, topicTypes(in.cfg.Topics, cmd.Topic)).WithDetail("type", cmd.Event.Type)
	}
	meta := commandMeta{actor: "kafka:" + cmd.Event.Source, correlationID: cmd.Event.Correlation(), causationID: cmd.Event.ID}
	switch cmd.Event.Type {
	case cloudevents.TypeSubmitEvaluationRun:
		out, err := in.cmds.submitRun(ctx, cmd.WorldID, cmd.Body, cmd.Event.ID, meta)
		return out.res.Duplicate, commandSubmitRun, err
	case cloudevents.TypePublishPolicy:
		out, err := in.cmds.publishPolicyDoc(ctx, cmd.WorldID, cmd.Body, "application/json", cmd.Event.ID, meta)
		return out.res.Duplicate, commandPublishPolicy, err
	case cloudevents.TypeSetDefaultPolicy:
		out, err := in.cmds.setDefault(ctx, cmd.WorldID, cmd.Body, cmd.Event.ID, meta)
		return out.res.Duplicate, commandSetDefaultPolicy, err
	}
	// Overrides are the processor's own command unless a handler takes
	// them over.
	if cmd.Event.Type == cloudevents.TypeRecordOverride && in.external[cmd.Event.Type] == nil {
		strategy, run, body, err := runOf(cmd.Body)
		if err != nil {
			return false, commandRecordOverride, err
		}
		res, err := in.cmds.recordOverrideOf(ctx, cmd.WorldID, strategy, run, body, cmd.Event.ID, meta)
		return res.Duplicate, commandRecordOverride, err
	}
	h := in.external[cmd.Event.Type]
	if h == nil {
		return false, "", errcode.New(errcode.NotImplemented, "this build has no handler for %s commands yet; the record stays in the DLQ for replay", cmd.Event.Type).
			WithDetail("type", cmd.Event.Type)
	}
	dup, err := h.HandleCommand(ctx, cmd)
	return dup, cmd.Event.Type, err
}

// carries reports whether types holds typ.
func carries(types []string, typ string) bool {
	for _, t := range types {
		if t == typ {
			return true
		}
	}
	return false
}

// runOf splits an annotation's data into the run it names (strategy_id and
// run_id, both required) and the HTTP body of the annotation.
func runOf(data []byte) (strategy, run string, body []byte, err error) {
	members, err := decodeObject(data)
	if err != nil {
		return "", "", nil, err
	}
	var ps problems
	rest := make([]jsonMember, 0, len(members))
	for _, m := range members {
		switch m.name {
		case "strategy_id":
			strategy, _ = stringValue(&ps, m.name, m.value)
		case "run_id":
			run, _ = stringValue(&ps, m.name, m.value)
		default:
			rest = append(rest, m)
		}
	}
	if strategy == "" && !ps.concern("strategy_id") {
		ps.add("strategy_id", "is required: it names the run")
	}
	if run == "" && !ps.concern("run_id") {
		ps.add("run_id", "is required: it names the run")
	}
	if err := ps.err("the command is invalid"); err != nil {
		return "", "", nil, err
	}
	return strategy, run, encodeObject(rest), nil
}
