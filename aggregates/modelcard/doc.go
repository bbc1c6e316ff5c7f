// Package modelcard is the model-card aggregate (validation-core §12.2): the
// versioned model cards of one strategy, on the stream
// model-card/{strategy}.
//
// A card is a JSON object with at least strategy_id, model_card_version
// (alias version), objective, data_overview (a string or a list of
// strings), key_assumptions and key_limitations (lists of strings); extra
// fields are kept. Each version is published once: publishing it again with
// the same content appends nothing, with other content is a conflict. The
// latest publication is the card a run records when its submission names
// none (§2.2).
package modelcard
